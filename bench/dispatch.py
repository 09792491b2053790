#!/usr/bin/env python3
"""Dispatch benchmark: taskfarm against the bare ZeroMQ + msgpack pipeline (the ZeroMQ Guide's
pattern, one message a task, no batching) and Python's process pools in their strongest
form (the chunksize picked by a sweep), on the
same tasks, interleaved by bench/harness.py; then parallel efficiency on 10 ms tasks, short
(1 ms) tasks on one worker against Python's pool, and an idle worker's memory.

Rates are tasks / wall seconds of the whole process (start-up included: what a user
waits for), and, for taskfarm and the pools, first task sent .. last result (workers
started; taskfarm's busy_s).

Usage: bench/dispatch.py BUILD_DIR [--rounds N] [--noop N]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import harness
from procs import children_of

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
CHUNKSIZES = (1, 16, 64, 256, 1024, 4096)


def farm_command(build, *args):
    return [os.path.join(build, "taskfarm"), "run", "--json", "--quiet", *args]


def farm(build, *args):
    result = harness.measure(farm_command(build, *args), capture=True)
    summary = json.loads(result["stdout"])
    result["busy_s"] = summary["busy_s"]
    result["tasks"] = summary["tasks"]
    return result


def rate_from(stdout):
    for line in stdout.splitlines():
        if line.startswith("tasks_per_s"):
            return float(line.split()[1])
    raise SystemExit("no rate in: " + stdout)


def pool(style, workers, tasks, chunksize, burn_us=0):
    result = harness.measure([PY, os.path.join(HERE, "pool_baseline.py"), style, str(workers),
                              str(tasks), str(chunksize), str(burn_us)], capture=True)
    result["inner_rate"] = rate_from(result["stdout"])
    return result


def bare(build, workers, tasks):
    result = harness.measure([os.path.join(build, "bench", "bare_pipeline"), str(workers),
                              str(tasks)], capture=True)
    result["inner_rate"] = rate_from(result["stdout"])
    return result


def best_chunksize(style, workers, tasks, burn_us=0):
    """The chunksize with the highest rate, each tried twice (the better of the two kept)."""
    rates = {}
    for chunksize in CHUNKSIZES:
        if chunksize > tasks // (4 * workers) and chunksize != 1:
            continue
        rates[chunksize] = max(pool(style, workers, tasks, chunksize, burn_us)["inner_rate"]
                               for _ in range(2))
    best = max(rates, key=rates.get)
    return best, rates


def idle_worker_memory(build):
    """RSS and PSS (KiB) of a worker that has done nothing: 2 workers, 1 sleeping task."""
    proc = subprocess.Popen(farm_command(build, "--sleep", "1", "--sleep-ms", "1500",
                                         "--workers", "2"), stdout=subprocess.DEVNULL)
    time.sleep(0.8)
    figures = []
    for pid in children_of(proc.pid):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                fields = {line.split(":")[0]: int(line.split()[1]) for line in f if line.split()[-1] == "kB"}
            figures.append((fields.get("Rss", 0), fields.get("Pss", 0)))
        except FileNotFoundError:
            pass
    proc.wait()
    return min(figures) if figures else (0, 0)


def python_idle_worker_memory():
    code = ("import multiprocessing,os,time\n"
            "def f(x): time.sleep(1.5); return x\n"
            "if __name__=='__main__':\n"
            "  with multiprocessing.Pool(2) as p:\n"
            "    r=p.map_async(f,[1]); time.sleep(0.8)\n"
            "    print(' '.join(str(c.pid) for c in multiprocessing.active_children()), flush=True)\n"
            "    r.wait()\n")
    proc = subprocess.Popen([PY, "-c", code], stdout=subprocess.PIPE, text=True)
    pids = proc.stdout.readline().split()
    figures = []
    for pid in pids:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            fields = {line.split(":")[0]: int(line.split()[1]) for line in f if line.split()[-1] == "kB"}
        figures.append((fields.get("Rss", 0), fields.get("Pss", 0)))
    proc.wait()
    return min(figures) if figures else (0, 0)


def farm_with_dashboard(build, *args):
    """taskfarm with --dashboard and a client reading status.json 4 times a second, as an open
    page does (twice) while the run goes."""
    import threading
    import urllib.request
    start = time.perf_counter()
    proc = subprocess.Popen(farm_command(build, "--dashboard", "0", *args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    url = None
    for line in proc.stderr:
        if "dashboard at" in line:
            url = line.split("dashboard at ")[1].strip()
            break
    reads = [0]

    def client():
        while proc.poll() is None:
            try:
                urllib.request.urlopen(url + "status.json", timeout=2).read()
                reads[0] += 1
            except OSError:
                pass
            time.sleep(0.25)

    reader = threading.Thread(target=client, daemon=True)
    reader.start()
    out, _ = proc.communicate()
    reader.join()
    summary = json.loads(out)
    return {"wall_s": time.perf_counter() - start, "rc": proc.returncode,
            "busy_s": summary["busy_s"], "tasks": summary["tasks"], "reads": reads[0]}


def rates(samples, tasks):
    walls = [s["wall_s"] for s in samples]
    return tasks / sorted(walls)[len(walls) // 2], tasks / min(walls)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--noop", type=int, default=200_000)
    args = parser.parse_args()
    build, n = args.build, args.noop
    print(f"dispatch: {args.rounds} rounds interleaved; load average {harness.load_average():.2f} at start")

    pool_chunk, pool_sweep = best_chunksize("pool", 2, n)
    futures_chunk, futures_sweep = best_chunksize("futures", 2, n)
    print(f"  chunksize sweep, {n} noop tasks on 2 workers, tasks/s after start-up (best of 2):")
    print("    Pool.imap_unordered: " + ", ".join(f"{c}: {r:,.0f}" for c, r in pool_sweep.items()))
    print("    ProcessPoolExecutor.map: " + ", ".join(f"{c}: {r:,.0f}" for c, r in futures_sweep.items()))

    noop = harness.interleave({
        "bare ZeroMQ + msgpack, 1 msg a task": lambda: bare(build, 2, n),
        "taskfarm": lambda: farm(build, "--noop", str(n), "--workers", "2"),
        f"Python Pool (chunksize {pool_chunk})": lambda: pool("pool", 2, n, pool_chunk),
        f"ProcessPoolExecutor (chunksize {futures_chunk})": lambda: pool("futures", 2, n, futures_chunk),
    }, args.rounds)
    print(f"\n  {n:,} noop tasks, 2 workers        whole process tasks/s    after start-up tasks/s")
    print(f"  {'':34}{'median':>12}{'best':>12}{'median':>14}{'best':>12}")
    inner = {}
    for name, samples in noop.items():
        median, best = rates(samples, n)
        if name == "taskfarm":
            inner_rates = sorted(n / s["busy_s"] for s in samples)
        else:
            inner_rates = sorted(s["inner_rate"] for s in samples)
        inner[name] = inner_rates[len(inner_rates) // 2]
        print(f"  {name:34}{median:>12,.0f}{best:>12,.0f}{inner[name]:>14,.0f}{inner_rates[-1]:>12,.0f}")
    farm_whole = rates(noop["taskfarm"], n)[0]
    pool_name = f"Python Pool (chunksize {pool_chunk})"
    pool_whole = rates(noop[pool_name], n)[0]
    bare_name = "bare ZeroMQ + msgpack, 1 msg a task"
    print(f"  taskfarm / bare pipeline (after start-up): {inner['taskfarm'] / inner[bare_name]:.0%} "
          f"(goal >= 90%)")
    def verdict(ratio):
        return "taskfarm wins" if ratio >= 1 else "Python wins"
    whole_ratio, inner_ratio = farm_whole / pool_whole, inner['taskfarm'] / inner[pool_name]
    print(f"  taskfarm / Python Pool, best chunksize (goal >= 1.0x): {whole_ratio:.2f}x whole process "
          f"({verdict(whole_ratio)}), {inner_ratio:.2f}x after start-up ({verdict(inner_ratio)})")

    dash_tasks = 3_000_000
    dash = harness.interleave({
        "without": lambda: farm(build, "--noop", str(dash_tasks), "--workers", "2"),
        "with an open dashboard": lambda: farm_with_dashboard(build, "--noop", str(dash_tasks), "--workers", "2"),
    }, args.rounds)
    without = sorted(dash_tasks / s["busy_s"] for s in dash["without"])[args.rounds // 2]
    with_dash = sorted(dash_tasks / s["busy_s"] for s in dash["with an open dashboard"])[args.rounds // 2]
    reads = sum(s["reads"] for s in dash["with an open dashboard"])
    print(f"\n  {dash_tasks:,} noop tasks, 2 workers, tasks/s after start-up (median): without a dashboard "
          f"{without:,.0f}, with --dashboard and a client reading it 4 times a second {with_dash:,.0f} "
          f"({with_dash / without:.1%}; {reads} reads in all)")

    burn_tasks, burn_us = 200, 10_000
    burn = harness.interleave({
        "1 worker": lambda: farm(build, "--burn", str(burn_tasks), "--burn-us", str(burn_us), "--workers", "1"),
        "2 workers": lambda: farm(build, "--burn", str(burn_tasks), "--burn-us", str(burn_us), "--workers", "2"),
    }, args.rounds)
    ideal2 = burn_tasks * burn_us / 1e6 / 2
    w1, w2 = harness.median(burn["1 worker"], "busy_s"), harness.median(burn["2 workers"], "busy_s")
    print(f"\n  {burn_tasks} tasks of {burn_us // 1000} ms CPU: 1 worker median {w1:.2f} s, 2 workers "
          f"median {w2:.2f} s (min {harness.minimum(burn['2 workers'], 'busy_s'):.2f}); ideal on 2 "
          f"workers {ideal2:.2f} s: {ideal2 / w2:.1%} of ideal; 1 -> 2 workers {w1 / (2 * w2):.1%}")

    short_tasks, short_us = 4000, 1000
    short_chunk, _ = best_chunksize("pool", 1, 1000, short_us)
    short = harness.interleave({
        "taskfarm": lambda: farm(build, "--burn", str(short_tasks), "--burn-us", str(short_us), "--workers", "1"),
        "pool": lambda: pool("pool", 1, short_tasks, short_chunk, short_us),
    }, args.rounds)
    ideal = short_tasks * short_us / 1e6
    farm_short = ideal / harness.median(short["taskfarm"], "busy_s")
    pool_short = sorted(s["inner_rate"] for s in short["pool"])[args.rounds // 2] * short_us / 1e6
    print(f"\n  {short_tasks} tasks of 1 ms CPU on 1 worker, share of the ideal {ideal:.1f} s (after "
          f"start-up, median): taskfarm {farm_short:.1%}, Python Pool (chunksize {short_chunk}) "
          f"{pool_short:.1%} (goal >= 90%)")

    rss, pss = idle_worker_memory(build)
    py_rss, py_pss = python_idle_worker_memory()
    print(f"\n  an idle worker: taskfarm RSS {rss / 1024:.1f} MiB, PSS {pss / 1024:.1f} MiB; "
          f"Python Pool worker RSS {py_rss / 1024:.1f} MiB, PSS {py_pss / 1024:.1f} MiB (goal <= 8 MiB RSS)")
    print(f"  load average {harness.load_average():.2f} at the end")
    harness.check(all(s["tasks"] == n for s in noop["taskfarm"]), "every noop run finished all its tasks")
    harness.check(inner["taskfarm"] >= inner[bare_name] * 0.5, "taskfarm at least half the bare pipeline")
    harness.check(0 < rss <= 8 * 1024, "an idle worker's RSS at most 8 MiB")
    return 1 if harness.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
