"""The AOF manifest: Redis 7.0's reader rules and writer format (aof.c)."""

from __future__ import annotations

import os

import pytest

from redkeep.persistence.aof_manifest import (
    AofInfo, Manifest, ManifestError, load_manifest, parse_manifest, write_manifest,
)


def test_parse_and_format_roundtrip():
    text = ("file appendonly.aof.2.base.rdb seq 2 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type h\n"
            "file appendonly.aof.2.incr.aof seq 2 type i\n"
            "file appendonly.aof.3.incr.aof seq 3 type i\n")
    m = parse_manifest(text.encode())
    assert m.base.name == "appendonly.aof.2.base.rdb" and m.base_seq == 2
    assert [a.name for a in m.history] == ["appendonly.aof.1.incr.aof"]
    assert [a.seq for a in m.incr] == [2, 3] and m.incr_seq == 3
    assert m.text() == text
    assert [a.name for a in m.files()] == ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof",
                                           "appendonly.aof.3.incr.aof"]


def test_reader_tolerances():
    m = parse_manifest(b"# a comment\n  SEQ 1 TYPE i FILE \"a b\\x41.aof\" extra key  \r\n")
    assert m.incr[0].name == "a bA.aof"
    # names that need quoting are written in sdscatrepr form and read back
    assert m.text() == 'file "a bA.aof" seq 1 type i\n'
    assert parse_manifest(m.text().encode()).incr[0].name == "a bA.aof"
    assert parse_manifest(b"# only comments\n").is_empty()


@pytest.mark.parametrize("data,reason", [
    (b"", "Found an empty AOF manifest"),
    (b"file a seq 1 type b\n\n", "Invalid AOF manifest file format"),
    (b"file a seq 1\n", "Invalid AOF manifest file format"),
    (b"file a seq 1 type b x\n", "Invalid AOF manifest file format"),
    (b"file a seq 0 type b\n", "Invalid AOF manifest file format"),
    (b"file a seq x type b\n", "Invalid AOF manifest file format"),
    (b'file "a seq 1 type b\n', "Invalid AOF manifest file format"),
    (b"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"),
    (b"file a seq 2 type i\nfile b seq 2 type i\n", "Found a non-monotonic sequence number"),
    (b"file a seq 1 type z\n", "Unknown AOF file type"),
    (b"file dir/a seq 1 type i\n", "File can't be a path, just a filename"),
    (b"file a seq 1 type i", "The AOF manifest file contains too long line"),
    (b"file " + b"a" * 1030 + b" seq 1 type i\n", "The AOF manifest file contains too long line"),
])
def test_reader_errors(data, reason):
    with pytest.raises(ManifestError) as e:
        parse_manifest(data)
    assert e.value.reason == reason


def test_changes_like_a_rewrite():
    m = Manifest()
    assert m.new_base("appendonly.aof", True) == "appendonly.aof.1.base.rdb"
    assert m.last_incr("appendonly.aof") == "appendonly.aof.1.incr.aof"
    assert m.new_incr("appendonly.aof") == "appendonly.aof.2.incr.aof"  # opened when a rewrite starts
    m2 = m.copy()
    assert m2.new_base("appendonly.aof", False) == "appendonly.aof.2.base.aof"
    m2.incr_to_history(keep_last=True)
    # as Redis: the rewritten incr files go to the head of history, before the old base
    assert m2.text() == ("file appendonly.aof.2.base.aof seq 2 type b\n"
                         "file appendonly.aof.1.incr.aof seq 1 type h\n"
                         "file appendonly.aof.1.base.rdb seq 1 type h\n"
                         "file appendonly.aof.2.incr.aof seq 2 type i\n")
    assert len(m.incr) == 2 and m.base.name == "appendonly.aof.1.base.rdb"  # the copy left m alone
    m2.incr_to_history(keep_last=False)
    assert m2.incr == [] and len(m2.history) == 3


def test_write_is_atomic_and_durable(tmp_path):
    m = Manifest()
    m.base = AofInfo("x.1.base.rdb", 1, "b")
    m.dirty = True
    m.persist(str(tmp_path), "x")
    assert sorted(os.listdir(tmp_path)) == ["x.manifest"]  # no temp file left behind
    assert load_manifest(str(tmp_path / "x.manifest")).text() == "file x.1.base.rdb seq 1 type b\n"
    write_manifest(str(tmp_path), "x", "file y seq 1 type i\n")
    assert (tmp_path / "x.manifest").read_text() == "file y seq 1 type i\n"
