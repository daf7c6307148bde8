#!/usr/bin/env python3
"""Tables from bench/run.sh output: medians over rounds, ratios computed within each round, then their median."""
import re, statistics, sys
from collections import defaultdict

rows = []
for line in open(sys.argv[1]):
    if line.startswith("round="):
        rows.append(dict(kv.split("=", 1) for kv in line.split()))

def med(v):
    return statistics.median(v) if v else float("nan")

CLOCK = sys.argv[2] if len(sys.argv) > 2 else "wall"   # wall | cpu
MS = "median_step_ms" if CLOCK == "wall" else "median_cpu_ms"
GF = "gflops" if CLOCK == "wall" else "cpu_gflops"

peak = defaultdict(list)  # round -> (n, gflops)
for r in rows:
    if r["engine"] == "sgemm-peak":
        peak[r["round"]].append((int(r["n"]), float(r[GF])))
peak_round = {rd: max(g for n, g in v) for rd, v in peak.items()}  # best of n = 256, 512, 1024 in that round

def flops(r):
    B, T, I, H = (int(r[k]) for k in "BTIH")
    return 24.0 * B * H * (I + H) * T

def engine_name(e):
    if e == "pytorch-default-malloc":
        return e
    if e.startswith("pytorch"):
        return "pytorch"
    if e.startswith("dl4j"):
        return "dl4j"
    return e

step = defaultdict(lambda: defaultdict(dict))  # shape -> round -> engine -> row
for r in rows:
    if r["engine"] == "sgemm-peak":
        continue
    shape = (int(r["B"]), int(r["T"]), int(r["I"]), int(r["H"]))
    step[shape][r["round"]][engine_name(r["engine"])] = r

print()
print(f"## clock: {CLOCK} ({'wall time' if CLOCK == 'wall' else 'CPU time of the thread that runs the step'})")
print()
print("sgemm peak, single thread, GFLOP/s (median over rounds): " + ", ".join(
    f"n={n}: {med([g for v in peak.values() for m, g in v if m == n]):.1f}" for n in sorted({n for v in peak.values() for n, _ in v})))
print()
print("| shape (B,T,I,H) | engine | median step ms | seq-steps/s | GFLOP/s | % of sgemm peak |")
print("|---|---|---|---|---|---|")
for shape in sorted(step):
    engines = sorted({e for rd in step[shape].values() for e in rd})
    for e in ["carousel-probes-off", "carousel-probes-on", "carousel-train-local", "carousel-train-local-noeval",
              "carousel-train-spark", "carousel-train-spark-noeval", "dl4j", "pytorch", "pytorch-default-malloc"]:
        if e not in engines:
            continue
        ms = [float(rd[e][MS]) for rd in step[shape].values() if e in rd and MS in rd[e]]
        sps = [int(rd[e]["B"]) * int(rd[e]["T"]) / float(rd[e][MS]) * 1e3 for rd in step[shape].values() if e in rd and MS in rd[e]]
        gf = [flops(rd[e]) / float(rd[e][MS]) / 1e6 for rd in step[shape].values() if e in rd and MS in rd[e]]
        pk = [flops(rd[e]) / float(rd[e][MS]) / 1e6 / peak_round[k] for k, rd in step[shape].items()
              if e in rd and MS in rd[e] and k in peak_round]
        print(f"| {shape} | {e} | {med(ms):.1f} | {med(sps):.0f} | {med(gf):.2f} | {100 * med(pk):.0f}% |")
print()
print("Ratios (throughput of ours / peer, from the same round; median over rounds; >1 = Carousel faster):")
print()
print("| shape (B,T,I,H) | on/PyTorch | off/PyTorch | on/DL4J | off/DL4J | probe cost per probed step (on/off − 1) | on % of peak | on / off vs PyTorch with glibc's default malloc |")
print("|---|---|---|---|---|---|---|---|")
for shape in sorted(step):
    def ratio(a, b):
        v = [float(rd[b][MS]) / float(rd[a][MS]) for rd in step[shape].values() if a in rd and b in rd and MS in rd[a] and MS in rd[b]]
        return med(v)
    cost = med([float(rd["carousel-probes-on"][MS]) / float(rd["carousel-probes-off"][MS]) - 1
                for rd in step[shape].values() if "carousel-probes-on" in rd and "carousel-probes-off" in rd])
    pk = med([flops(rd["carousel-probes-on"]) / float(rd["carousel-probes-on"][MS]) / 1e6 / peak_round[k]
              for k, rd in step[shape].items() if "carousel-probes-on" in rd and k in peak_round])
    print(f"| {shape} | {ratio('carousel-probes-on', 'pytorch'):.2f} | {ratio('carousel-probes-off', 'pytorch'):.2f} | "
          f"{ratio('carousel-probes-on', 'dl4j'):.2f} | {ratio('carousel-probes-off', 'dl4j'):.2f} | "
          f"{100 * cost:+.1f}% | {100 * pk:.0f}% | {ratio('carousel-probes-on', 'pytorch-default-malloc'):.2f} / "
          f"{ratio('carousel-probes-off', 'pytorch-default-malloc'):.2f} |")

TRAIN = ["carousel-train-local", "carousel-train-local-noeval", "carousel-train-spark", "carousel-train-spark-noeval"]
if any(e in rd for shape in step for rd in step[shape].values() for e in TRAIN):
    print()
    print("Per update through the training paths (TrainBench: every key at its default but the shape), against a")
    print("PyTorch step from the same round; median over rounds of the per-round ratio (>1 = Carousel faster):")
    print()
    print("| shape (B,T,I,H) | path | ms per update | PyTorch ms per step | ratio | rounds |")
    print("|---|---|---|---|---|---|")
    for shape in sorted(step):
        for e in TRAIN:
            rs = [rd for rd in step[shape].values() if e in rd and "pytorch" in rd and MS in rd[e] and MS in rd["pytorch"]]
            if not rs:
                continue
            ratios = [float(rd["pytorch"][MS]) / float(rd[e][MS]) for rd in rs]
            print(f"| {shape} | {e} | {med([float(rd[e][MS]) for rd in rs]):.1f} | "
                  f"{med([float(rd['pytorch'][MS]) for rd in rs]):.1f} | {med(ratios):.2f} "
                  f"({min(ratios):.2f}–{max(ratios):.2f}) | {len(rs)} |")
