"""Core throughput: redkeep vs real redis-server, same invocation.

Runs redis-benchmark against both servers alternately (A B A B ...), each server
pinned to CPU 0 and redis-benchmark to CPU 1, and prints per command the median
ratio redkeep/Redis of requests per second, and each server's CPU time per
operation (from /proc/<pid>/stat).  Also reports memory per key: the RSS
growth of a fresh server loading 1M `SET key:N value` through redis-cli --pipe.

    python bench/bench_core.py [--rounds 3] [--requests 200000] [--pipeline 1 16]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from helpers import ServerProcess, wait_for  # noqa: E402

TESTS = "set,get,incr,lpush,lpop,sadd,hset,zadd"
CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def pin(pid: int, cpu: int) -> None:
    if shutil.which("taskset"):
        subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(pid)], stdout=subprocess.DEVNULL, check=False)


def run_benchmark(port: int, pipeline: int, requests: int, clients: int) -> dict[str, float]:
    cmd = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-n", str(requests), "-P", str(pipeline),
           "-t", TESTS, "--csv", "-r", "100000"]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "1"] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res = {}
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split(",")]
        if len(parts) >= 2 and parts[0] != "test":
            name = parts[0].split()[0]
            res[name] = float(parts[1])
    return res


def load_keys(port: int, n: int) -> None:
    data = "".join(f"*3\r\n$3\r\nSET\r\n${len('key:%d' % i)}\r\nkey:{i}\r\n$5\r\nvalue\r\n" for i in range(n))
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=data.encode(), stdout=subprocess.DEVNULL,
                   check=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--pipeline", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--keys", type=int, default=1000000, help="keys for the memory-per-key test (0 to skip)")
    args = ap.parse_args()

    servers = {"redkeep": ServerProcess(), "redis": ServerProcess(real=True)}
    for s in servers.values():
        s.start()
        pin(s.proc.pid, 0)
    try:
        for P in args.pipeline:
            rps = {name: {} for name in servers}
            cpu = {name: [] for name in servers}
            for _ in range(args.rounds):
                for name, s in servers.items():  # A B A B
                    s.client().flushall()
                    c0 = cpu_seconds(s.proc.pid)
                    res = run_benchmark(s.port, P, args.requests, args.clients)
                    cpu[name].append((cpu_seconds(s.proc.pid) - c0) / (args.requests * len(res)))
                    for k, v in res.items():
                        rps[name].setdefault(k, []).append(v)
            print(f"\n== -c {args.clients} -P {P}, {args.rounds} rounds of -n {args.requests} ==")
            print(f"{'command':8} {'redkeep rps':>12} {'redis rps':>12} {'ratio':>7}")
            for k in rps["redis"]:
                a = statistics.median(rps["redkeep"].get(k, [0]))
                b = statistics.median(rps["redis"][k])
                ratios = [x / y for x, y in zip(rps["redkeep"].get(k, []), rps["redis"][k])]
                print(f"{k:8} {a:12.0f} {b:12.0f} {statistics.median(ratios):7.2f}")
            for name in servers:
                print(f"server CPU per op, {name}: {statistics.median(cpu[name]) * 1e6:.2f} us")
    finally:
        for s in servers.values():
            s.kill()
    if args.keys:
        # Fresh processes: a server that ran the throughput tests keeps the
        # memory it freed (pymalloc arenas, jemalloc), and the keys would
        # fill that first, hiding their real cost (redkeep showed 103-109
        # bytes/key that way against 142 from a fresh start).
        print(f"\n== memory: RSS growth of a fresh server loading {args.keys} SET key:N value ==")
        per = {}
        for name, real in (("redkeep", False), ("redis", True)):
            s = ServerProcess(real=real).start()
            try:
                base = rss_bytes(s.proc.pid)
                load_keys(s.port, args.keys)
                wait_for(lambda: s.client().dbsize() == args.keys, 60)
                after = rss_bytes(s.proc.pid)
            finally:
                s.kill()
            per[name] = (after - base) / args.keys
            print(f"{name}: RSS {after / 2**20:.1f} MiB, {per[name]:.0f} bytes/key")
        print(f"ratio redkeep/redis bytes per key: {per['redkeep'] / per['redis']:.2f}")


if __name__ == "__main__":
    main()
