"""Writing an AOF base file: the dataset as an RDB (``aof-use-rdb-preamble
yes``) or as the minimal RESP commands that rebuild it.  Mirrors Redis 7.0's
``rewriteAppendOnlyFileRio`` / ``rewriteAppendOnlyFile`` (aof.c).

BGREWRITEAOF does not fork: the base is a fork-less point-in-time snapshot
(snapshot.py) written by a thread (filesink.py), exactly like BGSAVE.  The
new incremental file is opened in the same loop turn the snapshot starts,
so base + new incr is the dataset with nothing missing or doubled, and no
rewrite buffer is needed (Redis 7.0's design too).

RESP form, per key: SET; RPUSH / SADD / ZADD / HMSET in batches of 64
elements (AOF_REWRITE_ITEMS_PER_CMD); then PEXPIREAT for a TTL.  A value of
a type redkeep has no commands for (a stream read from an RDB) is written as
``RESTORE key 0 <payload>``: lossless, and Redis loads it too.
"""

from __future__ import annotations

import os
import time

from ..keyspace import Opaque, RHash, RList, RSet
from ..rdb import RdbWriter, dump_payload, standard_aux
from ..resp import encode_command
from .filesink import FileSink
from .snapshot import Snapshot

ITEMS_PER_CMD = 64
_CHUNK = 64 * 1024


def _batches(cmd: bytes, key: bytes, items: list, per: int, out: bytearray) -> None:
    for i in range(0, len(items), per):
        out += encode_command([cmd, key, *items[i:i + per]])


def encode_key_commands(out: bytearray, key: bytes, value, expire_ms, rdb_options=None) -> None:
    t = type(value)
    if t is bytes:
        out += encode_command([b"SET", key, value])
    elif t is RList:
        _batches(b"RPUSH", key, list(value), ITEMS_PER_CMD, out)
    elif t is RSet:
        _batches(b"SADD", key, list(value), ITEMS_PER_CMD, out)
    elif t is RHash:
        flat = []
        for f, v in value.items():
            flat.append(f)
            flat.append(v)
        _batches(b"HMSET", key, flat, 2 * ITEMS_PER_CMD, out)
    elif t is Opaque:
        out += encode_command([b"RESTORE", key, b"0", dump_payload(value, rdb_options)])
    else:  # ZSet
        flat = []
        for score, member in value.sl:
            flat.append(b"%.17g" % score)
            flat.append(member)
        _batches(b"ZADD", key, flat, 2 * ITEMS_PER_CMD, out)
    if expire_ms is not None:
        out += encode_command([b"PEXPIREAT", key, b"%d" % expire_ms])


class RespBaseWriter:
    """The RdbWriter interface (what Snapshot drives), producing RESP."""

    def __init__(self, write_fn, timestamps: bool = False, rdb_options=None):
        self._write = write_fn
        self._buf = bytearray()
        self.timestamps = timestamps
        self.rdb_options = rdb_options
        self.bytes_written = 0
        self.keys_written = 0

    def _flush(self) -> None:
        if self._buf:
            chunk, self._buf = self._buf, bytearray()
            self.bytes_written += len(chunk)
            self._write(chunk)

    def begin(self, aux=(), functions=()) -> None:
        if self.timestamps:
            self._buf += b"#TS:%d\r\n" % int(time.time())
        for code in functions:
            self._buf += encode_command([b"FUNCTION", b"LOAD", code if isinstance(code, bytes) else code.encode()])

    def select_db(self, dbid: int, size: int, expires: int) -> None:
        self._buf += encode_command([b"SELECT", b"%d" % dbid])

    def write_key(self, key: bytes, value, expire_ms=None, lru_idle=None, lfu_freq=None) -> None:
        encode_key_commands(self._buf, key, value, expire_ms, self.rdb_options)
        self.keys_written += 1
        if len(self._buf) >= _CHUNK:
            self._flush()

    def encode_record(self, key: bytes, value, expire_ms=None) -> bytes:
        out = bytearray()
        encode_key_commands(out, key, value, expire_ms, self.rdb_options)
        return bytes(out)

    def write_record(self, record: bytes) -> None:
        self._buf += record
        self.keys_written += 1
        if len(self._buf) >= _CHUNK:
            self._flush()

    def end(self) -> None:
        self._flush()


def base_aux(server) -> list:
    used = server.used_memory() if hasattr(server, "used_memory") else server.rss()
    return standard_aux(int(time.time()), used, None, aof_base=True)


def writer_factory(server, rdb_preamble: bool):
    from .rdb import rdb_options
    opts = rdb_options(server.config)
    if rdb_preamble:
        return lambda write: RdbWriter(write, opts)
    timestamps = server.config.get("aof-timestamp-enabled", False)
    return lambda write: RespBaseWriter(write, timestamps, opts)


def functions_of(server) -> list:
    return list(getattr(server, "rdb_functions", ()))


def write_base_sync(server, path: str, rdb_preamble: bool) -> None:
    """rewriteAppendOnlyFile: the whole dataset into ``path`` now (a base
    at start-up).  Written to ``temp-rewriteaof-<pid>.aof`` in the working
    dir, fsynced, renamed.  Raises OSError."""
    tmp = "temp-rewriteaof-%d.aof" % os.getpid()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        def write(chunk):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]

        w = writer_factory(server, rdb_preamble)(write)
        w.begin(base_aux(server), functions_of(server))
        for db in server.dbs:
            if not db.data:
                continue
            exp = db.expires
            w.select_db(db.id, len(db.data), len(exp))
            for k, v in db.data.items():
                w.write_key(k, v, exp.get(k))
        w.end()
        os.fsync(fd)
    except OSError:
        os.close(fd)
        _unlink(tmp)
        raise
    os.close(fd)
    try:
        os.rename(tmp, path)
    except OSError:
        _unlink(tmp)
        raise


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class BackgroundRewrite:
    """The base of a BGREWRITEAOF, written in slices between client work.
    ``on_done(error_or_None)`` runs on the loop when the temp file is fsynced
    (or failed)."""

    def __init__(self, server, rdb_preamble: bool, on_done):
        self.server = server
        self.on_done = on_done
        self.tmp = "temp-rewriteaof-bg-%d.aof" % os.getpid()
        self.started = time.time()
        self.finished = False
        self.snap = None
        try:
            self.sink = FileSink(server.loop, self.tmp, self.tmp, self._written,
                                 incremental_fsync=server.config.get("aof-rewrite-incremental-fsync", True))
        except OSError as e:
            # Where Redis's child would fail: after BGREWRITEAOF was answered.
            server.log.warning("Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): %s", e.strerror)
            self.sink = None
            server.loop.call_soon(self._written, e.strerror)
            return
        self.snap = Snapshot(server, self.sink, writer_factory(server, rdb_preamble), base_aux(server),
                             functions_of(server))
        server.snapshot = self.snap
        server.loop.call_soon(self._slice)

    def _slice(self) -> None:
        if self.finished or self.sink.error is not None:
            return
        try:
            done = self.snap.step()
        except Exception as e:  # an encoder bug must fail the rewrite, not the server
            self.server.log.warning("Background AOF rewrite error: %r", e, exc_info=True)
            self._release_snapshot()
            self.sink.abort()
            return
        if done:
            self._release_snapshot()
            self.sink.close()
        elif self.sink.queued_bytes() > (8 << 20):
            self.server.loop.call_later(0.001, self._slice)  # the disk is behind: wait for it
        else:
            self.server.loop.call_soon(self._slice)

    def _release_snapshot(self) -> None:
        if self.snap is None:
            return
        if self.server.snapshot is self.snap:
            self.server.snapshot = None
        if not self.snap.finished:
            self.snap.abort()

    def _written(self, err) -> None:
        if self.finished:
            return
        self.finished = True
        self._release_snapshot()
        if err is not None and self.sink is not None:
            self.server.log.warning("Write error writing append only file on disk: %s", err)
        self.on_done(err)

    def kill(self) -> None:
        """killAppendOnlyChild: stop now, leave nothing behind."""
        self.finished = True
        self._release_snapshot()
        if self.sink is not None:
            self.sink.abort()
            self.sink.wait()
        self.discard()

    def discard(self) -> None:
        _unlink(self.tmp)

    @property
    def peak_extra(self) -> int:
        return self.snap.peak_extra if self.snap is not None else 0
