#!/usr/bin/env python3
"""Chaos benchmark: the same run with and without a random worker SIGKILLed every 100 ms,
interleaved (bench/harness.py); throughput under chaos against calm, tasks re-sent per
worker killed, and every task's outcome checked from the run's --out file: each task id
exactly once, all of them ok.

Usage: bench/chaos.py BUILD_DIR [--rounds N] [--noop N] [--burn N] [--burn-us US]
"""
import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import harness
from procs import children_of


def run(build, args, out_path, kill_every_s=None):
    start = time.perf_counter()
    proc = subprocess.Popen([os.path.join(build, "taskfarm"), "run", "--json", "--quiet",
                             "--out", out_path, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    kills = 0
    if kill_every_s:
        rng = random.Random(1)
        while proc.poll() is None:
            time.sleep(kill_every_s)
            workers = children_of(proc.pid)
            if workers:
                try:
                    os.kill(rng.choice(workers), signal.SIGKILL)
                    kills += 1
                except ProcessLookupError:
                    pass
    out, _ = proc.communicate()
    summary = json.loads(out)
    with open(out_path) as f:
        ids = collections.Counter(json.loads(line)["id"] for line in f)
    with open(out_path) as f:
        not_ok = sum(1 for line in f if json.loads(line)["status"] != "ok")
    return {"wall_s": time.perf_counter() - start, "rc": proc.returncode, "summary": summary,
            "kills": kills, "ids": ids, "not_ok": not_ok}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--noop", type=int, default=20000)
    parser.add_argument("--burn", type=int, default=20000)
    parser.add_argument("--burn-us", type=int, default=300)
    args = parser.parse_args()
    tasks = ["--noop", str(args.noop), "--burn", str(args.burn), "--burn-us", str(args.burn_us),
             "--workers", "2"]
    n = args.noop + args.burn
    out = os.path.join(tempfile.mkdtemp(prefix="bench-chaos-"), "out.jsonl")
    print(f"chaos: {args.noop} noop + {args.burn} burn ({args.burn_us} us) tasks, 2 workers, a random "
          f"worker SIGKILLed every 100 ms; {args.rounds} rounds interleaved; load average "
          f"{harness.load_average():.2f} at start")
    samples = harness.interleave({"no kills": lambda: run(args.build, tasks, out),
                                  "kill every 100 ms": lambda: run(args.build, tasks, out, 0.1)},
                                 args.rounds)
    ideal = args.burn * args.burn_us / 1e6 / 2
    print(f"  {'':22}{'tasks/s median':>16}{'wall s median':>15}{'min':>8}{'workers lost':>14}{'re-sent':>9}")
    for name, runs in samples.items():
        lost = sorted(r["summary"]["workers_lost"] for r in runs)[len(runs) // 2]
        resent = sorted(sum(k["retried"] for k in r["summary"]["kinds"].values()) for r in runs)[len(runs) // 2]
        print(f"  {name:22}{n / harness.median(runs, 'wall_s'):>16,.0f}{harness.median(runs, 'wall_s'):>15.2f}"
              f"{harness.minimum(runs, 'wall_s'):>8.2f}{lost:>14}{resent:>9}")
    calm, chaos = samples["no kills"], samples["kill every 100 ms"]
    ratio = harness.median(calm, "wall_s") / harness.median(chaos, "wall_s")
    lost = sum(r["summary"]["workers_lost"] for r in chaos)
    resent = sum(sum(k["retried"] for k in r["summary"]["kinds"].values()) for r in chaos)
    print(f"  throughput under chaos: {ratio:.0%} of calm; {resent / max(lost, 1):.1f} tasks re-sent "
          f"per worker killed; calm wall is {harness.median(calm, 'wall_s') / ideal:.2f}x the burn "
          f"tasks' ideal {ideal:.2f} s on 2 cores (start-up and noop dispatch included)")
    print(f"  load average {harness.load_average():.2f} at the end")
    for name, runs in samples.items():
        harness.check(all(len(r["ids"]) == n and max(r["ids"].values()) == 1 and r["not_ok"] == 0
                          for r in runs),
                      f"{name}: every one of the {n} tasks has exactly one outcome, ok, in --out")
    harness.check(lost > 0, "workers were killed under chaos")
    return 1 if harness.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
