"""RDB persistence: SAVE, BGSAVE, save points, loading at start-up.
Mirrors the orchestration half of Redis's ``rdb.c`` (rdbSave,
rdbSaveBackground, backgroundSaveDoneHandler, rdbLoad) and the save-point
part of ``serverCron``.

BGSAVE does not fork (see snapshot.py for why and how): the event loop
serialises a point-in-time snapshot in slices and a thread writes the file.
Files are written to ``temp-<pid>-<n>.rdb`` in ``dir``, fsynced, renamed over
``dbfilename`` and the directory fsynced, so a crash at any moment leaves the
previous dump intact.

Policies, as Redis:
* save points: ``save <seconds> <changes>`` triggers a BGSAVE when at least
  <changes> writes happened and <seconds> passed since the last successful
  save; after a failure it waits CONFIG_BGSAVE_RETRY_DELAY (5 s) before
  retrying, so a full disk is not hammered.
* ``stop-writes-on-bgsave-error yes`` (default): while the last background
  save failed and save points are configured, writes get ``-MISCONF``:
  acknowledging writes we cannot persist would be lying to the client.
* start-up: a file that fails to load (corrupt, truncated, bad checksum)
  stops the server with the file, offset and reason; it is never renamed,
  truncated or overwritten.
"""

from __future__ import annotations

import gc
import logging
import os
import time

from ..rdb import LoadLimits, RdbError, RdbOptions, RdbReader, RdbWriter, standard_aux
from .filesink import FileSink, fsync_dir
from .snapshot import MAX_QUEUED, Snapshot

log = logging.getLogger("redkeep")

BGSAVE_RETRY_DELAY = 5  # seconds (CONFIG_BGSAVE_RETRY_DELAY)

MISCONF_RDB = (
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
    "Commands that may modify the data set are disabled, because this instance is configured to report "
    "errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check "
    "the Redis logs for details about the RDB error."
)


def rdb_options(config) -> RdbOptions:
    return RdbOptions(
        compression=config.get("rdbcompression", True),
        checksum=config.get("rdbchecksum", True),
        list_max_listpack_size=config.get("list-max-listpack-size", -2),
        list_compress_depth=config.get("list-compress-depth", 0),
    )


def load_limits(config) -> LoadLimits:
    kw = {}
    for name, attr in (("hash-max-listpack-entries", "hash_max_listpack_entries"),
                       ("hash-max-listpack-value", "hash_max_listpack_value"),
                       ("set-max-intset-entries", "set_max_intset_entries"),
                       ("zset-max-listpack-entries", "zset_max_listpack_entries"),
                       ("zset-max-listpack-value", "zset_max_listpack_value")):
        if hasattr(LoadLimits, attr) or attr in getattr(LoadLimits, "__dataclass_fields__", {}):
            kw[attr] = config.get(name)
    try:
        return LoadLimits(**kw)
    except TypeError:
        return LoadLimits()


def _cwd() -> str:
    """The server's directory for messages; 'unknown' once it was removed
    (Redis's wording)."""
    try:
        return os.getcwd()
    except OSError:
        return "unknown"


def _abs(path: str) -> str:
    """``path`` made absolute when the cwd still exists, so a rename done
    after CONFIG SET dir still targets the directory the save started in."""
    try:
        return os.path.join(os.getcwd(), path)
    except OSError:
        return path


def _chain_hook(config, name: str, fn) -> None:
    """Run ``fn`` after any CONFIG SET hook already registered for ``name``."""
    prev = config.hooks.get(name)
    if prev is None:
        config.hooks[name] = lambda old, new: fn()
    else:
        def both(old, new):
            prev(old, new)
            fn()
        config.hooks[name] = both


def _on_flushall(server) -> None:
    """flushAllDataAndResetRDB: FLUSHALL stops a running BGSAVE and, when
    save points exist, saves the now empty dataset at once, so a restart
    cannot bring the flushed keys back."""
    rdb = getattr(server, "rdb", None)
    if rdb is None:
        return
    if rdb.bgsave is not None:
        rdb.kill_bgsave()
    if server.config["save"]:
        rdb.save()


def _register_flushall_hook() -> None:
    from ..commands import t_keys
    if _on_flushall not in t_keys.FLUSHALL_HOOKS:
        t_keys.FLUSHALL_HOOKS.append(_on_flushall)


class RdbPersistence:
    def __init__(self, server):
        self.server = server
        server.rdb = self
        self.bgsave = None  # (Snapshot, FileSink) while a BGSAVE runs
        self.bgsave_start = 0.0
        self.last_bgsave_ok = True
        self.last_bgsave_time_sec = -1
        self.last_bgsave_try = 0.0
        self.saves = 0
        self.last_cow_size = 0
        self.last_snapshot_keys_preserved = 0
        self.last_load_keys = 0
        self.last_load_expired = 0
        self.bgsave_scheduled = False
        self.file_seq = 0
        self.waiters = []  # callbacks when the running BGSAVE ends (SHUTDOWN, replication)
        self.loading_stats = None  # {'keys', 'expired'} while a load runs
        server.cron_hooks.append(self.cron)
        server.shutdown_hooks.append(self.on_shutdown)
        # MISCONF follows the configuration at once, as Redis evaluates it
        # per command: `CONFIG SET save ""` lets writes through again.
        for name in ("save", "stop-writes-on-bgsave-error"):
            _chain_hook(server.config, name, self._update_misconf)
        _register_flushall_hook()

    def info_fields(self) -> dict:
        """INFO persistence, Redis's field names."""
        s = self.server
        now = time.monotonic()
        snap = self.bgsave[0] if self.bgsave is not None else None
        f = {
            "rdb_bgsave_in_progress": 1 if snap is not None else 0,
            "rdb_last_bgsave_status": "ok" if self.last_bgsave_ok else "err",
            "rdb_last_bgsave_time_sec": self.last_bgsave_time_sec,
            "rdb_current_bgsave_time_sec": int(now - self.bgsave_start) if snap is not None else -1,
            "rdb_saves": self.saves,
            "rdb_last_cow_size": self.last_cow_size,
            "rdb_last_load_keys_expired": (self.loading_stats or {}).get("expired", self.last_load_expired),
            "rdb_last_load_keys_loaded": (self.loading_stats or {}).get("keys", self.last_load_keys),
            "current_cow_peak": snap.peak_extra if snap is not None else 0,
            "current_cow_size": snap.peak_extra if snap is not None else 0,
            "current_save_keys_processed": snap.keys_done if snap is not None else 0,
            "current_save_keys_total": snap.keys_total if snap is not None else 0,
        }
        if s.loading:
            total = getattr(s, "loading_total_bytes", 0)
            done = getattr(s, "loading_loaded_bytes", 0)
            elapsed = max(time.time() - getattr(s, "loading_start", time.time()), 1e-6)
            perc = 100.0 * done / total if total else 0.0
            eta = int((total - done) / (done / elapsed)) if done else 1
            f["loading_fields"] = [
                "loading_start_time:%d" % int(getattr(s, "loading_start", 0)),
                "loading_total_bytes:%d" % total,
                "loading_rdb_used_mem:%d" % getattr(s, "loading_rdb_used_mem", 0),
                "loading_loaded_bytes:%d" % done,
                "loading_loaded_perc:%.2f" % perc,
                "loading_eta_seconds:%d" % eta,
            ]
        return f

    # -- paths ------------------------------------------------------------------

    @property
    def path(self) -> str:
        return _abs(self.server.config["dbfilename"])

    def _tmp_path(self) -> str:
        self.file_seq += 1
        return _abs("temp-%d-%d.rdb" % (os.getpid(), self.file_seq))

    def aux_fields(self, aof_base: bool = False) -> list:
        s = self.server
        aux = standard_aux(int(time.time()), s.used_memory() if hasattr(s, "used_memory") else s.rss(),
                           s.rdb_repl_info() if hasattr(s, "rdb_repl_info") else None, aof_base)
        return aux

    def functions(self) -> list:
        return list(getattr(self.server, "rdb_functions", ()))

    def changes(self) -> int:
        return self.server.dirty - self.server.dirty_at_last_save

    def in_progress(self) -> bool:
        return self.bgsave is not None

    # -- SAVE ---------------------------------------------------------------------

    def save(self) -> bool:
        """Blocking save (SAVE, SHUTDOWN, DEBUG RELOAD).  True on success."""
        s = self.server
        dirty_before = s.dirty
        tmp = self._tmp_path()
        err = None
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as e:
            log.warning("Failed opening the temp RDB file %s (in server root dir %s) for saving: %s",
                        os.path.basename(tmp), _cwd(), e.strerror)
            return False
        try:
            def write(chunk):
                view = memoryview(chunk)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]

            self.write_snapshot_sync(write)
            os.fsync(fd)
        except OSError as e:
            err = e.strerror or str(e)
        finally:
            os.close(fd)
        if err is None:
            try:
                os.replace(tmp, self.path)
                fsync_dir(os.path.dirname(self.path))
            except OSError as e:
                err = e.strerror or str(e)
        if err is not None:
            log.warning("Write error saving DB on disk: %s", err)
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return False
        log.notice("DB saved on disk")
        s.dirty_at_last_save = dirty_before
        s.lastsave = int(time.time())
        self.last_bgsave_ok = True
        self._update_misconf()
        return True

    def write_snapshot_sync(self, write, aof_base: bool = False) -> None:
        """The whole dataset, now, into ``write`` (no other work meanwhile)."""
        s = self.server
        w = RdbWriter(write, rdb_options(s.config))
        w.begin(self.aux_fields(aof_base), self.functions())
        for db in s.dbs:
            if not db.data:
                continue
            exp = db.expires
            w.select_db(db.id, len(db.data), len(exp))
            wk = w.write_key
            if exp:
                for k, v in db.data.items():
                    wk(k, v, exp.get(k))
            else:
                for k, v in db.data.items():
                    wk(k, v)
        w.end()

    # -- BGSAVE -------------------------------------------------------------------

    def start_bgsave(self) -> bool:
        s = self.server
        if self.bgsave is not None or s.snapshot is not None:
            return False  # one snapshot at a time (diskless sync, AOF rewrite)
        self.last_bgsave_try = time.monotonic()
        tmp = self._tmp_path()
        self.dirty_before = s.dirty
        try:
            mine = []
            sink = FileSink(s.loop, self.path, tmp, lambda err: self._bgsave_written(err, mine[0]),
                            incremental_fsync=s.config.get("rdb-save-incremental-fsync", True))
            mine.append(sink)
        except OSError as e:
            # Reported like a forked child that failed: BGSAVE "started",
            # then the save ends in error (status err, MISCONF).
            log.notice("Background saving started by pid %d", os.getpid())
            log.warning("Failed opening the temp RDB file %s (in server root dir %s) for saving: %s",
                        os.path.basename(tmp), _cwd(), e.strerror)
            log.warning("Background saving error")
            self.last_bgsave_time_sec = 0
            self._save_failed()
            return True
        snap = Snapshot(s, sink, lambda wr: RdbWriter(wr, rdb_options(s.config)),
                        self.aux_fields(), self.functions())
        s.snapshot = snap
        self.bgsave = (snap, sink)
        self.bgsave_start = time.monotonic()
        log.notice("Background saving started by pid %d", os.getpid())
        s.loop.call_soon(self._slice)
        return True

    def _slice(self) -> None:
        if self.bgsave is None:
            return
        snap, sink = self.bgsave
        if sink.error is not None:
            return  # the writer failed; _bgsave_written reports it
        try:
            done = snap.step()
        except Exception as e:  # an encoder bug must not kill the server
            log.warning("Background saving error: %r", e, exc_info=True)
            snap.abort()
            sink.abort()
            return
        if done:
            self.server.snapshot = None
            sink.close()
        elif sink.queued_bytes() > MAX_QUEUED:
            self.server.loop.call_later(0.001, self._slice)  # the disk is behind: wait for it
        else:
            self.server.loop.call_soon(self._slice)

    def _bgsave_written(self, err, which=None) -> None:
        if self.bgsave is None or (which is not None and self.bgsave[1] is not which):
            return  # a killed BGSAVE's writer reporting late
        snap, sink = self.bgsave
        self.bgsave = None
        if self.server.snapshot is snap:
            self.server.snapshot = None
            snap.abort()
        self.last_cow_size = snap.peak_extra
        self.last_snapshot_keys_preserved = snap.preserved_count
        elapsed = time.monotonic() - self.bgsave_start
        if err is None:
            try:
                sink.commit()
            except OSError as e:
                err = e.strerror or str(e)
        if err is None:
            s = self.server
            s.dirty_at_last_save = self.dirty_before
            s.lastsave = int(time.time())
            self.last_bgsave_ok = True
            self.last_bgsave_time_sec = int(elapsed)
            self.saves += 1
            log.notice("DB saved on disk")
            log.notice("Snapshot copy-on-write for RDB: peak %d MB, %d keys preserved",
                       self.last_cow_size >> 20, snap.preserved_count)
            log.notice("Background saving terminated with success")
            self._update_misconf()
        else:
            sink.discard()
            log.warning("Write error saving DB on disk: %s", err)
            log.warning("Background saving error")
            self.last_bgsave_time_sec = int(elapsed)
            self._save_failed()
        waiters, self.waiters = self.waiters, []
        for fn in waiters:
            fn(err is None)

    def kill_bgsave(self) -> None:
        if self.bgsave is not None:
            snap, sink = self.bgsave
            snap.abort()
            self.server.snapshot = None
            sink.abort()
            sink.wait()
            self.bgsave = None
            sink.discard()

    # -- policies -------------------------------------------------------------------

    def _save_failed(self) -> None:
        self.last_bgsave_ok = False
        self.last_bgsave_try = time.monotonic()
        self._update_misconf()

    def _update_misconf(self) -> None:
        """writeCommandsDeniedByDiskError for RDB: writes (and PING) fail
        while the last background save failed, save points exist and
        stop-writes-on-bgsave-error is on."""
        s = self.server
        cfg = s.config
        deny = not self.last_bgsave_ok and cfg.get("stop-writes-on-bgsave-error", True) and bool(cfg["save"])
        if deny and s.write_error is None:
            s.write_error = MISCONF_RDB
            s.refresh_checks()
        elif not deny and s.write_error == MISCONF_RDB:
            s.write_error = None
            s.refresh_checks()

    def cron(self, now: float) -> None:
        s = self.server
        if self.bgsave is not None or getattr(s, "aof_rewrite_in_progress", False):
            return
        if self.bgsave_scheduled:
            self.bgsave_scheduled = False
            self.start_bgsave()
            return
        changes = self.changes()
        if not changes:
            return
        elapsed = time.time() - s.lastsave
        for secs, need in s.config["save"]:
            if changes >= need and elapsed > secs and (
                    self.last_bgsave_ok or now - self.last_bgsave_try > BGSAVE_RETRY_DELAY):
                log.notice("%d changes in %d seconds. Saving...", need, secs)
                self.start_bgsave()
                return

    def on_shutdown(self, nosave: bool, save: bool) -> bool:
        """SHUTDOWN / SIGTERM: a final blocking save when save points exist
        (or SHUTDOWN SAVE), unless NOSAVE.  A failed save aborts shutdown, so
        the operator does not lose the data silently."""
        if self.bgsave is not None:
            log.warning("There is a child saving an .rdb. Killing it!")
            self.kill_bgsave()
        if nosave or not (save or self.server.config["save"]):
            return True
        log.notice("Saving the final RDB snapshot before exiting.")
        if not self.save():
            log.warning("Error trying to save the DB, can't exit.")
            return False
        return True

    # -- loading ------------------------------------------------------------------------

    def load_file(self, path: str, keep_expired: bool = False) -> dict:
        """Read ``path`` into fresh dicts (no shared state touched).
        Returns {'dbs': {id: (data, expires)}, 'aux': ..., 'keys': n, 'expired': n,
        'offset': bytes the RDB took (an old AOF preamble continues there)}.
        ``keep_expired``: an AOF base keeps expired keys, as Redis.
        Raises RdbError with offset and reason, or OSError."""
        s = self.server
        ndb = len(s.dbs)
        now = s.clock_ms()
        drop_expired = getattr(s, "replica_of", None) is None and not keep_expired
        dbs: dict = {}
        stats = {"keys": 0, "expired": 0}
        self.loading_stats = stats  # INFO's rdb_last_load_keys_* move during the load
        data = expires = None
        nkeys = 0

        def on_select(dbid):
            nonlocal data, expires
            if dbid >= ndb:
                raise RdbError(f"FATAL: Data file was created with a Redis server configured to handle more than "
                               f"{ndb} databases. Exiting\n", 0)
            data, expires = dbs.setdefault(dbid, ({}, {}))

        def on_key(dbid, key, value, expire_ms, lru_idle, lfu_freq):
            # once per key of the file: kept lean
            nonlocal nkeys
            if data is None:
                on_select(dbid)
            if expire_ms is not None and expire_ms < now and drop_expired:
                stats["expired"] += 1
                return
            if key in data:
                raise RdbError("Duplicated key found in RDB file", reader.offset,
                               "key '%s' in DB %d" % (key.decode("utf-8", "replace"), dbid))
            data[key] = value
            if expire_ms is not None:
                expires[key] = expire_ms
            nkeys += 1

        def count():
            stats["keys"] = nkeys
            return nkeys

        def on_aux(k, v):
            if k == b"used-mem" and v.isdigit():
                s.loading_rdb_used_mem = int(v)

        make_zset = getattr(s, "make_zset_from_rdb", None)
        with open(path, "rb") as f:
            reader = RdbReader(_ProgressReader(f, s, count), make_zset=make_zset, limits=load_limits(s.config),
                               verify_checksum=s.config.get("rdbchecksum", True))
            reader.load(on_select=on_select, on_key=on_key, on_aux=on_aux)
        count()
        return {"dbs": dbs, "aux": reader.aux, "functions": reader.functions, "version": reader.version,
                "offset": reader.offset, **stats}

    def install(self, loaded: dict) -> None:
        s = self.server
        for dbid, (data, expires) in loaded["dbs"].items():
            db = s.dbs[dbid]
            db.clear()
            db.data = data
            db.expires = expires
            if expires:
                db._rebuild_heap()
        s.rdb_functions = loaded.get("functions", [])
        s.loaded_aux = loaded.get("aux", {})

    def merge(self, loaded: dict) -> None:
        """Add the loaded keys to the live dataset, replacing keys that
        exist (DEBUG RELOAD MERGE); goes through the keyspace's write
        helpers so WATCH and a running snapshot see every change."""
        for dbid, (data, expires) in loaded["dbs"].items():
            db = self.server.dbs[dbid]
            for key, value in data.items():
                db.set(key, value)
                when = expires.get(key)
                if when is not None:
                    db.set_expire(key, when)
        if loaded.get("functions"):
            self.server.rdb_functions = loaded["functions"]

    def reload(self, save: bool = True, flush: bool = True, merge: bool = False) -> str | None:
        """DEBUG RELOAD: save, empty the dataset, load the file back, all
        synchronously.  Returns None, or the error text to reply."""
        s = self.server
        if save and not self.save():
            return "ERR"
        try:
            loaded = self.load_file(self.path)
        except (RdbError, OSError) as e:
            log.warning("Error trying to load the RDB dump %s: %s", self.path,
                        e.strerror if isinstance(e, OSError) else _describe(e))
            return "ERR Error trying to load the RDB dump"
        finally:
            self.loading_stats = None
        if not merge:
            dup = self._first_duplicate(loaded) if not flush else None
            if dup is not None:
                log.warning("RDB has duplicated key '%s' in DB %d", dup[1].decode("utf-8", "replace"), dup[0])
                return "ERR Error trying to load the RDB dump"
        if flush:
            from ..commands.t_keys import flush_db
            for db in s.dbs:
                flush_db(db)
            self.install(loaded)
        else:
            self.merge(loaded)
        _freeze_loaded()
        self.last_load_keys = loaded["keys"]
        self.last_load_expired = loaded["expired"]
        log.notice("Done loading RDB, keys loaded: %d, keys expired: %d.", loaded["keys"], loaded["expired"])
        log.warning("DB reloaded by DEBUG RELOAD")
        return None

    def _first_duplicate(self, loaded: dict):
        for dbid, (data, _) in loaded["dbs"].items():
            live = self.server.dbs[dbid].data
            for key in data:
                if key in live:
                    return dbid, key
        return None

    async def load_at_startup(self) -> None:
        """Load ``dbfilename`` if it exists; on any error exit(1) naming the
        file, offset and reason, and leave the file untouched.  The file is
        read by a thread into fresh dicts while the loop answers -LOADING."""
        path = self.path
        if not os.path.exists(path):
            return
        s = self.server
        t0 = time.monotonic()
        s.loading = True
        s.loading_start = time.time()
        s.loading_total_bytes = os.path.getsize(path)
        s.refresh_checks()
        try:
            loaded = await s.loop.run_in_executor(None, self.load_file, path)
        except RdbError as e:
            if "EOF" in e.reason:
                log.warning("Short read or OOM loading DB. Unrecoverable error, aborting now.")
            log.warning("Fatal error loading the DB from %s at offset %d: %s. The file is left untouched. "
                        "Exiting.", path, e.offset, e.reason + (": " + e.detail if e.detail else ""))
            raise SystemExit(1)
        except OSError as e:
            log.warning("Fatal error loading the DB from %s: %s. Exiting.", path, e.strerror)
            raise SystemExit(1)
        finally:
            s.loading = False
            self.loading_stats = None
            s.refresh_checks()
        log_aux(loaded["aux"])
        self.install(loaded)
        _freeze_loaded()
        self.last_load_keys = loaded["keys"]
        self.last_load_expired = loaded["expired"]
        log.notice("Done loading RDB, keys loaded: %d, keys expired: %d.", loaded["keys"], loaded["expired"])
        log.notice("DB loaded from disk: %.3f seconds", time.monotonic() - t0)
        s.lastsave = int(time.time())


class _ProgressReader:
    """Counts bytes read for INFO's loading_* fields and logs progress about
    once a second, so an operator sees a long load moving."""

    def __init__(self, f, server, count):
        self.f = f
        self.server = server
        self.count = count  # keys loaded so far (also refreshes INFO's figure)
        self.next_log = time.monotonic() + 1.0
        server.loading_loaded_bytes = 0

    def read(self, n: int) -> bytes:
        data = self.f.read(n)
        s = self.server
        s.loading_loaded_bytes += len(data)
        keys = self.count()
        now = time.monotonic()
        if now >= self.next_log:
            self.next_log = now + 1.0
            total = getattr(s, "loading_total_bytes", 0) or 1
            log.notice("Loading RDB: %.1f%% (%d of %d bytes, %d keys)", 100.0 * s.loading_loaded_bytes / total,
                       s.loading_loaded_bytes, total, keys)
        return data


def log_aux(aux: dict) -> None:
    """rdbLoad's log lines for the producer's version, age and memory."""
    ver = aux.get(b"redis-ver")
    if ver:
        log.notice("Loading RDB produced by version %s", ver.decode(errors="replace"))
    ctime = aux.get(b"ctime")
    if ctime:
        try:
            log.notice("RDB age %d seconds", int(time.time()) - int(ctime))
        except ValueError:
            pass
    used = aux.get(b"used-mem")
    if used:
        try:
            log.notice("RDB memory usage when created %.2f Mb", int(used) / 1024 / 1024)
        except ValueError:
            pass


def _freeze_loaded() -> None:
    """Move the just-loaded dataset out of the cyclic GC's reach.  Its
    values hold no reference cycles (refcounting frees them), yet the first
    full collection after a load would walk every one of them — about a
    second of stalled event loop per 2M objects, measured."""
    gc.freeze()


def _describe(e) -> str:
    offset = getattr(e, "offset", None)
    text = str(e)
    if offset is not None and "offset" not in text:
        return f"{text} at offset {offset}"
    return text
