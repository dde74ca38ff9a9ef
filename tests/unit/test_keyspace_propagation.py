"""What EXPIRE & co, FLUSH*, PUBLISH and MULTI/EXEC hand to the propagation
listeners (AOF, replicas): Redis 7.0's rewrites and MULTI wrapping, checked
in-process on a Server with a fake connection."""

import pytest

from redkeep.config import Config
from redkeep.config_table import TABLE
from redkeep.networking import Client
from redkeep.server import Server


@pytest.fixture(scope="module")
def srv():
    return Server(Config(TABLE))


@pytest.fixture
def env(srv):
    log = []
    listener = lambda dbid, argv: log.append((dbid, [bytes(a) for a in argv]))  # noqa: E731
    srv.propagate_listeners.append(listener)
    c = Client(srv)

    def run(*args):
        c.out = []
        c.batching = True
        srv.process(c, [a.encode() if isinstance(a, str) else a for a in args])
        c.batching = False
        return b"".join(c.out)

    run("FLUSHALL")
    log.clear()
    yield run, log, c
    srv.propagate_listeners.remove(listener)


def test_expire_becomes_pexpireat(env, srv):
    run, log, _ = env
    run("SET", "k", "v")
    log.clear()
    now = srv.clock_ms()
    assert run("EXPIRE", "k", "100", "NX") == b":1\r\n"
    (dbid, argv), = log
    assert argv[0] == b"PEXPIREAT" and argv[1] == b"k" and argv[3] == b"NX"
    assert now + 100_000 <= int(argv[2]) <= now + 101_000
    log.clear()
    run("PEXPIREAT", "k", "99999999999999")
    assert log == [(0, [b"PEXPIREAT", b"k", b"99999999999999"])]
    log.clear()
    run("EXPIREAT", "k", "99999999999")
    assert log == [(0, [b"PEXPIREAT", b"k", b"99999999999000"])]


def test_expire_in_the_past_is_a_del(env):
    run, log, _ = env
    run("SET", "k", "v")
    log.clear()
    assert run("PEXPIRE", "k", "-1") == b":1\r\n"
    assert log == [(0, [b"DEL", b"k"])]


def test_failed_expire_and_persist_propagate_nothing(env):
    run, log, _ = env
    run("EXPIRE", "nokey", "10")
    run("SET", "k", "v")
    log.clear()
    run("PERSIST", "k")
    run("EXPIRE", "k", "10", "XX")
    assert log == []


def test_flush_and_publish_always_propagate(env):
    run, log, _ = env
    run("FLUSHDB")
    run("FLUSHALL", "ASYNC")
    run("PUBLISH", "ch", "m")
    assert [a for _, a in log] == [[b"FLUSHDB"], [b"FLUSHALL", b"ASYNC"], [b"PUBLISH", b"ch", b"m"]]


def test_exec_wraps_only_several_writes(env):
    run, log, _ = env
    for cmd in (("MULTI",), ("SET", "a", "1"), ("GET", "a"), ("INCR", "n"), ("EXEC",)):
        run(*cmd)
    assert [a for _, a in log] == [[b"MULTI"], [b"SET", b"a", b"1"], [b"INCR", b"n"], [b"EXEC"]]
    log.clear()
    for cmd in (("MULTI",), ("SET", "a", "2"), ("GET", "a"), ("EXEC",)):
        run(*cmd)
    assert log == [(0, [b"SET", b"a", b"2"])]
    log.clear()
    for cmd in (("MULTI",), ("GET", "a"), ("EXEC",)):
        run(*cmd)
    assert log == []


def test_exec_multi_carries_first_db_and_exec_last(env):
    run, log, _ = env
    for cmd in (("MULTI",), ("SELECT", "3"), ("SET", "a", "1"), ("SELECT", "4"), ("SET", "b", "1"),
                ("SELECT", "0"), ("EXEC",)):
        run(*cmd)
    assert log == [(3, [b"MULTI"]), (3, [b"SET", b"a", b"1"]), (4, [b"SET", b"b", b"1"]), (4, [b"EXEC"])]
    run("SELECT", "3")
    run("FLUSHDB")
    run("SELECT", "4")
    run("FLUSHDB")
    run("SELECT", "0")


def test_exec_reply_array_and_in_exec_flag(env):
    run, log, c = env
    run("MULTI")
    run("SET", "a", "1")
    run("BLPOP", "nolist", "0")
    assert run("EXEC") == b"*2\r\n+OK\r\n*-1\r\n"
    assert not c.in_exec and c.multi is None and c.blocked is None


def test_watch_registry_cleanup(env, srv):
    run, log, c = env
    run("WATCH", "a", "b", "a")
    db = srv.dbs[0]
    assert set(db.watched) == {b"a", b"b"} and len(c.watched) == 2
    run("UNWATCH")
    assert db.watched == {} and c.watched == []
    run("WATCH", "a")
    run("MULTI")
    run("EXEC")
    assert db.watched == {}


def test_lazy_expiry_propagates_only_the_del(env, srv):
    run, log, _ = env
    for cmd in (("GET", "k"), ("EXISTS", "k"), ("TTL", "k"), ("DEL", "k")):
        run("SET", "k", "v")
        srv.dbs[0].expires[b"k"] = 1  # logically expired long ago
        log.clear()
        run(*cmd)
        assert log == [(0, [b"DEL", b"k"])], cmd
    run("SET", "k", "v")
    srv.dbs[0].expires[b"k"] = 1
    log.clear()
    for cmd in (("MULTI",), ("GET", "k"), ("SET", "a", "1"), ("EXEC",)):
        run(*cmd)
    assert [a for _, a in log] == [[b"MULTI"], [b"DEL", b"k"], [b"SET", b"a", b"1"], [b"EXEC"]]


def _expired_key(srv, run, key="k"):
    run("SET", key, "v")
    srv.dbs[0].expires[key.encode()] = 1  # logically expired, not yet deleted


@pytest.mark.parametrize("between,aborted", [
    (("GET", "k"), False),            # lazy expiry deletes it: no logical change
    (("DEL", "k"), False),
    (("FLUSHALL",), False),
    (("SET", "k", "new"), True),      # expired, then recreated: a change
    (("SET", "other", "x"), False),
])
def test_watch_of_already_expired_key(env, srv, between, aborted):
    run, log, _ = env
    _expired_key(srv, run)
    run("WATCH", "k")
    run(*between)
    run("MULTI")
    run("PING")
    assert run("EXEC") == (b"*-1\r\n" if aborted else b"*1\r\n+PONG\r\n")


def test_watched_key_expiring_after_watch_aborts(env, srv):
    run, log, _ = env
    run("SET", "k", "v")
    run("WATCH", "k")
    srv.dbs[0].expires[b"k"] = 1
    run("MULTI")
    assert run("EXEC") == b"*-1\r\n"
