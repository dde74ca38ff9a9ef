"""The RDB codec against real Redis 7.0.15: DUMP payloads byte for byte,
RESTORE of our payloads, and whole files checked by redis-check-rdb and
loaded by redis-server (and Redis's own SAVE read back by our reader)."""

from __future__ import annotations

import math
import os
import random
import shutil
import subprocess

import pytest

from helpers import ServerProcess
from redkeep.keyspace import Opaque, RHash, RList, RSet
from redkeep.rdb import RdbWriter, ZSetData, dump_payload, load_bytes, restore_payload, standard_aux

pytestmark = pytest.mark.interop

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "rdb")
FUNCTION_SRC = b"#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 1 end)"


def _strings(rng: random.Random) -> list[bytes]:
    out = [b"", b"0", b"-1", b"127", b"-128", b"32768", b"2147483647", b"-2147483649", b"12345678901",
           b"007", b"-0", b"+5", b"1e5", b"a" * 21, b"ab" * 11, b"x" * 20]
    for n in (21, 22, 24, 25, 30, 40, 64, 100, 500, 4096, 9000, 70000):
        out.append(rng.randbytes(n))
        out.append((rng.randbytes(3) * n)[:n])
        out.append(bytes(rng.choice(b"abcd") for _ in range(n)))
        half = rng.randbytes(n // 2)
        out.append(half + half)
    return out


def _compare_dump(rr, key: bytes, value) -> None:
    got = rr.dump(key)
    assert got == dump_payload(value), (key, got.hex()[:80], dump_payload(value).hex()[:80])
    back = restore_payload(got)
    if type(value) is ZSetData:
        assert back.items_by_score() == value.items_by_score()
    else:
        assert back == value


def test_dump_strings_byte_exact(rr):
    rng = random.Random(7)
    for i, s in enumerate(_strings(rng)):
        rr.set(b"s%d" % i, s)
        _compare_dump(rr, b"s%d" % i, s)


def test_dump_lists_byte_exact(rr):
    rng = random.Random(8)
    shapes = [
        [b"a"], [b"%d" % i for i in range(-300, 300, 7)], [b"item:%05d" % i for i in range(2000)],
        [rng.randbytes(rng.randrange(0, 300)) for _ in range(400)],
        [b"x" * 5000, b"y" * 5000, b"z"], [b"%d" % rng.randrange(-(1 << 40), 1 << 40) for _ in range(3000)],
        [b"q" * 9000], [b"w" * 8100, b"e" * 80, b"r"],
    ]
    for i, items in enumerate(shapes):
        key = b"l%d" % i
        for j in range(0, len(items), 500):
            rr.rpush(key, *items[j:j + 500])
        _compare_dump(rr, key, RList(items))


def test_dump_hashes_sets_byte_exact(rr):
    fields = [(b"f1", b"v1"), (b"num", b"123"), (b"neg", b"-7"), (b"big", b"9999999999"), (b"e", b"")]
    rr.hset(b"h", mapping=dict(fields))
    _compare_dump(rr, b"h", RHash(fields))
    for i, members in enumerate([[1, 2, 3], [-100, 1000, 5], [1, 100000], [1, 10 ** 10, -(1 << 63)]]):
        rr.sadd(b"set%d" % i, *members)
        _compare_dump(rr, b"set%d" % i, RSet(b"%d" % m for m in members))


SCORES = [0.0, -0.0, 1.0, -3.0, 2.5, 0.1, 1e16, 1e17, 2.0 ** 53, 2.0 ** 53 + 2, 2.0 ** 60, 123456789012345678.0,
          4503599627370495.0, 4503599627370496.0, -4503599627370496.0, 1.5e300, 5e-324, math.inf, -math.inf,
          1 / 3, -2.0 ** 63, 9007199254740993.0, 1e15 + 0.5]


def test_dump_zsets_byte_exact(rr):
    pairs = [(b"m%02d" % i, s) for i, s in enumerate(SCORES)]
    rr.zadd(b"z", {m: s for m, s in pairs})
    _compare_dump(rr, b"z", ZSetData(pairs, False))
    big = [(b"m%03d" % i, SCORES[i % len(SCORES)] + i) for i in range(300)]
    rr.zadd(b"zbig", {m: s for m, s in big})
    _compare_dump(rr, b"zbig", ZSetData(big, True))
    rr.zadd(b"zlong", {b"z" * 100: 42})
    _compare_dump(rr, b"zlong", ZSetData([(b"z" * 100, 42.0)], True))


def test_restore_our_payloads(rr):
    h = RHash({b"field%03d" % i: b"value%03d" % i for i in range(600)})
    h.big = True
    s = RSet([b"apple", b"banana"] + [b"%d" % i for i in range(700)])
    s.big = True
    stream = load_bytes(open(os.path.join(FIXTURES, "all_types.rdb"), "rb").read())[0][0][b"stream:s1"][0]
    rr.restore(b"h", 0, dump_payload(h))
    rr.restore(b"s", 0, dump_payload(s))
    rr.restore(b"st", 0, dump_payload(stream))
    assert rr.hgetall(b"h") == dict(h) and rr.object("encoding", b"h") == b"hashtable"
    assert rr.smembers(b"s") == set(s)
    assert [e[0] for e in rr.xrange(b"st")] == [b"1700000000000-0", b"1700000000001-0", b"1700000000002-5"]
    assert rr.dump(b"st") == dump_payload(stream)


def _dataset():
    rng = random.Random(11)
    big_hash = RHash({b"f%d" % i: rng.randbytes(10) for i in range(700)})
    big_hash.big = True
    big_set = RSet(b"m%d" % i for i in range(100))
    big_set.big = True
    int_set = RSet(b"%d" % i for i in range(-50, 50, 3))
    stream = load_bytes(open(os.path.join(FIXTURES, "all_types.rdb"), "rb").read())[0][0][b"stream:big"][0]
    db0 = {
        b"str": (b"hello", None),
        b"int": (b"12345", None),
        b"lzf": (b"abc" * 100, None),
        b"bin": (rng.randbytes(1000), 4102444800000),
        b"list": (RList(b"item:%05d" % i for i in range(3000)), None),
        b"hash": (RHash({b"a": b"1", b"b": b"two"}), 4102444800123),
        b"bighash": (big_hash, None),
        b"intset": (int_set, None),
        b"set": (big_set, None),
        b"zset": (ZSetData([(b"a", 1.5), (b"b", -2.0), (b"c", math.inf)], False), None),
        b"bigzset": (ZSetData([(b"m%d" % i, i / 7) for i in range(500)], True), None),
        b"stream": (stream, None),
    }
    db3 = {b"other": (b"db3", None)}
    return {0: db0, 3: db3}


def test_file_checked_and_loaded_by_redis(tmp_path):
    dataset = _dataset()
    path = tmp_path / "dump.rdb"
    with open(path, "wb") as f:
        w = RdbWriter(f.write)
        w.begin(standard_aux(1795755908, 1498872), [FUNCTION_SRC])
        for dbid, keys in dataset.items():
            w.select_db(dbid, len(keys), sum(1 for _, e in keys.values() if e is not None))
            for key, (value, expire) in keys.items():
                w.write_key(key, value, expire)
        w.end()

    check = subprocess.run([shutil.which("redis-check-rdb"), str(path)], capture_output=True, text=True)
    assert "\\o/ RDB looks OK! \\o/" in check.stdout, check.stdout
    assert "Checksum OK" in check.stdout and "[info] 13 keys read" in check.stdout

    srv = ServerProcess(real=True, dir=str(tmp_path), args=["--dbfilename", "dump.rdb"]).start()
    try:
        c = srv.client()
        assert c.fcall("myfunc", 0) == 1
        for dbid, keys in dataset.items():
            c.select(dbid)
            assert c.dbsize() == len(keys)
            for key, (value, expire) in keys.items():
                assert c.pexpiretime(key) == (expire if expire is not None else -1), key
                if type(value) is bytes:
                    assert c.get(key) == value
                elif type(value) is RList:
                    assert c.lrange(key, 0, -1) == list(value)
                elif type(value) is RHash:
                    assert c.hgetall(key) == dict(value)
                    assert c.object("encoding", key) == (b"hashtable" if value.big else b"listpack")
                elif type(value) is RSet:
                    assert c.smembers(key) == set(value)
                    assert c.object("encoding", key) == (b"hashtable" if value.big else b"intset")
                elif type(value) is ZSetData:
                    assert c.zrange(key, 0, -1, withscores=True) == [(m, s) for m, s in value.items_by_score()]
                    assert c.object("encoding", key) == (b"skiplist" if value.big else b"listpack")
                elif type(value) is Opaque:
                    assert c.xlen(key) == 250
                # the server re-serialises each value exactly as we did
                if not (type(value) in (RHash, RSet) and value.big):
                    assert c.dump(key) == dump_payload(value), key
        c.select(0)
        c.save()
        saved = (tmp_path / "dump.rdb").read_bytes()
    finally:
        srv.kill()
    dbs, reader = load_bytes(saved)
    assert reader.checksum == "ok" and reader.functions == [FUNCTION_SRC]
    for dbid, keys in dataset.items():
        assert set(dbs[dbid]) == set(keys)
        for key, (value, expire) in keys.items():
            v2, e2 = dbs[dbid][key]
            assert e2 == expire
            if type(value) is ZSetData:
                assert v2.items_by_score() == value.items_by_score()
            elif type(value) is Opaque:
                assert (v2.rdb_type, v2.payload) == (value.rdb_type, value.payload)
            else:
                assert v2 == value and type(v2) is type(value)


def test_check_tool_matches_redis_check_rdb(tmp_path):
    from redkeep.rdb.check import check_file

    tiny = open(os.path.join(FIXTURES, "tiny_expire.rdb"), "rb").read()
    files = {name: open(os.path.join(FIXTURES, name), "rb").read()
             for name in ("all_types.rdb", "legacy_v9_handmade.rdb", "nocompress_nochecksum.rdb", "lfu_freq.rdb")}
    files.update({"cut.rdb": tiny[:100], "crc.rdb": tiny[:-1] + b"\x00", "v11.rdb": b"REDIS0011" + tiny[9:],
                  "type.rdb": tiny[:94] + b"\x08" + tiny[95:-8] + bytes(8), "hdr.rdb": tiny[:7]})
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        real = subprocess.run([shutil.which("redis-check-rdb"), str(path)], capture_output=True, text=True)
        ours = []
        code = check_file(str(path), ours.append)
        want = [line for line in real.stdout.splitlines() if "Terminating server" not in line]
        assert ours == want, name
        assert code == real.returncode, name
