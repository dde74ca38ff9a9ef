"""Hash commands against real Redis 7.0, byte for byte."""

import pytest
import redis

from helpers import RawConn, checks


def test_set_get(differ):
    checks(differ,
           ("HSET", "h", "a", "1"), ("HSET", "h", "b", "2", "c", "3", "a", "x"), ("HGET", "h", "a"),
           ("HGET", "h", "zz"), ("HGET", "nokey", "a"), ("HMSET", "h", "d", "4", "e", "5"), ("HLEN", "h"),
           ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"), ("TYPE", "h"),
           ("HSETNX", "h", "a", "new"), ("HSETNX", "h", "f", "6"), ("HSETNX", "new", "f", "v"),
           ("HGETALL", "new"), ("HMGET", "h", "a", "zz", "f", "a"), ("HMGET", "nokey", "a", "b"),
           ("HEXISTS", "h", "a"), ("HEXISTS", "h", "zz"), ("HEXISTS", "nokey", "a"),
           ("HSTRLEN", "h", "a"), ("HSTRLEN", "h", "zz"), ("HSTRLEN", "nokey", "a"),
           ("HSET", "h", "", ""), ("HGET", "h", ""), ("HSTRLEN", "h", ""),
           ("HSET", "bin", b"\x00\r\n", b"\xff\x00"), ("HGETALL", "bin"),
           ("HSET", "ints", "1", "-5", "2", "9223372036854775808", "3", "007"), ("HGETALL", "ints"),
           ("HLEN", "nokey"), ("HKEYS", "nokey"), ("HVALS", "nokey"), ("HGETALL", "nokey"))


def test_hdel(differ):
    checks(differ,
           ("HSET", "h", "a", "1", "b", "2", "c", "3"), ("HDEL", "h", "a", "zz", "a"), ("HGETALL", "h"),
           ("HDEL", "h", "zz"), ("HDEL", "nokey", "a"), ("HDEL", "h", "b", "c", "d"), ("EXISTS", "h"),
           ("HSET", "h", "a", "1"), ("HDEL", "h", "a", "a"), ("EXISTS", "h"))


def test_order_is_listpack_order(differ):
    checks(differ, ("HSET", "h", "z", "1", "a", "2", "m", "3"), ("HSET", "h", "a", "updated"),
           ("HDEL", "h", "z"), ("HSET", "h", "z", "back"), ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"),
           ("HSCAN", "h", "0"))


def test_arity_and_wrongtype(differ):
    checks(differ, ("HSET", "h"), ("HSET", "h", "a"), ("HSET", "h", "a", "1", "b"), ("HMSET", "h", "a"),
           ("HMSET", "h", "a", "1", "b"), ("HSETNX", "h", "a"), ("HGET", "h"), ("HMGET", "h"),
           ("HDEL", "h"), ("HLEN",), ("HINCRBY", "h", "a"), ("HINCRBYFLOAT", "h", "a"),
           ("HRANDFIELD",), ("HSCAN", "h"), ("EXISTS", "h"))
    differ.check("SET", "s", "v")
    differ.check("RPUSH", "l", "v")
    for key in ("s", "l"):
        checks(differ,
               ("HSET", key, "a", "1"), ("HMSET", key, "a", "1"), ("HSETNX", key, "a", "1"),
               ("HGET", key, "a"), ("HMGET", key, "a"), ("HDEL", key, "a"), ("HLEN", key),
               ("HSTRLEN", key, "a"), ("HEXISTS", key, "a"), ("HKEYS", key), ("HVALS", key),
               ("HGETALL", key), ("HINCRBY", key, "a", "1"), ("HINCRBY", key, "a", "x"),
               ("HINCRBYFLOAT", key, "a", "1"), ("HINCRBYFLOAT", key, "a", "x"),
               ("HINCRBYFLOAT", key, "a", "inf"), ("HRANDFIELD", key), ("HRANDFIELD", key, "1"),
               ("HRANDFIELD", key, "x"), ("HSCAN", key, "0"), ("HSCAN", key, "x"), ("HSET", key, "a"))


def test_hincrby(differ):
    checks(differ,
           ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-10"), ("HGET", "h", "n"),
           ("HINCRBY", "h", "n", "x"), ("HINCRBY", "h", "n", "1.5"), ("HINCRBY", "h", "n", ""),
           ("HINCRBY", "h", "n", "9223372036854775808"), ("HSET", "h", "s", "abc", "f", "1.5", "sp", " 1"),
           ("HINCRBY", "h", "s", "1"), ("HINCRBY", "h", "f", "1"), ("HINCRBY", "h", "sp", "1"),
           ("HSET", "h", "max", "9223372036854775807", "min", "-9223372036854775808", "z", "007"),
           ("HINCRBY", "h", "max", "1"), ("HINCRBY", "h", "max", "0"), ("HINCRBY", "h", "min", "-1"),
           ("HINCRBY", "h", "min", "9223372036854775807"), ("HINCRBY", "h", "z", "1"),
           ("HINCRBY", "nokey", "a", "x"), ("EXISTS", "nokey"), ("HGETALL", "h"))


@pytest.mark.parametrize("cur,incr", [
    (None, "1.5"), ("10.5", "0.1"), ("0.1", "0.2"), ("1", "1"), ("5", "-5"), ("-1", "0.5"),
    ("3", "1e300"), (None, "1e4000"), (None, "1e-4000"), (None, "1e-5000"), (None, "3.814697265625e-06"),
    (None, "-1e-20"), (None, "0x10"), (None, "0x1.8p1"), ("1.1", "2.2"), ("1e10", "1e-10"),
    ("12345678901234567", "1"), ("99999999999999999", "1"), ("-99999999999999999", "-1"),
    (None, "5.0e3"), (None, "-0"), (None, "-0.0"), (None, ".5"), (None, "5."), (None, "+3"),
    (None, "1e"), (None, "."), (None, ""), (None, " 1"), (None, "1 "), (None, "abc"), (None, "nan"),
    (None, "inf"), (None, "-Infinity"), ("inf", "1"), ("-inf", "1"), ("nan", "1"), ("abc", "1"),
    (" 1", "1"), ("1.5", "x"), ("1e4932", "1e4932"), ("-1e4932", "-1e4932"), ("1.18e4932", "1e4931"),
    ("007", "1"), ("1", "007"), ("0x", "1"), (None, "123456789012345678901234567890"),
    ("0.30000000000000004", "0.1"), ("100", "-99.99"),
])
def test_hincrbyfloat(differ, cur, incr):
    if cur is not None:
        differ.check("HSET", "h", "f", cur)
    differ.check("HINCRBYFLOAT", "h", "f", incr)
    differ.check("HGETALL", "h")


def test_encoding_conversion(differ):
    checks(differ, ("CONFIG", "SET", "hash-max-listpack-entries", "4"),
           ("CONFIG", "SET", "hash-max-listpack-value", "8"))
    try:
        long = "x" * 9
        checks(differ,
               ("HSET", "a", "1", "1", "2", "2", "3", "3", "4", "4"), ("OBJECT", "ENCODING", "a"),
               ("HSET", "a", "5", "5"), ("OBJECT", "ENCODING", "a"), ("HDEL", "a", "1", "2", "3"),
               ("OBJECT", "ENCODING", "a"),
               ("HSET", "b", "f", long), ("OBJECT", "ENCODING", "b"),
               ("HSET", "c", long, "v"), ("OBJECT", "ENCODING", "c"),
               ("HSET", "d", "f", "v"), ("HSETNX", "d", "f", long), ("OBJECT", "ENCODING", "d"),
               ("HSETNX", "d", "g", long), ("OBJECT", "ENCODING", "d"),
               ("HINCRBY", "e", long, "1"), ("OBJECT", "ENCODING", "e"),
               ("HINCRBYFLOAT", "f", "f", "1.123456789"), ("OBJECT", "ENCODING", "f"),
               ("HINCRBYFLOAT", "g", "f", "1.5"), ("OBJECT", "ENCODING", "g"),
               ("HSET", "h", "a", "1", "a", "2", "a", "3", "a", "4", "a", "5"), ("OBJECT", "ENCODING", "h"),
               ("HSET", "i", "a", "1", "b", long), ("OBJECT", "ENCODING", "i"), ("HLEN", "i"),
               ("HMSET", "j", "1", "1", "2", "2", "3", "3", "4", "4", "5", "5"), ("OBJECT", "ENCODING", "j"))
    finally:
        checks(differ, ("CONFIG", "SET", "hash-max-listpack-entries", "512"),
               ("CONFIG", "SET", "hash-max-listpack-value", "64"))


def test_big_hash_contents(differ, r, rr):
    fields = {("f%d" % i): ("v%d" % i) for i in range(600)}
    r.hset("big", mapping=fields)
    rr.hset("big", mapping=fields)
    checks(differ, ("OBJECT", "ENCODING", "big"), ("HLEN", "big"), ("HGET", "big", "f599"),
           ("HSTRLEN", "big", "f10"), ("HMGET", "big", "f1", "nope", "f2"))
    assert sorted(r.hkeys("big")) == sorted(rr.hkeys("big"))
    assert r.hgetall("big") == rr.hgetall("big")
    assert dict(r.hscan_iter("big", match="f1?", count=5)) == {("f1%d" % i).encode(): ("v1%d" % i).encode()
                                                               for i in range(10)}
    assert r.hdel("big", *fields) == 600
    assert not r.exists("big")


def test_hrandfield_deterministic(differ):
    differ.check("HSET", "h", "a", "1", "b", "2", "c", "3")
    differ.check("HSET", "one", "x", "y")
    checks(differ,
           ("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", "5"), ("HRANDFIELD", "nokey", "-5", "WITHVALUES"),
           ("HRANDFIELD", "nokey", "0"), ("HRANDFIELD", "h", "0"), ("HRANDFIELD", "h", "0", "WITHVALUES"),
           ("HRANDFIELD", "h", "3"), ("HRANDFIELD", "h", "100"), ("HRANDFIELD", "h", "3", "withvalues"),
           ("HRANDFIELD", "h", "4", "WITHVALUES"), ("HRANDFIELD", "one"), ("HRANDFIELD", "one", "1"),
           ("HRANDFIELD", "one", "-3"), ("HRANDFIELD", "one", "-3", "WITHVALUES"),
           ("HRANDFIELD", "one", "1", "WITHVALUES"),
           ("HRANDFIELD", "h", "x"), ("HRANDFIELD", "h", "1.5"), ("HRANDFIELD", "h", "1", "WITHVALUE"),
           ("HRANDFIELD", "h", "1", "WITHVALUES", "x"), ("HRANDFIELD", "h", "-9223372036854775808"),
           ("HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"),
           ("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"),
           ("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"),
           ("HRANDFIELD", "nokey", "x"), ("HRANDFIELD", "nokey", "1", "x"))


def test_hrandfield_random(r):
    fields = {"f%d" % i: "v%d" % i for i in range(10)}
    r.hset("h", mapping=fields)
    for _ in range(20):
        assert r.hrandfield("h").decode() in fields
        picks = r.hrandfield("h", 4)
        assert len(picks) == len(set(picks)) == 4
        picks = [p.decode() for p in picks]
        assert picks == sorted(picks, key=list(fields).index)  # listpack order
        rep = r.hrandfield("h", -30)
        assert len(rep) == 30 and {p.decode() for p in rep} <= set(fields)
        pairs = r.hrandfield("h", -5, withvalues=True)
        assert len(pairs) == 10
        for f, v in zip(pairs[::2], pairs[1::2]):
            assert fields[f.decode()] == v.decode()
    big = {"g%d" % i: str(i) for i in range(1000)}
    r.hset("big", mapping=big)
    picks = r.hrandfield("big", 100)
    assert len(set(picks)) == 100 and {p.decode() for p in picks} <= set(big)


def test_resp3(differ):
    differ.both("HELLO", "3")
    checks(differ,
           ("HSET", "h", "a", "1", "b", "2"), ("HGETALL", "h"), ("HGETALL", "nokey"), ("HKEYS", "nokey"),
           ("HVALS", "nokey"), ("HGET", "h", "zz"), ("HGET", "nokey", "a"), ("HMGET", "h", "a", "zz"),
           ("HMGET", "nokey", "a"), ("HEXISTS", "h", "a"), ("HRANDFIELD", "nokey"),
           ("HRANDFIELD", "nokey", "1"), ("HRANDFIELD", "h", "2", "WITHVALUES"),
           ("HRANDFIELD", "h", "5", "WITHVALUES"), ("HSET", "one", "x", "y"),
           ("HRANDFIELD", "one", "-2", "WITHVALUES"), ("HRANDFIELD", "one", "-2"),
           ("HRANDFIELD", "one", "1", "WITHVALUES"), ("HSCAN", "h", "0"), ("HSCAN", "nokey", "0"),
           ("HINCRBYFLOAT", "h", "a", "1.5"), ("HSTRLEN", "h", "a"))


def test_hscan(differ):
    differ.check("HSET", "h", "foo", "1", "bar", "2", "baz", "3", "f*o", "4", "", "5", "[x]", "6")
    for cursor in ("0", "-1", "+0", "", "18446744073709551615", "18446744073709551616", "x", " 0", "0 ",
                   "-", "+", "1.0", "0x10", "-18446744073709551615", "-18446744073709551616", "007"):
        differ.check("HSCAN", "h", cursor)
        differ.check("HSCAN", "nokey", cursor)
    for opts in [("MATCH", "*"), ("MATCH", "ba*"), ("MATCH", "f\\*o"), ("MATCH", "*o"), ("MATCH", "?a?"),
                 ("MATCH", "[a-c]*"), ("MATCH", "\\[x]"), ("MATCH", ""), ("MATCH", "**"), ("COUNT", "1"),
                 ("COUNT", "1000", "MATCH", "b*"), ("match", "b*", "match", "f*"), ("COUNT", "0"),
                 ("COUNT", "-1"), ("COUNT", "x"), ("COUNT",), ("MATCH",), ("NOVALUES",), ("TYPE", "string"),
                 ("FOO", "bar")]:
        differ.check("HSCAN", "h", "0", *opts)
        differ.check("HSCAN", "nokey", "0", *opts)


def test_watch_and_stats(server, r):
    c1 = RawConn(server.port)
    try:
        r.hset("w", "a", "1")
        assert c1.call("WATCH", "w") == b"+OK\r\n"
        r.hincrby("w", "a", 1)
        c1.call("MULTI")
        c1.call("PING")
        assert c1.call("EXEC") == b"*-1\r\n"
        r.hset("w", "s", "str")
        c1.call("WATCH", "w")
        # no change: nothing deleted, an existing field, a failed increment
        r.hdel("w", "zz")
        r.hsetnx("w", "a", "x")
        with pytest.raises(redis.ResponseError):
            r.hincrby("w", "s", 1)
        with pytest.raises(redis.ResponseError):
            r.hincrbyfloat("w", "s", 1)
        c1.call("MULTI")
        c1.call("PING")
        assert c1.call("EXEC") == b"*1\r\n+PONG\r\n"
    finally:
        c1.close()
    before = r.info("stats")
    r.hget("w", "a")
    r.hgetall("missing")
    after = r.info("stats")
    assert after["keyspace_hits"] == before["keyspace_hits"] + 1
    assert after["keyspace_misses"] == before["keyspace_misses"] + 1


def test_propagation(inproc):
    client, run, props = inproc
    c = client()
    for cmd in (["HSET", "h", "a", "1"], ["HINCRBYFLOAT", "h", "a", "0.1"], ["HINCRBYFLOAT", "h", "b", "3"],
                ["HINCRBYFLOAT", "h", "c", "1e300"], ["HINCRBY", "h", "n", "2"], ["HDEL", "h", "zz"],
                ["HSETNX", "h", "a", "x"], ["HINCRBYFLOAT", "h", "a", "x"]):
        run(c, *cmd)
    assert props[:3] == [[b"HSET", b"h", b"a", b"1"], [b"HSET", b"h", b"a", b"1.1"], [b"HSET", b"h", b"b", b"3"]]
    assert props[3][:3] == [b"HSET", b"h", b"c"] and props[3][3].startswith(b"10000000000000000000089")
    assert props[4:] == [[b"HINCRBY", b"h", b"n", b"2"]]
