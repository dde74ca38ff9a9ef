"""The C group-commit writer of appendfsync always (redkeep._aofsync)."""

from __future__ import annotations

import os
import select

import pytest

aofsync = pytest.importorskip("redkeep._aofsync")  # CI builds it; the fallback is tested in test_aof_writer.py


@pytest.fixture
def worker():
    efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
    w = aofsync.SyncWorker(efd, threads=2)
    yield w, efd
    w.stop()
    os.close(efd)


def test_jobs_land_in_order_and_are_reported(worker, tmp_path):
    w, efd = worker
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        chunks = [b"*%d\r\n" % i * (i % 7 + 1) for i in range(1, 301)]
        for gen, chunk in enumerate(chunks, 1):
            w.submit(fd, chunk, gen, True)
        w.drain()
        assert w.durable == 300  # readable without poll(), as the reply gate does
        durable, written, error = w.poll()
        assert error is None and durable == 300
        assert sorted(written) == [(gen, len(c)) for gen, c in enumerate(chunks, 1)]
        assert (tmp_path / "f").read_bytes() == b"".join(chunks)
        groups, jobs = w.stats()
        assert jobs == 300 and 1 <= groups <= 300
        # the loop was woken, once per poll at most
        assert select.select([efd], [], [], 0)[0] == [efd]
        assert os.eventfd_read(efd) >= 1
        assert w.poll() == (300, [], None)
    finally:
        os.close(fd)


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
        durable, written, error = w.poll()
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
        assert w.poll() == (7, [(7, 3)], None)
    finally:
        os.close(fd)


def test_bad_arguments():
    with pytest.raises(ValueError):
        aofsync.SyncWorker(-1, threads=0)
    with pytest.raises(TypeError):
        aofsync.SyncWorker("x")
    w = aofsync.SyncWorker(-1, threads=1)
    try:
        with pytest.raises(TypeError):
            w.submit(1, "text", 1, True)
    finally:
        w.stop()
    with pytest.raises(RuntimeError):
        w.submit(1, b"x", 1, True)  # stopped
