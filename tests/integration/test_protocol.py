"""Malformed and oversized input: Redis's reply (or disconnect), byte for byte,
the server stays up, other clients are unaffected."""

import socket

import pytest

from helpers import RawConn


def exchange(port: int, data: bytes, timeout: float = 3.0) -> tuple[bytes, bool]:
    """Send ``data``; read until the server closes or stays quiet.
    Returns (bytes received, closed_by_server)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    out = b""
    s.settimeout(0.5)
    closed = False
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            out += chunk
    except (socket.timeout, TimeoutError):
        pass
    except ConnectionResetError:
        closed = True
    s.close()
    return out, closed


CASES = [
    b"*1\r\n:1\r\n",
    b"*x\r\n",
    b"*1\r\n$x\r\n",
    b"*1\r\n$-1\r\n",
    b"*1\r\nfoo\r\n",
    b"*2\r\n$3\r\nGET\r\n*1\r\n",
    b"*1\r\n$999999999999\r\n",
    b"*1\r\n$536870913\r\n",
    b'SET "abc\r\n',
    b"SET 'a'b\r\n",
    b"*02\r\n$3\r\nGET\r\n$1\r\na\r\n",
    b"PING\r\n*1\r\n$4\r\nPING\r\n\r\nPING\n",
    b"*1\r\n$4\r\nPING\r\n*1\r\n:1\r\n*1\r\n$4\r\nPING\r\n",
    b"*-1\r\n*0\r\nPING\r\n",
    b"x" * (64 * 1024 + 1),
    b"*" + b"1" * (64 * 1024 + 10),
    b"*1\r\n$" + b"1" * (64 * 1024 + 10),
    b"NOSUCHCOMMAND a b\r\n",
    b"\x00\xff\xfe\r\n",
]


@pytest.mark.interop
@pytest.mark.parametrize("data", CASES, ids=[repr(c[:30]) for c in CASES])
def test_same_as_redis(server, real, data):
    got = exchange(server.port, data)
    want = exchange(real.port, data)
    assert got == want
    # The server is still up and serves others.
    c = RawConn(server.port)
    assert c.call("PING") == b"+PONG\r\n"
    c.close()


def test_other_clients_unaffected(server):
    good = RawConn(server.port)
    assert good.call("SET", "k", "v") == b"+OK\r\n"
    for data in CASES:
        exchange(server.port, data, timeout=1.0)
    assert good.call("GET", "k") == b"$1\r\nv\r\n"
    good.close()


def test_huge_declared_bulk_refused_before_buffering(server):
    # proto-max-bulk-len is 512MB: a 1GB bulk is refused at its header.
    out, closed = exchange(server.port, b"*2\r\n$3\r\nGET\r\n$1073741824\r\n")
    assert out == b"-ERR Protocol error: invalid bulk length\r\n" and closed


def test_pipelined_many(server):
    c = RawConn(server.port)
    n = 5000
    c.send(b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$1\r\nv\r\n" % (len(str(i)) + 1, i) for i in range(n)))
    for _ in range(n):
        assert c.read_reply() == b"+OK\r\n"
    c.close()
