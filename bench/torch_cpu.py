#!/usr/bin/env python3
"""Runs ../shared/bench/torch_lstm.py unchanged and adds the median *thread CPU time* per step.

The peer script times steps with time.perf_counter (wall clock). On a shared machine a process may get a
fraction of a core, so wall times of runs minutes apart are not comparable; CPU time of the (single) thread
that runs the step is. This wrapper lets perf_counter also note time.thread_time at each call (the script
calls it exactly twice per timed step) and prints median_cpu_ms after the script's own line.
usage: torch_cpu.py TORCH_SCRIPT [torch_lstm.py arguments]
"""
import runpy, statistics, sys, time

script = sys.argv[1]
wall, cpu = time.perf_counter, time.thread_time
marks = []

def perf_counter():
    marks.append(cpu())
    return wall()

time.perf_counter = perf_counter
sys.argv = [script] + sys.argv[2:]
runpy.run_path(script, run_name="__main__")
steps = [marks[k + 1] - marks[k] for k in range(0, len(marks) - 1, 2)]
print(f"median_cpu_ms={statistics.median(steps) * 1e3:.2f}")
