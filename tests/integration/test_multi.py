"""MULTI/EXEC/DISCARD/WATCH (multi.c) against real Redis 7.0, byte for byte,
plus WATCH races driven from a second client."""

import time

import pytest
import redis

from helpers import Differ, RawConn, checks, resp3, wait_for


@pytest.fixture
def other(server, real):
    """A second differ pair (another client on each server)."""
    d = Differ(server.port, real.port)
    yield d
    d.close()


def test_basic_transaction(differ):
    checks(differ, ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("LPUSH", "a", "x"),
           ("PING",), ("EXEC",), ("GET", "a"))


def test_empty_transaction_and_discard(differ):
    checks(differ, ("MULTI",), ("EXEC",), ("MULTI",), ("SET", "a", "1"), ("DISCARD",), ("GET", "a"),
           ("EXEC",), ("DISCARD",), ("MULTI",), ("MULTI",), ("SET", "a", "2"), ("EXEC",), ("GET", "a"))


def test_queue_errors_abort(differ):
    checks(differ, ("MULTI",), ("SET", "a", "1"), ("NOSUCHCMD", "x"), ("SET", "a"), ("EXEC",), ("GET", "a"),
           ("MULTI",), ("GET",), ("EXEC",), ("EXEC",))


def test_refused_exec_aborts(differ):
    checks(differ, ("MULTI",), ("SET", "a", "1"), ("EXEC", "x"), ("EXEC",), ("GET", "a"), ("DISCARD", "x"),
           ("MULTI",), ("MULTI", "x"), ("WATCH",), ("EXEC",))


def test_runtime_errors_do_not_abort(differ):
    checks(differ, ("SET", "s", "str"), ("MULTI",), ("LPUSH", "s", "x"), ("INCR", "s"), ("SET", "b", "ok"),
           ("EXEC",), ("GET", "b"))


def test_watch_errors(differ):
    checks(differ, ("MULTI",), ("WATCH", "a"), ("SET", "a", "1"), ("EXEC",), ("WATCH",), ("UNWATCH",),
           ("MULTI",), ("UNWATCH",), ("EXEC",))


def test_subscribe_inside_multi(differ):
    checks(differ, ("MULTI",), ("SUBSCRIBE", "ch"), ("EXEC",), ("GET", "x"), ("PING",), ("UNSUBSCRIBE",))
    resp3(differ)
    checks(differ, ("MULTI",), ("PING",), ("EXEC",), ("MULTI",), ("GET", "nokey"), ("EXEC",))


def test_exec_resp3_null(differ, other):
    resp3(differ)
    checks(differ, ("WATCH", "k"))
    other.check("SET", "k", "changed")
    checks(differ, ("MULTI",), ("PING",), ("EXEC",))


def test_watch_modified_by_other_client(differ, other):
    checks(differ, ("SET", "k", "1"), ("WATCH", "k"))
    other.check("SET", "k", "2")
    checks(differ, ("MULTI",), ("SET", "k", "mine"), ("EXEC",), ("GET", "k"))
    # after EXEC the key is no longer watched
    checks(differ, ("MULTI",), ("SET", "k", "mine"))
    other.check("SET", "k", "3")
    checks(differ, ("EXEC",), ("GET", "k"))


def test_watch_unmodified_and_self_modification(differ):
    checks(differ, ("SET", "k", "1"), ("WATCH", "k", "k", "nokey"), ("GET", "k"), ("MULTI",), ("INCR", "k"),
           ("EXEC",), ("WATCH", "k"), ("SET", "k", "5"), ("MULTI",), ("INCR", "k"), ("EXEC",), ("GET", "k"))


def test_watch_missing_key_created(differ, other):
    checks(differ, ("WATCH", "x"))
    other.check("SET", "x", "1")
    checks(differ, ("MULTI",), ("PING",), ("EXEC",))


def test_watch_delete_of_missing_key_is_no_change(differ, other):
    checks(differ, ("WATCH", "x"))
    other.check("DEL", "x")
    checks(differ, ("MULTI",), ("PING",), ("EXEC",))


def test_unwatch_and_discard_forget(differ, other):
    checks(differ, ("WATCH", "k"), ("UNWATCH",))
    other.check("SET", "k", "1")
    checks(differ, ("MULTI",), ("PING",), ("EXEC",), ("WATCH", "k"), ("MULTI",), ("DISCARD",))
    other.check("SET", "k", "2")
    checks(differ, ("MULTI",), ("PING",), ("EXEC",))


@pytest.mark.parametrize("cmd", [("FLUSHALL",), ("FLUSHDB",), ("SWAPDB", "0", "1"), ("DEL", "k"),
                                 ("EXPIRE", "k", "100"), ("PERSIST", "k"), ("RENAME", "k", "k2"),
                                 ("MOVE", "k", "2"), ("LPUSH", "k", "x")])
def test_watch_touched_by(differ, other, cmd):
    checks(differ, ("SET", "k", "1"))
    if cmd[0] == "PERSIST":
        checks(differ, ("EXPIRE", "k", "1000"))
    if cmd[0] == "LPUSH":
        checks(differ, ("DEL", "k"))
    checks(differ, ("WATCH", "k"))
    other.check(*cmd)
    checks(differ, ("MULTI",), ("PING",), ("EXEC",))
    other.check("FLUSHALL")


def test_flush_of_missing_watched_key_is_no_change(differ, other):
    checks(differ, ("WATCH", "k"))
    other.check("SET", "unrelated", "1")
    other.check("FLUSHALL")
    checks(differ, ("MULTI",), ("PING",), ("EXEC",))


def test_swapdb_touches_key_present_only_in_other_db(differ, other):
    checks(differ, ("WATCH", "k"))
    other.check("SELECT", "1")
    other.check("SET", "k", "in1")
    other.check("SWAPDB", "0", "1")
    checks(differ, ("MULTI",), ("PING",), ("EXEC",), ("GET", "k"))
    other.check("FLUSHALL")


def test_watched_key_expiring_aborts(differ):
    checks(differ, ("SET", "k", "1"), ("PEXPIRE", "k", "20"), ("WATCH", "k"))
    time.sleep(0.05)  # let the TTL pass: polling would read (and expire) the key
    checks(differ, ("MULTI",), ("PING",), ("EXEC",))


def test_watch_already_expired_key_is_no_change(server, real):
    """A key already (logically) expired at WATCH: its deletion is no change."""
    d = Differ(server.port, real.port)
    try:
        d.check("FLUSHALL")
        d.check("SET", "k", "v", "PX", "1")
        time.sleep(0.01)  # let the TTL pass: polling would read (and expire) the key
        d.check("WATCH", "k")
        d.check("GET", "k")  # lazily deletes the expired key: not a change
        d.check("MULTI")
        d.check("PING")
        d.check("EXEC")
    finally:
        d.close()


def test_exec_with_blocking_command_does_not_block(differ):
    checks(differ, ("MULTI",), ("BLPOP", "nolist", "0"), ("BRPOPLPUSH", "a", "b", "0"), ("SET", "x", "1"),
           ("EXEC",))


def test_exec_wakes_blocked_clients(server, r):
    blocked = RawConn(server.port)
    blocked.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n5\r\n")
    wait_for(lambda: any(cl.get("cmd") == "blpop" for cl in r.client_list()), what="blocked")
    p = r.pipeline(transaction=True)
    p.rpush("q", "a", "b")
    p.rpush("q", "c")
    assert p.execute() == [2, 3]
    assert blocked.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"
    assert r.lrange("q", 0, -1) == [b"b", b"c"]
    blocked.close()


def test_watch_with_redis_py(server):
    r1 = server.client()
    r2 = server.client()
    r1.set("counter", 0)
    with r1.pipeline() as p:
        p.watch("counter")
        r2.incr("counter")
        p.multi()
        p.incr("counter")
        with pytest.raises(redis.WatchError):
            p.execute()
    with r1.pipeline() as p:
        p.watch("counter")
        v = int(p.get("counter"))
        p.multi()
        p.set("counter", v + 10)
        assert p.execute() == [True]
    assert r1.get("counter") == b"11"
    r1.close()
    r2.close()


def test_watch_many_keys_then_disconnect(server, r):
    c = server.client()
    c.execute_command("WATCH", *[f"k{i}" for i in range(100)])
    c.close()
    r.set("k5", "x")  # the disconnected watcher must be gone: no error, no leak
    assert r.get("k5") == b"x"


def test_select_inside_transaction(differ):
    checks(differ, ("MULTI",), ("SELECT", "1"), ("SET", "a", "db1"), ("SELECT", "0"), ("SET", "a", "db0"),
           ("EXEC",), ("GET", "a"), ("SELECT", "1"), ("GET", "a"), ("FLUSHDB",), ("SELECT", "0"))
