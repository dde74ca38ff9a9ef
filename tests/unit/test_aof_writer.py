"""The AOF append path without a server: the reply gate, group commit,
everysec postponement, write errors (persistence/aof_writer.py)."""

from __future__ import annotations

import os

import pytest

from redkeep.persistence import aof_writer
from redkeep.persistence.aof_writer import AofWriter
from redkeep.resp import encode_command


class Loop:
    def __init__(self):
        self.ready = []

    def call_soon(self, fn, *args):
        self.ready.append((fn, args))

    def add_reader(self, fd, fn):
        pass  # the C writer's eventfd: these tests poll it themselves

    def run(self):
        while self.ready:
            fn, args = self.ready.pop(0)
            fn(*args)


class Bio:
    def __init__(self):
        self.jobs = []

    def submit(self, fn, *args, done=None):
        self.jobs.append((fn, args, done))

    def run(self):
        jobs, self.jobs = self.jobs, []
        for fn, args, done in jobs:
            r = fn(*args)
            if done is not None:
                done(r)

    def run_one(self):
        fn, args, done = self.jobs.pop(0)
        r = fn(*args)
        if done is not None:
            done(r)

    def drain(self):
        self.run()


class Server:
    def __init__(self):
        self.loop = Loop()
        self.reply_gate = None
        self.stat_net_output_bytes = 0
        self.obuf_limit_normal = False
        self.disconnect_hooks = []
        self.aof_flush_sleep = 0


class Transport:
    def __init__(self):
        self.out = []

    def write(self, data):
        self.out.append(data)

    def is_closing(self):
        return False

    def get_write_buffer_size(self):
        return 0

    def pause_reading(self):
        pass


class Client:
    def __init__(self, cid):
        self.id = cid
        self.transport = Transport()
        self.closing = False
        self.kind = "normal"
        self.fd = -1  # no socket: the C writer never sends for it
        self.cfd = -1
        self.deferred = None

    def reply(self, server, data):
        """What Client._flush does."""
        if server.reply_gate is None or not server.reply_gate(self, data):
            self.send(data)

    def send(self, data):
        self.transport.write(data)


@pytest.fixture
def w(tmp_path):
    server = Server()
    writer = AofWriter(server, Bio())
    writer.use_worker = False  # the Python I/O path, driven step by step (the C writer: test_aofsync.py)
    fd = os.open(tmp_path / "incr.aof", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    writer.set_fd(fd, 0)
    writer.path = str(tmp_path / "incr.aof")
    yield writer
    os.close(writer.fd) if writer.fd >= 0 else None


def _file(w) -> bytes:
    with open(w.path, "rb") as f:
        return f.read()


def test_everysec_reply_waits_for_the_write(w):
    s = w.server
    a, b = Client(1), Client(2)
    w.feed(0, [b"SET", b"k", b"v"])
    w.feed(0, [b"PUBLISH", b"ch", b"m"])  # replicas only, never the AOF
    a.reply(s, b"+OK\r\n")
    b.reply(s, b"$1\r\nv\r\n")  # a read that may have seen the write waits too
    assert a.transport.out == [] and b.transport.out == [] and _file(w) == b""
    s.loop.run()  # beforeSleep: write(2), then the replies
    assert _file(w) == b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" + encode_command([b"SET", b"k", b"v"])
    assert a.transport.out == [b"+OK\r\n"] and b.transport.out == [b"$1\r\nv\r\n"]
    assert s.reply_gate is None
    a.reply(s, b"+PONG\r\n")  # nothing pending: straight out
    assert a.transport.out[-1] == b"+PONG\r\n"


def test_everysec_postpones_while_fsync_runs_then_counts_a_delay(w, monkeypatch):
    s = w.server
    now = [1000.0]
    monkeypatch.setattr(aof_writer.time, "monotonic", lambda: now[0])
    w.fsync_pending = 1  # a background fsync is still running
    c = Client(1)
    w.feed(0, [b"SET", b"k", b"v"])
    c.reply(s, b"+OK\r\n")
    s.loop.run()
    assert _file(w) == b"" and c.transport.out == [] and w.delayed_fsync == 0
    now[0] += 1.0
    w.flush()
    assert _file(w) == b""
    now[0] += 1.5  # more than 2 s: write anyway
    w.flush()
    assert w.delayed_fsync == 1 and _file(w).endswith(b"v\r\n") and c.transport.out == [b"+OK\r\n"]


def test_always_group_commit(w):
    s = w.server
    w.policy = "always"
    a, b = Client(1), Client(2)
    w.feed(0, [b"SET", b"a", b"1"])
    a.reply(s, b"+OK\r\n")
    s.loop.run()  # group 1 handed to the I/O thread
    assert len(w.bio.jobs) == 1 and a.transport.out == []
    w.feed(0, [b"SET", b"b", b"2"])  # arrives while group 1 is being fsynced
    b.reply(s, b"+OK\r\n")
    s.loop.run()
    assert len(w.bio.jobs) == 2  # queued at once: the I/O thread takes it right after group 1
    w.bio.run_one()  # group 1 done -> its reply only
    assert a.transport.out == [b"+OK\r\n"] and b.transport.out == []
    w.bio.run_one()
    assert b.transport.out == [b"+OK\r\n"] and s.reply_gate is None
    assert _file(w).count(b"SET") == 2 and w.incr_size == len(_file(w)) == w.fsynced_offset


def test_always_the_c_writer_sends_replies_or_the_loop_does_without_a_descriptor(w):
    pytest.importorskip("redkeep._aofsync")
    import socket
    s = w.server
    w.policy = "always"
    w.use_worker = True
    w.feed(0, [b"SET", b"warm", b"1"])
    s.loop.run()  # the first group starts the writer
    a, b = socket.socketpair()
    try:
        w.worker.drain()
        w._collect()
        c = Client(1)
        c.fd = a.fileno()
        w.feed(0, [b"SET", b"a", b"1"])
        c.reply(s, b"+OK\r\n")
        assert c.cfd >= 0 and c.transport.out == []  # held by the C writer, on a dup of the socket
        s.loop.run()  # the group goes to the writer
        w.worker.drain()
        b.settimeout(5)
        assert b.recv(100) == b"+OK\r\n"  # written by the writer thread after the fsync
        w._collect()
        assert s.reply_gate is None and s.stat_net_output_bytes == 5
        # no descriptor to spare for a dup: the loop holds the reply and writes it itself
        d = Client(2)
        d.fd = 1 << 20  # dup() fails (EBADF), as it would with EMFILE
        w.feed(0, [b"SET", b"b", b"2"])
        d.reply(s, b"+OK\r\n")
        assert d.cfd == -1 and d.transport.out == []
        s.loop.run()
        w.worker.drain()
        w._collect()
        assert d.transport.out == [b"+OK\r\n"]
        # the client goes: what the writer held for it is dropped and its dup closed
        cfd = c.cfd
        w._client_gone(c)
        assert c.cfd == -1
        with pytest.raises(OSError):
            os.fstat(cfd)
    finally:
        if w.worker is not None:
            w.worker.stop()
        a.close()
        b.close()


def test_bio_merges_queued_writes_into_one_fsync(tmp_path, monkeypatch):
    """The real I/O thread: write jobs queued behind a running job become one
    write+fdatasync, and each job still gets its own result, in order."""
    import threading

    class ThreadLoop:
        def __init__(self):
            self.results = []
            self.done = threading.Event()

        def call_soon_threadsafe(self, fn, *args):
            fn(*args)

    syncs = []
    real_fdatasync = os.fdatasync
    monkeypatch.setattr(aof_writer.os, "fdatasync", lambda fd: (syncs.append(fd), real_fdatasync(fd)))
    loop = ThreadLoop()
    bio = aof_writer.Bio(loop)
    gate = threading.Event()
    bio.submit(gate.wait)  # the thread is busy (an fsync in progress)
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    try:
        got = []
        for chunk in (b"one", b"two!", b"three"):
            bio.submit(aof_writer._write_job, fd, chunk, True, 0, done=got.append)
        bio.submit(aof_writer._fsync, fd, done=got.append)  # not a write: runs on its own, after
        gate.set()
        bio.drain()
        assert got == [(None, None, 3), (None, None, 4), (None, None, 5), None]
        assert syncs == [fd, fd]  # one for the merged group, one for the fsync job
        assert (tmp_path / "f").read_bytes() == b"onetwo!three"
    finally:
        os.close(fd)


def test_write_error_holds_only_what_depends_on_it(w, tmp_path):
    s = w.server
    changes = []
    w.on_error_change = lambda: changes.append(w.ok)
    good_fd = w.fd
    w.fd = os.open(tmp_path / "ro", os.O_RDONLY | os.O_CREAT)  # write(2) fails: EBADF
    a, b = Client(1), Client(2)
    w.feed(0, [b"SET", b"k", b"v"])
    a.reply(s, b"+OK\r\n")
    s.loop.run()
    assert not w.write_ok and changes == [False]
    assert w.error_text() == "MISCONF Errors writing to the AOF file: Bad file descriptor"
    assert a.transport.out == []  # never acknowledge an unlogged write
    b.reply(s, b"-MISCONF ...\r\n")
    assert b.transport.out == [b"-MISCONF ...\r\n"]  # others are answered
    a.reply(s, b"+PONG\r\n")  # behind its held reply
    assert a.transport.out == []
    os.close(w.fd)
    w.fd = good_fd
    w.flush()  # the cron's retry
    assert w.write_ok and changes == [False, True]
    assert a.transport.out == [b"+OK\r\n", b"+PONG\r\n"] and _file(w).endswith(b"v\r\n")


def test_quit_reply_then_close(w):
    s = w.server
    c = Client(1)
    c.transport.paused = False
    c.transport.pause_reading = lambda: setattr(c.transport, "paused", True)
    closed = []
    c.transport.close = lambda: closed.append(True)
    w.feed(0, [b"SET", b"k", b"v"])
    c.closing = True
    c.reply(s, b"+OK\r\n")
    assert not c.closing and c.transport.paused  # the connection stays until the reply is out
    s.loop.run()
    assert c.transport.out == [b"+OK\r\n"] and closed == [True]
