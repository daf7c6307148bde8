#!/usr/bin/env python3
"""Tables from bench/spark.sh output (SparkBench lines): medians over rounds, jobs and repeats; ratios taken within a
repeat (the 1- and 2-slot runs of a repeat are back to back), then their median. See BENCHMARKS.md."""
import statistics, sys
from collections import defaultdict

rows = []
jobs = []
for line in open(sys.argv[1]):
    if line.startswith("repeat="):
        rows.append(dict(kv.split("=", 1) for kv in line.split() if "=" in kv))
    elif line.startswith("engine=spark figure=job-latency"):
        jobs.append(dict(kv.split("=", 1) for kv in line.split() if "=" in kv))

def med(v):
    v = list(v)
    return statistics.median(v) if v else float("nan")

def f(r, k):
    return float(r[k])

def fig(name):
    return [r for r in rows if r["figure"] == name]

def steady(rs):
    return [r for r in rs if r["warm"] == "0"]

def round_table(rs, key):
    """Per key: rounds, median round ms, median slowest-compute ms (wall, CPU), median outside share, and the
    share over all rounds including the first (1 - sum compute / sum wall)."""
    groups = defaultdict(list)
    for r in rs:
        groups[key(r)].append(r)
    out = {}
    for k, g in groups.items():
        s = steady(g)
        out[k] = dict(
            rounds=len(s), wall=med(f(r, "wall_ms") for r in s), compute=med(f(r, "compute_ms") for r in s),
            cpu=med(f(r, "compute_cpu_ms") for r in s), outside=med(f(r, "outside") for r in s),
            outside_all=1 - sum(f(r, "compute_ms") for r in g) / sum(f(r, "wall_ms") for r in g),
            first=f(g[0], "wall_ms") if g[0]["warm"] == "1" else float("nan"),
            outside_ms=med(f(r, "wall_ms") - f(r, "compute_ms") for r in s))
    return out

def pct(x):
    return "%.1f%%" % (100 * x)

# ---------------------------------------------------------------- (a0) the cost of an empty job
if jobs:
    print("## (a) The floor: an empty Spark job (2 partitions, local[2]; median over jobs, then over passes)\n")
    print("| submitted as | jobs per pass | median ms | p10 ms | p90 ms |")
    print("|---|---|---|---|---|")
    for kind in ("treeAggregate", "collect", "runJob"):
        g = [j for j in jobs if j["kind"] == kind]
        if g:
            print("| %s | %s | %.1f | %.1f | %.1f |" % (kind, g[0]["jobs"], med(f(j, "median_ms") for j in g),
                                                     med(f(j, "p10_ms") for j in g), med(f(j, "p90_ms") for j in g)))
    print()
ov = fig("overhead")
if ov:
    s_ = steady(ov)
    print("Rounds of one local step (default cell, %s partition(s), %s): %d rounds, median round %.1f ms of which compute "
          "%.1f ms, outside %.1f ms\n" % (ov[0]["partitions"], ov[0]["master"], len(s_), med(f(r, "wall_ms") for r in s_),
                                        med(f(r, "compute_ms") for r in s_),
                                        med(f(r, "wall_ms") - f(r, "compute_ms") for r in s_)))

# ---------------------------------------------------------------- (a) outside-compute share
share = round_table(fig("share"), lambda r: (r["model"], int(r["H"]), int(r["T"]), int(r["K"]), int(r["partitions"]), r["master"]))
if share:
    print("## (a) Outside-compute share of a round (median over rounds after the first)\n")
    print("| model | H | T | K | partitions | master | rounds | round ms | slowest partition's compute ms (wall / CPU) "
          "| outside ms | outside share | outside share, all rounds incl. first |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (model, h, t, k, p, m), v in sorted(share.items(), key=lambda kv: (kv[0][1], -kv[0][4])):
        print("| %s | %d | %d | %d | %d | %s | %d | %.0f | %.0f / %.0f | %.0f | %s | %s |" % (
            model, h, t, k, p, m, v["rounds"], v["wall"], v["compute"], v["cpu"], v["outside_ms"], pct(v["outside"]),
            pct(v["outside_all"])))
    print()

# ---------------------------------------------------------------- (a') where the outside time goes (breakdown mode)
bd = [r for r in rows if r["figure"] == "breakdown"]
if bd:
    def q(v, p):
        v = sorted(v)
        return v[min(len(v) - 1, int(p * len(v)))]
    parts = [("job's wall (driver)", lambda r: f(r, "wall_ms")),
             ("compute (training steps, probes, validation)", lambda r: f(r, "compute_ms")),
             ("outside compute", lambda r: f(r, "outside_ms")),
             ("submission to task launch", lambda r: f(r, "launch_delay_ms")),
             ("task deserialisation", lambda r: f(r, "deserialize_ms")),
             ("task run outside compute (unpack θ, pack result)", lambda r: f(r, "run_ms") - f(r, "compute_ms")),
             ("result serialisation", lambda r: f(r, "result_ser_ms")),
             ("task end to job end", lambda r: f(r, "after_task_ms")),
             ("rest of the job (thread hand-offs, result transfer)", lambda r: f(r, "job_ms") - f(r, "launch_delay_ms")
              - f(r, "deserialize_ms") - f(r, "run_ms") - f(r, "result_ser_ms") - f(r, "after_task_ms")),
             ("driver outside the job (ship θ, unpack)", lambda r: f(r, "wall_ms") - f(r, "job_ms"))]
    print("## (a') Where a one-partition job's outside time goes (default cell, %d jobs, %s; Spark's clocks: ms)\n"
          % (len(bd), bd[0]["master"]))
    print("| part | median ms | p10 ms | p90 ms |")
    print("|---|---|---|---|")
    for name, fn in parts:
        v = [fn(r) for r in bd]
        print("| %s | %.1f | %.1f | %.1f |" % (name, med(v), q(v, 0.1), q(v, 0.9)))
    sh = [f(r, "outside_ms") / f(r, "wall_ms") for r in bd]
    print("\noutside share per job: median %s, range %s to %s\n" % (pct(med(sh)), pct(min(sh)), pct(max(sh))))

# ---------------------------------------------------------------- (b) scaling
dp = fig("scaling-dp")
cp = fig("scaling-cp")
if dp or cp:
    print("## (b) Scaling from 1 to 2 slots (sequences/s; median over rounds or jobs, then over repeats)\n")
    thr = defaultdict(dict)  # (repeat, master) -> {dp, cp, dp_cores, cp_cores}
    for r in steady(dp):
        thr[(r["repeat"], r["master"])].setdefault("dp", []).append(f(r, "seq_per_s"))
        if "compute_cpu_sum_ms" in r:  # cores the partitions' compute actually got during the round
            thr[(r["repeat"], r["master"])].setdefault("dp_cores", []).append(f(r, "compute_cpu_sum_ms") / f(r, "wall_ms"))
    for r in cp:
        thr[(r["repeat"], r["master"])].setdefault("cp", []).append(f(r, "seq_per_s"))
        if "cpu_s" in r:
            thr[(r["repeat"], r["master"])].setdefault("cp_cores", []).append(f(r, "cpu_s") / f(r, "wall_s"))
    masters = sorted({m for _, m in thr})
    repeats = sorted({rp for rp, _ in thr}, key=int)

    def over_repeats(m, kind):
        return med(med(thr[(rp, m)].get(kind, [])) for rp in repeats if (rp, m) in thr and thr[(rp, m)].get(kind))

    print("| master | data-parallel, 1 cell x 2 partitions: sequences/s | cores its compute got | config-parallel, "
          "2 cells: sequences/s | cores their threads got |")
    print("|---|---|---|---|---|")
    for m in masters:
        print("| %s | %.0f | %.2f | %.0f | %.2f |" % (m, over_repeats(m, "dp"), over_repeats(m, "dp_cores"),
                                                     over_repeats(m, "cp"), over_repeats(m, "cp_cores")))
    print("\n(cores got = thread CPU time of the training steps / wall time of the round or job: 2.00 would be both "
          "cores for the whole time)\n")
    print("| 2 slots / 1 slot | data-parallel | config-parallel | per-repeat ratios (dp; cp) |")
    print("|---|---|---|---|")
    for one, two, label in (("local-cluster[1,1,2048]", "local-cluster[2,1,2048]", "2 executor JVMs / 1 (local-cluster)"),
                            ("local[1]", "local[2]", "local[2] / local[1]")):
        ratios = {"dp": [], "cp": []}
        for rp in repeats:
            for kind in ("dp", "cp"):
                a, b = thr.get((rp, one), {}).get(kind), thr.get((rp, two), {}).get(kind)
                if a and b:
                    ratios[kind].append(med(b) / med(a))
        if ratios["dp"] or ratios["cp"]:
            print("| %s | %.2fx | %.2fx | %s; %s |" % (label, med(ratios["dp"]), med(ratios["cp"]),
                                                     ", ".join("%.2f" % x for x in ratios["dp"]),
                                                     ", ".join("%.2f" % x for x in ratios["cp"])))
    print()

# ---------------------------------------------------------------- (b') threads, no Spark
th = fig("threads")
if th:
    print("## (b') Without Spark: 1 and 2 threads of one JVM training the default cell (ThreadBench, after a "
          "3,000-update warm-up)\n")
    print("| threads | updates/s, all threads | ms per update per thread (wall / CPU) | heap kB per update | GC ms | JIT ms "
          "| process CPUs busy |")
    print("|---|---|---|---|---|---|---|")
    by = defaultdict(list)
    for r in th:
        by[int(r["threads"])].append(r)
    for t in sorted(by):
        g = by[t]
        print("| %d | %.1f | %.2f / %.2f | %.0f | %.0f | %.0f | %.2f |" % (
            t, med(f(r, "updates/s") for r in g), med(f(r, "t0_ms_per_update") for r in g),
            med(f(r, "t0_cpu_ms_per_update") for r in g), med(f(r, "t0_kB_per_update") for r in g),
            med(f(r, "gc_ms") for r in g), med(f(r, "jit_ms") for r in g), med(f(r, "process_cpus") for r in g)))
    reps = sorted({r["repeat"] for r in th}, key=int)
    ratios = []
    for rp in reps:
        one = [f(r, "updates/s") for r in by.get(1, []) if r["repeat"] == rp]
        two = [f(r, "updates/s") for r in by.get(2, []) if r["repeat"] == rp]
        if one and two:
            ratios.append(two[0] / one[0])
    if ratios:
        print("\n2 threads / 1 thread: %.2fx (per repeat: %s)\n" % (med(ratios), ", ".join("%.2f" % x for x in ratios)))

# ---------------------------------------------------------------- (c) cells per hour
sw = fig("sweep")
if sw:
    print("## (c) Cells per hour, 8-cell subset of the default sweep on local[2] (median over passes)\n")
    groups = defaultdict(list)
    for r in sw:
        groups[(r["strategy"], int(r["partitions"]), int(r["updates"]), int(r["cells"]))].append(r)
    base = None
    print("| strategy | partitions | cells x updates | passes | wall to last commit s | cells/hour | cells/hour incl. report "
          "| default-sweep cells/hour (400 updates, scaled) | vs config-parallel |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (s, p, u, c), g in sorted(groups.items(), key=lambda kv: (kv[0][0] != "config-parallel", kv[0][1])):
        cph = med(f(r, "cells_per_hour") for r in g)
        if s == "config-parallel" and p == 1:
            base = {r["pass"]: f(r, "cells_per_hour") for r in g}
        rel = med(f(r, "cells_per_hour") / base[r["pass"]] for r in g if base and r["pass"] in base)
        print("| %s | %d | %d x %d | %d | %.1f | %.0f | %.0f | %.0f | %.2f |" % (
            s, p, c, u, len(g), med(f(r, "cells_done_s") for r in g), cph,
            med(f(r, "cells_per_hour_with_report") for r in g), cph * u / 400, rel))
    print()

# ---------------------------------------------------------------- (c') the whole default sweep, 1 and 2 slots
fs = fig("fullsweep")
if fs:
    print("## (c') The whole default sweep (60 cells x 400 updates, strategy auto), 1 and 2 slots "
          "(bench/spark.sh fullsweep-scaling; median over repeats)\n")
    by = defaultdict(list)
    for r in fs:
        by[(r["master"], r.get("pass", "0"))].append(r)
    print("| master | pass | repeats | wall to last commit s | cells/hour | wall with report s | cells/hour incl. report |")
    print("|---|---|---|---|---|---|---|")
    for (m, p) in sorted(by, key=lambda k: (k[1], not k[0].startswith("local-cluster"), k[0])):
        g = by[(m, p)]
        print("| %s | %s | %d | %.1f | %.0f | %.1f | %.0f |" % (m, "1 (warm)" if p == "1" else "0 (cold)", len(g),
              med(f(r, "cells_done_s") for r in g), med(f(r, "cells_per_hour") for r in g),
              med(f(r, "wall_s") for r in g), med(f(r, "cells_per_hour_with_report") for r in g)))
    for one, two, label in (("local-cluster[1,1,2048]", "local-cluster[2,1,2048]", "2 executor JVMs / 1"),
                            ("local[1]", "local[2]", "local[2] / local[1]")):
        for p in sorted({k[1] for k in by}):
            ra = [f(b, "cells_per_hour") / f(a, "cells_per_hour") for a in by.get((one, p), [])
                  for b in by.get((two, p), []) if a["repeat"] == b["repeat"]]
            if ra:
                print("\n%s, pass %s: %.2fx cells per hour (per repeat: %s)" % (label, p, med(ra),
                      ", ".join("%.2f" % x for x in ra)))
    print()

# ---------------------------------------------------------------- (d) round time against T
ln = round_table(fig("length"), lambda r: int(r["T"]))
if ln:
    print("## (d) Round time against T (H = 32, K = %s, 2 partitions, local[2]; median over rounds after the first)\n"
          % fig("length")[0]["K"])
    ts = sorted(ln)
    t0 = ts[0]
    xs = [t for t in ts]
    ys = [ln[t]["wall"] for t in ts]

    def fit(xs, ys):
        n = len(xs)
        mx, my = sum(xs) / n, sum(ys) / n
        sxx = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else float("nan")
        icpt = my - slope * mx
        ss_res = sum((y - (icpt + slope * x)) ** 2 for x, y in zip(xs, ys))
        ss_tot = sum((y - my) ** 2 for y in ys)
        return icpt, slope, 1 - ss_res / ss_tot if ss_tot else float("nan")

    icpt, slope, r2 = fit(xs, ys)
    ci, cs, cr2 = fit(xs, [ln[t]["cpu"] for t in ts])
    print("| T | rounds | round ms | slowest compute ms (wall / CPU) | round ms / T | round / round at T=%d (T ratio) "
          "| outside share | linear fit ms |" % t0)
    print("|---|---|---|---|---|---|---|---|")
    for t in ts:
        v = ln[t]
        print("| %d | %d | %.0f | %.0f / %.0f | %.2f | %.2f (%.0f) | %s | %.0f |" % (
            t, v["rounds"], v["wall"], v["compute"], v["cpu"], v["wall"] / t, v["wall"] / ln[t0]["wall"], t / t0,
            pct(v["outside"]), icpt + slope * t))
    print("\nleast-squares fit: round ms = %.1f + %.2f * T, R^2 = %.4f; slowest partition's compute CPU ms = %.1f + %.2f * T, "
          "R^2 = %.4f\n" % (icpt, slope, r2, ci, cs, cr2))

# ---------------------------------------------------------------- (d) round time against concurrent cells
cl = fig("cells")
if cl:
    print("## (d) Round time against data-parallel cells running at once (H = 32, T = 100, partitions 1, local[2]; "
          "each cell from its own driver thread in its own FAIR pool)\n")
    tab = round_table(cl, lambda r: int(r["cells"]))
    tot = {int(r["cells"]): f(r, "seq_per_s") for r in fig("cells-total")}
    c0 = min(tab)
    print("| cells at once | rounds (all cells) | round ms | slowest compute ms (wall / CPU) | round / round with %d cell "
          "| outside share | sequences/s, all cells (incl. validation, setup) |" % c0)
    print("|---|---|---|---|---|---|---|")
    for c in sorted(tab):
        v = tab[c]
        print("| %d | %d | %.0f | %.0f / %.0f | %.2f | %s | %.0f |" % (
            c, v["rounds"], v["wall"], v["compute"], v["cpu"], v["wall"] / tab[c0]["wall"], pct(v["outside"]),
            tot.get(c, float("nan"))))
    print()

# ---------------------------------------------------------------- (e) the scaling model against measured rounds
md = fig("model")
if md:
    print("## (e) The scaling model against measured rounds (bench/spark.sh model; median over repeats)\n")
    print("One partition: a job of 2R rounds back to back, predicted from a job of R; two: one job per round. "
          "'compute drift' is the measured jobs' own compute per round against the calibration's.\n")
    print("| master | shape | partitions | predicted ms | measured ms | error | errors of the repeats "
          "| compute drift | driver ms per job / per task | task overhead ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    groups = defaultdict(list)
    for r in md:
        groups[(r["master"], r["shape"])].append(r)
    for (master, shape), g in groups.items():
        errs = sorted(f(r, "error") for r in g)
        drift = med(f(r, "measured_compute_ms") / f(r, "compute_ms") - 1 for r in g if "measured_compute_ms" in r)
        print("| %s | %s | %s | %.0f | %.0f | %+.1f%% | %s | %+.1f%% | %.1f / %.1f | %.1f |" % (
            master, shape, g[0]["partitions"], med(f(r, "predicted_ms") for r in g), med(f(r, "measured_ms") for r in g),
            100 * med(errs), " ".join("%+.0f%%" % (100 * e) for e in errs), 100 * drift,
            med(f(r, "job_ms") for r in g), med(f(r, "task_ms") for r in g), med(f(r, "task_overhead_ms") for r in g)))
    print()
