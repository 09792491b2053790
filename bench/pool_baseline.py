"""Python's multiprocessing.Pool on no-op tasks: the baseline taskfarm's dispatch must beat.

Usage: pool_baseline.py WORKERS TASKS  -> prints "tasks_per_s <rate>".
"""
import multiprocessing
import sys
import time


def noop(x):
    return x


def main():
    workers, tasks = int(sys.argv[1]), int(sys.argv[2])
    with multiprocessing.Pool(workers) as pool:
        pool.map(noop, range(workers * 4))  # start every worker before the clock starts
        start = time.perf_counter()
        for _ in pool.imap_unordered(noop, range(tasks), chunksize=1):
            pass
        seconds = time.perf_counter() - start
    print(f"tasks_per_s {tasks / seconds:.0f}")


if __name__ == "__main__":
    main()
