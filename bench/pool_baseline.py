"""Python's process pools, the baselines taskfarm's dispatch is held against, in their
strongest forms: multiprocessing.Pool.imap_unordered and concurrent.futures'
ProcessPoolExecutor.map, each with a chunksize (the sweep in bench/dispatch.py picks the
best). The clock starts once every worker has started, as taskfarm's busy_s does; the whole
process (with start-up) is timed by the harness around it.

Usage: pool_baseline.py pool|futures WORKERS TASKS CHUNKSIZE [BURN_US]
  -> prints "tasks_per_s <rate>" (first task sent .. last result, workers started)
"""
import concurrent.futures
import multiprocessing
import sys
import time


def noop(x):
    return x


def burn(us):
    """About `us` microseconds of CPU, as taskfarm's --burn-us spends it (thread CPU clock)."""
    until = time.thread_time_ns() + us * 1000
    while time.thread_time_ns() < until:
        pass
    return us


def main():
    style, workers, tasks, chunksize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    burn_us = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    function, items = (burn, [burn_us] * tasks) if burn_us else (noop, range(tasks))
    if style == "pool":
        with multiprocessing.Pool(workers) as pool:
            pool.map(noop, range(workers * 4))  # start every worker before the clock starts
            start = time.perf_counter()
            for _ in pool.imap_unordered(function, items, chunksize=chunksize):
                pass
            seconds = time.perf_counter() - start
    else:
        with concurrent.futures.ProcessPoolExecutor(workers) as pool:
            list(pool.map(noop, range(workers * 4)))
            start = time.perf_counter()
            for _ in pool.map(function, items, chunksize=chunksize):
                pass
            seconds = time.perf_counter() - start
    print(f"tasks_per_s {tasks / seconds:.0f}")


if __name__ == "__main__":
    main()
