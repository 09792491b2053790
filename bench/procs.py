"""Helpers the benchmarks share for looking at taskfarm's processes through /proc."""
import os


def children_of(pid):
    """PIDs of the live children of `pid` (empty once it has exited)."""
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(p) for p in f.read().split()]
    except FileNotFoundError:
        pass
    return kids
