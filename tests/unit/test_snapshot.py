"""The fork-less snapshot is point-in-time: random datasets, then random
writes of every kind (all types, deletes, expiries — lazy and active —,
FLUSHDB, FLUSHALL, SWAPDB, RENAME, MOVE, COPY, blocking pops served by a
push, MULTI/EXEC) interleaved with tiny serialisation slices; the file must
hold exactly the records of a shadow copy taken when the snapshot began.
Runs in-process on a Server with fake connections, through the real
dispatcher and command handlers."""

from __future__ import annotations

import random

import pytest

from redkeep.config import Config
from redkeep.config_table import TABLE
from redkeep.networking import Client
from redkeep.persistence.snapshot import Snapshot
from redkeep.rdb import RdbReader, RdbWriter, standard_aux
from redkeep.server import Server


class MemSink:
    """The sink interface (write / queued_bytes / drain / close / abort) in memory."""

    def __init__(self):
        self.chunks = []
        self.closed = False

    def write(self, chunk):
        self.chunks.append(bytes(chunk))

    def queued_bytes(self):
        return 0

    def drain(self):
        pass

    def close(self):
        self.closed = True

    def abort(self):
        self.closed = True


@pytest.fixture(scope="module")
def srv():
    return Server(Config(TABLE))


def _client(srv):
    c = Client(srv)
    c.out = []

    def run(*args):
        c.out = []
        c.batching = True
        srv.process(c, [a if isinstance(a, bytes) else str(a).encode() for a in args])
        c.batching = False
        return b"".join(c.out)

    return c, run


def shadow(srv, writer) -> dict:
    """{db: {key: record bytes}} of the whole dataset now."""
    out = {}
    for db in srv.dbs:
        if db.data:
            out[db.id] = {k: writer.encode_record(k, v, db.expires.get(k)) for k, v in db.data.items()}
    return out


def records_of(data: bytes) -> dict:
    """Split a file into {db: {key: record bytes}} using the reader's offsets."""
    out: dict = {}
    last = [0]
    reader = RdbReader(data)

    def mark(*_):
        last[0] = reader.offset

    def on_key(dbid, key, value, expire, idle, freq):
        out.setdefault(dbid, {})[key] = data[last[0]:reader.offset]
        last[0] = reader.offset

    reader.load(on_aux=mark, on_select=mark, on_resize=mark, on_function=mark, on_key=on_key)
    assert reader.checksum == "ok"
    return out


KEYS = [b"k%d" % i for i in range(60)]


def _member(rng):
    return rng.choice([b"%d" % rng.randrange(-50, 50), b"m%d" % rng.randrange(40), b"x" * rng.randrange(1, 90)])


def populate(run, rng):
    for dbid in rng.sample(range(4), 3):
        run("SELECT", dbid)
        for key in rng.sample(KEYS, rng.randrange(20, 60)):
            kind = rng.randrange(6)
            if kind == 0:
                run("SET", key, rng.choice([b"%d" % rng.randrange(1 << 40), b"v" * rng.randrange(0, 200)]))
            elif kind == 1:
                run("RPUSH", key, *[_member(rng) for _ in range(rng.randrange(1, 40))])
            elif kind == 2:
                run("HSET", key, *[x for _ in range(rng.choice([3, 30, 600])) for x in (_member(rng), _member(rng))])
            elif kind == 3:
                run("SADD", key, *[_member(rng) for _ in range(rng.choice([3, 30, 600]))])
            elif kind == 4:
                args = []
                for _ in range(rng.choice([2, 20, 200])):
                    args += [b"%d" % rng.randrange(-100, 100), _member(rng)]
                run("ZADD", key, *args)
            else:
                run("SET", key, b"ttl")
                run("PEXPIRE", key, rng.choice([1, 5, 100000000]))
            if rng.random() < 0.2:
                run("PEXPIRE", key, 100000000 + rng.randrange(1000))
    run("SELECT", 0)


def random_write(run, rng, blocker_run, srv):
    k = rng.choice(KEYS)
    k2 = rng.choice(KEYS)
    m = _member(rng)
    ops = [
        lambda: run("SET", k, m),
        lambda: run("APPEND", k, m),
        lambda: run("INCR", k),
        lambda: run("DEL", k, k2),
        lambda: run("UNLINK", k),
        lambda: run("EXPIRE", k, rng.randrange(100, 1000)),
        lambda: run("PEXPIRE", k, 1),
        lambda: run("PERSIST", k),
        lambda: run("GET", k),  # may expire lazily
        lambda: run("RPUSH", k, m, m),
        lambda: run("LPOP", k),
        lambda: run("LSET", k, 0, m),
        lambda: run("LTRIM", k, 1, -2),
        lambda: run("LMOVE", k, k2, "LEFT", "RIGHT"),
        lambda: run("HSET", k, m, m),
        lambda: run("HDEL", k, m),
        lambda: run("HINCRBY", k, b"n", 3),
        lambda: run("SADD", k, m),
        lambda: run("SREM", k, m),
        lambda: run("SPOP", k),
        lambda: run("SMOVE", k, k2, m),
        lambda: run("SUNIONSTORE", k, k, k2),
        lambda: run("ZADD", k, rng.randrange(100), m),
        lambda: run("ZINCRBY", k, 1, m),
        lambda: run("ZREM", k, m),
        lambda: run("ZUNIONSTORE", k2, 2, k, k2),
        lambda: run("RENAME", k, k2),
        lambda: run("MOVE", k, rng.randrange(4)),
        lambda: run("COPY", k, k2, "DB", rng.randrange(4), "REPLACE"),
        lambda: run("SELECT", rng.randrange(4)),
        lambda: run("SWAPDB", rng.randrange(4), rng.randrange(4)),
        lambda: run("GETDEL", k),
        lambda: run("SETRANGE", k, 3, m),
        lambda: run("MULTI") + run("SET", k, m) + run("DEL", k2) + run("RPUSH", k2, m) + run("EXEC"),
        lambda: (blocker_run("SELECT", 0), blocker_run("BLPOP", k, 0), run("SELECT", 0), run("RPUSH", k, m, m)),
        lambda: (blocker_run("SELECT", 0), blocker_run("BLMOVE", k, k2, "LEFT", "LEFT", 0),
                 run("SELECT", 0), run("LPUSH", k, m)),
        lambda: [db.active_expire(srv.clock_ms(), 1 << 62) for db in srv.dbs],
    ]
    rare = [lambda: run("FLUSHDB"), lambda: run("FLUSHALL")]
    if rng.random() < 0.01:
        rng.choice(rare)()
    else:
        rng.choice(ops)()


@pytest.mark.parametrize("seed", range(30))
def test_snapshot_is_point_in_time_under_concurrent_writes(srv, seed):
    rng = random.Random(seed)
    c, run = _client(srv)
    _, blocker_run = _client(srv)
    run("FLUSHALL")
    populate(run, rng)
    writer = RdbWriter(lambda b: None)
    want = shadow(srv, writer)
    sink = MemSink()
    snap = Snapshot(srv, sink, lambda w: RdbWriter(w), standard_aux(0, 0), ())
    snap.check_mask = 0  # the smallest slice: one key per step
    srv.snapshot = snap
    try:
        while not snap.step(0):
            for _ in range(rng.randrange(0, 4)):
                random_write(run, rng, blocker_run, srv)
    finally:
        srv.snapshot = None
    assert sink.chunks and snap.finished
    assert all(db.snap is None for db in srv.dbs)
    got = records_of(b"".join(sink.chunks))
    assert got.keys() == want.keys()
    for dbid in want:
        assert got[dbid] == want[dbid], (seed, dbid, set(got[dbid]) ^ set(want[dbid]))
    assert snap.peak_extra > 0 and snap.preserved_bytes == 0


def test_accounting_returns_to_zero_and_counts_flushed_dbs(srv):
    c, run = _client(srv)
    run("FLUSHALL")
    for i in range(5000):
        run("SET", b"key:%d" % i, b"v" * 50)
    sink = MemSink()
    snap = Snapshot(srv, sink, lambda w: RdbWriter(w), standard_aux(0, 0), ())
    srv.snapshot = snap
    try:
        snap.step(0)
        fixed = snap.peak_extra
        run("FLUSHALL")  # the T dict now lives only for the snapshot
        snap.step(0)
        assert snap.orphan_bytes > 5000 * 50 // 2
        assert snap.peak_extra > fixed + 5000 * 50 // 2
        while not snap.step(0):
            pass
    finally:
        srv.snapshot = None
    assert snap.orphan_bytes == 0 and snap.preserved_bytes == 0 and snap.fixed_bytes == 0
    assert len(records_of(b"".join(sink.chunks))[0]) == 5000
