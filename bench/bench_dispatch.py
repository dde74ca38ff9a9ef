"""In-process cost of the per-command path (parse -> dispatch -> handler ->
reply), without sockets: a profiling aid for the hot path.

    python bench/bench_dispatch.py [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from redkeep.cli.server import build_config  # noqa: E402
from redkeep.networking import Client  # noqa: E402
from redkeep.resp import encode_command  # noqa: E402
from redkeep.server import Server  # noqa: E402


class FakeTransport:
    def __init__(self):
        self.n = 0

    def write(self, data):
        self.n += len(data)

    def is_closing(self):
        return False

    def get_extra_info(self, name, default=None):
        if name in ("peername", "sockname"):
            return ("127.0.0.1", 40000)
        return default

    def get_write_buffer_size(self):
        return 0

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass

    def close(self):
        pass


WORKLOADS = {
    "set": lambda i: [b"SET", b"key:%d" % (i % 100000), b"xxx"],
    "get": lambda i: [b"GET", b"key:%d" % (i % 100000)],
    "incr": lambda i: [b"INCR", b"counter:%d" % (i % 100)],
    "lpush": lambda i: [b"LPUSH", b"mylist", b"xxx"],
    "lpop": lambda i: [b"LPOP", b"mylist"],
    "sadd": lambda i: [b"SADD", b"myset", b"element:%d" % (i % 100000)],
    "hset": lambda i: [b"HSET", b"myhash", b"element:%d" % (i % 100000), b"xxx"],
    "zadd": lambda i: [b"ZADD", b"myzset", b"0", b"element:%d" % (i % 100000)],  # as redis-benchmark
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200000)
    ap.add_argument("--pipeline", type=int, default=16)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    config, _ = build_config(["--save", ""])
    server = Server(config)
    c = Client(server)
    c.connection_made(FakeTransport())
    prof = cProfile.Profile() if args.profile else None
    for name, gen in WORKLOADS.items():
        if args.only and name != args.only:
            continue
        batches = []
        for i in range(0, args.n, args.pipeline):
            batches.append(b"".join(encode_command(gen(j)) for j in range(i, i + args.pipeline)))
        if prof:
            prof.enable()
        best = None
        for _ in range(args.repeat):
            t0 = time.process_time()  # CPU time: less disturbed by other load than wall time
            for b in batches:
                c.data_received(b)
            dt = time.process_time() - t0
            best = dt if best is None else min(best, dt)
        dt = best
        if prof:
            prof.disable()
        assert not c.queued and not c.closing, "the client stopped processing"
        print(f"{name:6} {dt / args.n * 1e6:6.2f} us/command")
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(18)


if __name__ == "__main__":
    main()
