#!/usr/bin/env python3
"""Dispatch benchmark (issue: backbone): taskfarm against bare ZeroMQ + msgpack and Python's
multiprocessing.Pool, in one run, on this machine. Prints a table of figures and ratios.

Each rate is the best of --repeat runs, interleaved so machine noise hits every contender
alike. Usage: bench/dispatch.py BUILD_DIR [--repeat N] [--noop N] [--burn N]
"""
import argparse
import json
import os
import subprocess
import sys
import time

from procs import children_of

HERE = os.path.dirname(os.path.abspath(__file__))


def taskfarm(build, *args):
    out = subprocess.run([os.path.join(build, "taskfarm"), "run", "--json", "--quiet", *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def rate_line(output):
    for line in output.splitlines():
        if line.startswith("tasks_per_s"):
            return float(line.split()[1])
    raise RuntimeError("no rate in: " + output)


def bare(build, workers, tasks):
    out = subprocess.run([os.path.join(build, "bench", "bare_pipeline"), str(workers), str(tasks)],
                         check=True, capture_output=True, text=True).stdout
    return rate_line(out)


def python_pool(workers, tasks):
    out = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "pool_baseline.py"), str(workers),
                          str(tasks)], check=True, capture_output=True, text=True).stdout
    return rate_line(out)


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def idle_worker_rss_kb(build):
    """Peak RSS of a worker that has done nothing: 2 workers, 1 sleeping task."""
    proc = subprocess.Popen([os.path.join(build, "taskfarm"), "run", "--sleep", "1", "--sleep-ms",
                             "1500", "--workers", "2", "--quiet"])
    time.sleep(0.8)
    peaks = [status_kb(pid, "VmHWM") for pid in children_of(proc.pid)]
    proc.wait()
    return min(peaks) if peaks else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--noop", type=int, default=200_000)
    parser.add_argument("--pool-tasks", type=int, default=20_000)
    parser.add_argument("--burn", type=int, default=200)
    args = parser.parse_args()

    best = {}
    def keep(key, value):
        best[key] = max(best.get(key, 0.0), value)

    for _ in range(args.repeat):
        for w in (1, 2):
            keep(("bare", w), bare(args.build, w, args.noop))
            summary = taskfarm(args.build, "--noop", str(args.noop), "--workers", str(w))
            keep(("farm", w), args.noop / summary["busy_s"])
            keep(("farm_wall", w), args.noop / summary["wall_s"])
        keep(("pool", 2), python_pool(2, args.pool_tasks))

    burn = {}
    for w in (1, 2):
        summary = taskfarm(args.build, "--burn", str(args.burn), "--burn-us", "10000",
                           "--workers", str(w))
        burn[w] = summary["wall_s"]
    efficiency = burn[1] / (2 * burn[2])
    rss = idle_worker_rss_kb(args.build)

    print(f"noop dispatch, tasks/s (best of {args.repeat}, {args.noop} tasks; Python pool "
          f"{args.pool_tasks} tasks)")
    print(f"{'':34}{'1 worker':>14}{'2 workers':>14}")
    print(f"{'bare ZeroMQ + msgpack':34}{best[('bare', 1)]:>14,.0f}{best[('bare', 2)]:>14,.0f}")
    print(f"{'taskfarm (first send..last result)':34}{best[('farm', 1)]:>14,.0f}"
          f"{best[('farm', 2)]:>14,.0f}")
    print(f"{'taskfarm (whole run, with spawn)':34}{best[('farm_wall', 1)]:>14,.0f}"
          f"{best[('farm_wall', 2)]:>14,.0f}")
    print(f"{'Python Pool.imap_unordered(cs=1)':34}{'':>14}{best[('pool', 2)]:>14,.0f}")
    r1 = best[("farm", 1)] / best[("bare", 1)]
    r2 = best[("farm", 2)] / best[("bare", 2)]
    rp = best[("farm", 2)] / best[("pool", 2)]
    print(f"{'taskfarm / bare':34}{r1:>14.0%}{r2:>14.0%}   target >= 50%")
    print(f"{'taskfarm / Python pool':34}{'':>14}{rp:>13.1f}x   target >= 10x")
    print()
    print(f"burn: {args.burn} tasks of 10 ms CPU")
    print(f"{'wall time':34}{burn[1]:>13.2f}s{burn[2]:>13.2f}s")
    print(f"{'parallel efficiency, 2 workers':34}{'':>14}{efficiency:>14.0%}   target >= 90%")
    print()
    print(f"peak RSS of one idle worker: {rss / 1024:.1f} MiB")


if __name__ == "__main__":
    sys.exit(main())
