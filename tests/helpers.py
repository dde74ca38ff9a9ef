"""Test helpers: start real redkeep / redis-server processes on loopback.

Every process is started on an ephemeral port, waited for by polling (never a
fixed sleep) and reaped by PID when the test ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - polled conditions may raise until ready
            last_exc = e
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}" + (f" (last error: {last_exc!r})" if last_exc else ""))


class ServerProcess:
    """A redkeep (default) or real redis-server process."""

    def __init__(self, args=(), *, real: bool = False, dir: str | None = None, config_text: str | None = None,
                 port: int | None = None, env=None):
        self.real = real
        self.port = port or free_port()
        self.dir = dir or tempfile.mkdtemp(prefix="rk-real-" if real else "rk-")
        self.logfile = os.path.join(self.dir, "server.log")
        cmd = [REDIS_SERVER] if real else [sys.executable, "-m", "redkeep"]
        if config_text is not None:
            path = os.path.join(self.dir, "redis.conf")
            with open(path, "w") as f:
                f.write(config_text)
            cmd.append(path)
        cmd += ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir, "--logfile", self.logfile]
        if not any(a == "--save" for a in args):
            cmd += ["--save", ""]
        cmd += list(args)
        self.cmd = cmd
        self.proc = None
        self.env = env

    def start(self, timeout: float = 15.0) -> "ServerProcess":
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=self.env,
                                     cwd=self.dir)

        def ready():
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                raise RuntimeError(f"server exited with {self.proc.returncode}: {err}\n{self.read_log()}")
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(100).startswith((b"+PONG", b"-LOADING", b"-NOAUTH"))

        try:
            wait_for(ready, timeout, what=f"server on port {self.port}")
        except RuntimeError:
            raise
        return self

    def read_log(self) -> str:
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def client(self, **kw) -> redis.Redis:
        kw.setdefault("socket_timeout", 10)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def stop(self, sig=None) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig or 15)
        try:
            return self.proc.wait(timeout=30)  # a loaded CI machine can be slow to exit
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=5)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()


@contextlib.contextmanager
def server_pair(args=(), **kw):
    """[redkeep, real redis-server] started with the same arguments; both are
    killed on exit, and at once if either fails to start."""
    servers = [ServerProcess(args, **kw), ServerProcess(args, real=True, **kw)]
    try:
        for s in servers:
            s.start()
        yield servers
    finally:
        for s in servers:
            s.kill()


def raw_command(sock: socket.socket, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes and read whatever comes back until a short quiet period."""
    sock.sendall(data)
    sock.settimeout(timeout)
    out = b""
    try:
        out = sock.recv(65536)
        sock.settimeout(0.2)
        while True:
            more = sock.recv(65536)
            if not more:
                break
            out += more
    except (socket.timeout, TimeoutError):
        pass
    return out


def encode(*args) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


class RawConn:
    """A raw RESP connection that returns each reply's exact bytes."""

    def __init__(self, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def call(self, *args) -> bytes:
        self.sock.sendall(encode(*args))
        return self.read_reply()

    def read_reply(self) -> bytes:
        line = self.f.readline()
        if not line:
            raise ConnectionError("connection closed")
        t = line[:1]
        if t in (b"+", b"-", b":", b"_", b",", b"#", b"("):
            return line
        if t in (b"$", b"=", b"!"):
            n = int(line[1:-2])
            if n < 0:
                return line
            return line + self.f.read(n + 2)
        if t in (b"*", b"~", b">", b"%", b"|"):
            n = int(line[1:-2])
            if n < 0:
                return line
            if t in (b"%", b"|"):
                n *= 2
            parts = [line]
            for _ in range(n):
                parts.append(self.read_reply())
            return b"".join(parts)
        raise ValueError(f"bad reply line {line!r}")

    def close(self) -> None:
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


class Differ:
    """Send the same command to redkeep and real Redis, compare raw replies."""

    def __init__(self, rk_port: int, real_port: int):
        self.a = RawConn(rk_port)
        self.b = RawConn(real_port)

    def both(self, *args):
        ra = self.a.call(*args)
        rb = self.b.call(*args)
        return ra, rb

    def check(self, *args) -> bytes:
        ra, rb = self.both(*args)
        assert ra == rb, f"{args!r}: redkeep {ra!r} != redis {rb!r}"
        return ra

    def close(self):
        self.a.close()
        self.b.close()


def checks(differ, *cmds):
    """``differ.check`` each command in turn."""
    for cmd in cmds:
        differ.check(*cmd)


def resp3(differ):
    """Switch both connections to RESP3 (HELLO's reply carries the client id)."""
    ra, rb = differ.both("HELLO", "3")
    assert ra.startswith(b"%7") and rb.startswith(b"%7")


# -- blocking commands with several clients ---------------------------------------------

def blocked_count(r) -> int:
    return int(r.info("clients")["blocked_clients"])


class Waiter:
    """A client running one blocking command on its own thread."""

    def __init__(self, server, *cmd, protocol=2):
        self.conn = RawConn(server.port)
        if protocol == 3:
            self.conn.call("HELLO", "3")
        self.reply = None
        self.thread = threading.Thread(target=self._run, args=(cmd,), daemon=True)
        self.thread.start()

    def _run(self, cmd):
        try:
            self.reply = self.conn.call(*cmd)
        except (ConnectionError, OSError) as e:
            self.reply = e

    def result(self, timeout=10):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "still blocked"
        self.conn.close()
        return self.reply


def block(server, r, *cmd, protocol=2) -> Waiter:
    """Start ``cmd`` on a new connection and wait until the server counts it
    as blocked (``r`` is a client for INFO)."""
    n = blocked_count(r)
    w = Waiter(server, *cmd, protocol=protocol)
    wait_for(lambda: blocked_count(r) == n + 1, what="client blocked")
    return w
