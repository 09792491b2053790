#!/usr/bin/env python3
"""Commands per input (issue: your own work): `taskfarm run --exec` against GNU parallel and
xargs -P on the same inputs, in one run, interleaved A/B/C round by round so machine noise
hits every contender alike.

1. Per-task overhead: `true` once per input (the command costs nothing, so what is measured
   is the tool): tasks/s and CPU per task (the tool and everything it started).
2. A real conversion: gzip of small text files, against the ideal (the same gzips run one
   after another, divided by the cores).

On bench/harness.py: each figure is the median (and min) of --repeat rounds, the order
reversed every other round, CPU by wait4 over each whole process tree; the load average is
printed with them; the checks at the end can fail (exit 1). Usage: bench/exec.py BUILD_DIR [--repeat N] [--tasks N] [--files N] [--workers N]
"""
import argparse
import os
import shutil
import sys
import tempfile

import harness


def contender(cmd, cwd, stdin=None):
    """A variant for harness.interleave: one whole-process run of `cmd`."""
    return lambda: harness.measure(cmd, cwd=cwd, stdin=stdin)


def overhead(build, workers, tasks, rounds, tmp):
    inputs = os.path.join(tmp, "inputs.txt")
    with open(inputs, "w") as f:
        f.writelines(f"{i}\n" for i in range(tasks))
    true = shutil.which("true")
    results = harness.interleave({
        "taskfarm --exec": contender([os.path.join(build, "taskfarm"), "run", "--quiet", "--workers",
                                      str(workers), "--exec", true, "--inputs", inputs], tmp),
        "parallel -j": contender(["parallel", "--will-cite", "-j", str(workers), true, "::::",
                                  inputs], tmp),
        "xargs -P -n1": contender(["xargs", "-P", str(workers), "-n", "1", true], tmp, inputs),
    }, rounds)
    print(f"per-task overhead: `true` x {tasks} inputs, {workers} workers "
          f"(median of {rounds} interleaved rounds; min in brackets)")
    print(f"{'':22}{'tasks/s':>12}{'(best)':>12}{'CPU ms/task':>14}")
    rates = {}
    for name, samples in results.items():
        wall, best = harness.median(samples, "wall_s"), harness.minimum(samples, "wall_s")
        cpu = harness.median(samples, "cpu_s")
        rates[name] = tasks / wall
        print(f"{name:22}{tasks / wall:>12,.0f}{tasks / best:>12,.0f}{1000 * cpu / tasks:>14.3f}")
    tf = rates["taskfarm --exec"]
    print(f"taskfarm / parallel: {tf / rates['parallel -j']:.2f}x (goal >= 3x);  "
          f"taskfarm / xargs: {tf / rates['xargs -P -n1']:.0%} (goal >= 95%)"
          f"{'   <- xargs wins' if tf < rates['xargs -P -n1'] else ''}")
    harness.check(tf >= 3 * rates["parallel -j"], "taskfarm --exec at least 3x GNU parallel on `true`")
    return rates


def conversion(build, workers, files, rounds, tmp):
    data = os.path.join(tmp, "files")
    os.makedirs(data)
    # Text that compresses like logs do: numbered lines with repeating words.
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
    names = []
    for i in range(files):
        name = os.path.join(data, f"log{i:05}.txt")
        with open(name, "w") as f:
            for line in range(1500):
                f.write(f"{i}:{line} {words[(i + line) % 12]} {words[line % 7]} value={line * i}\n")
        names.append(name)
    listing = os.path.join(tmp, "files.txt")
    with open(listing, "w") as f:
        f.writelines(n + "\n" for n in names)

    def clean():
        for n in names:
            try:
                os.unlink(n + ".gz")
            except FileNotFoundError:
                pass

    complete = []

    def check_and_clean(name):
        """Before each run: the last run compressed every file (then its outputs go)."""
        if complete:
            complete[-1] = all(os.path.exists(n + ".gz") for n in names)
        complete.append(None)
        clean()

    gzip = shutil.which("gzip")
    results = harness.interleave({
        "serial (xargs -P1)": contender(["xargs", "-P", "1", "-n", "1", gzip, "-kf"], tmp, listing),
        "taskfarm --exec": contender([os.path.join(build, "taskfarm"), "run", "--quiet",
                                      "--workers", str(workers), "--exec", f"{gzip} -kf {{}}",
                                      "--inputs", listing], tmp),
        "parallel -j": contender(["parallel", "--will-cite", "-j", str(workers), gzip, "-kf",
                                  "{}", "::::", listing], tmp),
        "xargs -P -n1": contender(["xargs", "-P", str(workers), "-n", "1", gzip, "-kf"], tmp,
                                  listing),
    }, rounds, before_each=check_and_clean)
    complete[-1] = all(os.path.exists(n + ".gz") for n in names)
    serial = harness.median(results["serial (xargs -P1)"], "wall_s")
    ideal = serial / workers
    print(f"conversion: gzip of {files} text files of about 60 KB, {workers} workers "
          f"(median of {rounds} interleaved rounds)")
    print(f"{'':22}{'wall s':>10}{'(best)':>10}{'CPU s':>10}{'vs ideal':>10}")
    walls = {}
    for name, samples in results.items():
        wall, best = harness.median(samples, "wall_s"), harness.minimum(samples, "wall_s")
        cpu = harness.median(samples, "cpu_s")
        walls[name] = wall
        print(f"{name:22}{wall:>10.2f}{best:>10.2f}{cpu:>10.2f}{wall / ideal:>10.2f}")
    print(f"ideal (serial / {workers}): {ideal:.2f} s;  taskfarm is {walls['taskfarm --exec'] / ideal - 1:+.0%} "
          f"from ideal (goal within 10%), {walls['parallel -j'] / walls['taskfarm --exec']:.2f}x "
          f"parallel's speed, {walls['xargs -P -n1'] / walls['taskfarm --exec']:.2f}x xargs's")
    harness.check(all(complete), "every run of every contender compressed every file")
    harness.check(walls["taskfarm --exec"] <= walls["parallel -j"], "taskfarm --exec no slower than GNU parallel on gzip")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        overhead(build, args.workers, args.tasks, args.repeat, tmp)
        print()
        conversion(build, args.workers, args.files, args.repeat, tmp)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if harness.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
