#!/usr/bin/env python3
"""Independent NumPy check of a Carousel probe bundle (`carousel probe ... --out DIR`).

Recomputes the forward pass, BPTT and every probe of docs/science.md from the bundle's own inputs,
targets and parameters, in float64, and compares them with what Carousel wrote. Shape legend:
T steps, B sequences, I inputs, H hidden, G = 4H (LSTM, gates i|f|g|o) or H (RNN), O outputs.

    python3 check_probe_bundle.py DIR [--rtol 1e-9]

Prints the largest relative difference per quantity; exits 1 if any exceeds rtol.
"""
import argparse, json, os, sys
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle")
    ap.add_argument("--rtol", type=float, default=1e-9)
    a = ap.parse_args()
    d = a.bundle
    m = json.load(open(os.path.join(d, "manifest.json")))
    ld = lambda n: np.load(os.path.join(d, n))
    x, y = ld("inputs.npy"), ld("targets.npy")              # x: [T,B,I], y: [T,B,O]
    Wx, Wh, b, Wy, by = ld("W_x.npy"), ld("W_h.npy"), ld("b.npy"), ld("W_y.npy"), ld("b_y.npy")
    T, B, _ = x.shape
    H = Wh.shape[0]
    model = m["config"]["model"]
    lstm = model["cell"] == "lstm"
    gate = model["forget-gate"]
    const_f = None
    if lstm and gate["mode"] == "fixed":
        const_f = float(gate["value"])
    elif lstm and gate["mode"] == "none":
        const_f = 1.0
    steps = m["loss_steps"]
    P = len(steps)

    # forward
    h = np.zeros((T + 1, B, H)); c = np.zeros((T + 1, B, H))   # index t+1 holds step t; 0 holds h_{-1}
    gates = []
    for t in range(T):
        z = x[t] @ Wx + h[t] @ Wh + b
        if lstm:
            i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2*H]), np.tanh(z[:, 2*H:3*H]), sigmoid(z[:, 3*H:])
            if const_f is not None:
                f = np.full_like(f, const_f)
            c[t + 1] = f * c[t] + i * g
            h[t + 1] = o * np.tanh(c[t + 1])
            gates.append((i, f, g, o))
        else:
            h[t + 1] = np.tanh(z)
    # head, per-sequence losses l_b and dl_b/dy
    seq = np.zeros(B); dh = np.zeros((T, B, H)); dWy = np.zeros_like(Wy); dby = np.zeros_like(by)
    for t in steps:
        out = h[t + 1] @ Wy + by
        if m["loss"] == "mse":
            diff = out - y[t]
            seq += (diff ** 2).mean(axis=1) / P
            dy = 2 * diff / out.shape[1] / P
        else:
            lse = out.max(axis=1, keepdims=True)
            lse = lse + np.log(np.exp(out - lse).sum(axis=1, keepdims=True))
            seq += -(y[t] * (out - lse)).sum(axis=1) / P
            dy = (np.exp(out - lse) * y[t].sum(axis=1, keepdims=True) - y[t]) / P
        dWy += h[t + 1].T @ dy; dby += dy.sum(axis=0)
        dh[t] += dy @ Wy.T
    # BPTT against l_b (not divided by B)
    G = Wh.shape[1]
    dz = np.zeros((T, B, G)); dc = np.zeros((T, B, H))
    for t in reversed(range(T)):
        if t < T - 1:
            dh[t] += dz[t + 1] @ Wh.T
        if lstm:
            i, f, g, o = gates[t]
            tc = np.tanh(c[t + 1])
            dc[t] = dh[t] * o * (1 - tc ** 2)
            if t < T - 1:
                dc[t] += dc[t + 1] * gates[t + 1][1]
            dz[t, :, :H] = dc[t] * g * i * (1 - i)
            dz[t, :, H:2*H] = 0 if const_f is not None else dc[t] * c[t] * f * (1 - f)
            dz[t, :, 2*H:3*H] = dc[t] * i * (1 - g ** 2)
            dz[t, :, 3*H:] = dh[t] * tc * o * (1 - o)
        else:
            dz[t] = dh[t] * (1 - h[t + 1] ** 2)
    dWx = sum(x[t].T @ dz[t] for t in range(T)) / B
    dWh = sum(h[t].T @ dz[t] for t in range(T)) / B
    db = dz.sum(axis=(0, 1)) / B
    grad = np.concatenate([dWx.ravel(), dWh.ravel(), db.ravel(), (dWy / B).ravel(), (dby / B).ravel()])

    checks = {"sequence_losses.npy": seq, "gradient.npy": grad, "grad_h.npy": dh}
    with np.errstate(divide="ignore"):
        checks["probe_dh.npy"] = np.log10(np.linalg.norm(dh, axis=2)).T
        checks["probe_dwh_step.npy"] = np.array([np.log10(np.linalg.norm(h[t].T @ dz[t])) for t in range(T)])
        if lstm:
            checks["grad_c.npy"] = dc
            checks["probe_dc.npy"] = np.log10(np.linalg.norm(dc, axis=2)).T
            fs = np.stack([gt[1] for gt in gates])                       # [T,B,H]
            checks["probe_forget.npy"] = fs.mean(axis=2).T
            logf = np.log(fs)
            suffix = np.concatenate([np.cumsum(logf[::-1], axis=0)[::-1][1:], np.zeros((1, B, H))])  # sum_{k>t} log f_k
            mx = suffix.max(axis=2, keepdims=True)
            pg = (mx[..., 0] + np.log(np.exp(suffix - mx).mean(axis=2))) / np.log(10)
            checks["probe_path_gain.npy"] = pg.T
            # the split of dc_t into the carousel dc_{t+1} * f_{t+1} and gate k's term through h_t, t < T-1
            car = np.zeros((T, B, H)); via = np.zeros((4, T, B, H))
            for t in range(T - 1):
                dhdc = gates[t][3] * (1 - np.tanh(c[t + 1]) ** 2)
                car[t] = dc[t + 1] * gates[t + 1][1]
                for k in range(4):
                    via[k, t] = (dz[t + 1][:, k*H:(k+1)*H] @ Wh[:, k*H:(k+1)*H].T) * dhdc
            n_car, n_via, gsum = np.linalg.norm(car, axis=2), np.linalg.norm(via, axis=3), via.sum(axis=0)
            total = n_car + n_via.sum(axis=0)
            with np.errstate(invalid="ignore"):
                checks["probe_dc_carousel.npy"] = np.log10(n_car).T
                for k, name in enumerate("ifgo"):
                    checks[f"probe_dc_via_{name}.npy"] = np.log10(n_via[k]).T
                checks["probe_dc_share.npy"] = (n_car / total).T
                checks["probe_dc_agreement.npy"] = (np.linalg.norm(car + gsum, axis=2) / total).T
                checks["probe_dc_cosine.npy"] = ((car * gsum).sum(axis=2) / (n_car * np.linalg.norm(gsum, axis=2))).T
    worst = 0.0
    for name, expected in checks.items():
        if name.startswith("probe_") and not os.path.exists(os.path.join(d, name)):
            print(f"{name}: not recorded (probes.set)"); return 1
        got = ld(name)
        if got.shape != expected.shape:
            print(f"{name}: shape {got.shape} != {expected.shape}"); return 1
        fin = np.isfinite(expected)
        if not np.array_equal(fin, np.isfinite(got)) or not np.array_equal(expected[~fin], got[~fin], equal_nan=True):
            print(f"{name}: infinities differ"); return 1
        e, g2 = expected[fin], got[fin]
        scale = np.maximum(np.maximum(np.abs(e), np.abs(g2)), 1e-12)
        rel = float((np.abs(e - g2) / scale).max()) if e.size else 0.0
        worst = max(worst, rel)
        print(f"{name:24s} max relative difference {rel:.2e}")
    print(f"worst {worst:.2e} (rtol {a.rtol:g}): {'OK' if worst <= a.rtol else 'MISMATCH'}")
    return 0 if worst <= a.rtol else 1


if __name__ == "__main__":
    sys.exit(main())
