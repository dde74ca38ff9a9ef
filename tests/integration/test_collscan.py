"""SSCAN/HSCAN/ZSCAN cursors over big collections (commands/collscan.py):
pages of about COUNT elements, and SCAN's guarantee while the collection
changes between calls."""

import random

import pytest

N = 3000


def _fill(r, kind, key, names):
    if kind == "set":
        r.sadd(key, *names)
    elif kind == "hash":
        r.hset(key, mapping={n: b"v" + n for n in names})
    else:
        r.zadd(key, {n: i for i, n in enumerate(names)})


def _scan(r, kind, key, cursor, count):
    cmd = {"set": "SSCAN", "hash": "HSCAN", "zset": "ZSCAN"}[kind]
    cur, items = r.execute_command(cmd, key, cursor, "COUNT", count)
    if kind == "hash":
        items = list(items)  # redis-py gives {field: value}
    elif kind == "zset":
        items = [m for m, _ in items]  # and [(member, score)]
    return int(cur), items


def _remove(r, kind, key, names):
    {"set": r.srem, "hash": r.hdel, "zset": r.zrem}[kind](key, *names)


@pytest.mark.parametrize("kind", ["set", "hash", "zset"])
def test_pages_and_full_iteration(r, kind):
    names = [b"e%d" % i for i in range(N)]
    _fill(r, kind, "c", names)
    assert r.object("encoding", "c") in (b"hashtable", b"skiplist")
    seen, cursor, calls = [], 0, 0
    while True:
        cursor, items = _scan(r, kind, "c", cursor, 25)
        calls += 1
        assert len(items) <= 40  # about COUNT (equal hashes stay together)
        seen += items
        if cursor == 0:
            break
    assert sorted(seen) == sorted(names) and len(seen) == N  # nothing twice while unchanged
    assert calls >= N // 25


@pytest.mark.parametrize("kind", ["set", "hash", "zset"])
def test_guarantee_under_changes(r, kind):
    """Members present for the whole iteration are all returned, whatever is
    added and deleted between calls (including re-iterations by another
    client, which replace the snapshot)."""
    rnd = random.Random(7)
    stable = [b"s%d" % i for i in range(N)]
    churn = [b"x%d" % i for i in range(N)]
    _fill(r, kind, "c", stable + churn)
    seen, cursor, step = set(), 0, 0
    while True:
        cursor, items = _scan(r, kind, "c", cursor, 50)
        seen.update(items)
        step += 1
        gone = rnd.sample(churn, 20)
        _remove(r, kind, "c", gone)
        _fill(r, kind, "c", [b"n%d_%d" % (step, i) for i in range(30)])
        if step % 7 == 0:
            _scan(r, kind, "c", 0, 10)  # another iteration starts: a new snapshot
        if cursor == 0:
            break
    assert set(stable) <= seen
    deleted = set(churn) - set(_members(r, kind, "c"))
    returned_after_delete = deleted & seen
    assert len(returned_after_delete) < len(deleted)  # deleted members are skipped once gone


def _members(r, kind, key):
    if kind == "set":
        return r.smembers(key)
    if kind == "hash":
        return r.hkeys(key)
    return r.zrange(key, 0, -1)


def test_values_are_current(r):
    _fill(r, "hash", "h", [b"f%d" % i for i in range(600)])  # above hash-max-listpack-entries
    assert r.object("encoding", "h") == b"hashtable"
    cursor, _ = r.hscan("h", 0, count=10)
    r.hset("h", mapping={b"f%d" % i: b"new" for i in range(600)})
    rest = {}
    while cursor:
        cursor, page = r.hscan("h", cursor, count=100)
        rest.update(page)
    assert rest and set(rest.values()) == {b"new"}


def test_small_encodings_whole_whatever_the_cursor(differ):
    differ.check("SADD", "ints", "3", "1", "2")
    differ.check("SSCAN", "ints", "12345", "COUNT", "1")
    differ.check("HSET", "small", "a", "1", "b", "2")
    differ.check("HSCAN", "small", "999", "COUNT", "1")
    differ.check("ZADD", "zsmall", "1", "a", "2", "b")
    differ.check("ZSCAN", "zsmall", "7", "COUNT", "1")


def test_cursor_and_option_errors(differ):
    differ.check("SADD", "big", *["m%d" % i for i in range(600)])
    for args in (("abc",), ("0", "COUNT", "0"), ("0", "COUNT", "x"), ("0", "MATCH"), ("0", "FOO", "1"),
                 ("18446744073709551616",), ("1 ",), (" 1",)):
        differ.check("SSCAN", "big", *args)
