"""The append-only file: state, start-up, rewrites, run-time switching.
Mirrors the orchestration of Redis 7.0's ``aof.c`` (loadAppendOnlyFiles,
aofOpenIfNeededOnServerStart, rewriteAppendOnlyFileBackground,
backgroundRewriteDoneHandler, startAppendOnly/stopAppendOnly) and the AOF
parts of ``serverCron``.

The pieces:
* ``aof_manifest``  the manifest (which files, atomic replacement);
* ``aof_loader``    replaying base + incr files at start-up / DEBUG LOADAOF;
* ``aof_writer``    the append path, fsync policies and the reply gate;
* ``aof_rewrite``   base files (RDB or RESP) from a fork-less snapshot.

States (aof_state): OFF; ON; WAIT_REWRITE while ``CONFIG SET appendonly
yes`` waits for its first rewrite — writes then go to ``temp-<af>.incr``,
which becomes the first incr file only when the base is complete, so a
crash in between leaves the previous state intact.

Rewrite policy, as Redis: BGREWRITEAOF, or automatically when the log grew
``auto-aof-rewrite-percentage`` over its size after the last rewrite and
exceeds ``auto-aof-rewrite-min-size``.  A failed rewrite leaves the old
files and manifest untouched (the new incr file it opened stays in the
manifest, holding the writes since); after 3 consecutive failures automatic
attempts back off 1, 2, 4 ... 60 minutes so a full disk is not hammered.
"""

from __future__ import annotations

import logging
import os
import time

from .. import logsetup  # noqa: F401  (Logger.notice / Logger.verbose)
from ..config import ConfigError
from .aof_loader import EMPTY, OK, StartupLoading
from .aof_manifest import Manifest, ManifestError, ManifestWriteError, load_manifest, log_manifest_error, manifest_name
from .aof_rewrite import BackgroundRewrite, write_base_sync
from .aof_writer import AofWriter, Bio

log = logging.getLogger("redkeep")

AOF_OFF, AOF_ON, AOF_WAIT_REWRITE = 0, 1, 2
REWRITE_LIMIT_THRESHOLD = 3  # AOF_REWRITE_LIMITE_THRESHOLD
REWRITE_LIMIT_MAX_MINUTES = 60


class Aof(StartupLoading):
    def __init__(self, server):
        self.server = server
        server.aof = self
        server.aof_rewrite_in_progress = False
        self.config = cfg = server.config
        self.state = AOF_OFF
        self.manifest = Manifest()
        self.bio = None
        self.writer = None
        self.rewrite = None  # BackgroundRewrite in progress
        self.rewrite_scheduled = False
        self.rewrite_time_start = -1
        self.rewrite_time_last = -1
        self.last_rewrite_ok = True
        self.rewrites = 0
        self.consecutive_failures = 0
        self.base_size = 0  # aof_rewrite_base_size
        self.last_cow_size = 0
        self.next_delay_minutes = 0
        self.next_rewrite_time = 0
        self.listening = False
        self.last_error_retry = 0.0
        server.cron_hooks.append(self.cron)
        server.shutdown_hooks.insert(0, self.on_shutdown)
        hooks = cfg.hooks
        hooks["appendonly"] = self._hook_appendonly
        hooks["appendfsync"] = lambda old, new: self._apply_writer_config()
        hooks["aof-timestamp-enabled"] = lambda old, new: self._apply_writer_config()
        hooks["no-appendfsync-on-rewrite"] = lambda old, new: self._apply_writer_config()
        hooks["aof-disable-auto-gc"] = lambda old, new: None if new else self.delete_history()

    # -- names -----------------------------------------------------------------------------

    @property
    def dirname(self) -> str:
        return self.config["appenddirname"]

    @property
    def prefix(self) -> str:
        return self.config["appendfilename"]

    def path(self, name: str) -> str:
        return os.path.join(self.dirname, name)

    def temp_incr_name(self) -> str:
        return "temp-%s.incr" % self.prefix

    # -- the writer ------------------------------------------------------------------------

    def _ensure_writer(self) -> AofWriter:
        if self.writer is None:
            self.bio = Bio(self.server.loop)
            self.writer = AofWriter(self.server, self.bio)
            self.writer.busy = self.child_active
            self.writer.on_error_change = self._error_changed
            self._apply_writer_config()
        return self.writer

    def _apply_writer_config(self) -> None:
        w = self.writer
        if w is None:
            return
        cfg = self.config
        w.policy = cfg["appendfsync"]
        w.timestamps = cfg["aof-timestamp-enabled"]
        w.no_fsync_on_rewrite = cfg["no-appendfsync-on-rewrite"]
        if w.policy == "always" and w.buf and not w.flush_scheduled:
            w.flush()

    def _listen(self, on: bool) -> None:
        listeners = self.server.propagate_listeners
        if on and not self.listening:
            listeners.insert(0, self.writer.feed)
            self.listening = True
        elif not on and self.listening:
            try:
                listeners.remove(self.writer.feed)
            except ValueError:
                pass
            self.listening = False

    def _error_changed(self) -> None:
        """writeCommandsDeniedByDiskError: an RDB error wins, else ours."""
        from .rdb import MISCONF_RDB
        s = self.server
        w = self.writer
        if self.state != AOF_OFF and w is not None and not w.ok:
            if s.write_error != MISCONF_RDB:
                s.write_error = w.error_text()
        elif s.write_error is not None and s.write_error.startswith("MISCONF Errors writing to the AOF"):
            s.write_error = None
        s.refresh_checks()

    def child_active(self) -> bool:
        """hasActiveChildProcess: a rewrite or any other snapshot is running."""
        s = self.server
        rdb = getattr(s, "rdb", None)
        return (self.rewrite is not None or s.snapshot is not None
                or (rdb is not None and rdb.bgsave is not None))

    # -- start-up ----------------------------------------------------------------------------

    async def startup(self, rdb) -> None:
        """aofLoadManifestFromDisk, loadDataFromDisk, aofOpenIfNeededOnServerStart,
        aofDelHistoryFiles — exits the process on a fatal error, as Redis."""
        self.load_manifest_from_disk()
        if self.config["appendonly"]:
            self.state = AOF_ON
            await self.load_at_startup(rdb)
        else:
            await rdb.load_at_startup()
        self.open_on_start()
        self.delete_history()

    def load_manifest_from_disk(self) -> None:
        self.manifest = Manifest()
        if not os.path.isdir(self.dirname):
            return
        path = self.path(manifest_name(self.prefix))
        if not os.path.exists(path):
            return
        try:
            self.manifest = load_manifest(path)
        except ManifestError as e:
            log_manifest_error(log, e)
            raise SystemExit(1)
        except OSError as e:
            log.warning("Fatal error: can't open the AOF manifest file %s for reading: %s", path, e.strerror)
            raise SystemExit(1)

    def open_on_start(self) -> None:
        """aofOpenIfNeededOnServerStart."""
        if self.state != AOF_ON:
            return
        w = self._ensure_writer()
        try:
            os.makedirs(self.dirname, exist_ok=True)
        except OSError as e:
            log.warning("Can't open or create append-only dir %s: %s", self.dirname, e.strerror)
            raise SystemExit(1)
        m = self.manifest
        had_incr = bool(m.incr)
        if m.base is None and not m.incr:
            name = m.new_base(self.prefix, self.config["aof-use-rdb-preamble"])
            try:
                write_base_sync(self.server, self.path(name), self.config["aof-use-rdb-preamble"])
            except OSError as e:
                log.warning("Write error writing append only file on disk: %s", e.strerror)
                raise SystemExit(1)
            log.notice("Creating AOF base file %s on server start", name)
        name = m.last_incr(self.prefix)
        try:
            fd = os.open(self.path(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            log.warning("Can't open the append-only file %s: %s", name, e.strerror)
            raise SystemExit(1)
        self._persist_or_exit(m)
        w.set_fd(fd, os.fstat(fd).st_size)
        self._listen(True)
        log.notice("%s AOF incr file %s on server start", "Opening" if had_incr else "Creating", name)

    def delete_history(self) -> None:
        """aofDelHistoryFiles: unlink history files in the background."""
        m = self.manifest
        if not m.history or self.config["aof-disable-auto-gc"]:
            return
        for info in m.history:
            log.notice("Removing the history file %s in the background", info.name)
            self._bg_unlink(self.path(info.name))
        m.history = []
        m.dirty = True
        try:
            m.persist(self.dirname, self.prefix)
        except ManifestWriteError as e:
            log.warning("%s", e.strerror)

    def _bg_unlink(self, path: str) -> None:
        def unlink():
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

        if self.bio is None:
            self._ensure_writer()
        self.bio.submit(unlink)

    # -- rewrite --------------------------------------------------------------------------

    def start_rewrite(self) -> bool:
        """rewriteAppendOnlyFileBackground."""
        if self.child_active():
            return False
        try:
            os.makedirs(self.dirname, exist_ok=True)
        except OSError as e:
            log.warning("Can't open or create append-only dir %s: %s", self.dirname, e.strerror)
            self.last_rewrite_ok = False
            return False
        w = self._ensure_writer()
        if self.state != AOF_OFF and w.fd >= 0:
            w.sync_now()
            w.release_all()
        if not self._open_new_incr():
            self.last_rewrite_ok = False
            return False
        self.rewrites += 1
        self.rewrite = BackgroundRewrite(self.server, self.config["aof-use-rdb-preamble"], self._rewrite_done)
        self.server.aof_rewrite_in_progress = True
        log.notice("Background append only file rewriting started by pid %d", os.getpid())
        self.rewrite_scheduled = False
        self.rewrite_time_start = time.time()
        return True

    def _open_new_incr(self) -> bool:
        """openNewIncrAofForAppend: the writes from now on go to a new file,
        recorded in the manifest before anything is written to it."""
        if self.state == AOF_OFF:
            return True
        w = self.writer
        temp_m = None
        if self.state == AOF_WAIT_REWRITE:
            name = self.temp_incr_name()
        else:
            temp_m = self.manifest.copy()
            name = temp_m.new_incr(self.prefix)
        try:
            fd = os.open(self.path(name), os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o644)
        except OSError as e:
            log.warning("Can't open the append-only file %s: %s", name, e.strerror)
            return False
        if temp_m is not None:
            try:
                temp_m.persist(self.dirname, self.prefix)
            except ManifestWriteError as e:
                log.warning("%s", e.strerror)
                os.close(fd)
                return False
        log.notice("Creating AOF incr file %s on background rewrite", name)
        if w.fd >= 0:
            w.quiesce()  # the always-writer's queued groups for the old file go first
            self.bio.submit(_fsync_close, w.fd)
            w.last_fsync = int(time.time())
        w.set_fd(fd, 0)
        if temp_m is not None:
            self.manifest = temp_m
        return True

    def _rewrite_done(self, err) -> None:
        """backgroundRewriteDoneHandler."""
        rw = self.rewrite
        self.rewrite = None
        self.server.aof_rewrite_in_progress = False
        self.last_cow_size = rw.peak_extra
        if err is None:
            log.notice("Successfully created the temporary AOF base file %s", rw.tmp)
            log.notice("Background AOF rewrite terminated with success")
            self._install_rewrite(rw)
        else:
            self.last_rewrite_ok = False
            self.consecutive_failures += 1
            log.warning("Background AOF rewrite terminated with error")
        rw.discard()
        if self.state == AOF_WAIT_REWRITE:
            # The first rewrite failed: what went to the temp incr is dropped
            # (AOF is not on yet) and a new attempt is scheduled.
            w = self.writer
            w.buf = bytearray()
            if w.fd >= 0:
                w.quiesce()
                self.bio.drain()
                os.close(w.fd)
                w.set_fd(-1, 0)
            w.release_all()
            log.notice("Removing the temp incr aof file %s in the background", self.temp_incr_name())
            self._bg_unlink(self.path(self.temp_incr_name()))
            self.rewrite_scheduled = True
        self.rewrite_time_last = int(time.time() - self.rewrite_time_start)
        self.rewrite_time_start = -1

    def _install_rewrite(self, rw) -> None:
        m = self.manifest.copy()
        base = m.new_base(self.prefix, self.config["aof-use-rdb-preamble"])
        base_path = self.path(base)
        try:
            os.rename(rw.tmp, base_path)
        except OSError as e:
            log.warning("Error trying to rename the temporary AOF base file %s into %s: %s", rw.tmp, base_path,
                        e.strerror)
            return self._rewrite_failed()
        log.notice("Successfully renamed the temporary AOF base file %s into %s", rw.tmp, base)
        new_incr = None
        if self.state == AOF_WAIT_REWRITE:
            temp_incr = self.temp_incr_name()
            new_incr = m.new_incr(self.prefix)
            try:
                os.rename(self.path(temp_incr), self.path(new_incr))
            except OSError as e:
                log.warning("Error trying to rename the temporary AOF incr file %s into %s: %s",
                            self.path(temp_incr), self.path(new_incr), e.strerror)
                self._bg_unlink(base_path)
                return self._rewrite_failed()
            log.notice("Successfully renamed the temporary AOF incr file %s into %s", temp_incr, new_incr)
        m.incr_to_history(keep_last=self.writer.fd >= 0)
        try:
            m.persist(self.dirname, self.prefix)
        except ManifestWriteError as e:
            log.warning("%s", e.strerror)
            self._bg_unlink(base_path)
            if new_incr:
                self._bg_unlink(self.path(new_incr))
            return self._rewrite_failed()
        self.manifest = m
        if self.state != AOF_OFF:
            w = self.writer
            w.current_size = os.path.getsize(base_path) + w.incr_size
            self.base_size = w.current_size
        self.delete_history()
        self.last_rewrite_ok = True
        self.consecutive_failures = 0
        log.notice("Background AOF rewrite finished successfully")
        if self.state == AOF_WAIT_REWRITE:
            self.state = AOF_ON

    def _rewrite_failed(self) -> None:
        self.last_rewrite_ok = False
        self.consecutive_failures += 1

    def kill_rewrite(self) -> None:
        """killAppendOnlyChild."""
        rw = self.rewrite
        if rw is None:
            return
        log.notice("Killing running AOF rewrite child: %d", os.getpid())
        rw.kill()
        self.rewrite = None
        self.server.aof_rewrite_in_progress = False
        self.rewrite_time_start = -1

    def rewrite_limited(self) -> bool:
        """aofRewriteLimited: back off after repeated failures."""
        if self.consecutive_failures < REWRITE_LIMIT_THRESHOLD:
            self.next_delay_minutes = 0
            self.next_rewrite_time = 0
            return False
        now = time.time()
        if self.next_rewrite_time:
            if now < self.next_rewrite_time:
                return True
            self.next_rewrite_time = 0
            return False
        self.next_delay_minutes = min(self.next_delay_minutes * 2 or 1, REWRITE_LIMIT_MAX_MINUTES)
        self.next_rewrite_time = now + self.next_delay_minutes * 60
        log.warning("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in %d minutes",
                    self.next_delay_minutes)
        return True

    # -- run-time switching ---------------------------------------------------------------

    def _hook_appendonly(self, old, new) -> None:
        if not new and self.state != AOF_OFF:
            self.stop()
        elif new and self.state == AOF_OFF:
            if not self.start():
                raise ConfigError("Unable to turn on AOF. Check server logs.")

    def start(self) -> bool:
        """startAppendOnly."""
        w = self._ensure_writer()
        self.state = AOF_WAIT_REWRITE
        self._listen(True)
        if self.child_active() and self.rewrite is None:
            self.rewrite_scheduled = True
            log.warning("AOF was enabled but there is already another background operation. An AOF background "
                        "was scheduled to start when possible.")
        elif self.server.also_propagate is not None:
            self.rewrite_scheduled = True
            log.warning("AOF was enabled during a transaction. An AOF background was scheduled to start when "
                        "possible.")
        else:
            if self.rewrite is not None:
                log.warning("AOF was enabled but there is already an AOF rewriting in background. Stopping "
                            "background AOF and starting a rewrite now.")
                self.kill_rewrite()
            if not self.start_rewrite():
                self.state = AOF_OFF
                self._listen(False)
                log.warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. "
                            "Check the above logs for more info about the error.")
                return False
        w.last_fsync = int(time.time())
        if not w.fsync_ok:
            log.warning("AOF reopen, just ignore the AOF fsync error in bio job")
            w.fsync_ok = True
        if not w.write_ok:
            log.warning("AOF reopen, just ignore the last error.")
            w.write_ok = True
        self._error_changed()
        return True

    def stop(self) -> None:
        """stopAppendOnly: flush, fsync, close; the files stay."""
        w = self.writer
        if w.fd >= 0:
            w.sync_now()
            os.close(w.fd)
        w.set_fd(-1, 0)
        w.buf = bytearray()
        w.release_all()
        self.state = AOF_OFF
        self.rewrite_scheduled = False
        self._listen(False)
        self.kill_rewrite()
        w.write_ok = w.fsync_ok = True
        self._error_changed()

    # -- cron / shutdown ----------------------------------------------------------------

    def cron(self, now: float) -> None:
        w = self.writer
        if self.state != AOF_OFF and w is not None:
            w.refresh()  # the C writer's finished groups, for the sizes below and INFO
            if w.ok:
                if not w.flush_scheduled:
                    w.flush()  # postponed writes, idle everysec fsync
            elif now - self.last_error_retry >= 1.0:
                # Write errors are retried once a second (as serverCron does).
                self.last_error_retry = now
                w.flush()
                self._error_changed()
        if self.rewrite_scheduled and not self.child_active() and not self.rewrite_limited():
            self.start_rewrite()
            return
        if (self.state == AOF_ON and not self.child_active() and w is not None
                and self.config["auto-aof-rewrite-percentage"]
                and w.current_size > self.config["auto-aof-rewrite-min-size"]):
            base = self.base_size or 1
            growth = w.current_size * 100 // base - 100
            if growth >= self.config["auto-aof-rewrite-percentage"] and not self.rewrite_limited():
                log.notice("Starting automatic rewriting of AOF on %d%% growth", growth)
                self.start_rewrite()

    def on_shutdown(self, nosave: bool, save: bool) -> bool:
        if self.rewrite is not None:
            if self.state == AOF_WAIT_REWRITE:
                log.warning("Writing initial AOF, can't exit.")
                return False
            log.warning("There is a child rewriting the AOF. Killing it!")
            self.kill_rewrite()
        if self.state != AOF_OFF and self.writer is not None and self.writer.fd >= 0:
            log.notice("Calling fsync() on the AOF file.")
            self.writer.sync_now()
        return True

    # -- DEBUG LOADAOF ----------------------------------------------------------------------

    def debug_reload(self) -> None:
        s = self.server
        if self.state != AOF_OFF and self.writer is not None:
            self.writer.sync_now()
            self.writer.release_all()
        for db in s.dbs:
            db.clear()
        self.load_manifest_from_disk()
        self.delete_history()
        verdict = self.load_sync()
        if verdict not in (OK, EMPTY):
            log.warning("DEBUG LOADAOF: loading failed (%s), exiting.", verdict)
            raise SystemExit(1)
        s.dirty = 0
        log.warning("Append Only File loaded by DEBUG LOADAOF")

    # -- INFO ---------------------------------------------------------------------------------

    def info_fields(self) -> dict:
        w = self.writer
        ok = w is None or w.ok
        return {
            "aof_enabled": 1 if self.state != AOF_OFF else 0,
            "aof_rewrite_in_progress": 1 if self.rewrite is not None else 0,
            "aof_rewrite_scheduled": 1 if self.rewrite_scheduled else 0,
            "aof_last_rewrite_time_sec": self.rewrite_time_last,
            "aof_current_rewrite_time_sec": int(time.time() - self.rewrite_time_start)
            if self.rewrite is not None else -1,
            "aof_last_bgrewrite_status": "ok" if self.last_rewrite_ok else "err",
            "aof_rewrites": self.rewrites,
            "aof_rewrites_consecutive_failures": self.consecutive_failures,
            "aof_last_write_status": "ok" if ok else "err",
            "aof_last_cow_size": self.last_cow_size,
        }

    def info_extra(self) -> list:
        """The lines Redis adds when appendonly is yes."""
        if not self.config["appendonly"]:
            return []
        w = self.writer
        if w is not None:
            w.refresh()
        return [
            "aof_current_size:%d" % (w.current_size if w else 0),
            "aof_base_size:%d" % self.base_size,
            "aof_pending_rewrite:%d" % (1 if self.rewrite_scheduled else 0),
            "aof_buffer_length:%d" % (len(w.buf) if w else 0),
            "aof_pending_bio_fsync:%d" % (w.fsync_pending if w else 0),
            "aof_delayed_fsync:%d" % (w.delayed_fsync if w else 0),
        ]


def _fsync_close(fd: int) -> None:
    try:
        os.fdatasync(fd)
    except OSError:
        pass
    os.close(fd)


def _register_info() -> None:
    from ..commands import t_info

    def extra(server):
        aof = getattr(server, "aof", None)
        return aof.info_extra() if aof is not None else []

    if not getattr(t_info, "_aof_extra_registered", False):
        t_info.register_extra("persistence", extra)
        t_info._aof_extra_registered = True


_register_info()
