#!/usr/bin/env python3
"""The rate benchmark's baseline: the token bucket a Python program would share between
processes, in its strongest plain form (a multiprocessing.Lock around two doubles in shared
memory: tokens and the time of the last refill), measured as rate_limiter_bench measures
taskfarm's: try_acquire ns per call, granting and refusing, in 1 process and with 2
contending. Prints one line: g1 r1 g2 r2 (ns).

Usage: bench/rate_baseline.py [CALLS]
"""
import multiprocessing as mp
import sys
import time


class SharedBucket:
    def __init__(self, rate, burst):
        self.rate, self.burst = rate, burst
        self.state = mp.RawArray("d", [0.0, time.monotonic()])  # tokens, last refill
        self.lock = mp.Lock()

    def try_acquire(self):
        with self.lock:
            now = time.monotonic()
            tokens = min(self.burst, self.state[0] + (now - self.state[1]) * self.rate)
            self.state[1] = now
            if tokens >= 1:
                self.state[0] = tokens - 1
                return True
            self.state[0] = tokens
            return False


def ns_per_call(bucket, calls, out=None):
    start = time.perf_counter_ns()
    for _ in range(calls):
        bucket.try_acquire()
    ns = (time.perf_counter_ns() - start) / calls
    if out is not None:
        out.put(ns)
    return ns


def contended(bucket, calls, processes=2):
    out = mp.Queue()
    children = [mp.Process(target=ns_per_call, args=(bucket, calls, out)) for _ in range(processes)]
    for c in children:
        c.start()
    worst = max(out.get() for _ in children)
    for c in children:
        c.join()
    return worst


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    mp.set_start_method("fork")
    plenty, dry = SharedBucket(1e6, 1e6), SharedBucket(0.001, 1)
    plenty.state[0] = 1e6
    figures = [ns_per_call(plenty, calls), ns_per_call(dry, calls),
               contended(plenty, calls), contended(dry, calls)]
    print(" ".join(f"{f:.1f}" for f in figures))


if __name__ == "__main__":
    main()
