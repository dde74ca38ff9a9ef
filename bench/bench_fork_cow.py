"""Why redkeep's BGSAVE does not fork: measure what a fork-based snapshot costs.

Builds redkeep's own keyspace (a ``Database`` with N string keys, as SET makes
them), forks, and lets the child serialise every key with redkeep's RDB
encoder, as a fork-based BGSAVE would.  CPython writes the reference count of
every object it touches, so the child copies the pages it reads.  The child
reports its Private_Dirty memory (pages it copied or allocated) from
/proc/self/smaps_rollup; we print it against the parent's RSS.

    python bench/bench_fork_cow.py [--keys 1000000 5000000] [--gc-freeze]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))


def smaps(field: str, pid: str = "self") -> int:
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def measure(n: int, freeze: bool) -> None:
    from redkeep.keyspace import Database
    from redkeep.rdb.encoder import RdbWriter

    class FakeServer:
        def clock_ms(self):
            return 0

    db = Database(FakeServer(), 0)
    for i in range(n):
        db.data[b"key:%d" % i] = b"value:%d" % i
    if freeze:
        gc.freeze()
    parent_rss = rss()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        sink = []
        writer = RdbWriter(lambda chunk: sink.clear())
        writer.begin({})
        writer.select_db(0, len(db.data), 0)
        for k, v in db.data.items():
            writer.write_key(k, v)
        writer.end()
        os.write(w, str(smaps("Private_Dirty")).encode())
        os._exit(0)
    os.close(w)
    dirty = int(os.read(r, 64))
    os.waitpid(pid, 0)
    print(f"{n:>9} keys{' (gc.freeze)' if freeze else ''}: parent RSS {parent_rss / 2**20:7.1f} MiB, "
          f"child copied {dirty / 2**20:7.1f} MiB = {100 * dirty / parent_rss:5.1f}% of the parent")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, nargs="+", default=[1000000])
    ap.add_argument("--gc-freeze", action="store_true")
    args = ap.parse_args()
    for n in args.keys:
        pid = os.fork()  # a fresh process per size, so sizes don't share a heap
        if pid == 0:
            measure(n, args.gc_freeze)
            os._exit(0)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
