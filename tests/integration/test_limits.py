"""Limits and security, compared with a real redis-server run the same way:
client-query-buffer-limit, client-output-buffer-limit (pubsub and normal
classes, hard and soft), proto-max-bulk-len, maxclients, timeout,
tcp-keepalive, requirepass with AUTH/HELLO and the unauthenticated protocol
limits, rename-command, protected-mode, bind."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from helpers import Differ, RawConn, ServerProcess, encode, free_port, server_pair, wait_for


@pytest.fixture(scope="module")
def qbuf_pair():
    with server_pair(["--client-query-buffer-limit", "1mb"]) as servers:
        yield servers


@pytest.fixture(scope="module")
def default_pair():
    with server_pair([]) as servers:
        yield servers


def drain(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(timeout)
    out = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return out + b"<closed>"
            out += data
    except ConnectionResetError:
        return out + b"<closed>"
    except (socket.timeout, TimeoutError):
        return out + b"<open>"


def send_then_drain(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return drain(sock, timeout)
    finally:
        sock.close()


MARKER = b"MARKER\r\n"
MARKER_REPLY = b"-ERR unknown command 'MARKER', with args beginning with: \r\n"


def exchange(port: int, data: bytes, source: str | None = None) -> bytes:
    """Send ``data`` and an unknown command as a marker; return all replies
    up to the marker's (which proves nothing else is coming), or up to the
    server closing the connection ('<closed>')."""
    sock = socket.socket()
    if source:
        sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    sock.settimeout(10)
    out = b""
    try:
        try:
            sock.sendall(data + MARKER)
        except (BrokenPipeError, ConnectionResetError):
            pass
        while not out.endswith(MARKER_REPLY):
            chunk = sock.recv(65536)
            if not chunk:
                return out + b"<closed>"
            out += chunk
        return out[:-len(MARKER_REPLY)]
    except ConnectionResetError:
        return out + b"<closed>"
    finally:
        sock.close()


def log_suffix(s: ServerProcess, marker: str) -> list[str]:
    return [ln[ln.index(marker):] for ln in s.read_log().splitlines() if marker in ln]


# -- input limits --------------------------------------------------------------------------

def test_query_buffer_limit_closes_only_that_client(qbuf_pair):
    tails = []
    for s in qbuf_pair:
        other = RawConn(s.port)
        got = send_then_drain(s.port, b"*2\r\n$3\r\nGET\r\n$3000000\r\n" + b"xy" * 600_000)
        assert got == b"<closed>"
        assert other.call("PING") == b"+PONG\r\n"
        other.close()
        wait_for(lambda: log_suffix(s, "Closing client that reached max query buffer length"), what="log line")
        line = log_suffix(s, "Closing client that reached max query buffer length")[-1]
        assert re.match(r"Closing client that reached max query buffer length: id=\d+ addr=127\.0\.0\.1:\d+ ", line)
        tails.append(line[line.index(" (qbuf initial bytes: "):])
    assert tails[0] == tails[1] == ' (qbuf initial bytes: "%s")' % ("xy" * 32)


def test_proto_max_bulk_len_applies_to_connected_clients(default_pair):
    for s in default_pair:
        early = socket.create_connection(("127.0.0.1", s.port))
        admin = RawConn(s.port)
        try:
            assert admin.call("CONFIG", "SET", "proto-max-bulk-len", "1mb") == b"+OK\r\n"
            assert admin.call("SET", "k", "v" * (1 << 20)) == b"+OK\r\n"  # exactly the limit
            early.sendall(b"*2\r\n$3\r\nGET\r\n$1048577\r\n")
            assert drain(early) == b"-ERR Protocol error: invalid bulk length\r\n<closed>"
        finally:
            admin.call("CONFIG", "SET", "proto-max-bulk-len", "512mb")
            admin.close()
            early.close()


@pytest.fixture(scope="module")
def maxclients_pair():
    with server_pair(["--maxclients", "2"]) as servers:
        yield servers


def test_maxclients(maxclients_pair):
    for s in maxclients_pair:
        first = RawConn(s.port)
        wait_for(lambda: b"connected_clients:1\r\n" in first.call("INFO", "clients"), what="readiness probe gone")
        second = RawConn(s.port)
        assert second.call("PING") == b"+PONG\r\n"
        assert send_then_drain(s.port, b"PING\r\n") == b"-ERR max number of clients reached\r\n<closed>"
        assert b"rejected_connections:1\r\n" in first.call("INFO", "stats")
        second.close()

        def third_gets_in():
            c = RawConn(s.port)
            try:
                return c.call("PING") == b"+PONG\r\n"
            finally:
                c.close()
        wait_for(third_gets_in, what="a free slot after a client left")
        first.close()


# -- output buffer limits ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def obuf_pair():
    with server_pair([]) as servers:
        yield servers


def _slow_subscriber(port: int) -> socket.socket:
    sub = socket.socket()
    sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sub.connect(("127.0.0.1", port))
    sub.sendall(encode("SUBSCRIBE", "ch"))
    return sub


def _publish_until_dropped(pub: RawConn, payload: bytes, limit: int = 20000):
    for n in range(1, limit):
        if pub.call("PUBLISH", "ch", payload) == b":0\r\n":
            return n
    return None


def test_pubsub_hard_limit(obuf_pair):
    counts = []
    for s in obuf_pair:
        pub = RawConn(s.port)
        pub.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 100kb 0 0")
        sub = _slow_subscriber(s.port)
        wait_for(lambda: pub.call("PUBSUB", "NUMSUB", "ch").endswith(b":1\r\n"), what="subscribed")
        counts.append(_publish_until_dropped(pub, b"x" * 10_000))
        assert pub.call("PING") == b"+PONG\r\n"
        wait_for(lambda: log_suffix(s, "scheduled to be closed ASAP for overcoming of output buffer limits."),
                 what="log line")
        pub.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60")
        sub.close()
        pub.close()
    # A subscriber that does not read is dropped once the server holds
    # 100kb for it, beyond what the sockets absorb.
    assert all(n is not None and n < 2000 for n in counts)


def test_pubsub_soft_limit_needs_its_seconds(obuf_pair):
    s = obuf_pair[0]
    pub = RawConn(s.port)
    pub.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 50kb 1")
    sub = _slow_subscriber(s.port)
    wait_for(lambda: pub.call("PUBSUB", "NUMSUB", "ch").endswith(b":1\r\n"), what="subscribed")
    start = time.monotonic()
    n = _publish_until_dropped(pub, b"x" * 200, limit=2_000_000)
    elapsed = time.monotonic() - start
    pub.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60")
    sub.close()
    pub.close()
    assert n is not None and 1.0 <= elapsed < 5.0


def test_normal_class_when_configured(obuf_pair):
    for s in obuf_pair:
        admin = RawConn(s.port)
        admin.call("SET", "big", "x" * 50_000)
        admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 200kb 0 0")
        try:
            greedy = socket.socket()
            greedy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            greedy.connect(("127.0.0.1", s.port))
            try:
                greedy.sendall(encode("GET", "big") * 200)
            except OSError:
                pass
            wait_for(lambda: log_suffix(s, "flags=N") and
                     [ln for ln in log_suffix(s, "flags=N") if "overcoming of output buffer limits" in ln],
                     what="normal client dropped")
            assert admin.call("GET", "big") == b"$50000\r\n" + b"x" * 50_000 + b"\r\n"
            greedy.close()
        finally:
            admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
            admin.close()


# -- timeout and keepalive --------------------------------------------------------------------

def test_timeout_spares_subscribers_blocked_and_monitors():
    with server_pair(["--timeout", "1"]) as servers:
        spared, idle = [], []
        for s in servers:
            sub = RawConn(s.port)
            sub.call("SUBSCRIBE", "ch")
            blocked = RawConn(s.port)
            blocked.send(encode("BLPOP", "nokey", "0"))
            mon = RawConn(s.port)
            mon.call("MONITOR")
            spared.append((sub, blocked, mon))
            c = RawConn(s.port)
            c.call("PING")
            idle.append(c)
        for c in idle:  # Redis closes after 1 to 2 seconds of idleness
            assert drain(c.sock, 5.0) == b"<closed>"
        for (sub, blocked, mon), s in zip(spared, servers):
            assert sub.call("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
            RawConn(s.port).call("RPUSH", "nokey", "v")
            assert blocked.read_reply() == b"*2\r\n$5\r\nnokey\r\n$1\r\nv\r\n"
            wait_for(lambda: mon.read_reply().endswith(b'"RPUSH" "nokey" "v"\r\n'), what="MONITOR line")


def _keepalive_timer(server_port: int, client_port: int) -> str:
    """The server side's timer in /proc/net/tcp: '02:...' is the keepalive timer."""
    with open("/proc/net/tcp") as f:
        for line in f.read().splitlines()[1:]:
            fields = line.split()
            if (int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)) == (server_port, client_port):
                return fields[5]
    raise AssertionError("connection not found")


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs /proc/net/tcp")
def test_tcp_keepalive(default_pair):
    for s in default_pair:
        admin = RawConn(s.port)
        try:
            timers = []
            for value in ("300", "0", "60"):
                admin.call("CONFIG", "SET", "tcp-keepalive", value)
                c = RawConn(s.port)
                c.call("PING")
                timers.append(_keepalive_timer(s.port, c.sock.getsockname()[1]))
                c.close()
        finally:
            admin.call("CONFIG", "SET", "tcp-keepalive", "300")
            admin.close()
        # The first probe is due after tcp-keepalive seconds (clock ticks of 1/100 s).
        kinds = [t.split(":")[0] for t in timers]
        ticks = [int(t.split(":")[1], 16) for t in timers]
        assert kinds == ["02", "00", "02"]
        assert 29000 < ticks[0] <= 30000 and 5000 < ticks[2] <= 6000


# -- authentication ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def auth_pair():
    with server_pair(["--requirepass", "s3cret"]) as servers:
        yield servers


AUTH_CASES = [
    encode("GET", "a"),
    encode("CLIENT", "ID"),
    encode("FOO"),
    encode("AUTH", "wrong"),
    encode("AUTH", "bob", "s3cret"),
    encode("AUTH"),
    encode("AUTH", "a", "b", "c"),
    encode("HELLO"),
    encode("HELLO", "3"),
    encode("HELLO", "3", "AUTH", "default", "bad"),
    encode("QUIT"),
    encode("AUTH", "s3cret") + encode("GET", "a"),
    encode("AUTH", "default", "s3cret") + encode("ECHO", "x" * 20_000),
    encode("AUTH", "wrong") + encode("ECHO", "x" * 20_000),
    # Unauthenticated protocol limits: more than 10 arguments or a bulk over 16 KB.
    encode("PING", *["x"] * 9),
    encode("PING", *["x"] * 10),
    encode("ECHO", "x" * 16384),
    b"*2\r\n$4\r\nECHO\r\n$16385\r\n",
    encode("ECHO", "x" * 16385),
    b"*11\r\n",
    b"PING" + b" x" * 12 + b"\r\n",  # inline requests have no such limit
    # Pipelined after AUTH: the limits apply only if that AUTH failed.
    encode("AUTH", "s3cret") + encode("PING", *["x"] * 10),
    encode("AUTH", "nope") + encode("PING", *["x"] * 10),
    b"AUTH s3cret\r\n" + encode("ECHO", "x" * 16385),
    encode("HELLO", "3", "AUTH", "default", "s3cret") + encode("ECHO", "x" * 16385),
]


@pytest.mark.parametrize("data", AUTH_CASES, ids=range(len(AUTH_CASES)))
def test_auth_flows_raw(auth_pair, data):
    got = [re.sub(rb"id\r\n:\d+\r\n", b"id\r\n:ID\r\n", exchange(s.port, data)) for s in auth_pair]
    assert got[0] == got[1]


def test_auth_with_redis_py(auth_pair):
    s = auth_pair[0]
    once = Retry(NoBackoff(), 0)  # redis-py retries a failed AUTH for seconds otherwise
    ok = s.client(password="s3cret")
    assert ok.set("k", "v") and ok.get("k") == b"v"
    assert s.client(password="s3cret", username="default", protocol=3).ping()
    with pytest.raises(redis.AuthenticationError):
        s.client(password="bad", retry=once).ping()
    with pytest.raises(redis.AuthenticationError):
        s.client(retry=once).ping()
    # A password set at run time applies to new connections only.
    ok.config_set("requirepass", "other")
    try:
        assert ok.ping()
        with pytest.raises(redis.AuthenticationError):
            s.client(password="s3cret", retry=once).ping()
        assert s.client(password="other").ping()
    finally:
        ok.config_set("requirepass", "s3cret")
        ok.close()


# -- rename-command -------------------------------------------------------------------------------

def test_rename_command():
    args = ["--rename-command", "GET", "FETCH", "--rename-command", "FLUSHALL", "",
            "--rename-command", "config", "cfg"]
    with server_pair(args) as servers:
        d = Differ(servers[0].port, servers[1].port)
        try:
            for cmd in [("SET", "a", "1"), ("FETCH", "a"), ("fetch", "a"), ("GET", "a"), ("FLUSHALL",),
                        ("flushall", "async"), ("CONFIG", "GET", "port"), ("CFG", "GET", "maxclients"),
                        ("COMMAND", "INFO", "get", "fetch"), ("MULTI",), ("GET", "a"), ("FETCH", "a"), ("EXEC",),
                        ("COMMAND", "GETKEYS", "FETCH", "a")]:
                d.check(*cmd)
        finally:
            d.close()


# -- protected mode and bind --------------------------------------------------------------------

def test_protected_mode_refuses_other_addresses(default_pair):
    for source, expect_denied in (("127.0.0.1", False), ("127.0.0.2", True), ("127.3.2.1", True)):
        got = [exchange(s.port, b"PING\r\n", source=source) for s in default_pair]
        assert got[0] == got[1]
        assert got[0].startswith(b"-DENIED Redis is running in protected mode") == expect_denied


def test_protected_mode_off_or_password(auth_pair):
    for s in auth_pair:  # a password lifts protected mode
        assert exchange(s.port, b"PING\r\n", "127.0.0.2") == b"-NOAUTH Authentication required.\r\n"
    s = ServerProcess(["--protected-mode", "no"]).start()
    try:
        assert exchange(s.port, b"PING\r\n", "127.0.0.2") == b"+PONG\r\n"
    finally:
        s.kill()


def test_bind_specific_loopback_address():
    d = tempfile.mkdtemp(prefix="rk-bind-")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "redkeep", "--port", str(port), "--bind", "127.0.0.2",
                             "--save", "", "--dir", d, "--logfile", os.path.join(d, "log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
    try:
        def ping():
            with socket.create_connection(("127.0.0.2", port), timeout=1) as c:
                c.sendall(b"PING\r\n")
                return c.recv(100)
        assert wait_for(ping, what="server on 127.0.0.2") == b"+PONG\r\n"
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1)
    finally:
        proc.kill()
        proc.wait()
