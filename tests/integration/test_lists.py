"""List commands, blocking ones included, against real Redis 7.0 byte for byte."""

import socket
import threading

import pytest
import redis

from helpers import block, blocked_count, checks, wait_for


def seed(differ, key, *items):
    differ.check("DEL", key)
    if items:
        differ.check("RPUSH", key, *items)


# -- push / pop --------------------------------------------------------------------

def test_push_pop(differ):
    checks(differ,
           ("LPUSH", "l", "a"), ("LPUSH", "l", "b", "c", "d"), ("RPUSH", "l", "e", "f"),
           ("LRANGE", "l", "0", "-1"), ("LLEN", "l"), ("TYPE", "l"),
           ("LPUSHX", "l", "x", "y"), ("RPUSHX", "l", "z"), ("LPUSHX", "nokey", "a"),
           ("RPUSHX", "nokey", "a", "b"), ("EXISTS", "nokey"), ("LRANGE", "l", "0", "-1"),
           ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "2"), ("RPOP", "l", "2"),
           ("LPOP", "l", "0"), ("LRANGE", "l", "0", "-1"), ("RPOP", "l", "100"), ("EXISTS", "l"),
           ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "1"), ("RPOP", "l", "0"),
           ("RPUSH", "l", "1", "2", "3"), ("LPOP", "l", "3"), ("EXISTS", "l"),
           ("RPUSH", "l", "only"), ("RPOP", "l"), ("EXISTS", "l"),
           ("RPUSH", "bin", b"\x00\r\n", b"", b"\xff"), ("LRANGE", "bin", "0", "-1"),
           ("LPUSH", "int", "1", "-5", "9223372036854775807", "12345678901234567890"),
           ("LRANGE", "int", "0", "-1"), ("OBJECT", "ENCODING", "int"))


def test_pop_count_errors(differ):
    seed(differ, "l", "a", "b")
    checks(differ,
           ("LPOP", "l", "-1"), ("LPOP", "l", "x"), ("RPOP", "l", "1.5"), ("LPOP", "l", ""),
           ("LPOP", "l", "9223372036854775808"), ("LPOP", "l", "1", "2"), ("RPOP", "l", "1", "2"),
           ("LPOP", "nokey", "-1"), ("LPOP", "nokey", "0"), ("RPOP", "nokey", "5"),
           ("LPOP", "l", "9223372036854775807"), ("EXISTS", "l"))


def test_wrongtype(differ):
    differ.check("SET", "s", "v")
    differ.check("HSET", "h", "f", "v")
    for key in ("s", "h"):
        checks(differ,
               ("LPUSH", key, "a"), ("RPUSH", key, "a"), ("LPUSHX", key, "a"), ("RPUSHX", key, "a"),
               ("LPOP", key), ("RPOP", key), ("LPOP", key, "0"), ("LPOP", key, "-1"), ("LLEN", key),
               ("LINDEX", key, "0"), ("LINDEX", key, "x"), ("LSET", key, "0", "a"), ("LSET", key, "x", "a"),
               ("LRANGE", key, "0", "-1"), ("LRANGE", key, "x", "1"), ("LTRIM", key, "0", "1"),
               ("LTRIM", key, "x", "1"), ("LREM", key, "0", "a"), ("LREM", key, "x", "a"),
               ("LINSERT", key, "BEFORE", "a", "b"), ("LINSERT", key, "middle", "a", "b"),
               ("LPOS", key, "a"), ("LPOS", key, "a", "RANK", "0"), ("LPOS", key, "a", "COUNT", "0"),
               ("LMOVE", key, "dst", "LEFT", "LEFT"), ("RPOPLPUSH", key, "dst"),
               ("LMPOP", "2", "nokey", key, "LEFT"), ("BLPOP", "nokey", key, "1"),
               ("BRPOP", key, "1"), ("BLMOVE", key, "dst", "LEFT", "RIGHT", "1"),
               ("BRPOPLPUSH", key, "dst", "1"), ("BLMPOP", "1", "1", key, "RIGHT"))
    seed(differ, "l", "a", "b")
    checks(differ,
           ("LMOVE", "l", "s", "LEFT", "LEFT"), ("RPOPLPUSH", "l", "h"), ("LRANGE", "l", "0", "-1"),
           ("BLMOVE", "l", "s", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "l", "h", "0"),
           ("LMPOP", "2", "l", "s", "LEFT"), ("LRANGE", "l", "0", "-1"),
           ("LMOVE", "nokey", "s", "LEFT", "LEFT"), ("RPOPLPUSH", "nokey", "s"))


def test_arity(differ):
    checks(differ, ("LPUSH", "l"), ("RPUSH",), ("LPOP",), ("LLEN",), ("LLEN", "a", "b"), ("LINDEX", "l"),
           ("LSET", "l", "0"), ("LRANGE", "l", "0"), ("LTRIM", "l"), ("LREM", "l", "0"),
           ("LINSERT", "l", "BEFORE", "a"), ("LPOS", "l"), ("LMOVE", "a", "b", "LEFT"),
           ("RPOPLPUSH", "a"), ("LMPOP", "1", "l"), ("BLPOP", "l"), ("BLMOVE", "a", "b", "LEFT", "LEFT"),
           ("BRPOPLPUSH", "a", "b"), ("BLMPOP", "0", "1", "l"))


# -- indexes -----------------------------------------------------------------------------

def test_lindex_lset(differ):
    seed(differ, "l", "a", "b", "c", "d")
    for i in list(range(-6, 7)) + ["9223372036854775807", "-9223372036854775808"]:
        differ.check("LINDEX", "l", str(i))
    checks(differ, ("LINDEX", "l", "x"), ("LINDEX", "l", "1.0"), ("LINDEX", "l", "9223372036854775808"),
           ("LINDEX", "nokey", "x"), ("LINDEX", "nokey", "0"))
    for i in range(-6, 7):
        differ.check("LSET", "l", str(i), "v%d" % i)
    checks(differ, ("LRANGE", "l", "0", "-1"), ("LSET", "l", "x", "a"), ("LSET", "nokey", "0", "a"),
           ("LSET", "nokey", "x", "a"), ("LSET", "l", "-9223372036854775808", "a"),
           ("LSET", "l", "0", "a" * 10000), ("LINDEX", "l", "0"))


def test_lrange_all_indexes(differ):
    seed(differ, "l", "a", "b", "c", "d", "e")
    for start in range(-7, 8):
        for end in range(-7, 8):
            differ.check("LRANGE", "l", str(start), str(end))
    big = "9223372036854775807"
    checks(differ, ("LRANGE", "l", "-" + big, big), ("LRANGE", "l", big, "-" + big),
           ("LRANGE", "l", "-9223372036854775808", "-1"), ("LRANGE", "l", "0", "x"),
           ("LRANGE", "nokey", "0", "-1"), ("LRANGE", "nokey", "x", "0"))


def test_lrange_long_list(differ):
    seed(differ, "l", *[str(i) for i in range(300)])
    for start, end in [(0, -1), (10, 20), (250, 299), (-50, -40), (-1, -1), (150, 149), (290, 1000)]:
        differ.check("LRANGE", "l", str(start), str(end))


def test_ltrim_all_indexes(differ):
    for start in range(-6, 7):
        for end in range(-6, 7):
            seed(differ, "l", "a", "b", "c", "d", "e")
            differ.check("LTRIM", "l", str(start), str(end))
            differ.check("LRANGE", "l", "0", "-1")
    checks(differ, ("LTRIM", "nokey", "0", "1"), ("EXISTS", "nokey"), ("LTRIM", "l", "x", "0"),
           ("LTRIM", "l", "0", "x"))
    seed(differ, "l", *[str(i) for i in range(200)])
    checks(differ, ("LTRIM", "l", "5", "-5"), ("LRANGE", "l", "0", "-1"), ("LTRIM", "l", "90", "92"),
           ("LRANGE", "l", "0", "-1"), ("LTRIM", "l", "5", "1"), ("EXISTS", "l"))


def test_lrem(differ):
    items = ["a", "b", "a", "c", "a", "b", "a"]
    for count in ("0", "1", "2", "-1", "-2", "10", "-10", "3"):
        for ele in ("a", "b", "zz"):
            seed(differ, "l", *items)
            differ.check("LREM", "l", count, ele)
            differ.check("LRANGE", "l", "0", "-1")
    seed(differ, "l", "a", "a")
    checks(differ, ("LREM", "l", "0", "a"), ("EXISTS", "l"), ("LREM", "nokey", "0", "a"),
           ("LREM", "l", "x", "a"), ("LREM", "l", "1.5", "a"))


def test_linsert(differ):
    seed(differ, "l", "a", "b", "c", "b")
    checks(differ, ("LINSERT", "l", "BEFORE", "b", "x"), ("LINSERT", "l", "after", "b", "y"),
           ("LINSERT", "l", "BeFoRe", "a", "first"), ("LINSERT", "l", "AFTER", "b", "z"),
           ("LINSERT", "l", "AFTER", "c", "last"), ("LINSERT", "l", "BEFORE", "nothere", "q"),
           ("LRANGE", "l", "0", "-1"), ("LINSERT", "l", "AROUND", "a", "q"),
           ("LINSERT", "nokey", "BEFORE", "a", "b"), ("LINSERT", "nokey", "bad", "a", "b"),
           ("EXISTS", "nokey"))


def test_lpos(differ):
    seed(differ, "l", "a", "b", "c", "1", "2", "3", "c", "c", "b", "a")
    opts = [(), ("RANK", "1"), ("RANK", "2"), ("RANK", "-1"), ("RANK", "-3"), ("RANK", "10"),
            ("COUNT", "0"), ("COUNT", "1"), ("COUNT", "2"), ("COUNT", "10"),
            ("RANK", "2", "COUNT", "0"), ("RANK", "-1", "COUNT", "2"), ("RANK", "-2", "COUNT", "0"),
            ("MAXLEN", "0"), ("MAXLEN", "1"), ("MAXLEN", "3"), ("MAXLEN", "8", "COUNT", "0"),
            ("RANK", "-1", "MAXLEN", "2", "COUNT", "0"), ("rank", "1", "count", "1", "maxlen", "100"),
            ("RANK", "1", "RANK", "2"), ("RANK", "-9223372036854775808"),
            ("RANK", "-9223372036854775808", "COUNT", "1"), ("RANK", "9223372036854775807"),
            ("RANK", "0"), ("RANK", "x"), ("RANK", "-0"), ("COUNT", "-1"), ("COUNT", "x"),
            ("MAXLEN", "-1"), ("MAXLEN", "x"), ("RANK",), ("COUNT",), ("FOO", "1"),
            ("COUNT", "1", "RANK")]
    for ele in ("a", "b", "c", "1", "zz"):
        for o in opts:
            differ.check("LPOS", "l", ele, *o)
    for o in opts:
        differ.check("LPOS", "nokey", "a", *o)


# -- move / mpop ------------------------------------------------------------------------

def test_lmove_rpoplpush(differ):
    seed(differ, "src", "a", "b", "c", "d")
    for wf in ("LEFT", "RIGHT"):
        for wt in ("LEFT", "right"):
            differ.check("LMOVE", "src", "dst", wf, wt)
            differ.check("LRANGE", "dst", "0", "-1")
    checks(differ, ("LMOVE", "src", "dst", "UP", "LEFT"), ("LMOVE", "src", "dst", "LEFT", "DOWN"),
           ("LMOVE", "nokey", "dst", "UP", "LEFT"),
           ("LMOVE", "nokey", "dst", "LEFT", "LEFT"), ("EXISTS", "src"),
           ("RPOPLPUSH", "dst", "dst"), ("LRANGE", "dst", "0", "-1"),
           ("LMOVE", "dst", "dst", "LEFT", "RIGHT"), ("LRANGE", "dst", "0", "-1"),
           ("RPOPLPUSH", "nokey", "dst"), ("RPUSH", "one", "x"), ("RPOPLPUSH", "one", "one"),
           ("LRANGE", "one", "0", "-1"), ("RPOPLPUSH", "one", "two"), ("EXISTS", "one"),
           ("LRANGE", "two", "0", "-1"))


def test_lmpop(differ):
    seed(differ, "a", "1", "2", "3", "4", "5")
    seed(differ, "b", "x", "y")
    checks(differ,
           ("LMPOP", "2", "nokey", "a", "LEFT"), ("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2"),
           ("LMPOP", "1", "a", "left", "count", "100"), ("EXISTS", "a"),
           ("LMPOP", "2", "a", "b", "LEFT", "COUNT", "1"), ("LMPOP", "3", "a", "nokey", "b", "LEFT", "COUNT", "5"),
           ("LMPOP", "2", "a", "b", "LEFT"), ("LMPOP", "0", "a", "LEFT"), ("LMPOP", "-1", "a", "LEFT"),
           ("LMPOP", "x", "a", "LEFT"), ("LMPOP", "1", "a", "MIDDLE"), ("LMPOP", "2", "a", "LEFT"),
           ("LMPOP", "3", "a", "b"), ("LMPOP", "1", "a", "LEFT", "COUNT", "0"),
           ("LMPOP", "1", "a", "LEFT", "COUNT", "-1"), ("LMPOP", "1", "a", "LEFT", "COUNT", "x"),
           ("LMPOP", "1", "a", "LEFT", "COUNT"), ("LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"),
           ("LMPOP", "1", "a", "LEFT", "FOO"), ("LMPOP", "9223372036854775807", "a", "LEFT"),
           ("LMPOP", "9223372036854775808", "a", "LEFT"))


def test_resp3(differ):
    differ.both("HELLO", "3")
    seed(differ, "l", "a", "b", "c")
    checks(differ,
           ("LPOP", "nokey"), ("LPOP", "nokey", "1"), ("LPOP", "nokey", "0"), ("RPOP", "l", "0"),
           ("LINDEX", "l", "10"), ("LINDEX", "nokey", "0"), ("LPOS", "l", "zz"), ("LPOS", "nokey", "a"),
           ("LPOS", "nokey", "a", "COUNT", "0"), ("LPOS", "l", "b", "COUNT", "0"),
           ("LMOVE", "nokey", "d", "LEFT", "LEFT"), ("RPOPLPUSH", "nokey", "d"),
           ("LMPOP", "1", "nokey", "LEFT"), ("LMPOP", "1", "l", "LEFT", "COUNT", "2"),
           ("BLPOP", "nokey", "0.01"), ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.01"),
           ("BLMPOP", "0.01", "1", "nokey", "LEFT"), ("BRPOP", "l", "0"), ("LRANGE", "nokey", "0", "-1"))


# -- blocking: immediate paths, errors, timeouts, MULTI -------------------------------------------

@pytest.mark.parametrize("timeout", [
    "-1", "-0.5", "abc", "", " 1", "1 ", "nan", "inf", "-inf", "1e16", "1e400", "0x", "1e", "+-1",
])
def test_timeout_errors(differ, timeout):
    checks(differ, ("BLPOP", "k", timeout), ("BRPOP", "a", "b", timeout),
           ("BLMOVE", "k", "d", "LEFT", "LEFT", timeout), ("BRPOPLPUSH", "k", "d", timeout),
           ("BLMPOP", timeout, "1", "k", "LEFT"))


def test_blocking_option_errors(differ):
    checks(differ, ("BLMOVE", "k", "d", "UP", "LEFT", "x"), ("BLMOVE", "k", "d", "LEFT", "UP", "x"),
           ("BLMOVE", "k", "d", "LEFT", "LEFT", "x"), ("BLMPOP", "x", "0", "k", "LEFT"),
           ("BLMPOP", "x", "1", "k", "UP"), ("BLMPOP", "0", "2", "k", "LEFT"),
           ("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0"), ("BLMPOP", "x", "1", "k", "LEFT", "COUNT", "1"))


def test_blocking_served_immediately(differ):
    seed(differ, "a", "1", "2", "3", "4", "5")
    seed(differ, "b", "x")
    checks(differ,
           ("BLPOP", "nokey", "a", "b", "0"), ("BRPOP", "nokey", "b", "a", "0"), ("BRPOP", "a", "0"),
           ("EXISTS", "b"), ("BLMOVE", "a", "b", "LEFT", "RIGHT", "0"), ("BRPOPLPUSH", "a", "b", "0"),
           ("EXISTS", "a"), ("LRANGE", "b", "0", "-1"), ("BLMPOP", "0", "2", "nokey", "b", "LEFT", "COUNT", "5"),
           ("EXISTS", "b"))


def test_blocking_timeouts(differ):
    checks(differ, ("BLPOP", "k", "0.01"), ("BRPOP", "k", "k2", "0.02"),
           ("BLMOVE", "k", "d", "LEFT", "LEFT", "0.01"), ("BRPOPLPUSH", "k", "d", "0.01"),
           ("BLMPOP", "0.01", "2", "k", "k2", "LEFT", "COUNT", "2"), ("EXISTS", "d"))


def test_blocking_inside_multi(differ):
    differ.check("MULTI")
    for cmd in (("BLPOP", "k", "0"), ("BRPOP", "k", "k2", "0"), ("BLMOVE", "k", "d", "LEFT", "LEFT", "0"),
                ("BRPOPLPUSH", "k", "d", "0"), ("BLMPOP", "0", "1", "k", "LEFT"), ("RPUSH", "k", "a", "b"),
                ("BLPOP", "k", "0"), ("BLMOVE", "k", "d", "LEFT", "LEFT", "0"), ("BLPOP", "k", "0"),
                ("BLPOP", "k", "0")):
        differ.check(*cmd)
    checks(differ, ("EXEC",), ("LRANGE", "d", "0", "-1"))
    differ.both("HELLO", "3")
    checks(differ, ("MULTI",), ("BLPOP", "k", "0"),
           ("BLMOVE", "k", "d", "LEFT", "LEFT", "0"), ("EXEC",))


# -- blocking with several clients ----------------------------------------------------------------

def test_blpop_served_by_push(server, r):
    w = block(server, r, "BLPOP", "k1", "k2", "0")
    r.rpush("k2", "a", "b")
    assert w.result() == b"*2\r\n$2\r\nk2\r\n$1\r\na\r\n"
    assert r.lrange("k2", 0, -1) == [b"b"]
    assert r.brpop(["k1", "k2"], 5) == (b"k2", b"b")
    assert not r.exists("k2")
    w = block(server, r, "BRPOP", "k1", "0", protocol=3)
    r.lpush("k1", "x", "y")
    assert w.result() == b"*2\r\n$2\r\nk1\r\n$1\r\nx\r\n"


def test_fifo_order_across_clients(server, r):
    w1 = block(server, r, "BLPOP", "q", "0")
    w2 = block(server, r, "BLPOP", "other", "q", "0")
    w3 = block(server, r, "BRPOP", "q", "0")
    r.rpush("q", "first")
    assert w1.result() == b"*2\r\n$1\r\nq\r\n$5\r\nfirst\r\n"
    wait_for(lambda: blocked_count(r) == 2, what="first waiter served")
    r.rpush("q", "second")
    assert w2.result() == b"*2\r\n$1\r\nq\r\n$6\r\nsecond\r\n"
    r.rpush("q", "third")
    assert w3.result() == b"*2\r\n$1\r\nq\r\n$5\r\nthird\r\n"
    assert not r.exists("q")
    # One push of several elements serves several waiters in arrival order.
    w1 = block(server, r, "BLPOP", "q", "0")
    w2 = block(server, r, "BRPOP", "q", "0")
    w3 = block(server, r, "BLPOP", "q", "0")
    r.rpush("q", "a", "b")
    assert w1.result() == b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"
    assert w2.result() == b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n"
    assert blocked_count(r) == 1
    r.lpush("q", "c")
    assert w3.result() == b"*2\r\n$1\r\nq\r\n$1\r\nc\r\n"


def test_blmove_served_and_chained(server, r):
    w1 = block(server, r, "BLMOVE", "src", "mid", "RIGHT", "LEFT", "0")
    w2 = block(server, r, "BRPOPLPUSH", "mid", "dst", "0")
    r.rpush("src", "a", "b")
    # w1 moves b into mid, which creates mid and wakes w2 in turn.
    assert w1.result() == b"$1\r\nb\r\n"
    assert w2.result() == b"$1\r\nb\r\n"
    assert r.lrange("src", 0, -1) == [b"a"]
    assert not r.exists("mid")
    assert r.lrange("dst", 0, -1) == [b"b"]


def test_blmove_to_wrong_type_destination(server, r):
    r.set("dst", "string")
    w = block(server, r, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
    r.rpush("src", "x", "y")
    assert w.result() == b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    assert r.lrange("src", 0, -1) == [b"x", b"y"]
    assert r.get("dst") == b"string"


def test_blmpop_served(server, r):
    w = block(server, r, "BLMPOP", "0", "2", "m1", "m2", "RIGHT", "COUNT", "2")
    r.rpush("m2", "1", "2", "3")
    assert w.result() == b"*2\r\n$2\r\nm2\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    w = block(server, r, "BLMPOP", "0", "1", "m3", "LEFT", "COUNT", "5", protocol=3)
    r.rpush("m3", "a", "b")
    assert w.result() == b"*2\r\n$2\r\nm3\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    assert not r.exists("m3")


def test_blocked_timeout_and_wrong_type_push(server, r):
    w = block(server, r, "BLPOP", "t", "0.1")
    r.set("t", "not a list")  # a string key does not serve list waiters
    assert w.result() == b"*-1\r\n"
    w = block(server, r, "BLMOVE", "t2", "d", "LEFT", "LEFT", "0.05", protocol=3)
    assert w.result() == b"_\r\n"
    w = block(server, r, "BRPOPLPUSH", "t2", "d", "0.05")
    assert w.result() == b"*-1\r\n"


def test_push_inside_multi_serves_after_exec(server, r):
    w = block(server, r, "BLPOP", "mk", "0")
    p = r.pipeline(transaction=True)
    p.rpush("mk", "a")
    p.rpush("mk", "b")
    p.lpop("mk")
    assert p.execute() == [1, 2, b"a"]
    assert w.result() == b"*2\r\n$2\r\nmk\r\n$1\r\nb\r\n"
    assert not r.exists("mk")
    # Created and emptied inside one transaction: the waiter keeps waiting.
    w = block(server, r, "BLPOP", "mk", "0")
    p = r.pipeline(transaction=True)
    p.rpush("mk", "a")
    p.delete("mk")
    p.execute()
    assert blocked_count(r) == 1
    r.rpush("mk", "z")
    assert w.result() == b"*2\r\n$2\r\nmk\r\n$1\r\nz\r\n"


def test_disconnected_waiter_is_forgotten(server, r):
    w = block(server, r, "BLPOP", "gone", "0")
    w.conn.sock.shutdown(socket.SHUT_RDWR)
    w.thread.join(10)
    wait_for(lambda: blocked_count(r) == 0, what="waiter dropped")
    w2 = block(server, r, "BLPOP", "gone", "0")
    r.rpush("gone", "v")
    assert w2.result() == b"*2\r\n$4\r\ngone\r\n$1\r\nv\r\n"


def test_redis_py_blocking_api(server, r):
    c2 = server.client()
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("v", c2.blpop(["rp"], timeout=5)))
    t.start()
    wait_for(lambda: blocked_count(r) == 1, what="client blocked")
    r.lpush("rp", "hello")
    t.join(10)
    assert out["v"] == (b"rp", b"hello")
    assert c2.blpop(["none"], timeout=0.05) is None
    c2.close()


# -- propagation (in process: the argv each change sends to replicas/AOF) -----------------------------

def test_propagation(inproc):
    client, run, props = inproc
    a, b = client(), client()
    run(a, "RPUSH", "l", "1", "2", "3", "4")
    run(a, "BLPOP", "nokey", "l", "0")
    run(a, "BRPOP", "l", "0")
    run(a, "BLMOVE", "l", "d", "left", "Right", "0")
    run(a, "BRPOPLPUSH", "d", "d", "0")
    run(a, "LMPOP", "1", "l", "LEFT", "COUNT", "10")
    run(a, "BLMPOP", "0", "1", "d", "RIGHT", "COUNT", "10")
    run(a, "LPOP", "nokey")
    run(a, "BLPOP", "nokey", "0.5")
    assert props == [[b"RPUSH", b"l", b"1", b"2", b"3", b"4"], [b"LPOP", b"l"], [b"RPOP", b"l"],
                     [b"LMOVE", b"l", b"d", b"left", b"Right"], [b"RPOPLPUSH", b"d", b"d"],
                     [b"LPOP", b"l", b"1"], [b"RPOP", b"d", b"1"]]
    del props[:]
    # Served after blocking: the non-blocking form, with Redis's spelling.
    assert run(a, "BLPOP", "x", "y", "0") == b""
    assert run(b, "RPUSH", "y", "v1", "v2") == b":2\r\n"
    assert a.out[-1] == b"*2\r\n$1\r\ny\r\n$2\r\nv1\r\n"
    run(a, "BLMOVE", "e", "f", "left", "left", "0")
    run(b, "RPUSH", "e", "m")
    run(a, "BRPOPLPUSH", "g", "h", "0")
    run(b, "LPUSH", "g", "n")
    run(a, "BLMPOP", "0", "2", "i", "j", "RIGHT", "COUNT", "5")
    run(b, "RPUSH", "j", "1", "2")
    assert props == [[b"RPUSH", b"y", b"v1", b"v2"], [b"LPOP", b"y"],
                     [b"RPUSH", b"e", b"m"], [b"LMOVE", b"e", b"f", b"LEFT", b"LEFT"],
                     [b"LPUSH", b"g", b"n"], [b"RPOPLPUSH", b"g", b"h"],
                     [b"RPUSH", b"j", b"1", b"2"], [b"RPOP", b"j", b"2"]]
    del props[:]
    # No change, no propagation.
    run(a, "LTRIM", "y", "0", "-1")
    run(a, "LREM", "y", "0", "nothere")
    run(a, "LINSERT", "y", "BEFORE", "nothere", "x")
    run(a, "LPUSHX", "nokey", "x")
    assert props == []


def test_keyspace_stats_and_watch(r):
    r.rpush("w", "a")
    p = r.pipeline(transaction=True)
    p.watch("w")
    r.lset("w", 0, "b")
    p.multi()
    p.get("x")
    with pytest.raises(redis.WatchError):
        p.execute()
    before = r.info("stats")
    r.lrange("w", 0, -1)
    r.llen("missing")
    after = r.info("stats")
    assert after["keyspace_hits"] == before["keyspace_hits"] + 1
    assert after["keyspace_misses"] == before["keyspace_misses"] + 1
