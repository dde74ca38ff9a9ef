"""AOF throughput and rewrite time: redkeep vs real redis-server, same settings,
same invocation.

1. The disk: fdatasync rate of 100-byte appends in the servers' directory
   (what bounds ``appendfsync always``).
2. ``redis-benchmark -t set -c 50 -P 1`` against both servers with
   ``appendonly yes`` and ``appendfsync always`` / ``everysec``, and against
   redkeep without AOF; servers alternate (A B A B ...), each pinned to CPU 0
   with redis-benchmark on CPU 1, and the median of the rounds is reported.
3. BGREWRITEAOF of a 1M-key dataset (``DEBUG POPULATE 1000000``): seconds
   from the command to ``aof_rewrite_in_progress:0``, RDB preamble.

    python bench/bench_aof.py [--rounds 3] [--requests 100000] [--keys 1000000]
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


def pin(pid: int, cpu: int) -> None:
    if shutil.which("taskset"):
        subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(pid)], stdout=subprocess.DEVNULL, check=False)


def fsync_rate(directory: str, seconds: float = 2.0) -> float:
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    n = 0
    t0 = time.perf_counter()
    try:
        while time.perf_counter() - t0 < seconds:
            os.write(fd, b"x" * 100)
            os.fdatasync(fd)
            n += 1
    finally:
        os.close(fd)
        os.unlink(path)
    return n / (time.perf_counter() - t0)


def set_rps(port: int, requests: int) -> float:
    cmd = ["redis-benchmark", "-p", str(port), "-t", "set", "-c", "50", "-P", "1", "-n", str(requests), "--csv"]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "1"] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split(",")]
        if parts and parts[0] == "SET":
            return float(parts[1])
    raise RuntimeError(out)


def one_run(real: bool, args: list, requests: int) -> float:
    d = tempfile.mkdtemp(prefix="bench-aof-")
    s = ServerProcess(args, real=real, dir=d).start()
    try:
        pin(s.proc.pid, 0)
        return set_rps(s.port, requests)
    finally:
        s.kill()
        shutil.rmtree(d, ignore_errors=True)


def rewrite_seconds(real: bool, keys: int) -> float:
    d = tempfile.mkdtemp(prefix="bench-aofrw-")
    s = ServerProcess(["--appendonly", "yes", "--enable-debug-command", "yes"], real=real, dir=d).start()
    try:
        pin(s.proc.pid, 0)
        r = s.client(socket_timeout=600)
        r.execute_command("DEBUG", "POPULATE", keys)
        t0 = time.perf_counter()
        r.execute_command("BGREWRITEAOF")
        wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, 600, interval=0.01,
                 what="rewrite")
        took = time.perf_counter() - t0
        assert r.info("persistence")["aof_last_bgrewrite_status"] == "ok"
        return took
    finally:
        s.kill()
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--keys", type=int, default=1000000)
    a = ap.parse_args()

    probe = tempfile.mkdtemp(prefix="bench-aof-probe-")
    rate = fsync_rate(probe)
    shutil.rmtree(probe, ignore_errors=True)
    print(f"disk: {rate:.0f} fdatasync/s (100-byte appends, {tempfile.gettempdir()})")

    configs = {
        "always": ["--appendonly", "yes", "--appendfsync", "always"],
        "everysec": ["--appendonly", "yes", "--appendfsync", "everysec"],
        "no-aof": ["--appendonly", "no"],
    }
    results: dict = {(name, real): [] for name in configs for real in (False, True)}
    for _ in range(a.rounds):
        for name, args in configs.items():
            for real in (False, True):
                if name == "no-aof" and real:
                    continue
                results[(name, real)].append(one_run(real, args, a.requests))
    med = {k: statistics.median(v) for k, v in results.items() if v}
    print(f"redis-benchmark -t set -c 50 -P 1 -n {a.requests}, median of {a.rounds} alternating rounds:")
    for name in ("always", "everysec"):
        rk, rd = med[(name, False)], med[(name, True)]
        print(f"  appendfsync {name:9s} redkeep {rk:9.0f} ops/s   redis {rd:9.0f} ops/s   ratio {rk / rd:.2f}")
    noaof = med[("no-aof", False)]
    print(f"  redkeep without AOF         {noaof:9.0f} ops/s   everysec/no-aof {med[('everysec', False)] / noaof:.2f}")
    if a.keys:
        rk = rewrite_seconds(False, a.keys)
        rd = rewrite_seconds(True, a.keys)
        print(f"BGREWRITEAOF of {a.keys} keys: redkeep {rk:.2f} s   redis {rd:.2f} s   ratio {rk / rd:.1f}x")


if __name__ == "__main__":
    main()
