"""Generic keyspace commands (db.c, expire.c, object.c, sort.c) against real
Redis 7.0, byte for byte."""

import time

import pytest

from helpers import RawConn, checks, resp3, wait_for


def sorted_array(reply: bytes):
    """Array reply -> sorted element list (for replies whose order is a hash order)."""
    lines = reply.split(b"\r\n")
    return sorted(lines[2:-1:2])


def check_unordered(differ, *cmd):
    ra, rb = differ.both(*cmd)
    assert ra.split(b"\r\n")[0] == rb.split(b"\r\n")[0], (cmd, ra, rb)
    assert sorted_array(ra) == sorted_array(rb), (cmd, ra, rb)
    return ra


# -- DEL / UNLINK / EXISTS / TYPE / TOUCH -------------------------------------------


def test_del_exists_type(differ):
    checks(differ,
           ("SET", "a", "1"), ("SET", "b", "2"), ("EXISTS", "a"), ("EXISTS", "a", "a", "b", "nokey"),
           ("TYPE", "a"), ("TYPE", "nokey"), ("DEL", "a", "nokey", "a"), ("EXISTS", "a"),
           ("UNLINK", "b", "c"), ("DEL", "x"), ("TOUCH", "a", "b"), ("SET", "t", "v"), ("TOUCH", "t", "t", "u"),
           ("RPUSH", "l", "x"), ("SADD", "s", "m"), ("HSET", "h", "f", "v"), ("ZADD", "z", "1", "m"),
           ("TYPE", "l"), ("TYPE", "s"), ("TYPE", "h"), ("TYPE", "z"), ("DEL", "l", "s", "h", "z"),
           ("DEL",), ("EXISTS",), ("TYPE",), ("TYPE", "a", "b"))


# -- RENAME / MOVE / COPY ------------------------------------------------------------


def test_rename(differ):
    checks(differ,
           ("RENAME", "nokey", "x"), ("RENAMENX", "nokey", "x"), ("RENAME", "nokey", "nokey"),
           ("SET", "a", "1"), ("RENAME", "a", "a"), ("RENAMENX", "a", "a"), ("RENAME", "a", "b"),
           ("GET", "a"), ("GET", "b"), ("SET", "c", "3"), ("RENAMENX", "b", "c"), ("RENAMENX", "b", "d"),
           ("GET", "d"), ("RENAME", "d", "c"), ("GET", "c"), ("PEXPIRE", "c", "100000"), ("RENAME", "c", "e"),
           ("TTL", "e"), ("TTL", "c"), ("SET", "f", "x"), ("RENAME", "e", "f"), ("TTL", "f"), ("GET", "f"))


def test_move(differ):
    checks(differ,
           ("SET", "a", "1"), ("MOVE", "a", "0"), ("MOVE", "a", "16"), ("MOVE", "a", "-1"),
           ("MOVE", "a", "x"), ("MOVE", "a", "99999999999"), ("MOVE", "nokey", "1"),
           ("EXPIRE", "a", "1000"), ("MOVE", "a", "1"), ("EXISTS", "a"), ("SELECT", "1"), ("GET", "a"),
           ("TTL", "a"), ("SELECT", "0"), ("SET", "a", "again"), ("MOVE", "a", "1"), ("GET", "a"),
           ("SELECT", "1"), ("GET", "a"), ("FLUSHDB",), ("SELECT", "0"))


def test_copy(differ):
    checks(differ,
           ("COPY", "nokey", "x"), ("SET", "a", "1"), ("COPY", "a", "a"), ("COPY", "a", "b"), ("GET", "b"),
           ("COPY", "a", "b"), ("SET", "a", "2"), ("COPY", "a", "b", "REPLACE"), ("GET", "b"),
           ("COPY", "a", "b", "FOO"), ("COPY", "a", "b", "DB"), ("COPY", "a", "b", "DB", "x"),
           ("COPY", "a", "b", "DB", "16"), ("COPY", "a", "a", "DB", "0"), ("COPY", "a", "a", "DB", "1"),
           ("SELECT", "1"), ("GET", "a"), ("SELECT", "0"), ("PEXPIREAT", "a", "33177117420123"), ("COPY", "a", "c"),
           ("PEXPIRETIME", "c"), ("RPUSH", "l", "1", "2"), ("COPY", "l", "l2"), ("RPUSH", "l2", "3"),
           ("LRANGE", "l", "0", "-1"), ("LRANGE", "l2", "0", "-1"), ("HSET", "h", "f", "v"), ("COPY", "h", "h2"),
           ("HSET", "h2", "g", "w"), ("HLEN", "h"), ("SADD", "s", "1"), ("COPY", "s", "s2"), ("SADD", "s2", "2"),
           ("SCARD", "s"), ("OBJECT", "ENCODING", "s2"), ("ZADD", "z", "1", "a"), ("COPY", "z", "z2"),
           ("ZADD", "z2", "2", "b"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
           ("ZRANGE", "z2", "0", "-1", "WITHSCORES"), ("SELECT", "1"), ("FLUSHDB",), ("SELECT", "0"))


# -- EXPIRE family ---------------------------------------------------------------------


@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_options_and_errors(differ, cmd):
    checks(differ,
           (cmd, "nokey", "100"), ("SET", "k", "v"), (cmd, "k", "abc"), (cmd, "k", "1.5"), (cmd, "k", ""),
           (cmd, "k", "100", "NX", "XX"), (cmd, "k", "100", "nx", "gt"), (cmd, "k", "100", "NX", "LT"),
           (cmd, "k", "100", "GT", "LT"), (cmd, "k", "100", "FOO"), (cmd, "k", "100", "xx", "bar"),
           (cmd, "k", "abc", "FOO"), (cmd, "k", "9223372036854775807"), (cmd, "k", "-9223372036854775808"),
           (cmd, "k", "9223372036854775"), (cmd, "k", "9223372036854776"), (cmd, "k", "-9223372036854776"),
           ("TTL", "k"), ("PERSIST", "k"), ("SET", "k", "v"),
           (cmd, "k", "99999999999", "XX"), (cmd, "k", "99999999999", "GT"), (cmd, "k", "99999999999", "LT"),
           (cmd, "k", "99999999999", "NX"), (cmd, "k", "99999999999", "NX"), (cmd, "k", "99999999999", "XX"),
           (cmd, "k", "999999999999", "GT"), (cmd, "k", "99999999999", "LT"),
           (cmd, "k", "9999999999", "LT"), (cmd, "k", "99999999999", "LT", "XX"), ("PERSIST", "k"),
           ("PERSIST", "k"), ("PERSIST", "nokey"), (cmd, "k", "-1"), ("EXISTS", "k"), (cmd, "k"))


def test_ttl_family(differ):
    checks(differ,
           ("TTL", "nokey"), ("PTTL", "nokey"), ("EXPIRETIME", "nokey"), ("PEXPIRETIME", "nokey"),
           ("SET", "k", "v"), ("TTL", "k"), ("PTTL", "k"), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"),
           ("EXPIREAT", "k", "33177117420"), ("TTL", "k"), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"),
           ("PEXPIREAT", "k", "33177117420123"), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"),
           ("EXPIRE", "k", "100"), ("TTL", "k"), ("EXPIRE", "k", "100", "LT"), ("TTL", "k"))


def test_expire_past_deletes(differ):
    checks(differ,
           ("SET", "k", "v"), ("EXPIREAT", "k", "1"), ("EXISTS", "k"), ("SET", "k", "v"),
           ("PEXPIRE", "k", "0"), ("GET", "k"), ("SET", "k", "v"), ("EXPIRE", "k", "-10", "GT"),
           ("EXPIRE", "k", "-10", "LT"), ("EXISTS", "k"))


def test_key_expires_lazily(server, differ):
    checks(differ, ("SET", "k", "v"), ("PEXPIRE", "k", "30"))
    time.sleep(0.05)  # let the TTL pass: polling would read (and expire) the key
    checks(differ, ("GET", "k"), ("EXISTS", "k"), ("TTL", "k"), ("TYPE", "k"), ("DBSIZE",))


# -- KEYS / SCAN / RANDOMKEY / DBSIZE --------------------------------------------------------


GLOB_KEYS = ["a", "b", "ab", "abc", "a*c", "a?c", "a[c", "a\\c", "hello", "hallo", "hxllo", "hllo", "heeeello",
             "x-y", "x]y", "x^y", "\xe9t\xe9", "foo:1", "foo:2", "foo:10", "A", "[", "]", "\\"]

GLOB_PATTERNS = ["*", "**", "a*", "*c", "a?c", "a\\*c", "a\\?c", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo",
                 "h[a-b]llo", "h[b-a]llo", "x[]]y", "x[\\]]y", "x[-]y", "x[a-]y", "x[^-]y", "a[", "[", "\\",
                 "\\\\", "a\\\\c", "a[\\[]c", "foo:[0-9]", "foo:[0-9]*", "*:*", "?", "??", "[a-z]", "[A-Z]",
                 "[^a]", "*\\", "a\\", "[!a]", "[a-\xff]*", "*\xe9*", "*[^a-z]*", "h*l*o", "h**llo", "", "[]",
                 "[^]", "[^", "x[^]y", "*[", "a*[c"]


def test_keys_glob(differ):
    for k in GLOB_KEYS:
        differ.check("SET", k, "1")
    for p in GLOB_PATTERNS:
        check_unordered(differ, "KEYS", p)
        check_unordered(differ, "PUBSUB", "CHANNELS", p)


def test_keys_empty_key_and_expired(differ):
    checks(differ, ("SET", "", "x"), ("KEYS", "*"), ("KEYS", "**"), ("KEYS", "?"), ("KEYS", ""),
           ("SET", "e", "v"), ("PEXPIRE", "e", "1"))
    time.sleep(0.01)  # let the TTL pass: polling would read (and expire) the key
    check_unordered(differ, "KEYS", "*")


def _scan_all(raw, *opts, cursor=b"0"):
    seen = []
    calls = 0
    while True:
        reply = raw.call("SCAN", cursor, *opts)
        parts = reply.split(b"\r\n")
        cursor = parts[2]
        n = int(parts[3][1:])
        seen.extend(parts[5:5 + 2 * n:2])
        calls += 1
        if cursor == b"0":
            return seen, calls


def test_scan_full_iteration(server, r):
    keys = [f"key:{i}" for i in range(500)]
    for i in range(0, 500, 100):
        r.mset({k: "v" for k in keys[i:i + 100]})
    raw = RawConn(server.port)
    seen, calls = _scan_all(raw)
    assert sorted(seen) == sorted(k.encode() for k in keys)
    assert len(seen) == len(set(seen))
    assert calls > 10
    seen, _ = _scan_all(raw, "COUNT", "1000")
    assert len(seen) == 500
    seen, _ = _scan_all(raw, "MATCH", "key:1*", "COUNT", "50")
    assert sorted(seen) == sorted(k.encode() for k in keys if k.startswith("key:1"))
    raw.close()


def test_scan_guarantee_with_concurrent_changes(server, r):
    stable = [f"s{i}" for i in range(300)]
    r.mset({k: "1" for k in stable})
    raw = RawConn(server.port)
    cursor = b"0"
    seen = set()
    i = 0
    while True:
        reply = raw.call("SCAN", cursor, "COUNT", "7")
        parts = reply.split(b"\r\n")
        cursor = parts[2]
        n = int(parts[3][1:])
        seen.update(parts[5:5 + 2 * n:2])
        # churn: add and remove other keys during the iteration
        r.set(f"tmp{i}", "x")
        r.delete(f"tmp{i - 3}")
        i += 1
        if cursor == b"0":
            break
    assert {k.encode() for k in stable} <= seen
    raw.close()


def test_scan_type_and_errors(differ):
    checks(differ,
           ("SET", "str", "v"), ("RPUSH", "lst", "a"), ("SADD", "st", "a"), ("HSET", "hs", "f", "v"),
           ("SCAN", "0", "TYPE", "list", "COUNT", "100"), ("SCAN", "0", "TYPE", "LIST", "COUNT", "100"),
           ("SCAN", "0", "TYPE", "hash", "COUNT", "100", "MATCH", "h*"), ("SCAN", "0", "TYPE", "nosuch"),
           ("SCAN", "x"), ("SCAN", " 0"), ("SCAN", "0x"), ("SCAN", "-"), ("SCAN", "+"), ("SCAN", "1.5"),
           ("SCAN", "0", "COUNT"), ("SCAN", "0", "COUNT", "0"), ("SCAN", "0", "COUNT", "-1"),
           ("SCAN", "0", "COUNT", "x"), ("SCAN", "0", "MATCH"), ("SCAN", "0", "FOO", "bar"),
           ("SCAN", "0", "TYPE"), ("SCAN", "99999999999999999999999"), ("SCAN", "18446744073709551616"))
    check_unordered(differ, "SCAN", "0", "COUNT", "100", "MATCH", "*")
    check_unordered(differ, "SCAN", "", "COUNT", "100")
    check_unordered(differ, "SCAN", "0", "count", "100", "type", "string")


def test_collection_scan_cursors_parse_like_scan(differ):
    """SSCAN/HSCAN/ZSCAN read their cursor as SCAN does (a C string: a NUL
    ends it).  Only cursors reading as 0: elsewhere a hash-table set's reply
    depends on Redis's per-process hash seed."""
    checks(differ, ("SADD", "s", "a"), ("HSET", "h", "f", "v"), ("ZADD", "z", "1", "m"))
    for cmd, key in (("SSCAN", "s"), ("HSCAN", "h"), ("ZSCAN", "z")):
        for cursor in ("0", "", "+0", "-0", "0\x00junk", "\x00x", "x", " 0", "0x", "-", "+", "1.5",
                       "18446744073709551616"):
            differ.check(cmd, key, cursor)

def test_randomkey_dbsize(differ, r):
    checks(differ, ("RANDOMKEY",), ("DBSIZE",), ("SET", "only", "1"), ("RANDOMKEY",), ("DBSIZE",))
    resp3(differ)
    checks(differ, ("DEL", "only"), ("RANDOMKEY",))
    r.mset({f"k{i}": i for i in range(20)})
    got = {r.randomkey() for _ in range(200)}
    assert got <= {f"k{i}".encode() for i in range(20)} and len(got) > 5


def test_randomkey_skips_expired(server, r):
    r.set("live", "1")
    for i in range(10):
        r.set(f"e{i}", "1", px=1)
    time.sleep(0.01)  # let the TTL pass: polling would read (and expire) the key
    assert all(r.randomkey() == b"live" for _ in range(20))


# -- SELECT / SWAPDB / FLUSH ----------------------------------------------------------------


def test_select_errors(differ):
    checks(differ, ("SELECT", "16"), ("SELECT", "-1"), ("SELECT", "x"), ("SELECT", "99999999999"),
           ("SELECT", "1.0"), ("SELECT", "15"), ("SET", "k", "in15"), ("SELECT", "0"), ("GET", "k"),
           ("SELECT", "15"), ("FLUSHDB",), ("SELECT", "0"))


def test_swapdb(differ):
    checks(differ, ("SET", "a", "db0"), ("SELECT", "1"), ("SET", "a", "db1"), ("SET", "b", "only1"),
           ("SWAPDB", "0", "1"), ("GET", "a"), ("GET", "b"), ("SELECT", "0"), ("GET", "a"), ("GET", "b"),
           ("SWAPDB", "0", "0"), ("SWAPDB", "0", "16"), ("SWAPDB", "x", "1"), ("SWAPDB", "1", "x"),
           ("SWAPDB", "-1", "0"), ("SWAPDB", "99999999999", "0"), ("SWAPDB", "0", "1"), ("GET", "a"),
           ("SELECT", "1"), ("FLUSHDB",), ("SELECT", "0"))


def test_flush(differ):
    checks(differ, ("SET", "a", "1"), ("FLUSHDB", "foo"), ("FLUSHDB", "sync", "async"), ("FLUSHDB", "ASYNC"),
           ("DBSIZE",), ("SET", "a", "1"), ("SELECT", "2"), ("SET", "b", "1"), ("FLUSHALL", "SYNC"),
           ("DBSIZE",), ("SELECT", "0"), ("DBSIZE",), ("FLUSHALL", "x"), ("FLUSHALL", "async"))


def wait_blocked(r, n=1):
    wait_for(lambda: sum(1 for cl in r.client_list() if cl.get("cmd") in ("blpop", "brpop")) >= n,
             what="blocked client")


def test_swapdb_wakes_blocked_client(server, r):
    c1 = server.client(db=1)
    c1.rpush("q", "hello")
    blocked = RawConn(server.port)
    blocked.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n5\r\n")
    wait_blocked(r)
    r.swapdb(0, 1)
    assert blocked.read_reply() == b"*2\r\n$1\r\nq\r\n$5\r\nhello\r\n"
    blocked.close()
    c1.close()


# -- OBJECT ---------------------------------------------------------------------------------


def test_object(differ):
    checks(differ,
           ("OBJECT", "ENCODING", "nokey"), ("OBJECT", "REFCOUNT", "nokey"), ("OBJECT", "IDLETIME", "nokey"),
           ("OBJECT", "FREQ", "nokey"), ("SET", "i", "12345"), ("OBJECT", "ENCODING", "i"),
           ("SET", "n", "-9223372036854775808"), ("OBJECT", "ENCODING", "n"),
           ("SET", "big", "9223372036854775808"), ("OBJECT", "ENCODING", "big"),
           ("SET", "e", "x" * 44), ("OBJECT", "ENCODING", "e"), ("SET", "r", "x" * 45), ("OBJECT", "ENCODING", "r"),
           ("SET", "z0", "007"), ("OBJECT", "ENCODING", "z0"), ("SET", "sh", "100"), ("OBJECT", "REFCOUNT", "sh"),
           ("SET", "ns", "10000"), ("OBJECT", "REFCOUNT", "ns"), ("OBJECT", "REFCOUNT", "r"),
           ("OBJECT", "IDLETIME", "r"), ("OBJECT", "FREQ", "r"), ("OBJECT", "HELP"), ("OBJECT", "help"),
           ("OBJECT", "FOO", "r"), ("OBJECT", "ENCODING"), ("OBJECT", "ENCODING", "a", "b"), ("OBJECT",),
           ("RPUSH", "l", "a"), ("OBJECT", "ENCODING", "l"), ("HSET", "h", "f", "v"), ("OBJECT", "ENCODING", "h"),
           ("SADD", "s", "1"), ("OBJECT", "ENCODING", "s"), ("SADD", "s2", "a"), ("OBJECT", "ENCODING", "s2"),
           ("ZADD", "z", "1", "a"), ("OBJECT", "ENCODING", "z"), ("HSET", "h", "f", "v" * 100),
           ("OBJECT", "ENCODING", "h"), ("ZADD", "z", "1", "a" * 100), ("OBJECT", "ENCODING", "z"))
    resp3(differ)
    checks(differ, ("OBJECT", "ENCODING", "nokey"), ("OBJECT", "REFCOUNT", "nokey"))


# -- SORT ---------------------------------------------------------------------------------------


def test_sort_numeric_and_alpha(differ):
    checks(differ,
           ("SORT", "nokey"), ("SET", "str", "x"), ("SORT", "str"),
           ("RPUSH", "l", "3", "1", "2", "10", "1.5", "-1", "1e2"), ("SORT", "l"), ("SORT", "l", "DESC"),
           ("SORT", "l", "ALPHA"), ("SORT", "l", "ALPHA", "DESC"), ("SORT", "l", "LIMIT", "1", "2"),
           ("SORT", "l", "LIMIT", "-5", "2"), ("SORT", "l", "LIMIT", "5", "-1"), ("SORT", "l", "LIMIT", "100", "1"),
           ("SORT", "l", "LIMIT", "0", "0"), ("SORT", "l", "LIMIT", "x", "1"), ("SORT", "l", "LIMIT", "1"),
           ("SORT", "l", "FOO"), ("SORT", "l", "asc", "desc"), ("RPUSH", "bad", "1", "a"), ("SORT", "bad"),
           ("SORT", "bad", "ALPHA"), ("RPUSH", "w", " 1", "0x10", "inf", "-inf", "+5", "5.", "infinity", "-0", ".5"),
           ("SORT", "w"), ("SORT", "w", "DESC"), ("RPUSH", "nan", "nan"), ("SORT", "nan"),
           ("RPUSH", "emp", "", "\x00x", "1", "a\x00b", "a"), ("SORT", "emp"), ("SORT", "emp", "ALPHA"),
           ("SORT", "emp", "ALPHA", "DESC"), ("SORT", "emp", "ALPHA", "STORE", "emps"), ("LRANGE", "emps", "0", "-1"),
           ("RPUSH", "e", "5e"),
           ("SORT", "e"), ("RPUSH", "ties", "1.0", "1", "01", "1e0"), ("SORT", "ties"),
           ("SORT", "ties", "DESC"), ("SADD", "si", "5", "3", "9", "1"), ("SORT", "si"), ("SORT", "si", "DESC"),
           ("SORT", "si", "BY", "nosort"), ("SORT", "si", "BY", "nosort", "DESC"),
           ("ZADD", "z", "3", "c", "1", "a", "2", "b"), ("SORT", "z", "ALPHA"), ("SORT", "z", "BY", "nosort"),
           ("SORT", "z", "BY", "nosort", "DESC"), ("SORT", "z", "BY", "nosort", "LIMIT", "1", "5"),
           ("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "1"), ("SORT", "z"),
           ("SORT", "l", "BY", "nosort"), ("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "2", "3"))
    # SORT turns a listpack sorted set into a skiplist, even when it fails,
    # but not when its arguments are refused.
    checks(differ, ("ZADD", "zl", "1", "a", "2", "b"), ("SORT", "zl", "LIMIT", "x", "1"),
           ("OBJECT", "ENCODING", "zl"), ("SORT_RO", "zl"), ("OBJECT", "ENCODING", "zl"),
           ("ZADD", "zl2", "1", "a"), ("SORT", "zl2", "BY", "nosort"), ("OBJECT", "ENCODING", "zl2"))
    # Overflow/underflow (ERANGE) last: Redis never clears errno before strtod,
    # so after one of these even valid numbers fail until errno changes.
    checks(differ, ("RPUSH", "over", "1e400"), ("SORT", "over"))


def test_sort_by_get_store(differ):
    checks(differ,
           ("RPUSH", "ids", "1", "2", "3", "4"), ("MSET", "w_1", "40", "w_2", "30", "w_3", "x", "o_1", "one",
                                                 "o_2", "two", "o_4", "four"),
           ("HSET", "h_1", "f", "z"), ("HSET", "h_2", "f", "a"), ("HSET", "h_3", "g", "m"),
           ("SORT", "ids", "BY", "w_*"), ("DEL", "w_3"), ("SORT", "ids", "BY", "w_*"),
           ("SORT", "ids", "BY", "w_*", "DESC"), ("SORT", "ids", "BY", "w_*", "GET", "o_*"),
           ("SORT", "ids", "BY", "w_*", "GET", "#", "GET", "o_*", "GET", "h_*->f", "GET", "nostar"),
           ("SORT", "ids", "BY", "h_*->f", "ALPHA"), ("SORT", "ids", "BY", "h_*->f", "ALPHA", "DESC"),
           ("SORT", "ids", "BY", "o_*", "ALPHA"), ("SORT", "ids", "BY", "h_*->", "ALPHA"),
           ("SORT", "ids", "GET", "h_*->"), ("SORT", "ids", "BY", "w_*", "LIMIT", "1", "2", "GET", "#"),
           ("SORT", "ids", "BY", "o_*"), ("SORT", "ids", "STORE", "dst"), ("LRANGE", "dst", "0", "-1"),
           ("SORT", "ids", "GET", "o_*", "STORE", "dst"), ("LRANGE", "dst", "0", "-1"),
           ("SORT", "ids", "LIMIT", "10", "10", "STORE", "dst"), ("EXISTS", "dst"),
           ("SADD", "set", "b", "a", "c"), ("SORT", "set", "BY", "nosort", "STORE", "dst2"),
           ("LRANGE", "dst2", "0", "-1"), ("SORT_RO", "ids", "STORE", "x"), ("SORT_RO", "ids", "BY", "w_*"),
           ("SORT", "ids", "STORE"), ("SORT", "ids", "GET"), ("SORT", "ids", "BY"),
           ("SET", "dst3", "x"), ("SORT", "ids", "STORE", "dst3"), ("TYPE", "dst3"))
    resp3(differ)
    checks(differ, ("SORT", "ids", "GET", "o_*"))


def test_sort_store_wakes_blocked(server, r):
    r.rpush("src", "2", "1")
    blocked = RawConn(server.port)
    blocked.send(b"*3\r\n$5\r\nBLPOP\r\n$3\r\ndst\r\n$1\r\n5\r\n")
    wait_blocked(r)
    assert r.sort("src", store="dst") == 2
    assert blocked.read_reply() == b"*2\r\n$3\r\ndst\r\n$1\r\n1\r\n"
    blocked.close()
