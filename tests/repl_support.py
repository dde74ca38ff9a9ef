"""Helpers for the replication tests: topologies, dataset comparison, a
deterministic mixed workload touching every type redkeep and Redis share."""

from __future__ import annotations

import random

from helpers import ServerProcess, wait_for

FAST = ["--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1"]


def start(args=(), real=False, **kw) -> ServerProcess:
    return ServerProcess(list(FAST) + list(args), real=real, **kw).start()


def info(r, section="replication") -> dict:
    return r.info(section)


def link_up(r) -> bool:
    return info(r).get("master_link_status") == "up"


def wait_synced(master, *replicas, timeout=15.0):
    """Every replica is up and has applied all of the master's stream."""
    def ok():
        mo = info(master)["master_repl_offset"]
        return all(link_up(r) and info(r)["slave_repl_offset"] == mo for r in replicas)
    try:
        wait_for(ok, timeout, what="replicas in sync")
    except TimeoutError:
        raise TimeoutError("replicas not in sync: master %r replicas %r" % (info(master), [info(r) for r in replicas]))


def dataset(r) -> dict:
    """{(db, key): (type, value, pexpiretime)} over all 16 dbs."""
    out = {}
    for db in range(16):
        r.execute_command("SELECT", db)
        keys = [k for k in r.scan_iter(count=1000)]
        if not keys:
            continue
        p = r.pipeline(transaction=False)
        for k in keys:
            p.type(k)
            p.execute_command("PEXPIRETIME", k)
        meta = p.execute()
        p = r.pipeline(transaction=False)
        types = []
        for i, k in enumerate(keys):
            t = meta[2 * i].decode()
            types.append(t)
            if t == "string":
                p.get(k)
            elif t == "list":
                p.lrange(k, 0, -1)
            elif t == "hash":
                p.hgetall(k)
            elif t == "set":
                p.smembers(k)
            elif t == "zset":
                p.zrange(k, 0, -1, withscores=True)
            else:
                p.echo(t)
        vals = p.execute()
        for i, k in enumerate(keys):
            out[(db, k)] = (types[i], vals[i], meta[2 * i + 1])
    r.execute_command("SELECT", 0)
    return out


def assert_same_dataset(a, b):
    da, db_ = dataset(a), dataset(b)
    assert da.keys() == db_.keys(), (set(da) ^ set(db_))
    diff = [k for k in da if da[k] != db_[k]]
    assert not diff, [(k, da[k], db_[k]) for k in diff[:5]]
    return len(da)


def seed_all_types(r, prefix="seed"):
    r.set(f"{prefix}:str", "hello")
    r.set(f"{prefix}:int", 12345)
    r.set(f"{prefix}:ttl", "v", ex=1000)
    r.rpush(f"{prefix}:list", *range(20))
    r.hset(f"{prefix}:hash", mapping={f"f{i}": i for i in range(10)})
    r.hset(f"{prefix}:bighash", mapping={f"f{i}": "x" * 80 for i in range(600)})
    r.sadd(f"{prefix}:intset", *range(10))
    r.sadd(f"{prefix}:set", *[f"m{i}" for i in range(10)])
    r.zadd(f"{prefix}:zset", {f"z{i}": i * 1.5 for i in range(10)})
    r.zadd(f"{prefix}:bigzset", {f"z{i}": i / 3 for i in range(300)})
    r.execute_command("SELECT", 5)
    r.set(f"{prefix}:db5", "five", px=900000)
    r.execute_command("SELECT", 0)


def mixed_writes(r, n: int, seed: int = 1, prefix: str = "w"):
    """``n`` writes of every kind, deterministic, pipelined by 100."""
    rnd = random.Random(seed)
    p = r.pipeline(transaction=False)
    for i in range(n):
        k = f"{prefix}:{rnd.randrange(300)}"
        op = rnd.randrange(24)
        t = f"{prefix}:t{rnd.randrange(5)}"
        if op == 0:
            p.set(f"{k}:s", rnd.randrange(1000))
        elif op == 1:
            p.set(f"{k}:s", "v%d" % i, ex=rnd.randrange(100, 1000))
        elif op == 2:
            p.incr(f"{k}:n")
        elif op == 3:
            p.append(f"{k}:s2", "ab")
        elif op == 4:
            p.rpush(f"{k}:l", *range(rnd.randrange(1, 4)))
        elif op == 5:
            p.lpop(f"{k}:l")
        elif op == 6:
            p.hset(f"{k}:h", f"f{rnd.randrange(20)}", i)
        elif op == 7:
            p.hdel(f"{k}:h", f"f{rnd.randrange(20)}")
        elif op == 8:
            p.sadd(f"{k}:set", f"m{rnd.randrange(30)}")
        elif op == 9:
            p.srem(f"{k}:set", f"m{rnd.randrange(30)}")
        elif op == 10:
            p.zadd(f"{k}:z", {f"m{rnd.randrange(30)}": rnd.random() * 100})
        elif op == 11:
            p.zincrby(f"{k}:z", 2.5, f"m{rnd.randrange(30)}")
        elif op == 12:
            p.expire(f"{k}:s", rnd.randrange(200, 2000))
        elif op == 13:
            p.delete(f"{k}:n")
        elif op == 14:
            p.incrbyfloat(f"{k}:f", 1.25)
        elif op == 15:
            p.spop(f"{k}:set")
        elif op == 16:
            p.execute_command("SELECT", 3)
            p.set(f"{k}:db3", i)
            p.execute_command("SELECT", 0)
        elif op == 17:
            p.execute_command("MULTI")
            p.incr(f"{k}:tx")
            p.lpush(f"{k}:txl", i)
            p.execute_command("EXEC")
        elif op == 18:
            p.getdel(f"{k}:s2")
        elif op == 19:
            p.lmove(f"{k}:l", t + ":l", "LEFT", "RIGHT")
        elif op == 20:
            p.zpopmin(f"{k}:z")
        elif op == 21:
            p.persist(f"{k}:s")
        elif op == 22:
            p.execute_command("SETEX", f"{k}:e", rnd.randrange(100, 500), "x")
        else:
            p.hincrby(f"{k}:h", "cnt", 3)
        if i % 100 == 99:
            p.execute()
    p.execute()
