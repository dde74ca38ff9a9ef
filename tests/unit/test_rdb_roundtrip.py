"""Property tests: random datasets of every type survive encode -> decode
unchanged, through any read chunking, with every save option."""

from __future__ import annotations

import io
import math

from hypothesis import HealthCheck, given, settings, strategies as st

from redkeep.keyspace import Opaque, RHash, RList, RSet
from redkeep.rdb import (
    RdbError, RdbOptions, RdbReader, RdbWriter, ZSetData, dump_payload, load_bytes, restore_payload,
    standard_aux,
)
from rdb_support import fixture

STREAM = load_bytes(fixture("all_types.rdb"))[0][0][b"stream:s1"][0]

ints_as_bytes = st.integers(-(1 << 63), (1 << 63) - 1).map(lambda i: b"%d" % i)
small_ints = st.integers(-70000, 70000).map(lambda i: b"%d" % i)
blobs = st.one_of(st.binary(max_size=40), ints_as_bytes, small_ints, st.binary(min_size=20, max_size=300),
                  st.sampled_from([b"a" * 100, b"abc" * 50, b""]))
scores = st.one_of(st.floats(allow_nan=False), st.integers(-(1 << 53), 1 << 53).map(float),
                   st.sampled_from([0.0, -0.0, 1e17, 2.0 ** 60, math.inf, -math.inf]))


def _flagged(cls, items, big):
    v = cls(items)
    v.big = big
    return v


values = st.one_of(
    blobs,
    st.lists(blobs, min_size=1, max_size=60).map(RList),
    st.builds(_flagged, st.just(RHash), st.dictionaries(blobs, blobs, min_size=1, max_size=30), st.booleans()),
    st.builds(_flagged, st.just(RSet), st.sets(st.one_of(blobs, small_ints), min_size=1, max_size=30), st.booleans()),
    st.builds(lambda d, big: ZSetData(d.items(), big), st.dictionaries(blobs, scores, min_size=1, max_size=30),
              st.booleans()),
    st.just(STREAM),
)
expires = st.one_of(st.none(), st.integers(0, 1 << 62))
datasets = st.dictionaries(st.integers(0, 20), st.dictionaries(st.binary(max_size=20), st.tuples(values, expires),
                                                               max_size=8), max_size=3)
options = st.builds(RdbOptions, compression=st.booleans(), checksum=st.booleans(),
                    list_max_listpack_size=st.sampled_from([-5, -2, -1, 1, 3, 128]),
                    list_compress_depth=st.sampled_from([0, 1, 2]))


def _same(a, b) -> bool:
    if type(a) is Opaque:
        return type(b) is Opaque and (a.rdb_type, a.payload) == (b.rdb_type, b.payload)
    if type(a) is ZSetData:
        return type(b) is ZSetData and a.items_by_score() == b.items_by_score()
    return type(a) is type(b) and a == b


class Chunked(io.RawIOBase):
    """Returns reads in the sizes given, cycling."""

    def __init__(self, data, sizes):
        self.data, self.pos, self.sizes, self.i = data, 0, sizes, 0

    def read(self, n=-1):
        k = min(n, self.sizes[self.i % len(self.sizes)])
        self.i += 1
        out = self.data[self.pos:self.pos + k]
        self.pos += len(out)
        return out


def _encode(dataset, opts) -> bytes:
    out = bytearray()
    chunks = []
    w = RdbWriter(lambda c: (chunks.append(len(c)), out.extend(c)), opts)
    w.begin(standard_aux(1795755908, 1498872, (0, "a" * 40, 42)), [b"#!lua name=l\nreturn 1"])
    for dbid in sorted(dataset):
        keys = dataset[dbid]
        if keys:
            w.select_db(dbid, len(keys), sum(1 for _, e in keys.values() if e is not None))
            for key, (value, expire) in keys.items():
                w.write_key(key, value, expire)
    w.end()
    assert w.bytes_written == len(out) and max(chunks) < (1 << 16) + 70000
    return bytes(out)


@given(datasets, options, st.lists(st.integers(1, 5000), min_size=1, max_size=5))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_dataset_roundtrip(dataset, opts, sizes):
    data = _encode(dataset, opts)
    got: dict = {}
    reader = RdbReader(Chunked(data, sizes))
    reader.load(on_key=lambda d, k, v, e, idle, freq: got.setdefault(d, {}).__setitem__(k, (v, e)))
    assert reader.checksum == ("ok" if opts.checksum else "disabled")
    assert reader.offset == len(data)
    assert reader.functions == [b"#!lua name=l\nreturn 1"]
    assert reader.aux[b"repl-id"] == b"a" * 40 and reader.aux[b"repl-offset"] == b"42"
    expect = {d: keys for d, keys in dataset.items() if keys}
    assert sorted(got) == sorted(expect)
    for dbid, keys in expect.items():
        assert list(got[dbid]) == list(keys)
        for key, (value, expire) in keys.items():
            v2, e2 = got[dbid][key]
            assert e2 == expire and _same(value, v2), (key, value, v2)


@given(values, st.booleans())
@settings(max_examples=200, deadline=None)
def test_dump_restore_roundtrip(value, compression):
    payload = dump_payload(value, RdbOptions(compression=compression))
    assert payload[-10:-8] == b"\x0a\x00"
    assert _same(value, restore_payload(payload))


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_garbage_only_raises_rdb_error(tail):
    """Arbitrary bytes after a valid header never crash the reader with
    anything but RdbError."""
    try:
        RdbReader(b"REDIS0010" + tail).load()
    except RdbError:
        pass


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_flipped_bytes_never_crash(data):
    blob = bytearray(fixture("all_types.rdb")[:3000])
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(9, len(blob) - 1))
        blob[i] = data.draw(st.integers(0, 255))
    try:
        RdbReader(bytes(blob), verify_checksum=False).load()
    except RdbError:
        pass
