"""Reading AOF files (loadSingleAppendOnlyFile's rules) and writing RESP
base files (rewriteAppendOnlyFileRio's commands)."""

from __future__ import annotations

import io

import pytest

from redkeep.commands.t_zset import ZSet
from redkeep.keyspace import RHash, RList, RSet
from redkeep.persistence.aof_loader import RespReader, _FormatError, _Truncated
from redkeep.persistence.aof_rewrite import RespBaseWriter, encode_key_commands
from redkeep.resp import encode_command


def _all(data: bytes):
    r = RespReader(io.BytesIO(data))
    out = []
    while True:
        argv = r.command()
        if argv is None:
            return out, r.offset
        out.append((argv, r.offset))


def test_commands_annotations_and_offsets():
    a = encode_command([b"SET", b"k", b"v"])
    b = encode_command([b"DEL", b"k"])
    cmds, end = _all(b"#TS:1700000000\r\n" + a + b"#anything\r\n" + b)
    assert [c for c, _ in cmds] == [[b"SET", b"k", b"v"], [b"DEL", b"k"]]
    assert cmds[0][1] == 16 + len(a) and end == 16 + len(a) + 11 + len(b)


def test_binary_and_large_arguments():
    blob = bytes(range(256)) * 5000 + b"\r\n*2\r\n"
    cmds, _ = _all(encode_command([b"SET", b"k", blob]))
    assert cmds[0][0][2] == blob


@pytest.mark.parametrize("cut", [1, 2, 4, 6, 10, 14, 20, 24, 26])
def test_any_cut_inside_a_command_is_a_truncation(cut):
    a = encode_command([b"SET", b"key", b"value"])
    data = a + a[:cut]
    r = RespReader(io.BytesIO(data))
    assert r.command() == [b"SET", b"key", b"value"]
    with pytest.raises(_Truncated):
        r.command()


@pytest.mark.parametrize("data", [b"X3\r\n", b"*0\r\n", b"*-1\r\n", b"*2\r\n$3\r\nSET\r\n:1\r\n", b"\r\n"])
def test_format_errors(data):
    with pytest.raises(_FormatError):
        RespReader(io.BytesIO(data)).command()


def _parse(data: bytes) -> list:
    return [c for c, _ in _all(data)[0]]


def test_resp_base_commands():
    out = bytearray()
    encode_key_commands(out, b"l", RList(str(i).encode() for i in range(150)), None)
    cmds = _parse(bytes(out))
    assert [len(c) - 2 for c in cmds] == [64, 64, 22] and cmds[0][:3] == [b"RPUSH", b"l", b"0"]
    out = bytearray()
    h = RHash({b"f%d" % i: b"%d" % i for i in range(70)})
    encode_key_commands(out, b"h", h, 4102444800000)
    cmds = _parse(bytes(out))
    assert [c[0] for c in cmds] == [b"HMSET", b"HMSET", b"PEXPIREAT"]
    assert len(cmds[0]) == 2 + 128 and cmds[2] == [b"PEXPIREAT", b"h", b"4102444800000"]
    out = bytearray()
    encode_key_commands(out, b"z", ZSet([(b"a", 0.1), (b"b", float("-inf")), (b"c", 2.5)]), None)
    assert _parse(bytes(out)) == [[b"ZADD", b"z", b"-inf", b"b", b"0.10000000000000001", b"a", b"2.5", b"c"]]
    out = bytearray()
    encode_key_commands(out, b"s", RSet({b"x"}), None)
    encode_key_commands(out, b"k", b"v", None)
    assert _parse(bytes(out)) == [[b"SADD", b"s", b"x"], [b"SET", b"k", b"v"]]


def test_resp_base_writer_with_timestamp_and_functions():
    chunks = []
    w = RespBaseWriter(chunks.append, timestamps=True)
    w.begin([], [b"#!lua name=lib\nreturn 1"])
    w.select_db(2, 1, 0)
    w.write_record(w.encode_record(b"k", b"v", None))
    w.end()
    data = b"".join(chunks)
    assert data.startswith(b"#TS:")
    assert _parse(data) == [[b"FUNCTION", b"LOAD", b"#!lua name=lib\nreturn 1"], [b"SELECT", b"2"],
                            [b"SET", b"k", b"v"]]
