"""Write a file from a thread, atomically: temp name, write, fsync, rename,
fsync the directory.  The event loop hands chunks over and never waits for
the disk; the thread touches no shared state besides its queue.
"""

from __future__ import annotations

import os
import queue
import threading


class FileSink:
    """Chunks -> ``tmp_path`` in a thread; ``commit`` renames it to ``path``.

    ``on_done(error_or_None)`` is called on the event loop when the thread has
    written and fsynced everything (after ``close()``) or failed.
    """

    def __init__(self, loop, path: str, tmp_path: str, on_done, incremental_fsync: bool = False):
        self.loop = loop
        self.path = path
        self.tmp_path = tmp_path
        self.on_done = on_done
        self.incremental_fsync = incremental_fsync
        self.q: queue.SimpleQueue = queue.SimpleQueue()
        self._queued = 0
        self._lock = threading.Lock()
        self.error = None
        self.written = 0
        self.fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.thread = threading.Thread(target=self._run, name="rdb-writer", daemon=True)
        self.thread.start()

    # -- event-loop side -------------------------------------------------------

    def write(self, chunk) -> None:
        with self._lock:
            self._queued += len(chunk)
        self.q.put(chunk)

    def queued_bytes(self) -> int:
        return self._queued

    def drain(self) -> None:
        """Block until the queue is short (used by blocking SAVE only)."""
        while self._queued > (1 << 20) and self.error is None and self.thread.is_alive():
            self.thread.join(0.001)

    def close(self) -> None:
        """No more chunks: the thread fsyncs and reports through on_done."""
        self.q.put(None)

    def abort(self) -> None:
        self.q.put(False)

    def wait(self) -> None:
        self.thread.join()

    # -- writer thread -----------------------------------------------------------

    def _run(self) -> None:
        err = None
        since_sync = 0
        try:
            while True:
                chunk = self.q.get()
                if chunk is None:
                    os.fsync(self.fd)
                    break
                if chunk is False:
                    err = "aborted"
                    break
                # Take every chunk already queued and write them with one
                # call: fewer GIL hand-offs with the event loop thread.
                chunks = [chunk]
                end = _NO_END
                while len(chunks) < 64:
                    try:
                        more = self.q.get_nowait()
                    except queue.Empty:
                        break
                    if more is None or more is False:
                        end = more
                        break
                    chunks.append(more)
                size = sum(len(c) for c in chunks)
                _write_all(self.fd, chunks)
                self.written += size
                with self._lock:
                    self._queued -= size
                if end is not _NO_END:
                    self.q.put(end)  # nothing follows an end marker (None or False)
                if self.incremental_fsync:
                    since_sync += size
                    if since_sync >= 4 << 20:  # rdb-save-incremental-fsync: every 4 MB
                        os.fdatasync(self.fd)
                        since_sync = 0
        except OSError as e:
            err = e.strerror or str(e)
        except Exception as e:  # the loop must always hear back, or BGSAVE never ends
            err = repr(e)
        finally:
            try:
                os.close(self.fd)
            except OSError:
                pass
        self.error = err
        if self.loop is not None:
            try:
                self.loop.call_soon_threadsafe(self.on_done, err)
            except RuntimeError:  # loop closed during shutdown
                pass
        elif self.on_done is not None:
            self.on_done(err)

    def commit(self) -> None:
        """Rename the finished temp file over ``path`` and fsync the directory."""
        os.replace(self.tmp_path, self.path)
        fsync_dir(os.path.dirname(self.path))

    def discard(self) -> None:
        try:
            os.unlink(self.tmp_path)
        except OSError:
            pass


_NO_END = object()


def _write_all(fd: int, chunks: list) -> None:
    views = [memoryview(c) for c in chunks]
    while views:
        n = os.writev(fd, views)
        while views and n >= len(views[0]):
            n -= len(views[0])
            views.pop(0)
        if n:
            views[0] = views[0][n:]


def fsync_dir(path: str) -> None:
    """Make a rename durable: fsync the directory holding the new name."""
    fd = os.open(path or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
