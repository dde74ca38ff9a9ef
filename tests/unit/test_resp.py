"""The sans-I/O request parser: fed whole, byte by byte, and with garbage."""

import pytest
from hypothesis import given, strategies as st

from redkeep.errors import ProtocolError
from redkeep.resp import RequestParser, encode_command, split_args


def parse_all(data: bytes, chunk: int | None = None):
    p = RequestParser()
    out = []
    if chunk is None:
        p.feed(data, out)
    else:
        for i in range(0, len(data), chunk):
            p.feed(data[i:i + chunk], out)
    return out


STREAM = (b"*1\r\n$4\r\nPING\r\nPING\r\nset a 'b c'\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
          b"\r\n*3\r\n$3\r\nSET\r\n$0\r\n\r\n$4\r\nx\r\ny\r\n*-1\r\n*0\r\n")
EXPECTED = [[b"PING"], [b"PING"], [b"set", b"a", b"b c"], [b"GET", b"a"], None,
            [b"SET", b"", b"x\r\ny"]]


@pytest.mark.parametrize("chunk", [None, 1, 2, 3, 5, 7, 16])
def test_mixed_stream_any_chunking(chunk):
    assert parse_all(STREAM, chunk) == EXPECTED


@pytest.mark.parametrize("data,msg", [
    (b"*1\r\n:1\r\n", "expected '$', got ':'"),
    (b"*x\r\n", "invalid multibulk length"),
    (b"*1\r\n$x\r\n", "invalid bulk length"),
    (b"*1\r\n$-1\r\n", "invalid bulk length"),
    (b"*1\r\nfoo\r\n", "expected '$', got 'f'"),
    (b"*2\r\n$3\r\nGET\r\n*1\r\n", "expected '$', got '*'"),
    (b"*1\r\n$999999999999\r\n", "invalid bulk length"),
    (b"*1\r\n$536870913\r\n", "invalid bulk length"),
    (b'SET "abc\r\n', "unbalanced quotes in request"),
    (b"SET 'a'b\r\n", "unbalanced quotes in request"),
    (b"*02\r\n$3\r\nGET\r\n$1\r\na\r\n", "invalid multibulk length"),
    (b"*1\r\n$+3\r\nGET\r\n", "invalid bulk length"),
    (b"x" * (64 * 1024 + 1), "too big inline request"),
    (b"*" + b"1" * (64 * 1024 + 10), "too big mbulk count string"),
])
@pytest.mark.parametrize("chunk", [None, 1, 4096])
def test_errors_have_redis_text(data, msg, chunk):
    if chunk == 1 and len(data) > 1000:
        chunk = 1000
    with pytest.raises(ProtocolError) as e:
        parse_all(data, chunk)
    assert str(e.value) == msg


def test_requests_before_an_error_are_returned():
    p = RequestParser()
    out = []
    with pytest.raises(ProtocolError):
        p.feed(b"*1\r\n$4\r\nPING\r\n*1\r\n:1\r\n", out)
    assert out == [[b"PING"]]


def test_unauthenticated_limits():
    p = RequestParser()
    p.authenticated = False
    with pytest.raises(ProtocolError, match="unauthenticated bulk length"):
        p.feed(b"*2\r\n$3\r\nSET\r\n$20000\r\n", [])
    p = RequestParser()
    p.authenticated = False
    with pytest.raises(ProtocolError, match="unauthenticated multibulk length"):
        p.feed(b"*11\r\n", [])


def test_split_args_escapes():
    assert split_args(b'set "a\\x41\\n" \'it\\\'s\'') == [b"set", b"aA\n", b"it's"]
    assert split_args(b"  ") == []
    assert split_args(b'"unterminated') is None


@given(st.lists(st.lists(st.binary(max_size=40), min_size=1, max_size=5), max_size=20),
       st.integers(min_value=1, max_value=50))
def test_roundtrip_any_chunking(reqs, chunk):
    data = b"".join(encode_command(r) for r in reqs)
    assert parse_all(data, chunk) == reqs


def test_large_bulk_is_buffered_not_rescanned():
    big = b"v" * (3 * 1024 * 1024)
    data = encode_command([b"SET", b"k", big])
    assert parse_all(data, 65536) == [[b"SET", b"k", big]]
