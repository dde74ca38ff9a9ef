"""Replication: redkeep vs real redis-server, same invocation.

1. Full sync time of a 1M-key mixed dataset (bench_rdb's generator: 70%
   strings, hashes, lists, sets, zsets), disk-based and diskless: a primary
   started on the dump, an empty replica of the same kind, time from
   REPLICAOF to ``master_link_status:up`` (polled every 5 ms).
2. Replication lag under ``redis-benchmark -t set -P 16`` on the primary,
   sampled every 100 ms: the primary's offset minus the replica's applied
   offset (replica read first: an upper bound), and the primary's offset
   minus the replica's last REPLCONF ACK (sent once a second, so it includes
   up to a second of writes); max / mean, the time the replica needs to catch
   up when the load stops, the SET rate reached, and whether any extra full
   sync happened (a resync loop).

    python bench/bench_replication.py [--keys 1000000] [--requests 2000000] [--skip-sync] [--skip-lag]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, HERE)
from helpers import ServerProcess, wait_for


def _start(real: bool, args=(), dump: str | None = None) -> ServerProcess:
    d = tempfile.mkdtemp(prefix="rk-bench-repl-")
    if dump:
        shutil.copy(dump, os.path.join(d, "dump.rdb"))
    p = ServerProcess(["--repl-diskless-sync-delay", "0", "--save", ""] + list(args), real=real, dir=d)
    return p.start(timeout=300)


def _info(c, section="replication"):
    return c.info(section)


def full_sync(real: bool, dump: str, diskless: bool, keys: int) -> float:
    mp = _start(real, ["--repl-diskless-sync", "yes" if diskless else "no"], dump)
    rp = _start(real)
    try:
        m, r = mp.client(socket_timeout=120), rp.client(socket_timeout=120)
        wait_for(lambda: m.dbsize() == keys, 300, what="primary loaded")
        t0 = time.monotonic()
        r.replicaof("127.0.0.1", mp.port)
        wait_for(lambda: _info(r).get("master_link_status") == "up", 600, interval=0.005, what="replica up")
        dt = time.monotonic() - t0
        assert r.dbsize() == keys, (r.dbsize(), keys)
        return dt
    finally:
        mp.kill()
        rp.kill()
        shutil.rmtree(mp.dir, ignore_errors=True)
        shutil.rmtree(rp.dir, ignore_errors=True)


def lag_under_load(real: bool, requests: int) -> dict:
    mp = _start(real)
    rp = _start(real)
    try:
        m, r = mp.client(), rp.client()
        r.replicaof("127.0.0.1", mp.port)
        wait_for(lambda: _info(r).get("master_link_status") == "up", 30)
        samples = []
        stop = threading.Event()

        acks = []

        def sample():
            while not stop.is_set():
                try:
                    ro = _info(r)["slave_repl_offset"]  # replica first: an upper bound
                    mi = _info(m)
                    samples.append(max(mi["master_repl_offset"] - ro, 0))
                    acks.append(max(mi["master_repl_offset"] - mi["slave0"]["offset"], 0))
                except Exception:  # noqa: BLE001, S110 - a sample lost under load
                    pass
                time.sleep(0.1)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        t0 = time.monotonic()
        out = subprocess.run(["redis-benchmark", "-p", str(mp.port), "-t", "set", "-P", "16", "-n", str(requests),
                              "-r", "1000000", "-c", "50", "-q"], capture_output=True, text=True, timeout=900,
                             check=False)
        bench_s = time.monotonic() - t0
        t1 = time.monotonic()
        target = _info(m)["master_repl_offset"]
        wait_for(lambda: _info(r)["slave_repl_offset"] >= target, 600, interval=0.01, what="catch up")
        catch = time.monotonic() - t1
        stop.set()
        th.join()
        rate = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-200:]
        return {"max_lag_bytes": max(samples or [0]), "mean_lag_bytes": int(statistics.mean(samples or [0])),
                "max_ack_lag": max(acks or [0]), "mean_ack_lag": int(statistics.mean(acks or [0])),
                "catch_up_s": catch, "bench_s": bench_s, "benchmark": rate.replace("\r", " ").strip(),
                "sync_full": _info(m, "stats")["sync_full"], "stream_bytes": target}
    finally:
        mp.kill()
        rp.kill()
        shutil.rmtree(mp.dir, ignore_errors=True)
        shutil.rmtree(rp.dir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=2_000_000)
    ap.add_argument("--skip-sync", action="store_true")
    ap.add_argument("--skip-lag", action="store_true")
    a = ap.parse_args()
    if not a.skip_sync:
        from bench_rdb import mixed_dump
        d = tempfile.mkdtemp(prefix="rk-bench-dump-")
        dump = os.path.join(d, "dump.rdb")
        t = time.monotonic()
        mixed_dump(dump, a.keys)
        print("dataset: %d keys, %.1f MB dump (generated in %.1fs)" % (a.keys, os.path.getsize(dump) / 1e6,
                                                                      time.monotonic() - t), flush=True)
        for diskless in (False, True):
            res = {}
            for real in (True, False):
                res[real] = full_sync(real, dump, diskless, a.keys)
            print("full sync %-8s  redis %6.2fs  redkeep %6.2fs  ratio %.2fx" % (
                "diskless" if diskless else "disk", res[True], res[False], res[False] / res[True]), flush=True)
        shutil.rmtree(d, ignore_errors=True)
    if not a.skip_lag:
        for real in (True, False):
            r = lag_under_load(real, a.requests)
            print("lag under set -P 16 (%s): applied lag max %d B mean %d B; offset-minus-ACK max %d B mean %d B; "
                  "catch-up %.2fs after the load; %s; sync_full=%d, stream %d B" % (
                      "redis" if real else "redkeep", r["max_lag_bytes"], r["mean_lag_bytes"], r["max_ack_lag"],
                      r["mean_ack_lag"], r["catch_up_s"], r["benchmark"], r["sync_full"], r["stream_bytes"]),
                  flush=True)


if __name__ == "__main__":
    main()
