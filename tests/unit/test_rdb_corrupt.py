"""Corrupt input: every failure is an RdbError whose reason and offset are
what redis-check-rdb 7.0.15 prints for the same file (offsets were taken
from the real tool on these exact byte strings)."""

from __future__ import annotations

import pytest

from rdb_support import fixture
from redkeep.errors import CommandError
from redkeep.keyspace import RHash, RList, RSet
from redkeep.rdb import RdbError, RdbReader, dump_payload, restore_payload
from redkeep.rdb.encoder import dump_rdb, enc_len, enc_string, standard_aux
from redkeep.rdb.types import MODULE_CHARSET

TINY = fixture("tiny_expire.rdb")  # layout in redis-facts.md section 1.19


def _err(data: bytes, **kw) -> RdbError:
    with pytest.raises(RdbError) as info:
        RdbReader(data, **kw).load()
    return info.value


def _nocrc(data: bytes) -> bytes:
    """Zero the trailer (checksum disabled) so structural errors surface."""
    return data[:-8] + bytes(8)


def _one_key(key: bytes, value) -> bytes:
    return dump_rdb({0: [(key, value, None)]}, aux=standard_aux(0, 0))


@pytest.mark.parametrize("cut,offset,doing", [
    (0, 0, "start"), (5, 0, "start"), (100, 96, "read-key"), (113, 108, "check-sum"), (108, 108, "check-sum"),
    (95, 95, "read-key"), (90, 86, "read-expire"),
])
def test_truncated(cut, offset, doing):
    e = _err(TINY[:cut])
    assert (e.reason, e.offset, e.doing) == ("Unexpected EOF reading RDB file", offset, doing)


def test_truncated_everywhere():
    data = fixture("all_types.rdb")
    for cut in range(0, len(data), 97):
        e = _err(data[:cut])
        assert e.reason == "Unexpected EOF reading RDB file" and e.offset <= cut
    e = _err(data[:30000])
    assert (e.offset, e.doing, e.key) == (17268, "read-object-value", b"str:random20000")


def test_truncated_file_stream(tmp_path):
    path = tmp_path / "cut.rdb"
    path.write_bytes(TINY[:100])
    with open(path, "rb") as f, pytest.raises(RdbError) as info:
        RdbReader(f).load()
    assert info.value.offset == 96


@pytest.mark.parametrize("head,reason,offset", [
    (b"REDIS0011", "Can't handle RDB format version 11", 9),
    (b"REDIS0000", "Can't handle RDB format version 0", 9),
    (b"RADIS0010", "Wrong signature trying to load DB from file", 9),
])
def test_header(head, reason, offset):
    e = _err(head + TINY[9:])
    assert (e.reason, e.offset, e.doing) == (reason, offset, "start")


def test_version_11_opt_in():
    reader = RdbReader(b"REDIS0011" + TINY[9:-8] + bytes(8), accept_version_11=True).load()
    assert reader.version == 11 and reader.keys == 1


def test_bad_checksum():
    bad = TINY[:-1] + bytes([TINY[-1] ^ 1])
    e = _err(bad)
    assert (e.reason, e.offset, e.doing) == ("RDB CRC error", 116, "check-sum")
    assert e.detail.startswith("Wrong RDB checksum expected: (")
    assert RdbReader(bad, verify_checksum=False).load().checksum == "unchecked"


def test_flipped_value_byte_is_crc_error():
    e = _err(TINY[:105] + bytes([TINY[105] ^ 0x20]) + TINY[106:])
    assert (e.reason, e.offset) == ("RDB CRC error", 116)


@pytest.mark.parametrize("t", [8, 48, 240])
def test_unknown_type(t):
    e = _err(_nocrc(TINY[:94] + bytes([t]) + TINY[95:]))
    assert (e.reason, e.offset, e.doing) == (f"Invalid object type: {t}", 95, "read-type")
    assert e.detail == f"Unknown RDB encoding type {t}"


def test_duplicate_set_member():
    s = RSet([b"x", b"y"])
    s.big = True
    data = _one_key(b"s", s)
    i = data.index(b"\x01x")
    e = _err(_nocrc(data[:i] + b"\x01y" + data[i + 2:]))
    assert (e.reason, e.offset, e.doing, e.rdb_type, e.key) == (
        "Duplicate set members detected", 87, "read-object-value", 2, b"s")


def test_bad_quicklist_container():
    data = _one_key(b"l", RList([b"a", b"b"]))
    i = data.index(b"\x12\x01l") + 4
    e = _err(_nocrc(data[:i] + b"\x05" + data[i + 1:]))
    assert (e.reason, e.offset) == ("Quicklist integrity check failed.", 84)


def test_corrupt_hash_listpack():
    data = _one_key(b"h", RHash({b"f1": b"v1", b"f2": b"v2"}))
    i = data.index(b"\x82f1")
    e = _err(_nocrc(data[:i] + b"\xf7" + data[i + 1:]))
    assert (e.reason, e.offset, e.rdb_type) == ("Hash listpack integrity check failed.", 106, 16)


def test_invalid_lzf():
    data = _one_key(b"k", b"a" * 100)
    i = data.index(b"\xc3\x09\x40\x64")
    e = _err(_nocrc(data[:i + 4] + b"\x1f" + data[i + 5:]))
    assert e.reason == "Invalid LZF compressed string" and e.offset == i + 13


def test_duplicates_in_other_types():
    h = RHash({b"a": b"1", b"b": b"2"})
    h.big = True
    data = _one_key(b"h", h)
    assert _err(_nocrc(data.replace(b"\x01b\xc0\x02", b"\x01a\xc0\x02"))).reason == "Duplicate hash fields detected"
    body = b"\x05" + enc_string(b"z") + enc_len(2) + (enc_string(b"m") + bytes(8)) * 2
    data = _one_key(b"z", b"x").replace(b"\x00\x01z\x01x", body)
    assert _err(_nocrc(data)).reason == "Duplicate zset fields detected"
    nan = b"\x05" + enc_string(b"z") + enc_len(1) + enc_string(b"m") + b"\x00\x00\x00\x00\x00\x00\xf8\x7f"
    assert _err(_nocrc(_one_key(b"z", b"x").replace(b"\x00\x01z\x01x", nan))).reason == "Zset with NAN score detected"


def _module_id(name: str, encver: int) -> int:
    mid = 0
    for ch in name:
        mid = (mid << 6) | MODULE_CHARSET.index(ch)
    return (mid << 10) | encver


def test_module_value_names_the_module():
    body = b"\x07" + enc_string(b"m") + enc_len(_module_id("ReJSON-RL", 3)) + b"\x02\x05\x05\x03abc\x00"
    data = _nocrc(_one_key(b"z", b"x").replace(b"\x00\x01z\x01x", body))
    e = _err(data)
    assert e.reason == "The RDB file contains module data I can't load: no matching module type 'ReJSON-RL'"
    reader = RdbReader(data, skip_module_values=True).load()
    assert reader.keys == 0 and reader.empty_keys_skipped == 1
    v1 = _nocrc(_one_key(b"z", b"x").replace(b"\x00\x01z\x01x", b"\x06\x01m" + enc_len(5)))
    assert "type 6" in _err(v1).reason


def test_module_aux_is_skipped():
    aux = b"\xf7" + enc_len(_module_id("scripting", 1)) + b"\x02\x02\x04" + b"\x00" * 8 + b"\x05\x02hi\x00"
    data = _nocrc(TINY[:80] + aux + TINY[80:])
    reader = RdbReader(data).load()
    assert reader.module_aux_skipped == ["scripting"] and reader.keys == 1


def test_old_function_opcode():
    rec = b"\xf6" + enc_string(b"mylib") + enc_string(b"LUA") + b"\x01" + enc_string(b"desc") + enc_string(b"body")
    reader = RdbReader(_nocrc(TINY[:80] + rec + TINY[80:])).load()
    assert reader.functions == [b"#!LUA name=mylib\nbody"]


def test_empty_values_are_skipped():
    body = b"\x01" + enc_string(b"l") + b"\x00" + b"\x12" + enc_string(b"q") + b"\x01\x02" + enc_string(
        b"\x07\x00\x00\x00\x00\x00\xff")
    reader = RdbReader(_nocrc(_one_key(b"z", b"x").replace(b"\x00\x01z\x01x", body))).load()
    assert reader.keys == 0 and reader.empty_keys_skipped == 2


def test_restore_errors():
    good = dump_payload(b"hello world")
    assert restore_payload(good) == b"hello world"
    for bad in (good[:-1] + bytes([good[-1] ^ 1]), b"\x00\x0b" + good[2:-10] + b"\x0b\x00" + good[-8:], b"short"):
        with pytest.raises(CommandError) as info:
            restore_payload(bad)
        assert str(info.value) == "ERR DUMP payload version or checksum are wrong"
    from redkeep.rdb.lzf_crc import crc64
    for body in (b"\x08\x01x", b"\x00\x0bhello", b"\x02\x00"):
        body += b"\x0a\x00"
        with pytest.raises(CommandError) as info:
            restore_payload(body + crc64(body).to_bytes(8, "little"))
        assert str(info.value) == "ERR Bad data format"
