"""The benchmarks' shared harness: runs a command as a whole process and measures it (wall
time, CPU of it and every descendant it reaped, peak RSS of its largest process and of its
whole process tree together), runs variants interleaved A/B/A/B (the order flipped each
round, so neither always runs first on a warm or cold machine), and reports median and min
with the load average at the start and the end.

Use from a benchmark script:
    import harness
    samples = harness.interleave({"A": run_a, "B": run_b}, rounds=5)
    harness.report("title", samples, ideal=...)
"""
import os
import statistics
import subprocess
import tempfile
import threading
import time


def load_average():
    return os.getloadavg()[0]


def _tree(pid):
    """`pid` and its descendants, as far as /proc shows them now."""
    found, queue = [], [pid]
    while queue:
        p = queue.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    queue += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return found


def _rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def measure(command, env=None, cwd=None, stdout=subprocess.DEVNULL, sample_s=0.05,
            capture=False, stdin=None):
    """Runs `command`; returns {wall_s, cpu_s, max_rss_mb, tree_rss_mb, rc} (and, with
    `capture`, "stdout": what it printed, kept in a file while it runs). tree_rss_mb is the
    largest sum of the RSS of every process of the tree seen at once (sampled every
    `sample_s`; pages shared between processes count once per process). `stdin`: a file
    the command reads (else nothing)."""
    if capture:
        with tempfile.TemporaryFile("w+") as out:
            result = measure(command, env, cwd, out, sample_s, stdin=stdin)
            out.seek(0)
            result["stdout"] = out.read()
        return result
    start = time.perf_counter()
    with open(stdin or os.devnull, "rb") as feed:
        child = subprocess.Popen(command, env=env, cwd=cwd, stdin=feed, stdout=stdout,
                                 stderr=subprocess.DEVNULL)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], sum(_rss_kb(p) for p in _tree(child.pid)))
            done.wait(sample_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "max_rss_mb": usage.ru_maxrss / 1024,
            # A tree that ended between two samples holds at least its largest process.
            "tree_rss_mb": max(peak[0], usage.ru_maxrss) / 1024,
            "rc": child.returncode}


def interleave(variants, rounds=5, before_each=None, exit_codes=(0,)):
    """Runs each variant (name -> function returning a measure() dict) once per round, the
    order reversed every other round. Returns name -> [samples]. `before_each(name)` runs
    before each run (to reset state), outside the timing. An exit code not in `exit_codes`
    stops the benchmark."""
    names = list(variants)
    samples = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            if before_each:
                before_each(name)
            result = variants[name]()
            if result.get("rc", 0) not in exit_codes:
                raise SystemExit(f"benchmark: {name} failed (exit {result['rc']}) in round {r + 1}")
            samples[name].append(result)
    return samples


def median(samples, key):
    return statistics.median(s[key] for s in samples)


def minimum(samples, key):
    return min(s[key] for s in samples)


def check(condition, what):
    """A benchmark's own assertion: prints it and counts a failure (see failures())."""
    _checks.append((bool(condition), what))
    print(f"  check {'ok  ' if condition else 'FAIL'} {what}")


def failures():
    return sum(1 for ok, _ in _checks if not ok)


_checks = []
