"""Every RDB fixture written by real Redis 7.0.15 decodes to exactly the
contents listed in tests/fixtures/rdb (see /work/shared/fixtures/README.md),
and re-encoding reproduces Redis's bytes wherever the order is deterministic."""

from __future__ import annotations

import json
import math
import os

import pytest

from rdb_support import FIXTURES, fixture, records, reencode
from redkeep.keyspace import Opaque, RHash, RList, RSet
from redkeep.rdb import RdbOptions, RdbReader, dump_payload, load_bytes, restore_payload
from redkeep.rdb.encoder import encode_value, enc_string

RANDOM = fixture("random_blobs.bin")
FUNCTION_SRC = b"#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 1 end)"


@pytest.fixture(scope="module")
def all_types():
    dbs, reader = load_bytes(fixture("all_types.rdb"))
    return dbs, reader


def test_all_types_header(all_types):
    dbs, reader = all_types
    assert reader.version == 10 and reader.checksum == "ok"
    assert list(reader.aux) == [b"redis-ver", b"redis-bits", b"ctime", b"used-mem", b"aof-base"]
    assert reader.aux[b"redis-ver"] == b"7.0.15" and reader.aux[b"redis-bits"] == b"64"
    assert reader.aux[b"aof-base"] == b"0"
    assert reader.functions == [FUNCTION_SRC]
    assert sorted(dbs) == [0, 2] and len(dbs[0]) == 32 and len(dbs[2]) == 1
    assert dbs[2] == {b"db2:key": (b"in db 2", None)}
    events, _ = records(fixture("all_types.rdb"))
    assert [e for e in events if e[0] == "resize"] == [("resize", 0, 32, 1), ("resize", 2, 1, 0)]


STRINGS = {
    b"str:raw": b"hello world", b"str:int8": b"-5", b"str:int16": b"1234", b"str:int32": b"1000000",
    b"str:int64": b"12345678901", b"str:leading_zero": b"0123", b"str:empty": b"",
    b"str:binary": bytes.fromhex("0001fffe0d0a"), b"str:lzf": b"a" * 100,
    b"str:lzf2": b"Redis RDB format test " * 10, b"str:random40": RANDOM[0:40],
    b"str:random200": RANDOM[40:240], b"str:random20000": RANDOM[240:20240],
    b"str:utf8": "héllo wörld ✓".encode(), b"str:expire": b"v",
}


def test_all_types_strings(all_types):
    db = all_types[0][0]
    for key, value in STRINGS.items():
        assert db[key] == (value, 4102444800000 if key == b"str:expire" else None), key


def test_all_types_lists(all_types):
    db = all_types[0][0]
    small = [b"a", b"b", b"c", b"1", b"-2", b"300", b"70000", b"hello world", b"5000000000", b"-40000",
             b"32767", b"2147483647", b"-4096", b"4095", b"127", b"128"]
    assert db[b"list:small"][0] == RList(small)
    assert type(db[b"list:small"][0]) is RList
    assert db[b"list:big"][0] == RList(b"item:%05d" % i for i in range(2000))
    assert db[b"list:longstr"][0] == RList([b"x" * 100])


def test_all_types_sets(all_types):
    db = all_types[0][0]
    expect = {
        b"set:intset16": ({b"-100", b"1", b"2", b"3", b"1000"}, False),
        b"set:intset32": ({b"1", b"100000"}, False),
        b"set:intset64": ({b"1", b"10000000000"}, False),
        b"set:ht": ({b"apple", b"banana", b"cherry"}, True),
        b"set:bigint": ({b"%d" % i for i in range(600)}, True),
    }
    for key, (members, big) in expect.items():
        value = db[key][0]
        assert type(value) is RSet and value == members and value.big is big, key


def test_all_types_zsets(all_types):
    db = all_types[0][0]
    lp = db[b"zset:lp"][0]
    assert lp.items_by_score() == [(b"e", -math.inf), (b"c", -3.0), (b"f", 0.1), (b"a", 1.0), (b"b", 2.5),
                                   (b"d", math.inf)]
    assert lp.big is False
    sk = db[b"zset:skiplist"][0]
    assert sk.items_by_score() == [(b"m%03d" % i, i * 1.5) for i in range(200)] and sk.big is True
    lm = db[b"zset:longmember"][0]
    assert lm.items_by_score() == [(b"z" * 100, 42.0)] and lm.big is True


def test_all_types_hashes(all_types):
    db = all_types[0][0]
    lp = db[b"hash:lp"][0]
    assert list(lp.items()) == [(b"f1", b"v1"), (b"num", b"123"), (b"neg", b"-7"), (b"big", b"9999999999")]
    assert type(lp) is RHash and lp.big is False
    ht = db[b"hash:ht"][0]
    assert ht == {b"field%03d" % i: b"value%03d" % i for i in range(600)} and ht.big is True
    lv = db[b"hash:longval"][0]
    assert lv == {b"f": b"y" * 100} and lv.big is True


def test_all_types_streams_are_opaque(all_types):
    db = all_types[0][0]
    for key in (b"stream:s1", b"stream:empty", b"stream:big"):
        value = db[key][0]
        assert type(value) is Opaque and value.type_name == "stream" and value.rdb_type == 19
        # the raw payload is exactly what the file holds after the key
        assert bytes((19,)) + enc_string(key) + value.payload in fixture("all_types.rdb")
    s1 = db[b"stream:s1"][0].payload
    assert b"alice" in s1 and b"consumer1" in s1 and b"g2" in s1
    empty = db[b"stream:empty"][0].payload
    # 0 nodes, length 0, last/first/max-deleted ids 0-0, entries_added 0, one group
    assert empty[:10] == bytes(9) + b"\x01" and empty[10:12] == b"\x01g"


def test_all_types_reencode_records(all_types):
    """Every record whose bytes do not depend on hash-table order is
    reproduced byte for byte; the sets whose member order is the process's
    hash order re-encode to the same length."""
    data = fixture("all_types.rdb")
    again = reencode(data)
    assert len(again) == len(data)
    prefix_end = data.index(b"\xfe\x00")
    assert again[:prefix_end] == data[:prefix_end]  # header, AUX, FUNCTION2
    db = all_types[0][0]
    for key, (value, expire) in db.items():
        if key in (b"set:ht", b"set:bigint", b"hash:ht"):
            continue
        t, payload = encode_value(value)
        record = bytes((t,)) + enc_string(key) + payload
        if expire is not None:
            record = b"\xfc" + expire.to_bytes(8, "little") + record
        assert data.count(record) == 1, key


def test_all_types_verified_blobs(all_types):
    data = fixture("all_types.rdb")
    assert b"\x07str:lzf\xc3\x09\x40\x64\x01\x61\x61\xe0\x57\x00\x01\x61\x61" in data
    assert enc_string(b"a" * 100) == bytes.fromhex("c3094064016161e05700016161")
    hash_lp = bytes.fromhex("2d000000 0800 82663103 82763103 836e756d04 7b01 836e656704 dff902"
                            " 8362696704 f4ffe30b540200000009 ff".replace(" ", ""))
    _, payload = encode_value(all_types[0][0][b"hash:lp"][0])
    assert payload == enc_string(hash_lp) and len(hash_lp) == 0x2D


@pytest.mark.parametrize("name,options", [
    ("empty.rdb", None),
    ("tiny_k_v.rdb", None),
    ("tiny_expire.rdb", None),
    ("lru_idle.rdb", None),
    ("lfu_freq.rdb", None),
    ("nocompress_nochecksum.rdb", RdbOptions(compression=False, checksum=False)),
    ("list_compressed.rdb", RdbOptions(list_compress_depth=1)),
    ("list_plain_node.rdb", RdbOptions(packed_threshold=100)),
])
def test_single_key_files_reencode_byte_exact(name, options):
    data = fixture(name)
    assert reencode(data, options) == data


def test_small_files_contents():
    assert load_bytes(fixture("empty.rdb"))[0] == {}
    assert len(fixture("empty.rdb")) == 89
    assert load_bytes(fixture("tiny_k_v.rdb"))[0] == {0: {b"k": (b"v", None)}}
    assert load_bytes(fixture("tiny_expire.rdb"))[0] == {0: {b"mykey": (b"myval", 4102444800000)}}
    events, reader = records(fixture("lru_idle.rdb"))
    assert sorted(e[2:] for e in events if e[0] == "key") == [(b"a", b"1", None, 0, None), (b"b", b"2", None, 0, None)]
    events, reader = records(fixture("lfu_freq.rdb"))
    assert sorted(e[2:] for e in events if e[0] == "key") == [(b"a", b"1", None, None, 9), (b"b", b"2", None, None, 5)]
    dbs, reader = load_bytes(fixture("nocompress_nochecksum.rdb"))
    assert reader.checksum == "disabled" and fixture("nocompress_nochecksum.rdb").endswith(bytes(8))
    assert dbs[0] == {b"str:lzf": (b"a" * 100, None), b"list:small": (RList([b"a", b"b", b"c"]), None),
                      b"hash:lp": ({b"f1": b"v1"}, None)}
    dbs, _ = load_bytes(fixture("list_compressed.rdb"))
    assert dbs[0][b"list:compressed"][0] == RList(b"item:%05d" % i for i in range(3000))
    dbs, _ = load_bytes(fixture("list_plain_node.rdb"))
    assert dbs[0][b"list:plain"][0] == RList([b"small1", b"P" * 150, b"small2"])


def test_legacy_v9_handmade():
    dbs, reader = load_bytes(fixture("legacy_v9_handmade.rdb"))
    assert reader.version == 9 and reader.aux == {b"redis-ver": b"5.0.0"}
    db = {k: v for k, (v, _) in dbs[0].items()}
    assert dbs[0][b"old:expire_sec"] == (b"v", 2000000000 * 1000)
    assert db[b"old:list"] == RList([b"a", b"b", b"5"])
    assert db[b"old:set"] == {b"x", b"y"} and db[b"old:set"].big
    assert db[b"old:zset"].items_by_score() == [(b"m3", -2.0), (b"m1", 1.5), (b"m2", math.inf)]
    assert db[b"old:hash"] == {b"f": b"v"} and not db[b"old:hash"].big
    assert db[b"old:zipmap"] == {b"zk1": b"zv1", b"zk2": b"zv2"}
    assert db[b"old:list_zl"] == RList([b"hello", b"7", b"300", b"-70000", b"5000000000", b"x" * 70])
    assert db[b"old:intset"] == {b"1", b"2", b"3"} and not db[b"old:intset"].big
    assert db[b"old:zset_zl"].items_by_score() == [(b"a", 1.0), (b"b", 2.5)]
    assert db[b"old:hash_zl"] == {b"f1": b"v1", b"f2": b"99"}
    assert db[b"old:quicklist"] == RList([b"n1a", b"n1b", b"n2a", b"1"])
    assert db[b"old:zset2"].items_by_score() == [(b"q", 3.25)]
    assert len(db) == 12


def test_dump_payloads_match_redis(all_types):
    with open(os.path.join(FIXTURES, "generation_manifest.json")) as f:
        payloads = json.load(f)["dump_payloads_hex"]
    db = all_types[0][0]
    assert len(payloads) == 6
    for key, hexed in payloads.items():
        value = db[key.encode()][0]
        assert dump_payload(value).hex() == hexed, key
        assert restore_payload(bytes.fromhex(hexed)) == value
    assert dump_payload(b"hello world") == bytes.fromhex("000b68656c6c6f20776f726c640a000bfc49b9a6c7a034")


def test_streaming_source_small_reads():
    """The reader pulls from a file-like object in pieces and gets the same
    result, CRC included, even when each read returns one byte."""

    class Trickle:
        def __init__(self, data):
            self.data, self.pos = data, 0

        def read(self, n):
            b = self.data[self.pos:self.pos + 1]
            self.pos += len(b)
            return b

    data = fixture("all_types.rdb")
    got = {}
    reader = RdbReader(Trickle(data))
    reader.load(on_key=lambda d, k, v, *rest: got.__setitem__((d, k), v))
    assert reader.checksum == "ok" and reader.offset == len(data) and len(got) == 33


def test_file_source_and_leftover(tmp_path):
    path = tmp_path / "x.rdb"
    path.write_bytes(fixture("tiny_expire.rdb") + b"TRAILING")
    with open(path, "rb") as f:
        reader = RdbReader(f).load()
    assert reader.keys == 1 and reader.expires == 1
    assert reader.offset == 116 and reader.leftover() == b"TRAILING"
