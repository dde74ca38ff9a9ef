"""Helpers shared by the RDB persistence tests: fill a server with every type
and encoding, and read a whole dataset back through commands only, so the
same view can be taken of redkeep and of a real redis-server."""

from __future__ import annotations

import os
import subprocess
import sys

FAR = 4102444800000  # 2100-01-01, an expiry that never fires during a test


def populate(c, seed: int = 1) -> None:
    """Every type in the encodings Redis 7.0 writes, TTLs, three dbs."""
    p = c.pipeline(transaction=False)
    p.set("s:raw", "hello world")
    p.set("s:int", "12345")
    p.set("s:neg", "-9000000000")
    p.set("s:long", "abc" * 200)  # LZF
    p.set("s:bin", bytes(range(256)))
    p.set("s:empty", "")
    p.set("s:ttl", "v", px=3_600_000)
    p.rpush("l:small", "a", "1", "-2", "b" * 70)
    p.rpush("l:big", *[b"item:%05d" % i for i in range(3000)])
    p.rpush("l:huge", b"x" * 10000, b"y")
    p.hset("h:small", mapping={"f1": "v1", "n": "12"})
    p.hset("h:big", mapping={b"f%d" % i: b"v%d" % i for i in range(600)})
    p.hset("h:long", mapping={"f": "z" * 100})
    p.sadd("st:int", 1, 2, 3, -40000, 1 << 40)
    p.sadd("st:str", "apple", "banana")
    p.sadd("st:big", *range(700))
    p.zadd("z:small", {"a": 1.5, "b": -2, "c": 1e300, "d": 0})
    p.zadd("z:big", {b"m%d" % i: i / 7 for i in range(300)})
    p.zadd("z:long", {"q" * 100: 3})
    p.pexpireat("h:small", FAR)
    p.pexpireat("z:big", FAR + 1)
    p.select(3)
    p.set("db3:key", "three")
    p.rpush("db3:list", "x")
    p.pexpireat("db3:list", FAR + 2)
    p.select(15)
    p.set("db15:key", "fifteen")
    p.select(0)
    p.execute()


def view(c, dbs=range(16)) -> dict:
    """{db: {key: (type, value, pexpiretime)}} through commands (streams and
    other types by DUMP payload)."""
    out = {}
    for db in dbs:
        c.execute_command("SELECT", db)
        keys = c.keys("*")
        if not keys:
            continue
        got = {}
        for k in keys:
            t = c.type(k).decode()
            if t == "string":
                v = c.get(k)
            elif t == "list":
                v = c.lrange(k, 0, -1)
            elif t == "hash":
                v = c.hgetall(k)
            elif t == "set":
                v = sorted(c.smembers(k))
            elif t == "zset":
                v = c.zrange(k, 0, -1, withscores=True)
            else:
                v = c.dump(k)
            got[k] = (t, v, c.pexpiretime(k))
        out[db] = got
    c.execute_command("SELECT", 0)
    return out


def run_check_rdb(path: str) -> subprocess.CompletedProcess:
    """redkeep-check-rdb as installed (console script), falling back to the module."""
    exe = os.path.join(os.path.dirname(sys.executable), "redkeep-check-rdb")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "redkeep.tools.check_rdb"]
    return subprocess.run(cmd + [path], capture_output=True, text=True, timeout=60)
