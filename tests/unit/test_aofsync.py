"""The C group-commit writer of appendfsync always (redkeep._aofsync)."""

from __future__ import annotations

import os
import select

import pytest

aofsync = pytest.importorskip("redkeep._aofsync")  # CI builds it; the fallback is tested in test_aof_writer.py


@pytest.fixture
def worker():
    efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
    w = aofsync.SyncWorker(efd)
    yield w, efd
    w.stop()
    os.close(efd)


@pytest.fixture
def log(tmp_path):
    """A log file's descriptor (tmp_path / "f"), as the loop hands the writer."""
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    yield fd
    os.close(fd)


def test_jobs_land_in_order_and_are_reported(worker, log, tmp_path):
    fd = log
    w, efd = worker
    chunks = [b"*%d\r\n" % i * (i % 7 + 1) for i in range(1, 301)]
    for gen, chunk in enumerate(chunks, 1):
        w.submit(fd, chunk, gen, True)
    w.drain()
    assert w.durable == 300  # readable without poll(), as the reply gate does
    durable, written, error, left = w.poll()
    assert error is None and durable == 300
    assert sorted(written) == [(gen, len(c)) for gen, c in enumerate(chunks, 1)]
    assert (tmp_path / "f").read_bytes() == b"".join(chunks)
    groups, jobs = w.stats()
    assert jobs == 300 and 1 <= groups <= 300
    # the loop was woken, once per poll at most
    assert select.select([efd], [], [], 0)[0] == [efd]
    assert os.eventfd_read(efd) >= 1
    assert w.poll() == (300, [], None, [])


def test_bytearray_is_copied_at_submit(worker, tmp_path):
    w, _ = worker
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    try:
        buf = bytearray(b"first")
        w.submit(fd, buf, 1, True)
        buf[:] = b"XXXXX"  # the loop reuses its buffer right away
        w.drain()
        assert (tmp_path / "f").read_bytes() == b"first"
    finally:
        os.close(fd)


def test_write_error_is_reported_not_acknowledged(worker, tmp_path):
    w, _ = worker
    (tmp_path / "ro").write_bytes(b"")
    fd = os.open(tmp_path / "ro", os.O_RDONLY)
    try:
        w.submit(fd, b"data", 1, True)
        w.drain()
        assert w.durable == 0
        durable, written, error, left = w.poll()
        assert durable == 0  # never acknowledged
        assert written == [(1, 0)]
        assert error == (1, 9)  # a failed write, EBADF
    finally:
        os.close(fd)


def test_without_sync_it_still_writes(worker, tmp_path):
    """no-appendfsync-on-rewrite: the group is written, not fsynced, and counts as done."""
    w, _ = worker
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    try:
        w.submit(fd, b"abc", 7, False)
        w.drain()
        assert w.poll() == (7, [(7, 3)], None, [])
    finally:
        os.close(fd)


def test_bad_arguments():
    with pytest.raises(TypeError):
        aofsync.SyncWorker(-1, threads=2)  # one syncer and one sender, always
    with pytest.raises(TypeError):
        aofsync.SyncWorker("x")
    w = aofsync.SyncWorker(-1)
    try:
        with pytest.raises(TypeError):
            w.submit(1, "text", 1, True)
    finally:
        w.stop()
    with pytest.raises(RuntimeError):
        w.submit(1, b"x", 1, True)  # stopped


# -- replies the writer holds and sends itself (hold / ack / forget) -------------------------


def _recv_all(sock, timeout=5.0) -> bytes:
    sock.settimeout(timeout)
    out = b""
    try:
        while True:
            sock.settimeout(0.2 if out else timeout)
            d = sock.recv(1 << 20)
            if not d:
                break
            out += d
    except (TimeoutError, BlockingIOError):
        pass
    return out


@pytest.fixture
def pair():
    import socket
    a, b = socket.socketpair()
    a.setblocking(False)
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def cfd(worker, pair):
    """A dup of the client's socket, as the loop hands it (forgotten at the end)."""
    fd = os.dup(pair[0].fileno())
    yield fd
    worker[0].forget(fd)


def test_held_reply_goes_out_after_its_group_is_durable(worker, log, tmp_path, pair, cfd):
    fd = log
    w, _ = worker
    _, b = pair
    assert w.hold(cfd, b"+OK\r\n", 1) is True
    assert w.pending == 1
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv(10)  # not before the fsync
    w.submit(fd, b"*1\r\n$4\r\nPING\r\n", 1, True)
    w.drain()
    assert _recv_all(b) == b"+OK\r\n"
    assert w.pending == 0 and w.durable == 1
    assert w.poll()[3] == []
    # durable and nothing held for it: the caller writes it itself
    assert w.hold(cfd, b"+late\r\n", 1) is False


def test_order_per_socket_across_groups_and_ack(worker, tmp_path):
    import socket
    w, _ = worker
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    pairs = [socket.socketpair() for _ in range(3)]
    cfds = [os.dup(a.fileno()) for a, _ in pairs]
    try:
        expect = [b"" for _ in pairs]
        for gen in range(1, 41):
            for i, cfd in enumerate(cfds):
                if (gen + i) % 2:
                    data = b":%d\r\n" % (gen * 10 + i)
                    assert w.hold(cfd, data, gen) is True
                    expect[i] += data
            if gen <= 30:
                w.submit(fd, b"x", gen, True)
        w.drain()
        assert w.durable == 30 and w.pending > 0  # 31..40 wait for data never submitted
        w.ack(40)  # the loop logged them itself (sync_now)
        assert w.pending == 0
        for (a, b), want in zip(pairs, expect):
            assert _recv_all(b) == want
    finally:
        for cfd in cfds:
            w.forget(cfd)
        for a, b in pairs:
            a.close()
            b.close()
        os.close(fd)


def test_a_full_socket_gives_the_rest_back_in_order(worker, log, tmp_path, pair, cfd):
    import socket
    fd = log
    w, efd = worker
    a, b = pair
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    big = bytes(range(256)) * 4096  # 1 MiB: more than the socket takes while b does not read
    tail = b"+after\r\n"
    assert w.hold(cfd, big, 1) and w.hold(cfd, tail, 1)
    w.submit(fd, b"x", 1, True)
    w.drain()
    assert w.durable == 1
    assert w.pending == 2  # what came back, not yet taken by the loop
    left = w.poll()[3]
    assert [f for f, _ in left] == [cfd, cfd]
    assert left[1][1] == tail  # the later reply is given back whole, after the rest of the first
    assert w.pending == 0
    # the loop queues those on its transport; here: write them after what the socket took
    sent = len(big) - len(left[0][1])
    assert sent > 0
    assert big[sent:] == left[0][1]
    assert _recv_all(b) == big[:sent]
    # no longer diverted: a durable reply with nothing held may be written directly
    assert w.hold(cfd, b"+x\r\n", 1) is False


def test_forget_drops_what_is_held_and_closes_the_dup(worker, pair):
    w, _ = worker
    a, b = pair
    cfd = os.dup(a.fileno())
    assert w.hold(cfd, b"+never\r\n", 5)
    assert w.pending == 1
    w.forget(cfd)
    assert w.pending == 0
    with pytest.raises(OSError):
        os.fstat(cfd)
    w.ack(5)
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv(10)


def test_a_peer_that_went_away_is_not_an_error(worker, log, pair, cfd):
    fd = log
    w, _ = worker
    _, b = pair
    b.close()
    assert w.hold(cfd, b"+OK\r\n", 1)
    w.submit(fd, b"x", 1, True)
    w.drain()
    durable, written, error, left = w.poll()
    assert durable == 1 and error is None and left == [] and w.pending == 0


# -- the syncer/sender pair: stopping, waking the loop, ceding ----------------------------------


def _readable(efd, timeout=0.0) -> bool:
    return select.select([efd], [], [], timeout)[0] == [efd]


def test_stop_writes_the_replies_of_what_it_ran(tmp_path, pair):
    """stop() runs the queued groups and writes the replies they made durable
    before the threads end (the sender waits for the syncer)."""
    a, b = pair
    w = aofsync.SyncWorker(-1)
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    cfd = os.dup(a.fileno())
    try:
        for gen in range(1, 6):
            assert w.hold(cfd, b":%d\r\n" % gen, gen)
            w.submit(fd, b"x" * gen, gen, True)
        w.stop()
        assert _recv_all(b) == b"".join(b":%d\r\n" % g for g in range(1, 6))
        assert (tmp_path / "f").read_bytes() == b"x" * 15
        assert w.pending == 0
    finally:
        os.close(cfd)
        os.close(fd)


def test_the_loop_is_woken_only_when_it_has_something_to_do(worker, log, cfd):
    fd = log
    w, efd = worker
    assert w.hold(cfd, b"+later\r\n", 3)  # work still to come: not idle
    w.submit(fd, b"x", 1, True)
    w.drain()
    assert w.durable == 1
    assert not _readable(efd)  # a group done under load wakes nobody
    w.want(1)  # the loop holds a reply of its own for gen 1: reached already
    assert _readable(efd)
    os.eventfd_read(efd)
    assert w.poll()[0] == 1  # as the loop does: read, then poll (which re-arms the eventfd)
    w.want(2)
    w.submit(fd, b"y", 2, True)
    assert _readable(efd, 5.0)  # woken once acked reaches 2
    os.eventfd_read(efd)
    assert w.poll()[0] == 2
    w.submit(fd, b"z", 3, True)  # the last group: everything done, the loop is told
    assert _readable(efd, 5.0)
    assert w.poll()[0] == 3 and w.pending == 0


def test_cede_writes_what_is_durable_in_order(worker, log, pair, cfd):
    """cede() (the end of a loop turn) yields to the threads and writes the
    replies that became durable itself; the sender writes the others: the
    client sees them all, in order, whoever wrote them."""
    fd = log
    w, _ = worker
    _, b = pair
    w.cede()  # nothing to do: no yield
    for gen in range(1, 200):
        assert w.hold(cfd, b":%d\r\n" % gen, gen)
        w.submit(fd, b"x", gen, True)
        w.cede()
    w.drain()
    assert w.durable == 199 and w.pending == 0
    assert _recv_all(b) == b"".join(b":%d\r\n" % g for g in range(1, 200))
