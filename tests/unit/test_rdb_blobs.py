"""The blob formats inside RDB values (listpack, ziplist, intset, zipmap),
the string/length encodings, LZF and CRC64, checked against the byte
strings verified on Redis 7.0.15 (redis-facts.md section 1)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from redkeep.rdb import intset, listpack, ziplist, zipmap
from redkeep.rdb.encoder import enc_len, enc_string, zset_score_entry
from redkeep.rdb.lzf_crc import crc64, lzf_compress, lzf_decompress
from redkeep.rdb.types import module_type_name


def test_crc64_check_value():
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA
    assert crc64(b"6789", crc64(b"12345")) == 0xE9C6D914C4B8D9CA


def test_lzf_matches_redis():
    assert lzf_compress(b"a" * 100, 96) == bytes.fromhex("016161e05700016161")
    v = bytes.fromhex("20edbcba3acce6724ab64920edbcba3acce6724ab649")  # Redis gives up at out_len 18
    assert lzf_compress(v, 18) is None and len(lzf_compress(v, 19)) == 18
    assert lzf_compress(bytes(range(30)), 26) is None
    assert lzf_decompress(bytes.fromhex("016161e05700016161"), 100) == b"a" * 100
    assert lzf_decompress(bytes.fromhex("016161e05700016161"), 99) is None
    assert lzf_decompress(b"\x1fab", 40) is None


@pytest.mark.parametrize("n,hexed", [
    (0, "00"), (63, "3f"), (64, "4040"), (100, "4064"), (16383, "7fff"), (16384, "8000004000"),
    (20000, "8000004e20"), (0xFFFFFFFF, "80ffffffff"), (1700000000000, "810000018bcfe56800"),
    ((1 << 64) - 1, "81ffffffffffffffff"),
])
def test_length_encoding(n, hexed):
    assert enc_len(n).hex() == hexed


@pytest.mark.parametrize("value,hexed", [
    (b"-5", "c0fb"), (b"1234", "c1d204"), (b"1000000", "c240420f00"), (b"64", "c040"),
    (b"", "00"), (b"12345678901", "0b3132333435363738393031"), (b"0123", "0430313233"),
    (b"-0", "022d30"), (b"+5", "022b35"), (b" 5", "022035"), (b"2147483648", "0a32313437343833363438"),
    (b"-2147483648", "c200000080"), (b"127", "c07f"), (b"128", "c18000"), (b"-129", "c17fff"),
])
def test_string_integer_forms(value, hexed):
    assert enc_string(value).hex() == hexed


def test_string_lzf_rules():
    assert enc_string(b"a" * 20) == b"\x14" + b"a" * 20  # <= 20 bytes: never compressed
    assert enc_string(b"a" * 21)[:1] == b"\xc3"
    assert enc_string(b"a" * 100, compress=False) == b"\x40\x64" + b"a" * 100
    blob = bytes(range(200))
    assert enc_string(blob) == b"\x40\xc8" + blob


def test_module_type_name():
    # "MyModType" packed as 9 x 6 bits followed by a 10-bit encoding version
    charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    mid = 0
    for ch in "MyModType":
        mid = (mid << 6) | charset.index(ch)
    assert module_type_name((mid << 10) | 3) == "MyModType"


# -- listpack ----------------------------------------------------------------

HASH_LP = bytes.fromhex("2d0000000800826631038276310383 6e756d047b01836e656704dff902"
                        "8362696704f4ffe30b540200000009ff".replace(" ", ""))


def test_listpack_verified_hash():
    assert listpack.encode([b"f1", b"v1", b"num", b"123", b"neg", b"-7", b"big", b"9999999999"]) == HASH_LP
    assert listpack.decode(HASH_LP) == [b"f1", b"v1", b"num", b"123", b"neg", b"-7", b"big", b"9999999999"]
    assert listpack.decode(HASH_LP, as_bytes=False)[3] == 123


def test_listpack_empty():
    assert listpack.encode([]) == listpack.EMPTY == bytes.fromhex("07000000000 0ff".replace(" ", ""))
    assert listpack.decode(listpack.EMPTY) == []


@pytest.mark.parametrize("value,hexed", [
    (0, "0001"), (127, "7f01"), (128, "c08002"), (-1, "dfff02"), (-4096, "d00002"), (4095, "cfff02"),
    (4096, "f1001003"), (-32768, "f1008003"), (32768, "f200800004"), (-8388608, "f200008004"),
    (8388608, "f30000800005"), (2147483647, "f3ffffff7f05"), (2147483648, "f4000000800000000009"),
    (-(1 << 63), "f4000000000000008009"),
])
def test_listpack_int_entries(value, hexed):
    assert listpack.int_entry(value).hex() == hexed
    assert listpack.entry(b"%d" % value).hex() == hexed


@pytest.mark.parametrize("n,lenhex,backhex", [
    (0, "80", "01"), (63, "bf", "40"), (64, "e040", "42"), (125, "e07d", "7f"), (126, "e07e", "0180"),
    (4095, "efff", "2081"), (4096, "f000100000", "2085"), (16377, "f0f93f0000", "7ffe"),
    (16378, "f0fa3f0000", "00ffff"),
])
def test_listpack_string_entries_and_backlen(n, lenhex, backhex):
    e = listpack.entry(b"x" * n)
    assert e.hex() == lenhex + ("78" * n) + backhex
    blob = listpack.pack([e, listpack.int_entry(5)])
    assert listpack.decode(blob) == [b"x" * n, b"5"]


def test_listpack_non_canonical_ints_are_strings():
    for s in (b"-0", b"+1", b"01", b" 1", b"1 ", b"1_0", b"9223372036854775808", b"-"):
        assert listpack.entry(s)[0] & 0xC0 == 0x80, s
    assert listpack.entry(b"9223372036854775807")[0] == 0xF4


def test_listpack_count_saturates():
    blob = listpack.encode([b"a"] * 70000)
    assert blob[4:6] == b"\xff\xff"
    assert len(listpack.decode(blob)) == 70000


@pytest.mark.parametrize("blob", [
    b"", b"\x07\x00\x00\x00\x00\x00\xfe", b"\x08\x00\x00\x00\x00\x00\xff",
    b"\x09\x00\x00\x00\x01\x00\x85\xff",  # string entry overruns the end
    b"\x09\x00\x00\x00\x01\x00\xf7\x01\xff",  # invalid encoding byte
    b"\x09\x00\x00\x00\x02\x00\x05\x01\xff",  # count says 2, holds 1
])
def test_listpack_corrupt(blob):
    with pytest.raises(ValueError):
        listpack.decode(blob)


@given(st.lists(st.one_of(st.binary(max_size=300), st.integers(-(1 << 63), (1 << 63) - 1).map(lambda i: b"%d" % i))))
@settings(max_examples=200, deadline=None)
def test_listpack_roundtrip(items):
    assert listpack.decode(listpack.encode(items)) == items


# -- zset scores in listpacks (double2ll, else %.17g), checked on 7.0.15 -----

@pytest.mark.parametrize("score,expect", [
    (1.0, listpack.int_entry(1)), (0.0, listpack.int_entry(0)), (-0.0, listpack.int_entry(0)),
    (2.5, listpack.str_entry(b"2.5")), (0.1, listpack.str_entry(b"0.10000000000000001")),
    (math.inf, listpack.str_entry(b"inf")), (-math.inf, listpack.str_entry(b"-inf")),
    (-3.0, listpack.int_entry(-3)), (1e16, listpack.int_entry(10 ** 16)),
    (1e20, listpack.str_entry(b"1e+20")), (4503599627370496.0, listpack.int_entry(4503599627370496)),
    (1e17, listpack.int_entry(10 ** 17)), (2.0 ** 62, listpack.int_entry(1 << 62)),
    (-(2.0 ** 62), listpack.int_entry(-(1 << 62))), (2.0 ** 63, listpack.str_entry(b"9.2233720368547758e+18")),
    (1.5e300, listpack.str_entry(b"1.5000000000000001e+300")), (5e-324, listpack.str_entry(b"4.9406564584124654e-324")),
])
def test_zset_score_entries(score, expect):
    assert zset_score_entry(score) == expect


# -- ziplist, intset, zipmap (hand-built per the layouts) --------------------

def _zl(entries: list[bytes]) -> bytes:
    body = b""
    prev = 0
    for e in entries:
        body += (bytes((prev,)) if prev < 254 else b"\xfe" + prev.to_bytes(4, "little")) + e
        prev = len(e) + (1 if prev < 254 else 5)
    total = 11 + len(body)
    return total.to_bytes(4, "little") + (total - 1 - prev).to_bytes(4, "little") + \
        len(entries).to_bytes(2, "little") + body + b"\xff"


def test_ziplist_every_encoding():
    entries = [b"\x05hello", b"\x40\x46" + b"x" * 70, b"\x80\x00\x00\x01\x2c" + b"y" * 300,
               b"\xc0\x2c\x01", b"\xd0\x90\xee\xfe\xff", b"\xe0" + (5000000000).to_bytes(8, "little"),
               b"\xf0\x40\x42\x0f", b"\xfe\x9c", b"\xf1", b"\xfd", b"\xf8"]
    assert ziplist.decode(_zl(entries)) == [b"hello", b"x" * 70, b"y" * 300, b"300", b"-70000",
                                            b"5000000000", b"1000000", b"-100", b"0", b"12", b"7"]
    with pytest.raises(ValueError):
        ziplist.decode(_zl([b"\x05hel"]))
    with pytest.raises(ValueError):
        ziplist.decode(_zl([b"\xf5"])[:-1] + b"\x00")


def test_intset():
    blob = intset.encode([-100, 1, 2, 3, 1000])
    assert blob.hex() == "02000000050000009cff010002000300e803"
    assert intset.decode(blob) == [-100, 1, 2, 3, 1000]
    assert intset.encode([1, 100000])[:4] == b"\x04\x00\x00\x00"
    assert intset.encode([1, 10000000000])[:4] == b"\x08\x00\x00\x00"
    for bad in (blob[:-1], b"\x03" + blob[1:], intset.encode([1, 2])[:8] + b"\x02\x00\x01\x00"):
        with pytest.raises(ValueError):
            intset.decode(bad)


def test_zipmap():
    blob = b"\x02\x03zk1\x03\x00zv1\x03zk2\x03\x02zv2!!\xff"
    assert zipmap.decode(blob) == [(b"zk1", b"zv1"), (b"zk2", b"zv2")]
    big = b"\x01\xfe" + (300).to_bytes(4, "little") + b"k" * 300 + b"\x01\x00v\xff"
    assert zipmap.decode(big) == [(b"k" * 300, b"v")]
    with pytest.raises(ValueError):
        zipmap.decode(blob[:-3])
