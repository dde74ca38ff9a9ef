"""RDB persistence: redkeep vs real redis-server, same invocation.

For two datasets — 1M keys of mixed types (70% strings, 10% hashes, 10%
lists, 5% sets, 5% zsets) and 100k large values (4 KB, half compressible) —
both servers start on the same dump (generated once with redkeep's codec)
and we report:

* load time at start-up (each server's own "DB loaded from disk" log line),
* SAVE and BGSAVE wall time (BGSAVE: reply to rdb_bgsave_in_progress:0),
* file sizes of each server's own SAVE, and the redkeep/Redis ratios;

then, on the 1M-key dataset:

* GET latency (p50/p99/max, one connection, sequential) without and during
  a BGSAVE;
* BGSAVE wall time while redis-benchmark (50 connections, SET over the key
  space) keeps the server busy (redkeep serialises between client work, so
  its BGSAVE competes with clients; Redis's forked child does not);
* peak extra memory during a BGSAVE while 10% of the keys (100k SETs,
  pipelined) are overwritten: PSS of the server plus any child it forks,
  sampled every 5 ms, minus the PSS before BGSAVE, as % of that; next to it
  INFO's rdb_last_cow_size.

    python bench/bench_rdb.py [--keys 1000000] [--large 100000] [--large-size 4096]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
from helpers import ServerProcess, wait_for  # noqa: E402

from redkeep.commands.t_zset import ZSet  # noqa: E402
from redkeep.keyspace import RHash, RList, RSet  # noqa: E402
from redkeep.rdb import RdbWriter, standard_aux  # noqa: E402


def mixed_dump(path: str, n: int) -> None:
    rng = random.Random(1)
    with open(path, "wb") as f:
        w = RdbWriter(f.write)
        w.begin(standard_aux(int(time.time()), 0))
        w.select_db(0, n, 0)
        for i in range(n):
            r = i % 20
            if r < 14:
                w.write_key(b"key:%d" % i, b"value:%d:%d" % (i, rng.randrange(1 << 30)))
            elif r < 16:
                w.write_key(b"key:%d" % i, RHash({b"f%d" % j: b"v%d" % (i + j) for j in range(5)}))
            elif r < 18:
                w.write_key(b"key:%d" % i, RList(b"e%d" % (i + j) for j in range(5)))
            elif r < 19:
                w.write_key(b"key:%d" % i, RSet(b"%d" % (i + j) for j in range(5)))
            else:
                w.write_key(b"key:%d" % i, ZSet.from_rdb([(b"m%d" % j, float(i + j)) for j in range(5)], False))
        w.end()


def large_dump(path: str, n: int, size: int) -> None:
    rng = random.Random(2)
    noise = rng.randbytes(size * 4)
    with open(path, "wb") as f:
        w = RdbWriter(f.write)
        w.begin(standard_aux(int(time.time()), 0))
        w.select_db(0, n, 0)
        for i in range(n):
            off = rng.randrange(len(noise) - size // 2)
            w.write_key(b"big:%d" % i, noise[off:off + size // 2] + (b"%08d" % i) * (size // 16))
        w.end()


# -- process measurements ------------------------------------------------------------


def pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid: int) -> list:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def tree_pss(pid: int) -> int:
    return pss(pid) + sum(pss(c) for c in children(pid))


def loaded_seconds(log: str) -> float:
    m = re.findall(r"DB loaded from disk: ([0-9.]+) seconds", log)
    return float(m[-1]) if m else float("nan")


class Raw:
    """A minimal sequential RESP client for latency sampling."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def get(self, key: bytes) -> None:
        self.s.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key))
        buf = self.s.recv(65536)
        if buf[:1] == b"$" and buf[:3] != b"$-1":
            n = int(buf[1:buf.index(b"\r\n")])
            want = buf.index(b"\r\n") + 2 + n + 2
            while len(buf) < want:
                buf += self.s.recv(65536)


def latencies(port: int, nkeys: int, until) -> list:
    c = Raw(port)
    rng = random.Random(3)
    out = []
    pc = time.perf_counter
    while not until():
        for _ in range(100):
            t = pc()
            c.get(b"key:%d" % rng.randrange(nkeys))
            out.append(pc() - t)
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] * 1e3


# -- one server ------------------------------------------------------------------------


_TS = re.compile(r"^\d+:[A-Z] (\d+ \w+ \d+ [\d:.]+) [*#.-] (.*)$")


def _log_time(line: str) -> float:
    """Seconds (with ms) of a Redis-format log line's timestamp."""
    stamp = _TS.match(line).group(1)
    h, m, sec = stamp.split()[-1].split(":")
    return int(h) * 3600 + int(m) * 60 + float(sec)


def bgsave_and_wait(s, c) -> float:
    """BGSAVE duration from the server's own log lines (ms resolution): from
    "Background saving started" to "... terminated with success"."""
    c.bgsave()
    wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=600, interval=0.05,
             what="bgsave")
    lines = s.read_log().splitlines()
    start = [x for x in lines if "Background saving started" in x][-1]
    end = [x for x in lines if "Background saving terminated with success" in x][-1]
    return _log_time(end) - _log_time(start)


def measure(name: str, real: bool, dump: str, nkeys: int, extra: bool) -> dict:
    d = tempfile.mkdtemp(prefix="bench-rdb-%s-" % name)
    shutil.copy(dump, os.path.join(d, "dump.rdb"))
    s = ServerProcess(["--save", "", "--appendonly", "no"], dir=d, real=real)
    res = {}
    try:
        s.start(timeout=600)
        c = s.client(socket_timeout=600)
        wait_for(lambda: c.ping(), timeout=600, what="load")
        wait_for(lambda: "DB loaded from disk" in s.read_log(), timeout=600, what="load log")
        res["load_s"] = loaded_seconds(s.read_log())
        t0 = time.perf_counter()
        c.save()
        res["save_s"] = time.perf_counter() - t0
        res["size"] = os.path.getsize(os.path.join(d, "dump.rdb"))
        res["bgsave_s"] = bgsave_and_wait(s, c)
        if extra:
            done = [False]
            idle_end = time.monotonic() + 2
            res["lat_idle"] = latencies(s.port, nkeys, lambda: time.monotonic() > idle_end)
            c.bgsave()
            res["lat_bgsave"] = latencies(
                s.port, nkeys, lambda: done[0] or c.info("persistence")["rdb_bgsave_in_progress"] == 0)
            wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=600, what="bgsave")
            bench = shutil.which("redis-benchmark")
            if bench is not None:
                load = subprocess.Popen([bench, "-p", str(s.port), "-t", "set", "-c", "50", "-n", "1000000000",
                                         "-r", str(nkeys), "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    time.sleep(0.5)  # let the load reach its pace (a bench, not a test)
                    res["bgsave_loaded_s"] = bgsave_and_wait(s, c)
                finally:
                    load.terminate()
                    load.wait()
            # peak extra memory with 10% of the keys overwritten meanwhile
            pid = s.proc.pid
            base = pss(pid)
            peak = [base]
            stop = [False]

            def sample():
                while not stop[0]:
                    peak[0] = max(peak[0], tree_pss(pid))
                    time.sleep(0.005)

            th = threading.Thread(target=sample)
            th.start()
            rng = random.Random(4)
            victims = rng.sample(range(nkeys), nkeys // 10)
            c.bgsave()
            overwritten_during = 0
            for i in range(0, len(victims), 1000):
                p = c.pipeline(transaction=False)
                for k in victims[i:i + 1000]:
                    p.set(b"key:%d" % k, b"value:%d:%d" % (k, rng.randrange(1 << 30)))
                p.execute()
                if c.info("persistence")["rdb_bgsave_in_progress"]:
                    overwritten_during = i + 1000
            wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=600, interval=0.005,
                     what="bgsave")
            stop[0] = True
            th.join()
            res["pss_base"] = base
            res["pss_peak_extra"] = peak[0] - base
            res["overwritten_during"] = min(overwritten_during, len(victims))
            res["cow_info"] = c.info("persistence")["rdb_last_cow_size"]
    finally:
        s.kill()
        shutil.rmtree(d, ignore_errors=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--large", type=int, default=100_000)
    ap.add_argument("--large-size", type=int, default=4096)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-rdb-")
    try:
        sets = [("%d mixed keys" % args.keys, "mixed.rdb", lambda p: mixed_dump(p, args.keys), args.keys, True),
                ("%d x %d B values" % (args.large, args.large_size), "large.rdb",
                 lambda p: large_dump(p, args.large, args.large_size), args.large, False)]
        for title, fname, make, nkeys, extra in sets:
            path = os.path.join(tmp, fname)
            t0 = time.perf_counter()
            make(path)
            print(f"\n== {title} (dump {os.path.getsize(path) / 1e6:.1f} MB, generated in "
                  f"{time.perf_counter() - t0:.1f} s)", flush=True)
            rd = measure("redis", True, path, nkeys, extra)
            rk = measure("redkeep", False, path, nkeys, extra)
            print(f"{'':14}{'redis':>12}{'redkeep':>12}{'ratio':>8}")
            for k, label in (("load_s", "load s"), ("save_s", "SAVE s"), ("bgsave_s", "BGSAVE s"),
                             ("bgsave_loaded_s", "BGSAVE loaded"), ("size", "file bytes")):
                if k not in rd or k not in rk:
                    continue
                a, b = rd[k], rk[k]
                fmt = "{:>12.3f}" if k != "size" else "{:>12d}"
                print(f"{label:14}" + fmt.format(a) + fmt.format(b) + f"{b / a:>8.2f}")
            if extra:
                for lab, key in (("GET idle", "lat_idle"), ("GET in BGSAVE", "lat_bgsave")):
                    print(f"{lab:14}" + "".join(
                        f"  p50 {pct(r[key], .5):.3f} p99 {pct(r[key], .99):.3f} max {max(r[key]) * 1e3:.1f} ms"
                        f" (n={len(r[key])})  " for r in (rd, rk)))
                for name, r in (("redis", rd), ("redkeep", rk)):
                    print(f"{name:8} peak extra PSS during BGSAVE with {r['overwritten_during']} of "
                          f"{nkeys // 10} overwrites done while it ran: {r['pss_peak_extra'] / 1e6:.1f} MB = "
                          f"{100 * r['pss_peak_extra'] / r['pss_base']:.1f}% of {r['pss_base'] / 1e6:.1f} MB; "
                          f"INFO rdb_last_cow_size {r['cow_info'] / 1e6:.1f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
