"""Sorted set commands, byte for byte against a real Redis 7.0 (``differ``) in
RESP2 and RESP3, the blocking pops with several clients, and what each pop
propagates."""

import threading

import pytest

from helpers import RawConn, block, blocked_count, checks, wait_for


def seed(d):
    checks(d,
           ("ZADD", "z", "1", "a", "2", "b", "3", "c", "0.1", "d", "-inf", "ninf", "+inf", "pinf", "2", "bb"),
           ("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "foo", "0", "zap", "0", "zip",
            "0", "ALPHA", "0", "alpha", "0", ""),
           ("SADD", "set", "a", "b", "x"),
           ("SET", "str", "x"))


@pytest.fixture(params=[False, True], ids=["resp2", "resp3"])
def resp3(request, differ):
    """Run the test in RESP2 and in RESP3 (``differ`` already switched)."""
    if request.param:
        differ.both("HELLO", "3")
    return request.param


def test_zadd_options_and_errors(differ, resp3):
    d = differ
    seed(d)
    checks(d,
           ("ZADD", "k", "1", "m"), ("ZADD", "k", "1", "m"), ("ZADD", "k", "2", "m"), ("ZSCORE", "k", "m"),
           ("ZADD", "k", "CH", "3", "m", "1", "n"), ("ZADD", "k", "ch", "3", "m"),
           ("ZADD", "k", "NX", "5", "m", "6", "o"), ("ZSCORE", "k", "m"), ("ZSCORE", "k", "o"),
           ("ZADD", "k", "XX", "5", "m", "6", "p"), ("ZSCORE", "k", "m"), ("ZSCORE", "k", "p"),
           ("ZADD", "k", "XX", "CH", "7", "m"), ("ZADD", "k", "GT", "CH", "1", "m"), ("ZADD", "k", "GT", "CH", "8", "m"),
           ("ZADD", "k", "LT", "CH", "9", "m"), ("ZADD", "k", "LT", "CH", "0", "m", "10", "q"),
           ("ZADD", "k", "GT", "XX", "CH", "100", "m", "1", "new"), ("ZSCORE", "k", "new"),
           ("ZADD", "k", "INCR", "5", "m"), ("ZADD", "k", "INCR", "NX", "5", "m"), ("ZADD", "k", "INCR", "XX", "5", "zz"),
           ("ZADD", "k", "INCR", "GT", "-1", "m"), ("ZADD", "k", "INCR", "LT", "-1", "m"), ("ZADD", "k", "INCR", "0", "m"),
           ("ZADD", "k", "INCR", "NX", "5", "fresh"), ("ZADD", "nokey", "XX", "1", "a"), ("EXISTS", "nokey"),
           ("ZADD", "nokey", "XX", "INCR", "1", "a"),
           ("ZADD", "k", "XX", "NX", "1", "a"), ("ZADD", "k", "GT", "LT", "1", "a"), ("ZADD", "k", "GT", "NX", "1", "a"),
           ("ZADD", "k", "LT", "NX", "1", "a"), ("ZADD", "k", "INCR", "1", "a", "2", "b"), ("ZADD", "k", "1"),
           ("ZADD", "k", "1", "a", "2"), ("ZADD", "k", "NX"), ("ZADD", "k", "x", "a"), ("ZADD", "k", "1", "a", "y", "b"),
           ("ZADD", "k", "nan", "a"), ("ZADD", "k", " 1", "a"), ("ZADD", "k", "1 ", "a"), ("ZADD", "k", "", "a"),
           ("ZADD", "k", "1e400", "a"), ("ZADD", "k", "-1e400", "a"), ("ZADD", "k", "1e-400", "a"),
           ("ZADD", "k", "0x10", "hex"), ("ZSCORE", "k", "hex"), ("ZADD", "k", "1_0", "a"),
           ("ZADD", "k", "inf", "i1", "-inf", "i2", "+inf", "i3", "Infinity", "i4", "-0", "negz", "0.1", "tenth"),
           ("ZSCORE", "k", "i4"), ("ZSCORE", "k", "i2"), ("ZSCORE", "k", "negz"), ("ZSCORE", "k", "tenth"),
           ("ZADD", "k", "INCR", "-inf", "i1"), ("ZSCORE", "k", "i1"), ("ZINCRBY", "k", "-inf", "i1"),
           ("ZADD", "k", "1.5e300", "huge"), ("ZINCRBY", "k", "1.5e300", "huge"), ("ZSCORE", "k", "huge"),
           ("ZADD", "str", "1", "a"), ("ZADD", "str", "x", "a"), ("ZADD", "str", "XX", "NX", "1", "a"),
           ("ZINCRBY", "k", "1", "m"), ("ZINCRBY", "k", "x", "m"), ("ZINCRBY", "k", "2.5", "newm"),
           ("ZINCRBY", "str", "1", "m"), ("ZINCRBY", "k", "nx", "m"), ("ZINCRBY", "nokey2", "1e3", "m"),
           ("ZSCORE", "nokey2", "m"), ("ZRANGE", "k", "0", "-1", "WITHSCORES"),
           ("ZREM", "k", "m", "nothere", "n"), ("ZREM", "nokey", "a"), ("ZREM", "str", "a"),
           ("ZREM", "nokey2", "m"), ("EXISTS", "nokey2"),
           ("ZCARD", "k"), ("ZCARD", "nokey"), ("ZCARD", "str"), ("ZSCORE", "str", "a"), ("ZSCORE", "nokey", "a"),
           ("ZMSCORE", "z", "a", "nothere", "pinf", "d"), ("ZMSCORE", "nokey", "a", "b"), ("ZMSCORE", "str", "a"),
           ("ZRANK", "z", "a"), ("ZRANK", "z", "ninf"), ("ZRANK", "z", "nothere"), ("ZRANK", "nokey", "a"),
           ("ZRANK", "str", "a"), ("ZREVRANK", "z", "a"), ("ZREVRANK", "z", "pinf"), ("ZREVRANK", "z", "x"),
           ("ZRANK", "z", "b"), ("ZRANK", "z", "bb"))


def test_ranges(differ, resp3):
    d = differ
    seed(d)
    cmds = []
    for start, end in [("0", "-1"), ("1", "3"), ("-3", "-1"), ("5", "2"), ("-100", "100"), ("7", "7"), ("8", "10"),
                       ("-1", "-1"), ("0", "0")]:
        cmds += [("ZRANGE", "z", start, end), ("ZRANGE", "z", start, end, "WITHSCORES"),
                 ("ZREVRANGE", "z", start, end, "withscores"), ("ZRANGE", "z", start, end, "REV")]
    for mn, mx in [("-inf", "+inf"), ("1", "2"), ("(1", "2"), ("1", "(2"), ("(1", "(2"), ("(-inf", "(inf"),
                   ("2", "1"), ("2", "2"), ("(2", "2"), ("0.1", "0.1"), ("0.10000000000000001", "3"), ("-1e400", "1e400"),
                   ("", "5"), ("(", "(5"), (" 1", "3"), ("inf", "inf"), ("(inf", "inf"), ("-inf", "-inf"),
                   ("-inf", "(-inf"), ("0x1", "0x2")]:
        cmds += [("ZRANGEBYSCORE", "z", mn, mx), ("ZRANGEBYSCORE", "z", mn, mx, "WITHSCORES"),
                 ("ZREVRANGEBYSCORE", "z", mx, mn, "WITHSCORES"), ("ZCOUNT", "z", mn, mx),
                 ("ZRANGE", "z", mn, mx, "BYSCORE", "LIMIT", "1", "2"),
                 ("ZRANGE", "z", mx, mn, "BYSCORE", "REV", "LIMIT", "1", "-1", "WITHSCORES")]
    for mn, mx in [("1 ", "2"), ("x", "2"), ("1", "(x"), ("nan", "1"), ("1", "((2"), ("  ", "1")]:
        cmds += [("ZRANGEBYSCORE", "z", mn, mx), ("ZCOUNT", "z", mn, mx), ("ZREMRANGEBYSCORE", "z", mn, mx)]
    for off, cnt in [("0", "1"), ("2", "3"), ("-1", "2"), ("0", "-1"), ("0", "0"), ("100", "1"), ("3", "-5"),
                     ("x", "1"), ("0", "1.5")]:
        cmds += [("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", off, cnt),
                 ("ZREVRANGEBYSCORE", "z", "inf", "-inf", "WITHSCORES", "LIMIT", off, cnt),
                 ("ZRANGEBYLEX", "lex", "-", "+", "LIMIT", off, cnt),
                 ("ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", off, cnt)]
    for mn, mx in [("-", "+"), ("+", "-"), ("-", "-"), ("+", "+"), ("[a", "[c"), ("(a", "(c"), ("[a", "(c"),
                   ("(b", "+"), ("-", "(foo"), ("[foo", "[foo"), ("(foo", "[foo"), ("[", "[a"), ("(", "+"),
                   ("[z", "[a"), ("[ALPHA", "[alpha"), ("[zip", "+"), ("[zz", "+"), ("-", "[A")]:
        cmds += [("ZRANGEBYLEX", "lex", mn, mx), ("ZREVRANGEBYLEX", "lex", mx, mn), ("ZLEXCOUNT", "lex", mn, mx),
                 ("ZRANGE", "lex", mn, mx, "BYLEX"), ("ZRANGE", "lex", mx, mn, "BYLEX", "REV", "LIMIT", "1", "3")]
    for mn, mx in [("a", "+"), ("[a", "b"), ("-a", "+"), ("+a", "-"), ("", "+")]:
        cmds += [("ZRANGEBYLEX", "lex", mn, mx), ("ZLEXCOUNT", "lex", mn, mx), ("ZREMRANGEBYLEX", "lex", mn, mx)]
    cmds += [
        ("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"), ("ZRANGE", "z", "0", "-1", "LIMIT", "5", "-1"),
        ("ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES"), ("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"),
        ("ZRANGE", "z", "0", "1", "REV", "REV"), ("ZRANGE", "z", "0", "1", "FOO"), ("ZRANGE", "z", "0", "1", "LIMIT", "1"),
        ("ZRANGE", "z", "x", "1"), ("ZRANGE", "z", "0", "1.0"), ("ZREVRANGE", "z", "0", "1", "REV"),
        ("ZRANGEBYSCORE", "z", "0", "1", "BYLEX"), ("ZRANGEBYSCORE", "z", "0", "1", "REV"),
        ("ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"), ("ZRANGE", "z", "(1", "2", "BYSCORE", "BYSCORE"),
        ("ZRANGE", "nokey", "0", "-1"), ("ZRANGE", "nokey", "x", "-1"), ("ZRANGE", "str", "0", "-1"),
        ("ZRANGEBYSCORE", "nokey", "0", "1"), ("ZRANGEBYLEX", "str", "-", "+"), ("ZCOUNT", "nokey", "0", "1"),
        ("ZCOUNT", "str", "0", "1"), ("ZLEXCOUNT", "str", "-", "+"), ("ZLEXCOUNT", "nokey", "-", "+"),
        ("ZRANGE", "z", "1", "0", "BYSCORE", "REV", "WITHSCORES"),
        ("ZRANGE", "z", "0", "-1", "withscores", "rev"),
    ]
    checks(d, *cmds)


def test_lex_with_mixed_scores(differ):
    """Redis leaves it unspecified; a listpack-sized zset answers like Redis."""
    d = differ
    d.check("ZADD", "m", "1", "b", "2", "a", "3", "d", "4", "c", "5", "e")
    for mn, mx in [("-", "+"), ("[b", "[d"), ("(a", "[c"), ("[c", "+"), ("-", "(c"), ("[a", "[a")]:
        checks(d, ("ZRANGEBYLEX", "m", mn, mx), ("ZREVRANGEBYLEX", "m", mx, mn), ("ZLEXCOUNT", "m", mn, mx))


def test_store_and_remrange(differ):
    d = differ
    seed(d)
    checks(d,
           ("ZRANGESTORE", "dst", "z", "0", "2"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
           ("OBJECT", "ENCODING", "dst"),
           ("ZRANGESTORE", "dst", "z", "(1", "inf", "BYSCORE", "REV", "LIMIT", "0", "2"),
           ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
           ("ZRANGESTORE", "dst", "lex", "[b", "(zip", "BYLEX"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
           ("ZRANGESTORE", "dst", "z", "5", "1"), ("EXISTS", "dst"), ("ZRANGESTORE", "dst", "nokey", "0", "-1"),
           ("ZRANGESTORE", "dst", "z", "0", "1", "WITHSCORES"), ("ZRANGESTORE", "dst", "str", "0", "-1"),
           ("ZRANGESTORE", "str", "z", "0", "0"), ("TYPE", "str"), ("SET", "str", "x"),
           ("ZRANGESTORE", "dst", "z", "0", "-1", "LIMIT", "0", "1"),
           ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZRANGE", "z", "0", "-1"), ("ZREMRANGEBYRANK", "z", "-2", "-1"),
           ("ZREMRANGEBYRANK", "z", "5", "1"), ("ZREMRANGEBYRANK", "z", "x", "1"), ("ZREMRANGEBYRANK", "nokey", "0", "1"),
           ("ZREMRANGEBYRANK", "str", "0", "1"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
           ("ZREMRANGEBYSCORE", "z", "(0.1", "2"), ("ZRANGE", "z", "0", "-1"), ("ZREMRANGEBYSCORE", "z", "5", "1"),
           ("ZREMRANGEBYSCORE", "str", "0", "1"), ("ZREMRANGEBYSCORE", "z", "-inf", "inf"), ("EXISTS", "z"),
           ("ZREMRANGEBYLEX", "lex", "[b", "(e"), ("ZRANGE", "lex", "0", "-1"), ("ZREMRANGEBYLEX", "lex", "+", "-"),
           ("ZREMRANGEBYLEX", "str", "-", "+"), ("ZREMRANGEBYLEX", "lex", "-", "+"), ("EXISTS", "lex"),
           ("ZREMRANGEBYLEX", "nokey", "-", "+"))


def test_pops(differ, resp3):
    d = differ
    seed(d)
    checks(d,
           ("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZPOPMIN", "z", "2"), ("ZPOPMAX", "z", "1"), ("ZPOPMIN", "z", "0"),
           ("ZPOPMIN", "nokey"), ("ZPOPMIN", "nokey", "2"), ("ZPOPMIN", "str"), ("ZPOPMIN", "str", "0"),
           ("ZPOPMIN", "z", "-1"), ("ZPOPMIN", "z", "x"), ("ZPOPMIN", "z", "1", "2"),
           ("ZPOPMAX", "z", "100"), ("EXISTS", "z"),
           ("ZMPOP", "1", "lex", "MIN"), ("ZMPOP", "2", "nokey", "lex", "max", "COUNT", "3"),
           ("ZMPOP", "2", "nokey", "nokey2", "MIN"), ("ZMPOP", "2", "str", "lex", "MIN"),
           ("ZMPOP", "2", "lex", "str", "MIN"), ("ZMPOP", "0", "lex", "MIN"), ("ZMPOP", "-1", "lex", "MIN"),
           ("ZMPOP", "x", "lex", "MIN"), ("ZMPOP", "2", "lex", "MIN"), ("ZMPOP", "1", "lex", "MID"),
           ("ZMPOP", "1", "lex", "MIN", "COUNT"), ("ZMPOP", "1", "lex", "MIN", "COUNT", "0"),
           ("ZMPOP", "1", "lex", "MIN", "COUNT", "-1"), ("ZMPOP", "1", "lex", "MIN", "COUNT", "x"),
           ("ZMPOP", "1", "lex", "MIN", "COUNT", "1", "COUNT", "1"), ("ZMPOP", "1", "lex", "MIN", "FOO"),
           ("ZMPOP", "1", "lex", "MAX", "COUNT", "100"), ("EXISTS", "lex"),
           ("BZPOPMIN", "nokey", "set", "0"), ("BZPOPMIN", "nokey", "x"), ("BZPOPMIN", "nokey", "-1"),
           ("BZMPOP", "0", "1", "nokey", "FOO"), ("BZMPOP", "x", "1", "nokey", "MIN"), ("BZMPOP", "0", "0", "k", "MIN"))
    d.check("ZADD", "z2", "1", "a", "2", "b", "3", "c")
    checks(d, ("BZPOPMIN", "nokey", "z2", "0"), ("BZPOPMAX", "z2", "nokey", "0"),
           ("BZMPOP", "0", "2", "nokey", "z2", "MAX", "COUNT", "5"), ("BZPOPMIN", "nokey", "0.01"),
           ("BZMPOP", "0.01", "1", "nokey", "MIN"))


def test_setops(differ, resp3):
    d = differ
    checks(d, ("ZADD", "a", "1", "x", "2", "y", "3", "z", "inf", "i", "-inf", "n"),
           ("ZADD", "b", "10", "y", "20", "z", "30", "w", "-inf", "i", "inf", "n"),
           ("SADD", "s", "x", "w", "q"), ("SET", "str", "v"))
    cmds = []
    for op in ("ZUNION", "ZINTER", "ZDIFF"):
        cmds += [(op, "2", "a", "b"), (op, "2", "a", "b", "WITHSCORES"), (op, "3", "a", "b", "s", "WITHSCORES"),
                 (op, "1", "nokey"), (op, "2", "a", "nokey", "WITHSCORES"), (op, "2", "nokey", "a", "WITHSCORES"),
                 (op, "2", "a", "str"), (op, "0", "a"), (op, "-1", "a"), (op, "x", "a"), (op, "3", "a", "b"),
                 (op, "2", "a", "b", "FOO"), (op, "2", "a", "a", "WITHSCORES"), (op, "1", "s", "WITHSCORES")]
        if op != "ZDIFF":
            cmds += [(op, "2", "a", "b", "WEIGHTS", "2", "0.5", "WITHSCORES"),
                     (op, "2", "a", "b", "WEIGHTS", "0", "0", "WITHSCORES"),
                     (op, "2", "a", "b", "WEIGHTS", "1", "x"), (op, "2", "a", "b", "WEIGHTS", "1"),
                     (op, "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"),
                     (op, "2", "a", "b", "aggregate", "max", "weights", "-1", "2", "withscores"),
                     (op, "2", "a", "b", "AGGREGATE", "AVG"), (op, "2", "a", "b", "AGGREGATE"),
                     (op, "3", "a", "s", "b", "WEIGHTS", "1", "5", "-2", "WITHSCORES")]
        else:
            cmds += [(op, "2", "a", "b", "WEIGHTS", "1", "1"), (op, "2", "a", "b", "AGGREGATE", "MIN")]
        store = op + "STORE"
        cmds += [(store, "dst", "2", "a", "b"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"), ("OBJECT", "ENCODING", "dst"),
                 (store, "dst", "2", "a", "b", "WITHSCORES"), (store, "dst", "1", "nokey"), ("EXISTS", "dst"),
                 (store, "dst", "0", "a"), (store, "str", "2", "a", "s"), ("TYPE", "str"), ("SET", "str", "v"),
                 (store, "dst", "2", "str", "a")]
    cmds += [("ZINTERCARD", "2", "a", "b"), ("ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
             ("ZINTERCARD", "2", "a", "b", "LIMIT", "0"), ("ZINTERCARD", "2", "a", "s"), ("ZINTERCARD", "1", "nokey"),
             ("ZINTERCARD", "0", "a"), ("ZINTERCARD", "x", "a"), ("ZINTERCARD", "3", "a", "b"),
             ("ZINTERCARD", "2", "a", "b", "LIMIT", "-1"), ("ZINTERCARD", "2", "a", "b", "LIMIT", "x"),
             ("ZINTERCARD", "2", "a", "b", "WITHSCORES"), ("ZINTERCARD", "2", "a", "b", "WEIGHTS", "1", "1"),
             ("ZINTERCARD", "2", "a", "str"), ("ZINTERCARD", "2", "a", "b", "LIMIT")]
    checks(d, *cmds)


def test_float_sums_follow_redis_order(differ):
    """Sources are summed smallest first, as Redis's qsort by cardinality."""
    d = differ
    checks(d, ("ZADD", "a", "0.1", "x", "1", "p", "2", "q"), ("ZADD", "b", "0.2", "x"), ("ZADD", "c", "0.3", "x", "5", "q"),
           ("ZUNION", "3", "a", "b", "c", "WITHSCORES"), ("ZUNION", "3", "c", "a", "b", "WITHSCORES"),
           ("ZINTER", "3", "a", "c", "b", "WITHSCORES"), ("ZINTER", "2", "a", "c", "WEIGHTS", "0.1", "0.7", "WITHSCORES"))


def test_nan_products_in_set_operations(differ):
    """inf * 0 is NaN: zeroed for a union's inputs and an intersection's
    first, aggregated as it is for the others (SUM gives 0, MIN and MAX keep
    the score)."""
    checks(differ, ("ZADD", "a", "5", "x", "inf", "y", "-inf", "z"), ("ZADD", "b", "inf", "x", "3", "y", "2", "z"),
           *[(op, "2", "a", "b", "WEIGHTS", w1, w2, "AGGREGATE", agg, "WITHSCORES")
             for op in ("ZINTER", "ZUNION") for w1, w2 in (("1", "0"), ("0", "1"), ("-1", "0"))
             for agg in ("SUM", "MIN", "MAX")],
           ("ZINTERSTORE", "d", "2", "a", "a", "WEIGHTS", "-1", "0"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"))


def test_randmember_and_scan(differ, resp3):
    d = differ
    seed(d)
    checks(d,
           ("ZRANDMEMBER", "nokey"), ("ZRANDMEMBER", "nokey", "5"), ("ZRANDMEMBER", "nokey", "-5", "WITHSCORES"),
           ("ZRANDMEMBER", "str"), ("ZRANDMEMBER", "str", "1"), ("ZRANDMEMBER", "z", "x"), ("ZRANDMEMBER", "z", "0"),
           ("ZRANDMEMBER", "z", "0", "WITHSCORES"), ("ZRANDMEMBER", "z", "100"), ("ZRANDMEMBER", "z", "7", "WITHSCORES"),
           ("ZRANDMEMBER", "z", "1", "FOO"), ("ZRANDMEMBER", "z", "1", "WITHSCORES", "x"),
           ("ZRANDMEMBER", "z", "-9223372036854775808"), ("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"),
           ("ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"),
           ("ZSCAN", "z", "0"), ("ZSCAN", "z", "0", "MATCH", "*b*"), ("ZSCAN", "z", "0", "COUNT", "1"),
           ("ZSCAN", "z", "0", "COUNT", "0"), ("ZSCAN", "z", "x"), ("ZSCAN", "nokey", "0"), ("ZSCAN", "str", "0"),
           ("ZSCAN", "z", "0", "NOPE"), ("ZSCAN", "lex", "0", "MATCH", "[a-c]"))
    for _ in range(5):
        reply = d.a.call("ZRANDMEMBER", "z", "3", "WITHSCORES")
        assert reply.startswith(b"*3\r\n*2\r\n" if resp3 else b"*6\r\n")
        reply = d.a.call("ZRANDMEMBER", "z", "-10")
        assert reply.startswith(b"*10\r\n")


def test_randmember_properties(r):
    r.zadd("z", {f"m{i}": i for i in range(20)})
    got = r.zrandmember("z", 5, withscores=True)
    assert len(got) == 10 and len(set(got[::2])) == 5
    for m, s in zip(got[::2], got[1::2]):
        assert float(s) == r.zscore("z", m)
    assert len(r.zrandmember("z", -50)) == 50
    seen = {r.zrandmember("z") for _ in range(300)}
    assert len(seen) == 20


def test_encodings(differ):
    d = differ
    checks(d,
           ("ZADD", "a", "1", "x"), ("OBJECT", "ENCODING", "a"), ("ZADD", "b", "1", "x" * 65), ("OBJECT", "ENCODING", "b"),
           ("ZADD", "a", "2", "y" * 64), ("OBJECT", "ENCODING", "a"), ("ZADD", "a", "3", "z" * 65),
           ("OBJECT", "ENCODING", "a"), ("ZREM", "a", "z" * 65), ("OBJECT", "ENCODING", "a"),
           ("ZUNIONSTORE", "c", "1", "a"), ("OBJECT", "ENCODING", "c"),
           ("CONFIG", "SET", "zset-max-listpack-entries", "3"),
           ("ZADD", "d", "1", "a", "2", "b", "3", "c"), ("OBJECT", "ENCODING", "d"), ("ZADD", "d", "4", "d"),
           ("OBJECT", "ENCODING", "d"), ("ZRANGESTORE", "e", "d", "0", "2"), ("OBJECT", "ENCODING", "e"),
           ("ZRANGESTORE", "e", "d", "0", "-1"), ("OBJECT", "ENCODING", "e"),
           ("ZRANGESTORE", "e", "d", "-inf", "inf", "BYSCORE", "LIMIT", "0", "2"), ("OBJECT", "ENCODING", "e"),
           ("ZINTERSTORE", "f", "1", "d"), ("OBJECT", "ENCODING", "f"), ("ZDIFFSTORE", "f", "2", "d", "e"),
           ("OBJECT", "ENCODING", "f"),
           ("CONFIG", "SET", "zset-max-listpack-entries", "0"), ("ZADD", "g", "1", "a"), ("OBJECT", "ENCODING", "g"),
           ("CONFIG", "SET", "zset-max-listpack-entries", "128"))


def test_big_zset_against_redis(r, rr):
    """A skiplist-sized zset: every rank/score/lex query agrees with Redis."""
    import random
    rnd = random.Random(7)
    members = {f"m{i:04d}": rnd.choice([rnd.randint(-50, 50), rnd.random() * 100, float("inf")]) for i in range(600)}
    lex = {f"{rnd.random():.6f}"[2:]: 0 for _ in range(300)}
    for c in (r, rr):
        c.zadd("z", members)
        c.zadd("lex", lex)
    assert r.zrange("z", 0, -1, withscores=True) == rr.zrange("z", 0, -1, withscores=True)
    for _ in range(30):
        a, b = sorted(rnd.uniform(-60, 110) for _ in range(2))
        assert r.zrangebyscore("z", a, b) == rr.zrangebyscore("z", a, b)
        assert r.zcount("z", f"({a}", b) == rr.zcount("z", f"({a}", b)
        i, j = rnd.randint(-700, 700), rnd.randint(-700, 700)
        assert r.zrange("z", i, j) == rr.zrange("z", i, j)
        assert r.zrevrange("z", i, j) == rr.zrevrange("z", i, j)
        m = f"m{rnd.randint(0, 650):04d}"
        assert r.zrank("z", m) == rr.zrank("z", m)
        assert r.zrevrank("z", m) == rr.zrevrank("z", m)
        lo, hi = sorted(str(rnd.randint(0, 999999)) for _ in range(2))
        assert r.zrangebylex("lex", f"[{lo}", f"({hi}") == rr.zrangebylex("lex", f"[{lo}", f"({hi}")
        assert r.zlexcount("lex", f"({lo}", "+") == rr.zlexcount("lex", f"({lo}", "+")
    assert r.zremrangebyscore("z", 10, 20) == rr.zremrangebyscore("z", 10, 20)
    assert r.zremrangebyrank("z", 5, 50) == rr.zremrangebyrank("z", 5, 50)
    assert r.zrange("z", 0, -1, withscores=True) == rr.zrange("z", 0, -1, withscores=True)
    assert r.object("encoding", "z") == rr.object("encoding", "z") == b"skiplist"
    assert sorted(r.zscan_iter("z", count=5)) == sorted(rr.zrange("z", 0, -1, withscores=True))


# -- blocking ----------------------------------------------------------------------------------

def test_bzpop_served_by_zadd(server, r):
    w = block(server, r, "BZPOPMIN", "k1", "k2", "0")
    r.zadd("k2", {"a": 1, "b": 2})
    assert w.result() == b"*3\r\n$2\r\nk2\r\n$1\r\na\r\n$1\r\n1\r\n"
    w = block(server, r, "BZPOPMAX", "k1", "k3", "0", protocol=3)
    r.zadd("k3", {"a": 1, "b": 2.5})
    assert w.result() == b"*3\r\n$2\r\nk3\r\n$1\r\nb\r\n,2.5\r\n"
    w = block(server, r, "BZMPOP", "0", "2", "k4", "k5", "MAX", "COUNT", "2")
    r.zadd("k5", {"a": 1, "b": 2, "c": 0.1})
    assert w.result() == (b"*2\r\n$2\r\nk5\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
                          b"*2\r\n$1\r\na\r\n$1\r\n1\r\n")
    assert r.zrange("k5", 0, -1, withscores=True) == [(b"c", 0.1)]
    w = block(server, r, "BZMPOP", "0", "1", "k6", "MIN", protocol=3)
    r.zadd("k6", {"x": 0.1})
    assert w.result() == b"*2\r\n$2\r\nk6\r\n*1\r\n*2\r\n$1\r\nx\r\n,0.10000000000000001\r\n"
    assert r.exists("k6") == 0


def test_bzpop_fifo_and_timeout(server, r):
    w1 = block(server, r, "BZPOPMIN", "q", "0")
    w2 = block(server, r, "BZPOPMIN", "q", "0")
    w3 = block(server, r, "BZPOPMIN", "q", "0")
    r.zadd("q", {"a": 1, "b": 2})
    assert w1.result().endswith(b"$1\r\na\r\n$1\r\n1\r\n")
    assert w2.result().endswith(b"$1\r\nb\r\n$1\r\n2\r\n")
    wait_for(lambda: blocked_count(r) == 1)
    r.lpush("q", "not-a-zset")  # a list on the key does not serve a zset waiter
    r.delete("q")
    r.zadd("q", {"c": 3})
    assert w3.result().endswith(b"$1\r\nc\r\n$1\r\n3\r\n")
    assert RawConn(server.port).call("BZPOPMIN", "none", "0.05") == b"*-1\r\n"
    c = RawConn(server.port)
    c.call("HELLO", "3")
    assert c.call("BZMPOP", "0.05", "1", "none", "MIN") == b"_\r\n"
    c.close()


def test_bzpop_inside_multi_and_wrongtype(differ):
    d = differ
    checks(d, ("MULTI",), ("BZPOPMIN", "nokey", "0"), ("BZMPOP", "0", "1", "nokey", "MAX"), ("EXEC",),
           ("SET", "str", "x"), ("BZPOPMIN", "str", "0"), ("BZPOPMIN", "nokey", "str", "0"),
           ("BZMPOP", "0", "2", "nokey", "str", "MIN"))


def test_redis_py_blocking_api(server, r):
    c2 = server.client()
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("v", c2.bzpopmax(["zz"], timeout=5)))
    t.start()
    wait_for(lambda: blocked_count(r) == 1)
    r.zadd("zz", {"hello": 3})
    t.join(5)
    assert out["v"] == (b"zz", b"hello", 3.0)
    c2.close()


# -- propagation (in process: the argv each change sends to replicas/AOF) -----------------------------

def test_propagation(inproc):
    client, run, props = inproc
    a, b = client(), client()
    run(a, "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f")
    run(a, "ZMPOP", "1", "z", "MIN", "COUNT", "2")
    run(a, "BZPOPMIN", "z", "0")
    run(a, "BZMPOP", "0", "1", "z", "MAX")
    run(a, "BZMPOP", "0", "1", "z", "max", "COUNT", "5")
    run(a, "ZPOPMIN", "nokey", "3")
    run(a, "ZMPOP", "1", "nokey", "MIN")
    run(a, "ZADD", "z", "NX", "1", "x")
    run(a, "ZADD", "z", "NX", "1", "x")
    run(a, "zpopmin", "z", "10")
    run(a, "ZINCRBY", "y", "1", "m")
    run(a, "ZREMRANGEBYSCORE", "y", "5", "6")
    run(a, "ZREM", "y", "nope")
    assert props == [[b"ZADD", b"z", b"1", b"a", b"2", b"b", b"3", b"c", b"4", b"d", b"5", b"e", b"6", b"f"],
                     [b"ZPOPMIN", b"z", b"2"], [b"ZPOPMIN", b"z"], [b"ZPOPMAX", b"z", b"1"],
                     [b"ZPOPMAX", b"z", b"2"], [b"ZADD", b"z", b"NX", b"1", b"x"], [b"zpopmin", b"z", b"10"],
                     [b"ZINCRBY", b"y", b"1", b"m"]]
    del props[:]
    # served after blocking
    run(a, "BZPOPMIN", "w1", "w2", "0")
    run(b, "ZADD", "w2", "1", "a", "2", "b")
    assert a.out[-1] == b"*3\r\n$2\r\nw2\r\n$1\r\na\r\n$1\r\n1\r\n"
    run(a, "BZMPOP", "0", "1", "w3", "MAX", "COUNT", "3")
    run(b, "ZADD", "w3", "1", "a", "2", "b")
    run(a, "BZMPOP", "0", "1", "w4", "MAX")
    run(b, "ZADD", "w4", "1", "a", "2", "b")
    assert props == [[b"ZADD", b"w2", b"1", b"a", b"2", b"b"], [b"ZPOPMIN", b"w2"],
                     [b"ZADD", b"w3", b"1", b"a", b"2", b"b"], [b"ZPOPMAX", b"w3", b"2"],
                     [b"ZADD", b"w4", b"1", b"a", b"2", b"b"], [b"ZPOPMAX", b"w4", b"1"]]


def test_watch(server, r):
    r.zadd("w", {"a": 1})
    c = RawConn(server.port)
    assert c.call("WATCH", "w") == b"+OK\r\n"
    r.zincrby("w", 1, "a")
    c.call("MULTI")
    c.call("ZCARD", "w")
    assert c.call("EXEC") == b"*-1\r\n"
    c.call("WATCH", "w")
    r.zadd("w", {"a": 2})  # same score: no change, the transaction runs
    c.call("MULTI")
    c.call("ZCARD", "w")
    assert c.call("EXEC") == b"*1\r\n:1\r\n"
    c.close()
