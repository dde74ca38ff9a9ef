"""The append path: propagated commands -> buffer -> write(2) [-> fdatasync]
-> replies.  Mirrors Redis 7.0's ``feedAppendOnlyFile`` and
``flushAppendOnlyFile`` (aof.c) and the AOF jobs of ``bio.c``.

The rule: a reply never leaves before the writes it acknowledges *or
observed* are logged as the fsync policy promises (in the kernel for
``everysec``/``no``, on the disk for ``always``).  While log data is pending,
the AOF installs ``server.reply_gate``: every reply (of any client, reads
included, since a read may have seen the pending write) is held in
``deferred`` with the *generation* of log data it depends on, and released in
order once that generation is logged.  Redis gets the same ordering from
``beforeSleep``: flush the AOF, then write the client buffers.

Policies:
* ``always`` — group commit.  Each loop turn's log data is handed at once
  to the C writer (``_aofsync.c``: plain pthreads, no GIL): its syncer
  thread writes and fdatasyncs everything queued as one group, one fsync at
  a time, the next group starting as soon as an fsync returns.  The
  replies held for a group (``SyncWorker.hold``, see ``gate``) are written
  to the clients' sockets, in C, once it is durable: by the loop at the end
  of its turn, after ceding the core to the syncer (``cede``), or by the
  writer's sender thread while the loop waits for clients.  The replies the
  loop holds itself (closing clients, replicas, a transport with data
  queued) are released by the loop.  Measured (bench/bench_aof.py, everything
  on one core): a Python I/O thread left the disk idle ~40% of the time
  waiting for the GIL (0.74x Redis); a Redis-like synchronous fsync on the
  loop was slower still (0.59x).  Without the C module, the Python ``Bio``
  thread does the same with merged jobs.
  A write or fsync error exits the process, as Redis does: the dataset in
  memory already holds writes that cannot be logged.
* ``everysec`` — write(2) on the loop once per iteration, fdatasync in the
  I/O thread once a second.  If that fsync is still running, the write is
  postponed up to 2 s (``aof_delayed_fsync`` counts the times it was not),
  as Redis; unlike Redis the replies wait for the write meanwhile, so an
  acknowledged write is always at least in the kernel (survives SIGKILL).
* ``no`` — write(2) per iteration, the kernel decides when to flush.
A failed write under ``everysec``/``no`` keeps the data buffered and retried
every second; writes get ``-MISCONF Errors writing to the AOF file: ...``
until it succeeds.  Replies of the unlogged writes stay held; other clients
keep their (error) replies.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import deque

from .. import logsetup  # noqa: F401  (Logger.notice / Logger.verbose)
from ..resp import encode_command

try:  # the C group-commit writer (_aofsync.c); without it, the Python Bio thread
    from .._aofsync import SyncWorker
except ImportError:  # pragma: no cover - built by setup.py wherever a C compiler exists
    SyncWorker = None

log = logging.getLogger("redkeep")

POSTPONE_MAX = 2.0  # seconds a write may wait for a running fsync
WRITE_ERROR_LOG_RATE = 30  # AOF_WRITE_LOG_ERROR_RATE
_SELECT = {}


def _select(dbid: int) -> bytes:
    cmd = _SELECT.get(dbid)
    if cmd is None:
        s = b"%d" % dbid
        cmd = _SELECT[dbid] = b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n" % (len(s), s)
    return cmd


def write_all(fd: int, data) -> int:
    """aofWrite: retry short writes; OSError carries the bytes written so
    far in ``written``."""
    view = memoryview(data)
    total = 0
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        except OSError as e:
            e.written = total
            raise
        total += n
        view = view[n:]
    return total


class Bio:
    """One background thread for the AOF's disk jobs, in submission order
    (Redis's BIO_AOF_FSYNC and BIO_CLOSE_FILE jobs).  Results come back on
    the loop through ``call_soon_threadsafe``.

    Without the C writer (``_aofsync.c``) group commit happens here: when
    the thread turns to a write job, every write job queued behind it for
    the same file is merged into the same write+fdatasync, so the next group
    starts without a round trip through the loop (but the thread still
    needs the GIL to start it)."""

    def __init__(self, loop):
        self.loop = loop
        self.q: queue.SimpleQueue = queue.SimpleQueue()  # C-level: cheap put() on the loop
        self.thread = threading.Thread(target=self._run, name="aof-bio", daemon=True)
        self.thread.start()

    def submit(self, fn, *args, done=None) -> None:
        self.q.put((fn, args, done))

    def drain(self) -> None:
        """Wait until every submitted job has run (CONFIG SET appendonly no,
        shutdown, rewrite bookkeeping)."""
        ev = threading.Event()
        self.q.put((ev.set, (), None))
        ev.wait()

    def _run(self) -> None:
        q = self.q
        carry = None
        while True:
            job = carry if carry is not None else q.get()
            carry = None
            fn, args, done = job
            if fn is _write_job:
                jobs = [job]
                while True:
                    try:
                        nxt = q.get_nowait()
                    except queue.Empty:
                        break
                    if nxt[0] is _write_job and nxt[1][0] == args[0] and nxt[1][2] == args[2]:
                        jobs.append(nxt)
                    else:
                        carry = nxt
                        break
                if len(jobs) > 1:
                    self._run_group(jobs)
                    continue
            try:
                result = fn(*args)
            except OSError as e:
                result = e
            if done is not None:
                self._report(done, result)

    def _run_group(self, jobs) -> None:
        fd, _, sync, sleep_us = jobs[0][1]
        data = b"".join(j[1][1] for j in jobs)
        what, err, n = _write_job(fd, data, sync, sleep_us)
        results = []
        for _, args, done in jobs:
            size = len(args[1])
            if err is None:
                results.append((done, (None, None, size)))
            else:
                # the bytes written before the error belong to the first jobs
                part = min(size, n)
                n -= part
                results.append((done, (what, err, part)))
        self._report(self._done_all, results)

    @staticmethod
    def _done_all(results) -> None:
        for done, result in results:
            done(result)

    def _report(self, done, result) -> None:
        try:
            self.loop.call_soon_threadsafe(done, result)
        except RuntimeError:  # loop closed at exit
            pass


def _fsync(fd: int):
    try:
        os.fdatasync(fd)
    except OSError as e:
        if e.errno in (9, 22):  # EBADF/EINVAL: the fd was closed meanwhile, nothing failed
            return None
        return e
    return None


def _fsync_close(fd: int):
    try:
        os.fdatasync(fd)
    except OSError:
        pass
    os.close(fd)


def _write_job(fd: int, data: bytes, sync: bool, sleep_us: int):
    if sleep_us:
        time.sleep(sleep_us / 1e6)
    try:
        n = write_all(fd, data)
    except OSError as e:
        return ("write", e, getattr(e, "written", 0))
    if sync:
        try:
            os.fdatasync(fd)
        except OSError as e:
            return ("fsync", e, n)
    return (None, None, n)


class AofWriter:
    def __init__(self, server, bio: Bio):
        self.server = server
        self.loop = server.loop
        self.bio = bio
        self.fd = -1
        self.epoch = 0  # bumped whenever fd changes: late results of old files only count in totals
        self.buf = bytearray()
        self.selected_db = -1
        self.timestamps = False
        self.cur_ts = 0
        self.in_multi = False
        self.policy = "everysec"
        self.no_fsync_on_rewrite = False
        self.busy = lambda: False  # a rewrite or BGSAVE is running (no-appendfsync-on-rewrite)
        # generations of logged data, for the reply gate
        self.next_gen = 1
        self.done_gen = 0
        self.inflight = 0
        self.deferred: deque = deque()
        self.held: dict = {}  # client id -> deferred entries (consulted in error mode)
        self.flush_scheduled = False
        # sizes and fsync bookkeeping (Redis's aof_* fields)
        self.incr_size = 0
        self.fsynced_offset = 0
        self.current_size = 0
        self.last_fsync = int(time.time())
        self.fsync_pending = 0
        self.postponed_start = 0.0
        self.delayed_fsync = 0
        self.write_ok = True
        self.fsync_ok = True
        self.write_errno = 0
        self.last_error_log = 0.0
        self.on_error_change = None  # fn(): MISCONF on/off
        # appendfsync always: the C writer (None until first needed, or
        # without the C module)
        self.worker = None
        self.use_worker = SyncWorker is not None
        self.worker_fd = -1
        self.worker_pending: dict = {}  # gen -> epoch, until its bytes are reported
        self.cfd_clients: dict = {}  # dup'ed socket fd -> client, for replies the C writer sends
        server.disconnect_hooks.append(self._client_gone)

    # -- feeding -----------------------------------------------------------------------

    def set_fd(self, fd: int, size: int) -> None:
        self.fd = fd
        self.epoch += 1
        self.incr_size = size
        self.fsynced_offset = size
        self.selected_db = -1

    def feed(self, dbid: int, argv) -> None:
        if self.fd < 0:
            return
        a0 = argv[0]
        if 7 <= len(a0) <= 8 and a0.lower() in (b"publish", b"spublish"):
            return  # Redis propagates PUBLISH to replicas only, never to the AOF
        buf = self.buf
        if self.timestamps:
            if not self.in_multi:
                now = int(time.time())
                if now > self.cur_ts:
                    self.cur_ts = now
                    buf += b"#TS:%d\r\n" % now
            if len(a0) in (4, 5):
                low = a0.lower()
                if low == b"multi":
                    self.in_multi = True
                elif low == b"exec":
                    self.in_multi = False
        if dbid != self.selected_db:
            buf += _select(dbid)
            self.selected_db = dbid
        buf += encode_command(argv)
        if not self.flush_scheduled:
            self.flush_scheduled = True
            self.server.reply_gate = self.gate
            self.loop.call_soon(self.flush)

    # -- the reply gate ------------------------------------------------------------

    def gate(self, c, data) -> bool:
        """Hold ``data`` for client ``c`` if it may depend on unlogged data.
        True when held (the caller must not write it)."""
        cfd = c.cfd
        if (cfd >= 0 and not self.deferred and self.write_ok and c.deferred is None and not c.closing
                and c.kind == "normal" and not c.transport.get_write_buffer_size()):
            # The common case of `always`, first and with nothing else: a
            # client the C writer already sends for (see below), nothing
            # held by the loop, nothing queued on its transport.  One C call
            # decides: held until its generation is durable, or written now.
            # (~0.4 us less per reply than the general path below.)
            if self.worker.hold(cfd, data, self.next_gen if self.buf else self.inflight):
                self.server.stat_net_output_bytes += len(data)
                return True
            return False
        return self._gate(c, data)

    def _gate(self, c, data) -> bool:
        # A group the C writer finished is acknowledged here, at the next
        # reply, rather than when the loop next polls its eventfd: a busy
        # loop turn is ~16 clients' worth of work, and those clients would
        # wait for it with their writes already on disk (measured: +19%
        # ops/s in `always`; fewer fsyncs too, as replies go out sooner and
        # the next requests join a bigger group).  Submitting early as well
        # (a group per reply while none is in flight) was measured slower:
        # 1.7x the fsyncs.
        w = self.worker
        if w is not None and w.durable > self.done_gen:
            self._collect()
        if self.buf:
            gen = self.next_gen
        elif self.inflight:
            gen = self.inflight
        else:
            gen = 0
        py_held = c.id in self.held
        if not self.write_ok and not py_held:
            return False  # error mode: only replies after the unlogged ones wait
        if w is not None and not py_held and (c.cfd >= 0 or gen > self.done_gen):
            # `always`: the C writer holds the reply and writes it to the
            # socket itself right after the fsync that makes it durable, as
            # Redis writes its clients' buffers right after the fsync in
            # beforeSleep: no wake-up of the loop, no Python per reply.
            # Measured with redis-benchmark SET -c 50 -P 1, everything on
            # one core, 7 alternating rounds against the loop-side release:
            # 54.3k -> 56.4k ops/s (median), server CPU 15.4 -> 14.0 us per
            # command, p50 latency 0.80 -> 0.72 ms.  Only while
            # nothing is queued on the transport (order), for normal clients
            # staying open; a client it holds replies for keeps going
            # through it (hold() says when it may be written directly).
            t = c.transport
            if (t is not None and not c.closing and c.kind == "normal" and c.fd >= 0
                    and (c.cfd >= 0 or self.policy == "always") and not t.get_write_buffer_size()):
                if c.cfd < 0:
                    try:
                        c.cfd = os.dup(c.fd)  # kept open while the writer may use it (_client_gone)
                    except OSError:  # out of descriptors: the loop holds it, as below
                        return self._hold(c, data, gen)
                    self.cfd_clients[c.cfd] = c
                d = c.deferred
                payload = data if d is None else d + data
                if w.hold(c.cfd, payload, gen):
                    c.deferred = None
                    self.server.stat_net_output_bytes += len(payload)
                    return True
                return False  # durable, nothing held for it: write it now
            if c.cfd >= 0 and w.pending:
                self._collect()  # what a full socket gave back goes first (onto the transport)
        if gen <= self.done_gen and not py_held:
            return False
        return self._hold(c, data, gen)

    def _hold(self, c, data, gen) -> bool:
        close = False
        if c.closing:
            # QUIT and protocol errors: the connection closes once the reply is out.
            c.closing = False
            close = True
            if c.transport is not None:
                c.transport.pause_reading()
        self.deferred.append((c, data, gen, close))
        self.held[c.id] = self.held.get(c.id, 0) + 1
        if self.worker is not None:
            self.worker.want(gen)  # the C writer wakes the loop when these may go
        return True

    def release(self, upto: int) -> None:
        d = self.deferred
        while d and d[0][2] <= upto:
            c, data, gen, close = d.popleft()
            n = self.held.get(c.id, 1) - 1
            if n:
                self.held[c.id] = n
            else:
                self.held.pop(c.id, None)
            t = c.transport
            if t is None or t.is_closing():
                continue
            c.send(data)
            if close:
                t.close()

    def _maybe_ungate(self) -> None:
        if not (self.deferred or self.flush_scheduled or self.inflight or self.buf or not self.write_ok
                or (self.worker is not None and self.worker.pending)):
            if self.server.reply_gate == self.gate:
                self.server.reply_gate = None

    def _advance(self, gen: int) -> None:
        """Generation ``gen`` is logged by the loop itself (not by the C
        writer's fsync): replies the C writer holds for it go out too."""
        if gen > self.done_gen:
            self.done_gen = gen
        w = self.worker
        if w is not None and w.pending:
            w.ack(self.done_gen)
            self._collect()

    def _client_gone(self, c) -> None:
        fd = c.cfd
        if fd >= 0:
            c.cfd = -1
            self.cfd_clients.pop(fd, None)
            if self.worker is not None:
                self.worker.forget(fd)  # drops its held replies, closes the dup
            else:
                os.close(fd)

    # -- flushing ------------------------------------------------------------------------

    def flush(self, force: bool = False) -> None:
        """The beforeSleep flush (flushAppendOnlyFile)."""
        self.flush_scheduled = False
        if self.fd < 0:
            self.buf = bytearray()
            self._advance(self.next_gen)
            self.release(self.next_gen)
            self._maybe_ungate()
            return
        if self.policy == "always":
            if self.buf:
                self._submit()
                if self.worker is not None:
                    self.worker.cede()  # let the syncer start this group now (_aofsync.c)
                return  # a group in flight: the gate stays
            self._maybe_ungate()
            return
        self._flush_sync(force)

    def _flush_sync(self, force: bool) -> None:
        sync_in_progress = self.fsync_pending > 0
        if not self.buf:
            if (self.policy == "everysec" and self.fsynced_offset != self.incr_size
                    and int(time.time()) > self.last_fsync and not sync_in_progress):
                self._try_fsync(False)
            self._maybe_ungate()
            return
        if self.policy == "everysec" and not force and sync_in_progress:
            now = time.monotonic()
            if not self.postponed_start:
                self.postponed_start = now
                return
            if now - self.postponed_start < POSTPONE_MAX:
                return
            self.delayed_fsync += 1
            log.notice("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer "
                       "without waiting for fsync to complete, this may slow down Redis.")
        sleep_us = self.server.aof_flush_sleep
        if sleep_us:
            time.sleep(sleep_us / 1e6)
        self.postponed_start = 0.0
        data = self.buf
        try:
            n = write_all(self.fd, data)
        except OSError as e:
            self._write_failed(e, getattr(e, "written", 0), len(data))
            return
        gen = self.next_gen
        self.next_gen += 1
        self.buf = bytearray()
        self.incr_size += n
        self.current_size += n
        if not self.write_ok:
            log.warning("AOF write error looks solved, Redis can write again.")
            self.write_ok = True
            self._error_changed()
        self._advance(gen)
        self.release(gen)
        self._try_fsync(sync_in_progress)
        self._maybe_ungate()

    def _try_fsync(self, sync_in_progress: bool) -> None:
        if self.no_fsync_on_rewrite and self.busy():
            return
        now = int(time.time())
        if self.policy == "everysec" and now > self.last_fsync:
            if not sync_in_progress:
                self.fsync_pending += 1
                self.bio.submit(_fsync, self.fd, done=self._fsync_done)
                self.fsynced_offset = self.incr_size
            self.last_fsync = now

    def _fsync_done(self, err) -> None:
        self.fsync_pending -= 1
        if err is not None:
            if self.fsync_ok:
                log.warning("Fail to fsync the AOF file: %s", err.strerror)
            self.fsync_ok = False
            self.write_errno = err.errno
            self.fsynced_offset = -1  # retried by the cron
            self._error_changed()
        elif not self.fsync_ok:
            self.fsync_ok = True
            self._error_changed()
        if self.postponed_start and self.buf:
            self.flush()

    def _write_failed(self, e: OSError, written: int, expected: int) -> None:
        now = time.monotonic()
        can_log = now - self.last_error_log > WRITE_ERROR_LOG_RATE
        if can_log:
            self.last_error_log = now
        if written == 0:
            if can_log:
                log.warning("Error writing to the AOF file: %s", e.strerror)
            self.write_errno = e.errno
        else:
            if can_log:
                log.warning("Short write while writing to the AOF file: (nwritten=%d, expected=%d)",
                            written, expected)
            try:
                os.ftruncate(self.fd, self.incr_size)
                written = 0
            except OSError as te:
                if can_log:
                    log.warning("Could not remove short write from the append-only file.  Redis may refuse to "
                                "load the AOF the next time it starts.  ftruncate: %s", te.strerror)
            self.write_errno = 28  # ENOSPC, as Redis reports a short write
        if written:
            del self.buf[:written]
            self.incr_size += written
            self.current_size += written
        if self.write_ok:
            self.write_ok = False
            self._error_changed()

    def _error_changed(self) -> None:
        if self.on_error_change is not None:
            self.on_error_change()

    @property
    def ok(self) -> bool:
        return self.write_ok and self.fsync_ok

    def error_text(self) -> str:
        return "MISCONF Errors writing to the AOF file: %s" % os.strerror(self.write_errno or 5)

    # -- always: group commit in the I/O thread ------------------------------------------------

    def _submit(self) -> None:
        buf = self.buf
        self.buf = bytearray()
        gen = self.next_gen
        self.next_gen += 1
        self.inflight = gen
        sync = not (self.no_fsync_on_rewrite and self.busy())
        epoch = self.epoch
        sleep_us = self.server.aof_flush_sleep
        if self.worker is None and self.use_worker:
            self._start_worker()
        if self.worker is not None:
            self.worker_pending[gen] = epoch
            self.worker.submit(self.fd, buf, gen, sync, sleep_us)
            return
        self.bio.submit(_write_job, self.fd, bytes(buf), sync, sleep_us,
                        done=lambda r: self._written(gen, epoch, r))

    def _start_worker(self) -> None:
        try:
            efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            worker = SyncWorker(efd)
        except (OSError, AttributeError) as e:
            log.warning("AOF: the C fsync writer is unavailable (%s); using the Python I/O thread", e)
            return
        self.worker = worker
        self.worker_fd = efd
        self.loop.add_reader(efd, self._worker_wakeup)

    def _worker_wakeup(self) -> None:
        try:
            os.eventfd_read(self.worker_fd)
        except BlockingIOError:
            pass
        self._collect()

    def _collect(self) -> None:
        """Account for what the C writer finished: bytes per job (any order:
        its workers fsync in parallel), then acknowledge up to ``durable``."""
        durable, written, error, left = self.worker.poll()
        for fd, data in left:  # what a full socket did not take: queued on the transport, in order
            c = self.cfd_clients.get(fd)
            if c is not None and c.transport is not None and not c.transport.is_closing():
                c.transport.write(data)
        pending = self.worker_pending
        for gen, n in written:
            epoch = pending.pop(gen)
            self.current_size += n
            if epoch == self.epoch:
                self.incr_size += n
        if error is not None:
            stage, err = error
            self._written(durable, self.epoch, ("write" if stage == 1 else "fsync", OSError(err, os.strerror(err)), 0))
            return
        if durable > self.done_gen:
            self.last_fsync = int(time.time())
            self.done_gen = durable
            if self.inflight and self.inflight <= durable:
                self.inflight = 0
                self.fsynced_offset = self.incr_size
            self.release(durable)
        self._maybe_ungate()

    def refresh(self) -> None:
        """Account for the groups the C writer finished.  Under load it wakes
        the loop only every NOTIFY_EVERY groups (_aofsync.c): the sizes INFO
        and the auto-rewrite rule read are brought up to date here."""
        if self.worker is not None:
            self._collect()

    def quiesce(self) -> None:
        """Wait for the C writer's queued groups and account for them (before
        the file they write to is switched or closed)."""
        if self.worker is not None:
            self.worker.drain()
            self._collect()

    def _written(self, gen: int, epoch: int, result) -> None:
        what, err, n = result
        if self.inflight == gen:
            self.inflight = 0
        if err is not None:
            if what == "write":
                log.warning("Error writing to the AOF file: %s", err.strerror)
                log.warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. "
                            "Exiting...")
            else:
                log.warning("Can't persist AOF for fsync error when the AOF fsync policy is 'always': %s. "
                            "Exiting...", err.strerror)
            logging.shutdown()
            os._exit(1)
        self.current_size += n
        if epoch == self.epoch:
            self.incr_size += n
            self.fsynced_offset = self.incr_size
        self.last_fsync = int(time.time())
        self.done_gen = max(self.done_gen, gen)
        self.release(self.done_gen)
        self._maybe_ungate()

    # -- whole-file operations ---------------------------------------------------------

    def sync_now(self) -> None:
        """Everything buffered or queued onto the disk, now, on this thread
        (switching files, CONFIG SET appendonly no, shutdown, DEBUG LOADAOF)."""
        self.quiesce()
        self.bio.drain()
        if self.fd >= 0 and self.buf:
            data = self.buf
            try:
                n = write_all(self.fd, data)
                self.buf = bytearray()
                self.next_gen += 1  # that generation is written: release_all may acknowledge it
                self.incr_size += n
                self.current_size += n
            except OSError as e:
                self._write_failed(e, getattr(e, "written", 0), len(data))
        if self.fd >= 0:
            try:
                os.fdatasync(self.fd)
                self.fsynced_offset = self.incr_size
                self.last_fsync = int(time.time())
            except OSError as e:
                log.warning("Fail to fsync the AOF file: %s", e.strerror)

    def release_all(self) -> None:
        """After sync_now: whatever was logged may be acknowledged."""
        if not self.buf:
            self._advance(self.next_gen - 1)
            self.inflight = 0
        self.release(self.done_gen)
        self._maybe_ungate()

    def pending_gen(self) -> int:
        return self.next_gen if self.buf else (self.inflight or self.done_gen)
