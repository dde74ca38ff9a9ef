"""Crash safety of the AOF: writers get acknowledgements while the server is
SIGKILLed at random moments; after each restart every acknowledged write is
there, in order, and nothing that was never sent appears.

SIGKILL does not lose the kernel's page cache, so the promise is the same
for ``always`` and ``everysec``: an acknowledged write had reached write(2)
(``always``: fdatasync too).  Some rounds also crash in the middle of a
BGREWRITEAOF, which must leave a loadable set of files.
"""

from __future__ import annotations

import random
import socket
import threading
import time

import pytest

from helpers import ServerProcess, wait_for

CLIENTS = 6
ROUNDS = 20


class Writer(threading.Thread):
    """RPUSH list:<i> 0, 1, 2 ... one at a time, recording what was sent
    and what was acknowledged."""

    def __init__(self, port: int, idx: int, start_at: int):
        super().__init__(daemon=True)
        self.port = port
        self.key = b"list:%d" % idx
        self.next = start_at
        self.sent = start_at - 1
        self.acked = start_at - 1

    def run(self) -> None:
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        except OSError:
            return
        f = s.makefile("rb")
        try:
            while True:
                v = b"%d" % self.next
                s.sendall(b"*3\r\n$5\r\nRPUSH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(self.key), self.key, len(v), v))
                self.sent = self.next
                line = f.readline()
                if not line.startswith(b":"):
                    return
                self.acked = self.next
                self.next += 1
        except OSError:
            return
        finally:
            s.close()


def _check(server: ServerProcess, writers: list) -> list:
    """Verify the recovered lists; return where each writer continues."""
    r = server.client()
    try:
        starts = []
        for i in range(CLIENTS):
            key = "list:%d" % i
            items = [int(x) for x in r.lrange(key, 0, -1)]
            n = len(items)
            assert items == list(range(n)), f"{key}: not the written prefix: {items[-5:]}"
            if writers:
                w = writers[i]
                assert n >= w.acked + 1, f"{key}: acknowledged {w.acked} but only {n - 1} recovered"
                assert n <= w.sent + 1, f"{key}: {n - 1} recovered but only {w.sent} was ever sent"
            starts.append(n)
        extra = set(r.keys("*")) - {b"list:%d" % i for i in range(CLIENTS)}
        assert not extra, f"keys never written: {extra}"
        return starts
    finally:
        r.close()


def _crash_loop(tmp_path, policy: str) -> None:
    rng = random.Random(f"{policy}-{time.time()}")
    args = ["--appendonly", "yes", "--appendfsync", policy, "--aof-use-rdb-preamble", rng.choice(["yes", "no"])]
    port = None
    writers: list = []
    starts = [0] * CLIENTS
    total_acked = 0
    for rnd in range(ROUNDS):
        server = ServerProcess(args, dir=str(tmp_path), port=port)
        port = server.port
        server.start()
        try:
            starts = _check(server, writers)
            writers = [Writer(port, i, starts[i]) for i in range(CLIENTS)]
            for w in writers:
                w.start()
            wait_for(lambda: any(w.acked >= starts[i] for i, w in enumerate(writers)), 5,
                     what="first acknowledgements")
            if rnd % 4 == 1:  # crash while a rewrite is in flight (or just done)
                time.sleep(rng.uniform(0.0, 0.1))  # a random moment, not a state to wait for
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(b"BGREWRITEAOF\r\n")
                    s.recv(100)
            time.sleep(rng.uniform(0.02, 0.25))  # kill at a random moment of the stream
        finally:
            server.proc.kill()  # SIGKILL at a random moment of the write stream
            server.proc.wait(5)
        for w in writers:
            w.join(5)
        total_acked += sum(w.acked + 1 - starts[i] for i, w in enumerate(writers))
    server = ServerProcess(args, dir=str(tmp_path), port=port).start()
    try:
        _check(server, writers)
    finally:
        server.kill()
    assert total_acked > ROUNDS * CLIENTS  # the test did write


@pytest.mark.timeout(90)
def test_crash_always(tmp_path):
    _crash_loop(tmp_path, "always")


@pytest.mark.timeout(90)
def test_crash_everysec(tmp_path):
    _crash_loop(tmp_path, "everysec")
