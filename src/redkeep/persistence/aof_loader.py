"""Loading the AOF: the base (RDB or RESP) then every incremental file,
replayed through the command handlers as a privileged fake client.
Mirrors Redis 7.0's ``loadSingleAppendOnlyFile`` / ``loadAppendOnlyFiles``
(aof.c), with its log lines and its verdicts.

Verdicts, as Redis:
* a command cut short at the end of the **last** file (or a file ending in
  an open MULTI, which rolls back to before the MULTI) is a truncated tail:
  with ``aof-load-truncated yes`` the file is truncated at the last complete
  command, logged with file and offset, and loading goes on;
* anything else (a truncated file that is not the last, a bad prefix byte,
  an unknown command, a file the manifest names but the disk lacks) stops
  start-up, naming file, offset and reason.  Nothing is ever skipped.

Replay runs each command's handler directly (no ACL, no MISCONF/LOADING
checks, no stats), like Redis's ``cmd->proc(fakeClient)``; replies are
dropped.  Nothing propagates: the caller detaches the propagation listeners.
Keys do not expire while loading (``server.loading``), so a later PERSIST in
the log still finds the key whose TTL it removes.

The loader is a generator: it yields ``None`` every ``SERVE_EVERY`` commands
(the async driver lets the loop answer ``-LOADING`` meanwhile, as Redis's
processEventsWhileBlocked) and ``("rdb", path)`` when an RDB part must be
read (the async driver reads it in a thread) and receives the loaded data.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

from .. import logsetup  # noqa: F401  (Logger.notice / Logger.verbose)
from ..errors import CommandError
from ..networking import Client
from .aof_manifest import BASE, AofInfo, Manifest, ManifestWriteError
from .rdb import log_aux

log = logging.getLogger("redkeep")

OK, EMPTY, TRUNCATED, NOT_EXIST, OPEN_ERR, FAILED = "ok", "empty", "truncated", "not_exist", "open_err", "failed"
CLIENT_ID_AOF = 2 ** 64 - 1
SERVE_EVERY = 1024
ANNOTATION_LINE_MAX = 1024  # AOF_ANNOTATION_LINE_MAX_LEN
_CHUNK = 1 << 20


class AofClient(Client):
    """The fake client commands run in: no socket, no replies, never blocks,
    and it takes no client id from the real clients (CLIENT_ID_AOF)."""

    __slots__ = ()

    def __init__(self, server):
        saved = server._next_client_id
        super().__init__(server)
        server._next_client_id = saved
        self.id = CLIENT_ID_AOF
        self.authenticated = True
        self.in_exec = True  # CLIENT_DENY_BLOCKING: blocking commands answer at once

    def write(self, data: bytes) -> None:
        pass


class _Truncated(Exception):
    pass


class _FormatError(Exception):
    pass


class RespReader:
    """Commands from a file with the reading rules of loadSingleAppendOnlyFile
    (fgets lines of at most 1023 bytes, ``$`` lengths, CRLF not checked)."""

    def __init__(self, f, start: int = 0):
        self.f = f
        self.buf = b""
        self.pos = 0
        self.base = start  # file offset of buf[0]
        self.mark = start

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def _more(self, need: int) -> bool:
        """Make ``need`` bytes available from pos; False at EOF."""
        if len(self.buf) - self.pos >= need:
            return True
        rest = self.buf[self.pos:]
        self.base += self.pos
        self.pos = 0
        parts = [rest]
        have = len(rest)
        while have < need:
            chunk = self.f.read(max(_CHUNK, need - have))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        self.buf = b"".join(parts) if len(parts) > 1 else rest
        return have >= need

    def fgets(self, limit: int = ANNOTATION_LINE_MAX - 1) -> bytes | None:
        buf = self.buf
        pos = self.pos
        nl = buf.find(b"\n", pos, pos + limit)
        if nl < 0:
            self._more(limit)
            buf = self.buf
            pos = self.pos
            nl = buf.find(b"\n", pos, pos + limit)
            if nl < 0:
                end = min(len(buf), pos + limit)
                if end == pos:
                    return None
                self.pos = end
                return buf[pos:end]
        self.pos = nl + 1
        return buf[pos:nl + 1]

    def read(self, n: int) -> bytes | None:
        if not self._more(n):
            self.pos = len(self.buf)
            return None
        pos = self.pos
        self.pos = pos + n
        return self.buf[pos:pos + n]

    def command(self):
        """The next argv; None at a clean EOF.  Raises _Truncated (EOF inside
        a command) or _FormatError (``mark`` is the offset of the bad line)."""
        while True:
            self.mark = self.base + self.pos
            line = self.fgets()
            if line is None:
                return None
            first = line[0]
            if first == 0x23:  # '#': annotation
                continue
            if first != 0x2A:  # '*'
                raise _FormatError()
            if len(line) == 1:
                raise _Truncated()
            argc = _atoi(line[1:])
            if argc < 1:
                raise _FormatError()
            argv = []
            for _ in range(argc):
                self.mark = self.base + self.pos
                line = self.fgets()
                if line is None:
                    raise _Truncated()
                if line[0] != 0x24:  # '$'
                    raise _FormatError()
                n = _atoi(line[1:])
                if n < 0:
                    raise _FormatError()
                arg = self.read(n) if n else b""
                if arg is None or self.read(2) is None:
                    raise _Truncated()
                argv.append(arg)
            return argv


def _atoi(b: bytes) -> int:
    s = b.lstrip()
    j = 1 if s[:1] in (b"-", b"+") else 0
    k = j
    while k < len(s) and 48 <= s[k] <= 57:
        k += 1
    return int(s[:k]) if k > j else 0


class _FunctionLoad:
    name = "function"
    fullname = "function|load"


_FUNCTION_LOAD = _FunctionLoad()


class Replayer:
    """Runs commands read from the log in the fake client (MULTI queued
    until EXEC, as the loader does)."""

    def __init__(self, server):
        self.server = server
        self.client = AofClient(server)
        self.multi = None
        self.commands = server.commands

    def lookup(self, argv):
        """The command to run; None for one this server cannot run (a
        command Redis knows but redkeep does not implement is refused the
        same way: replaying around it would silently lose its effect)."""
        cmd = self.commands.get(argv[0])
        if cmd is None:
            if len(argv) >= 3 and argv[0].lower() == b"function" and argv[1].lower() == b"load":
                return _FUNCTION_LOAD
            return None
        if cmd.subcommands is not None and len(argv) > 1:
            cmd = cmd.subcommands.get(argv[1].lower())
        return cmd if cmd is not None and cmd.handler is not None else None

    def run(self, cmd, argv) -> None:
        name = cmd.name
        if self.multi is not None:
            if name == "exec":
                queued, self.multi = self.multi, None
                for qcmd, qargv in queued:
                    self._call(qcmd, qargv)
            elif name != "multi":
                self.multi.append((cmd, argv))
            return
        if name == "multi":
            self.multi = []
            return
        if name == "exec":
            return
        self._call(cmd, argv)

    def _call(self, cmd, argv) -> None:
        if cmd is _FUNCTION_LOAD:
            # A RESP base's libraries: kept as sources, as the RDB loader keeps them.
            funcs = getattr(self.server, "rdb_functions", None)
            if funcs is None:
                funcs = self.server.rdb_functions = []
            funcs.append(argv[-1])
            return
        try:
            cmd.handler(self.client, argv)
        except CommandError:
            pass  # the fake client gets no replies, errors included (as Redis)
        except Exception as e:  # a handler bug: say so, never stop silently
            log.warning("Internal error replaying %s from the AOF: %r", cmd.fullname, e, exc_info=True)


def load_single(server, dirpath: str, name: str, old_style: bool, truncated_ok: bool, replayer: Replayer,
                progress):
    """Generator: replay one file.  Returns a verdict (OK, EMPTY, TRUNCATED,
    NOT_EXIST, OPEN_ERR, FAILED) through StopIteration."""
    path = os.path.join(dirpath, name)
    try:
        f = open(path, "rb")
    except OSError as e:
        if e.errno == 2:
            log.warning("The append log file %s doesn't exist: %s", name, e.strerror)
            return NOT_EXIST
        log.warning("Fatal error: can't open the append log file %s for reading: %s", name, e.strerror)
        return OPEN_ERR
    with f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return EMPTY
        start = 0
        if f.read(5) == b"REDIS":
            log.notice("Reading RDB preamble from AOF file..." if old_style else
                       "Reading RDB base file on AOF loading...")
            loaded = yield ("rdb", path)
            if isinstance(loaded, BaseException):
                log.warning("Error reading the RDB preamble of the AOF file %s, AOF loading aborted" if old_style
                            else "Error reading the RDB base file %s, AOF loading aborted", name)
                log.warning("AOF %s: %s", name, _rdb_error_text(loaded))
                return FAILED
            start = loaded["offset"]
            progress.done(start)
            if old_style:
                log.notice("Reading the remaining AOF tail...")
        f.seek(start)
        reader = RespReader(f, start)
        valid_up_to = start
        valid_before_multi = start
        lookup = replayer.lookup
        run = replayer.run
        n = 0
        try:
            while True:
                n += 1
                if n % SERVE_EVERY == 0:
                    progress.at(reader.offset)
                    yield None
                argv = reader.command()
                if argv is None:
                    break
                cmd = lookup(argv)
                if cmd is None:
                    log.warning("Unknown command '%s' reading the append only file %s",
                                argv[0].decode("utf-8", "replace"), name)
                    _log_offset(name, valid_up_to, "unknown command")
                    return FAILED
                if cmd.name == "multi" and replayer.multi is None:
                    valid_before_multi = valid_up_to
                run(cmd, argv)
                valid_up_to = reader.offset
        except _FormatError:
            log.warning("Bad file format reading the append only file %s: make a backup of your AOF file, then use "
                        "./redis-check-aof --fix <filename.manifest>", name)
            _log_offset(name, reader.mark, "bad format (expected '*' or '$')")
            return FAILED
        except _Truncated:
            return _truncated(server, path, name, valid_up_to, truncated_ok, replayer, progress, size)
        except OSError as e:
            log.warning("Unrecoverable error reading the append only file %s: %s", name, e.strerror)
            return FAILED
        progress.at(reader.offset)
        if replayer.multi is not None:
            log.warning("Revert incomplete MULTI/EXEC transaction in AOF file %s", name)
            return _truncated(server, path, name, valid_before_multi, truncated_ok, replayer, progress, size)
        return OK


def _rdb_error_text(e: BaseException) -> str:
    offset = getattr(e, "offset", None)
    text = getattr(e, "strerror", None) or str(e)
    return "%s at offset %d" % (text, offset) if offset is not None else text


def _log_offset(name: str, offset: int, what: str) -> None:
    log.warning("AOF %s: %s near offset %d", name, what, offset)


def _truncated(server, path, name, valid_up_to, truncated_ok, replayer, progress, size):
    replayer.multi = None  # the queued commands never ran: nothing to undo
    if truncated_ok:
        log.warning("!!! Warning: short read while loading the AOF file %s!!!", name)
        log.warning("!!! Truncating the AOF %s at offset %d !!!", name, valid_up_to)
        try:
            os.truncate(path, valid_up_to)
        except OSError as e:
            log.warning("Error truncating the AOF file %s: %s", name, e.strerror)
        else:
            log.warning("AOF %s loaded anyway because aof-load-truncated is enabled", name)
            progress.at(size)
            return TRUNCATED
    log.warning("Unexpected end of file reading the append only file %s. You can: 1) Make a backup of your AOF "
                "file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the "
                "'aof-load-truncated' configuration option to yes and restart the server.", name)
    _log_offset(name, valid_up_to, "the last complete command ends")
    return FAILED


class Progress:
    """loading_* figures for INFO and a log line about once a second."""

    def __init__(self, server, total: int):
        self.server = server
        self.total = total
        self.before = 0  # bytes of the files already loaded
        self.next_log = time.monotonic() + 1.0
        server.loading_total_bytes = total
        server.loading_loaded_bytes = 0

    def file_done(self, size: int) -> None:
        self.before += size
        self.server.loading_loaded_bytes = self.before

    def done(self, offset: int) -> None:
        self.server.loading_loaded_bytes = self.before + offset

    def at(self, offset: int) -> None:
        done = self.before + offset
        self.server.loading_loaded_bytes = done
        now = time.monotonic()
        if now >= self.next_log:
            self.next_log = now + 1.0
            log.notice("Loading AOF: %.1f%% (%d of %d bytes)", 100.0 * done / (self.total or 1), done, self.total)


def load_files(server, manifest, dirpath: str, prefix: str, truncated_ok: bool):
    """Generator over every file of ``manifest`` (loadAppendOnlyFiles after
    the upgrade step).  Returns (verdict, total_size, base_size)."""
    files = manifest.files()
    if not files:
        return NOT_EXIST, 0, 0
    total = 0
    sizes = []
    for info in files:
        try:
            sz = os.stat(os.path.join(dirpath, info.name)).st_size
        except OSError as e:
            log.warning("Unable to obtain the AOF file %s length. stat: %s", info.name, e.strerror)
            return (FAILED if e.errno == 2 else OPEN_ERR), 0, 0
        sizes.append(sz)
        total += sz
    if total == 0:
        return EMPTY, 0, 0
    progress = Progress(server, total)
    replayer = Replayer(server)
    base_size = 0
    ret = OK
    for i, info in enumerate(files):
        last = i == len(files) - 1
        is_base = info is manifest.base
        if is_base:
            base_size = sizes[i]
        t0 = time.monotonic()
        ret = yield from load_single(server, dirpath, info.name, info.name == prefix, truncated_ok, replayer, progress)
        if ret in (OK, TRUNCATED) and (ret == OK or last):
            log.notice("DB loaded from %s file %s: %.3f seconds", "base" if is_base else "incr", info.name,
                       time.monotonic() - t0)
        if ret == EMPTY and not is_base:
            ret = OK
        if ret == TRUNCATED and not last:
            log.warning("Fatal error: the truncated file is not the last file")
            ret = FAILED
        if ret in (OPEN_ERR, FAILED, NOT_EXIST):
            return (FAILED if ret == NOT_EXIST else ret), total, base_size
        progress.file_done(sizes[i])
    return ret, total, base_size


class StartupLoading:
    """The loading half of ``persistence.aof.Aof`` (mixed into it): the
    upgrade of an old single file, then loadAppendOnlyFiles at start-up
    (the loop keeps answering -LOADING) or blocking (DEBUG LOADAOF)."""

    def _upgrade_if_needed(self) -> None:
        """aofUpgradePrepare: an old single appendonly.aof in ``dir`` moves
        into the AOF directory as the base."""
        prefix = self.prefix
        m = self.manifest
        if not os.path.isfile(prefix):
            return
        if not (not os.path.isdir(self.dirname) or m.is_empty()
                or (m.base is not None and not m.incr and m.base.name == prefix
                    and not os.path.exists(self.path(prefix)))):
            return
        try:
            os.makedirs(self.dirname, exist_ok=True)
        except OSError as e:
            log.warning("Can't open or create append-only dir %s: %s", self.dirname, e.strerror)
            raise SystemExit(1)
        m.base = AofInfo(prefix, 1, BASE)
        m.base_seq = 1
        m.dirty = True
        self._persist_or_exit(m)
        try:
            os.rename(prefix, self.path(prefix))
        except OSError as e:
            log.warning("Error trying to move the old AOF file %s into dir %s: %s", prefix, self.dirname, e.strerror)
            raise SystemExit(1)
        log.notice("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).",
                   prefix, self.dirname)

    def _persist_or_exit(self, m: Manifest) -> None:
        try:
            m.persist(self.dirname, self.prefix)
        except ManifestWriteError as e:
            log.warning("%s", e.strerror)
            raise SystemExit(1)

    def _begin_loading(self):
        s = self.server
        s.loading = True
        s.loading_start = time.time()
        s.refresh_checks()
        saved = (s.propagate_listeners, s.active_expire_enabled)
        s.propagate_listeners = []  # replay must never be logged or replicated again
        s.active_expire_enabled = False
        return saved

    def _end_loading(self, saved) -> None:
        s = self.server
        s.propagate_listeners, s.active_expire_enabled = saved
        s.loading = False
        s.refresh_checks()

    def _install_rdb(self, loaded: dict) -> None:
        """The log lines of rdbLoad for a base, then the dataset."""
        aux = loaded["aux"]
        log_aux(aux)
        if aux.get(b"aof-base") == b"1" or aux.get(b"aof-preamble") == b"1":
            log.notice("RDB is base AOF")
        self.server.rdb.install(loaded)
        log.notice("Done loading RDB, keys loaded: %d, keys expired: %d.", loaded["keys"], loaded["expired"])

    async def load_at_startup(self, rdb) -> None:
        """loadAppendOnlyFiles at start-up; exit(1) on failure."""
        t0 = time.monotonic()
        self._upgrade_if_needed()
        saved = self._begin_loading()
        loop = self.server.loop
        try:
            gen = load_files(self.server, self.manifest, self.dirname, self.prefix,
                                        self.config["aof-load-truncated"])
            reply = None
            while True:
                try:
                    req = gen.send(reply)
                except StopIteration as e:
                    verdict, total, base = e.value
                    break
                reply = None
                if req is None:
                    await asyncio.sleep(0)
                else:
                    try:
                        loaded = await loop.run_in_executor(None, lambda: rdb.load_file(req[1], keep_expired=True))
                        self._install_rdb(loaded)
                        reply = loaded
                    except Exception as e:  # RdbError, OSError: reported by the loader
                        reply = e
        finally:
            self._end_loading(saved)
        self._after_load(verdict, total, base, t0)

    def load_sync(self) -> str:
        """The same, blocking (DEBUG LOADAOF)."""
        t0 = time.monotonic()
        saved = self._begin_loading()
        rdb = self.server.rdb
        try:
            gen = load_files(self.server, self.manifest, self.dirname, self.prefix,
                                        self.config["aof-load-truncated"])
            reply = None
            while True:
                try:
                    req = gen.send(reply)
                except StopIteration as e:
                    verdict, total, base = e.value
                    break
                reply = None
                if req is not None:
                    try:
                        loaded = rdb.load_file(req[1], keep_expired=True)
                        self._install_rdb(loaded)
                        reply = loaded
                    except Exception as e:
                        reply = e
        finally:
            self._end_loading(saved)
        self._after_load(verdict, total, base, t0)
        return verdict

    def _after_load(self, verdict, total, base, t0, exit_on=(FAILED, OPEN_ERR)) -> None:
        if verdict in exit_on:
            log.warning("AOF loading failed (%s): the server cannot start with this AOF. Files are left untouched "
                        "except as logged above.", verdict)
            raise SystemExit(1)
        if verdict != NOT_EXIST:
            log.notice("DB loaded from append only file: %.3f seconds", time.monotonic() - t0)
        if verdict in (OK, TRUNCATED):
            w = self._ensure_writer()
            w.current_size = total
            self.base_size = base
