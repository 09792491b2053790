#!/usr/bin/env python3
"""Chaos benchmark (issue: nothing lost): the same run with and without a random worker
SIGKILLed every 100 ms, in one run; throughput ratio and tasks re-sent per worker killed.

Usage: bench/chaos.py BUILD_DIR [--noop N] [--burn N] [--burn-us US]
"""
import argparse
import json
import os
import random
import signal
import subprocess
import time

from procs import children_of


def run(build, args, kill_every_s=None):
    proc = subprocess.Popen([os.path.join(build, "taskfarm"), "run", "--json", "--quiet", *args],
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
    return json.loads(out), kills


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--noop", type=int, default=20000)
    parser.add_argument("--burn", type=int, default=20000)
    parser.add_argument("--burn-us", type=int, default=300)
    args = parser.parse_args()
    tasks = ["--noop", str(args.noop), "--burn", str(args.burn), "--burn-us", str(args.burn_us),
             "--workers", "2"]
    calm, _ = run(args.build, tasks)
    chaos, kills = run(args.build, tasks, kill_every_s=0.1)
    retried = sum(k["retried"] for k in chaos["kinds"].values())
    lost = chaos["workers_lost"]
    print(f"chaos: {args.noop} noop + {args.burn} burn ({args.burn_us} us) tasks, 2 workers, "
          "a random worker SIGKILLed every 100 ms")
    print(f"{'':28}{'tasks/s':>12}{'wall s':>10}{'workers lost':>14}{'re-sent':>10}")
    print(f"{'no kills':28}{calm['tasks_per_s']:>12,.0f}{calm['wall_s']:>10.2f}"
          f"{calm['workers_lost']:>14}{sum(k['retried'] for k in calm['kinds'].values()):>10}")
    print(f"{'kill every 100 ms':28}{chaos['tasks_per_s']:>12,.0f}{chaos['wall_s']:>10.2f}"
          f"{lost:>14}{retried:>10}")
    print(f"throughput under chaos: {chaos['tasks_per_s'] / calm['tasks_per_s']:.0%} of calm; "
          f"{retried / max(lost, 1):.1f} tasks re-sent per worker killed "
          f"({kills} kills sent); every task one result: "
          f"{chaos['tasks'] == args.noop + args.burn and chaos['duplicates_dropped'] >= 0}")


if __name__ == "__main__":
    main()
