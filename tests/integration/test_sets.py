"""Set commands, byte for byte against a real Redis 7.0 (``differ``), plus the
random commands (SPOP, SRANDMEMBER) checked by their properties and their
propagation (SPOP -> SREM / DEL) through the AOF-style propagate stream."""

import pytest

from helpers import RawConn

INTS = [str(i) for i in (5, -3, 100, 0, 42, 9223372036854775807, -9223372036854775808)]


def seed(d):
    d.check("SADD", "i1", *INTS)
    d.check("SADD", "i2", "5", "0", "7", "100")
    d.check("SADD", "s1", "a", "b", "c", "1")
    d.check("SADD", "s2", "b", "c", "d")
    d.check("SET", "str", "x")


@pytest.mark.parametrize("resp3", [False, True])
def test_basic_and_errors(differ, resp3):
    d = differ
    if resp3:
        d.both("HELLO", "3")
    seed(d)
    for args in [
        ("SADD", "i1", "5", "6", "6"), ("SCARD", "i1"), ("SCARD", "nokey"), ("SCARD", "str"),
        ("SADD", "str", "a"), ("SREM", "str", "a"), ("SREM", "nokey", "a"),
        ("SISMEMBER", "i1", "6"), ("SISMEMBER", "i1", "61"), ("SISMEMBER", "nokey", "a"), ("SISMEMBER", "str", "a"),
        ("SMISMEMBER", "i1", "6", "x", "5"), ("SMISMEMBER", "nokey", "a", "b"), ("SMISMEMBER", "str", "a"),
        ("SMEMBERS", "i1"), ("SMEMBERS", "nokey"), ("SMEMBERS", "str"),
        ("SREM", "i1", "6", "nothere", "5"), ("SMEMBERS", "i1"),
        ("SADD", "i1"), ("SREM", "i1"),
        ("SINTER", "i1", "i2"), ("SINTER", "i2", "i1"), ("SINTER", "i1", "nokey"), ("SINTER", "nokey", "str"),
        ("SINTER", "i1", "str"), ("SINTER", "i1"),
        ("SUNION", "i1", "i2"), ("SUNION", "nokey"), ("SUNION", "i1", "str"), ("SUNION", "nokey", "i2"),
        ("SDIFF", "i1", "i2"), ("SDIFF", "i2", "i1"), ("SDIFF", "nokey", "i1"), ("SDIFF", "i1", "i1"),
        ("SDIFF", "i1", "nokey", "i1"), ("SDIFF", "i1", "str"), ("SDIFF", "str", "i1"),
        ("SINTERCARD", "2", "i1", "i2"), ("SINTERCARD", "2", "i1", "i2", "LIMIT", "1"),
        ("SINTERCARD", "2", "i1", "i2", "limit", "0"), ("SINTERCARD", "1", "i1", "LIMIT", "3"),
        ("SINTERCARD", "0", "i1"), ("SINTERCARD", "-1", "i1"), ("SINTERCARD", "x", "i1"),
        ("SINTERCARD", "3", "i1", "i2"), ("SINTERCARD", "2", "i1", "i2", "LIMIT", "-1"),
        ("SINTERCARD", "2", "i1", "i2", "LIMIT", "x"), ("SINTERCARD", "2", "i1", "i2", "LIMIT"),
        ("SINTERCARD", "2", "i1", "i2", "FOO", "1"), ("SINTERCARD", "2", "i1", "str"), ("SINTERCARD", "2", "i1", "nokey"),
        ("SINTERSTORE", "d1", "i1", "i2"), ("SMEMBERS", "d1"), ("OBJECT", "ENCODING", "d1"),
        ("SINTERSTORE", "d1", "i1", "nokey"), ("EXISTS", "d1"), ("SET", "strx", "x"), ("SINTERSTORE", "strx", "i1", "i2"), ("TYPE", "strx"),
        ("SUNIONSTORE", "d2", "i1", "s1"), ("SCARD", "d2"), ("OBJECT", "ENCODING", "d2"),
        ("SUNIONSTORE", "d3", "i1", "i2"), ("SMEMBERS", "d3"), ("OBJECT", "ENCODING", "d3"),
        ("SDIFFSTORE", "d3", "i1", "i2"), ("SMEMBERS", "d3"), ("SDIFFSTORE", "d3", "nokey", "i2"), ("EXISTS", "d3"),
        ("SUNIONSTORE", "d4", "s1", "i1", "str"), ("SDIFFSTORE", "d4", "i1", "i1"),
        ("SMOVE", "i1", "i2", "42"), ("SMEMBERS", "i1"), ("SMEMBERS", "i2"), ("SMOVE", "i1", "i2", "nothere"),
        ("SMOVE", "nokey", "i2", "5"), ("SMOVE", "nokey", "str", "5"), ("SMOVE", "str", "i2", "5"),
        ("SMOVE", "i1", "str", "5"), ("SMOVE", "i1", "i1", "5"), ("SMOVE", "i1", "i1", "nothere"),
        ("SMOVE", "i2", "fresh", "7"), ("OBJECT", "ENCODING", "fresh"), ("SMOVE", "s1", "fresh2", "a"),
        ("OBJECT", "ENCODING", "fresh2"), ("SMOVE", "fresh", "fresh2", "7"), ("EXISTS", "fresh"),
        ("SMOVE", "i2", "s2", "0"), ("SMEMBERS", "i2"),
        ("SPOP", "nokey"), ("SPOP", "nokey", "3"), ("SPOP", "str"), ("SPOP", "str", "1"), ("SPOP", "i1", "-1"),
        ("SPOP", "i1", "x"), ("SPOP", "i1", "1", "2"), ("SPOP", "i1", "0"),
        ("SRANDMEMBER", "nokey"), ("SRANDMEMBER", "nokey", "5"), ("SRANDMEMBER", "nokey", "-5"),
        ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", "2"), ("SRANDMEMBER", "i1", "x"),
        ("SRANDMEMBER", "i1", "1", "2"), ("SRANDMEMBER", "i1", "0"), ("SRANDMEMBER", "i1", "100"),
        ("SRANDMEMBER", "i1", "-9223372036854775808"), ("SRANDMEMBER", "i1", "9223372036854775808"),
        ("SPOP", "i2", "100"), ("EXISTS", "i2"),
    ]:
        d.check(*args)


def test_encodings(differ):
    d = differ
    for args in [
        ("SADD", "a", "1", "2", "3"), ("OBJECT", "ENCODING", "a"),
        ("SADD", "a", "01"), ("OBJECT", "ENCODING", "a"), ("SREM", "a", "01"), ("OBJECT", "ENCODING", "a"),
        ("SADD", "b", "-0"), ("OBJECT", "ENCODING", "b"),
        ("SADD", "c", "9223372036854775808"), ("OBJECT", "ENCODING", "c"),
        ("SADD", "d", "x", "1"), ("OBJECT", "ENCODING", "d"),
        ("CONFIG", "SET", "set-max-intset-entries", "4"),
        ("SADD", "e", "1", "2", "3", "4"), ("OBJECT", "ENCODING", "e"), ("SMEMBERS", "e"),
        ("SADD", "e", "5"), ("OBJECT", "ENCODING", "e"), ("SREM", "e", "5", "4"), ("OBJECT", "ENCODING", "e"),
        ("SADD", "f", "1", "2", "3", "4", "5"), ("SINTERSTORE", "g", "f", "f"), ("OBJECT", "ENCODING", "g"),
        ("SADD", "h", "1", "2"), ("SINTERSTORE", "g", "f", "h"), ("OBJECT", "ENCODING", "g"), ("SMEMBERS", "g"),
        ("SUNIONSTORE", "g", "h", "h"), ("OBJECT", "ENCODING", "g"),
        ("CONFIG", "SET", "set-max-intset-entries", "512"),
    ]:
        d.check(*args)
    # SSCAN: intsets come back whole and sorted, with cursor 0
    d.check("SADD", "n", *[str(i) for i in range(50, 0, -3)])
    for args in [
        ("SSCAN", "n", "0"), ("SSCAN", "n", "0", "MATCH", "1*"), ("SSCAN", "n", "0", "COUNT", "2"),
        ("SSCAN", "n", "0", "COUNT", "0"), ("SSCAN", "n", "0", "COUNT", "x"), ("SSCAN", "n", "0", "FOO"),
        ("SSCAN", "n", "x"), ("SSCAN", "n", "-1"), ("SSCAN", "n", " 1"), ("SSCAN", "n", "18446744073709551616"),
        ("SSCAN", "n", "0", "MATCH"), ("SSCAN", "nokey", "0"), ("SSCAN", "nokey", "0", "FOO"),
        ("SET", "str", "x"), ("SSCAN", "str", "0"), ("SSCAN", "n", "0", "match", "*", "count", "100"),
    ]:
        d.check(*args)


def test_sscan_hashtable(r):
    members = {f"m{i}".encode() for i in range(300)}
    r.sadd("big", *members)
    cursor, got = r.sscan("big", 0, count=10)
    assert cursor != 0 and 10 <= len(got) < 20  # a hashtable set is paged, as in Redis
    assert set(r.sscan_iter("big", count=10)) == members
    assert set(r.sscan_iter("big", match="m1?")) == {f"m1{i}".encode() for i in range(10)}


def test_big_sets_algebra(r, rr):
    for c in (r, rr):
        c.sadd("a", *[f"e{i}" for i in range(0, 600)])
        c.sadd("b", *[f"e{i}" for i in range(300, 900, 2)])
        c.sadd("c", *range(1000))
    for c in (r, rr):
        pass
    assert set(r.sinter("a", "b")) == set(rr.sinter("a", "b"))
    assert set(r.sunion("a", "b", "c")) == set(rr.sunion("a", "b", "c"))
    assert set(r.sdiff("a", "b")) == set(rr.sdiff("a", "b"))
    assert r.sintercard(2, ["a", "b"], limit=10) == 10
    assert r.sdiffstore("d", "c", "a") == rr.sdiffstore("d", "c", "a") == 1000
    assert r.object("encoding", "c") == rr.object("encoding", "c") == b"hashtable"


def test_spop_srandmember_properties(r):
    r.sadd("s", *range(10))
    full = {str(i).encode() for i in range(10)}
    got = r.srandmember("s", 5)
    assert len(got) == 5 and len(set(got)) == 5 and set(got) <= full
    got = r.srandmember("s", -30)
    assert len(got) == 30 and set(got) <= full
    assert r.srandmember("s") in full
    seen = set()
    for _ in range(200):
        seen.add(r.srandmember("s"))
    assert seen == full  # every member is reachable
    popped = r.spop("s", 3)
    assert len(popped) == 3 and r.scard("s") == 7
    rest = set(r.smembers("s"))
    assert rest | set(popped) == full and not rest & set(popped)
    # "case 3": pop most of a big set; the remainder is rebuilt
    r.sadd("t", *[f"x{i}" for i in range(100)], *range(5))
    popped = r.spop("t", 102)
    assert len(set(popped)) == 102 and r.scard("t") == 3
    one = r.spop("t")
    assert r.scard("t") == 2 and one not in r.smembers("t")


def test_spop_resp3_shape(server):
    c = RawConn(server.port)
    c.call("FLUSHALL")
    c.call("HELLO", "3")
    c.call("SADD", "s", "a", "b", "c")
    reply = c.call("SPOP", "s", "2")
    assert reply.startswith(b"~2\r\n")
    assert c.call("SRANDMEMBER", "s", "5").startswith(b"*1\r\n")
    assert c.call("SPOP", "s", "5").startswith(b"~1\r\n")
    assert c.call("SPOP", "s", "5") == b"~0\r\n"
    assert c.call("SPOP", "s") == b"_\r\n"
    c.close()


def test_spop_propagation(inproc):
    """SPOP goes to replicas/AOF as SREM (one per member, in MULTI/EXEC when
    several) or as DEL when it empties the set, exactly like Redis 7.0."""
    client, run, props = inproc
    c = client()
    run(c, "SADD", "s", "a", "b", "c", "d", "e", "f")
    del props[:]
    one = run(c, "SPOP", "s").split(b"\r\n")[1]
    assert props == [[b"SREM", b"s", one]]
    del props[:]
    three = run(c, "SPOP", "s", "3").split(b"\r\n")[2::2]
    assert props == [[b"MULTI"]] + [[b"SREM", b"s", m] for m in three] + [[b"EXEC"]]
    del props[:]
    one = run(c, "SPOP", "s", "1").split(b"\r\n")[2]
    assert props == [[b"SREM", b"s", one]]
    del props[:]
    run(c, "SPOP", "s", "10")
    run(c, "SPOP", "nokey")
    run(c, "SPOP", "nokey", "3")
    assert props == [[b"DEL", b"s"]]
    del props[:]
    # inside a transaction the SREMs join EXEC's own MULTI/EXEC
    run(c, "SADD", "t", "1", "2", "3")
    run(c, "MULTI")
    run(c, "SPOP", "t", "2")
    run(c, "SADD", "u", "x")
    run(c, "EXEC")
    assert props[0] == [b"SADD", b"t", b"1", b"2", b"3"]
    assert [p[0] for p in props[1:]] == [b"MULTI", b"SREM", b"SREM", b"SADD", b"EXEC"]


def test_watch_and_multi(differ):
    d = differ
    d.check("SADD", "s", "1")
    d.check("MULTI")
    d.check("SADD", "s", "2")
    d.check("SPOP", "s", "5")
    d.check("SMEMBERS", "s")
    d.check("EXEC")


def test_random_picks_on_big_sets_track_changes(r):
    """The random-access index of a big set follows SADD/SREM/SMOVE/SPOP."""
    import random
    rnd = random.Random(3)
    model = {f"m{i}".encode() for i in range(200)}
    r.sadd("s", *model)
    assert r.srandmember("s") in model  # builds the index
    for _ in range(300):
        op = rnd.random()
        if op < 0.3:
            m = f"m{rnd.randint(0, 400)}".encode()
            r.sadd("s", m)
            model.add(m)
        elif op < 0.5:
            m = f"m{rnd.randint(0, 400)}".encode()
            r.srem("s", m)
            model.discard(m)
        elif op < 0.6:
            m = f"m{rnd.randint(0, 400)}".encode()
            assert r.smove("s", "other", m) == (m in model)
            model.discard(m)
        elif op < 0.8:
            m = r.spop("s")
            assert m in model
            model.discard(m)
        else:
            got = r.srandmember("s", rnd.choice([1, 5, -5, 150]))
            assert set(got) <= model
    assert set(r.smembers("s")) == model
    popped = r.spop("s", 50)
    assert len(set(popped)) == 50 and set(popped) <= model
    model -= set(popped)
    assert set(r.smembers("s")) == model and r.scard("s") == len(model)


def test_spop_rebuild_encoding(r):
    """SPOP taking most of a set rebuilds the rest, which may be an intset again."""
    r.sadd("s", "a", *range(10))
    r.spop("s", 10)
    (left,) = r.smembers("s")
    assert r.object("encoding", "s") == (b"hashtable" if left == b"a" else b"intset")
