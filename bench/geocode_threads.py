"""The strongest plain-Python baseline for rate-limited geocoding: a thread pool (as many
requests in flight as the limit needs) drawing from one shared token bucket that, like
taskfarm's, starts empty and holds at most one second's worth; urllib against the same
Nominatim-format server.

Usage: geocode_threads.py PLACES_FILE ENDPOINT RATE THREADS
  -> prints "ok <n> wall_s <s>"
"""
import concurrent.futures
import sys
import threading
import time
import urllib.parse
import urllib.request


class TokenBucket:
    def __init__(self, rate):
        self.rate, self.tokens, self.last = rate, 0.0, time.monotonic()
        self.lock = threading.Lock()

    def take(self):
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
                self.last = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


def main():
    path, endpoint, rate, threads = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    with open(path) as f:
        places = [line.strip() for line in f if line.strip()]
    bucket = TokenBucket(rate)

    def lookup(place):
        bucket.take()
        url = f"{endpoint}/search?q={urllib.parse.quote(place)}&format=jsonv2&limit=1"
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status == 200 and reply.read().startswith(b"[{")

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        ok = sum(pool.map(lookup, places))
    print(f"ok {ok} wall_s {time.perf_counter() - start:.3f}")


if __name__ == "__main__":
    main()
