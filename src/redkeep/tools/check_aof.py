"""``redkeep-check-aof [--fix|--truncate-to-timestamp T] <file.manifest|file.aof>``:
Redis's ``redis-check-aof`` for redkeep (and Redis) append-only files: the
same report lines, the same exit codes (0 valid or fixed, 1 otherwise).
Mirrors Redis 7.0's ``redis-check-aof.c``, with two differences:

* ``--fix`` asks ``Continue? [y/N]:`` only when stdin is a terminal; from a
  script (stdin not a tty) it fixes without asking.
* ``--truncate-to-timestamp T`` restores the dataset as of T across *all*
  incremental files, not only the last one: the first ``#TS:`` annotation
  later than T marks the cut; the file holding it is truncated there and
  every later incremental file is dropped.  The new manifest is written
  atomically *before* anything is truncated or deleted, so an interruption
  leaves a consistent (longer) history, and a re-run finishes the job.
"""

from __future__ import annotations

import os
import sys
import time

from ..persistence.aof_manifest import ManifestError, ManifestWriteError, load_manifest, write_manifest
from ..rdb import RdbReader
from ..rdb.check import check_file as check_rdb_file

CHECK_OK, CHECK_EMPTY, CHECK_TRUNCATED, CHECK_TIMESTAMP_TRUNCATED = 0, 1, 2, 3
LONG_MAX = 2 ** 63 - 1


class Fatal(Exception):
    """Print nothing more, exit 1 (the C tool's exit(1) paths)."""


class Checker:
    def __init__(self, out=print, to_timestamp: int = 0, confirm=None):
        self.out = out
        self.to_timestamp = to_timestamp
        self.confirm = confirm  # fn() -> bool, None: no prompt
        self.line = 1  # redis-check-aof counts lines across every file it reads
        self.error = ""
        self.epos = 0
        self.cut = None  # (file, offset) where --truncate-to-timestamp cut

    # -- the RESP reader of redis-check-aof --------------------------------------------

    def _error(self, text: str) -> None:
        self.error = "0x%16x: %s" % (self.epos, text)

    def _newline(self, two: bytes) -> bool:
        if two[:2] != b"\r\n":
            two = (two + b"\0\0")[:2]
            self._error("Expected \\r\\n, got: %s%s" % (_hex(two[0]), _hex(two[1])))
            return False
        self.line += 1
        return True

    def _read_long(self, f, prefix: bytes):
        self.epos = f.tell()
        buf = f.readline(127)
        if not buf:
            return None
        if buf[:1] != prefix:
            self._error("Expected prefix '%s', got: '%s'" % (prefix.decode(), buf[:1].decode("latin-1")))
            return None
        value, end = _strtol(buf, 1)
        if not self._newline(buf[end:end + 2]):
            return None
        return value

    def _read_string(self, f):
        n = self._read_long(f, b"$")
        if n is None:
            return None
        if n < 0 or n > LONG_MAX - 2:
            self._error("Expected to read string of %d bytes, which is not in the suitable range" % n)
            return None
        self.epos = f.tell()
        data = f.read(n + 2)
        if len(data) != n + 2:
            self._error("Expected to read %d bytes, got %d bytes" % (n + 2, len(data)))
            return None
        if not self._newline(data[-2:]):
            return None
        return data[:-2]

    def _process_resp(self, f, path: str, multi: list) -> bool:
        argc = self._read_long(f, b"*")
        if argc is None:
            return False
        for i in range(argc):
            s = self._read_string(f)
            if s is None:
                return False
            if i == 0:
                low = s.lower()
                if low == b"multi":
                    multi[0] += 1
                    if multi[0] > 1:
                        self._error("Unexpected MULTI in AOF %s" % path)
                        return False
                elif low == b"exec":
                    multi[0] -= 1
                    if multi[0]:
                        self._error("Unexpected EXEC in AOF %s" % path)
                        return False
        return True

    def _process_annotation(self, f, path: str, last_file: bool, allow_cut_anywhere: bool) -> bool:
        """False when the file was cut at this annotation (timestamp mode)."""
        self.epos = f.tell()
        buf = f.readline(1023)
        if not buf:
            self.out("Failed to read annotations from AOF %s, aborting..." % path)
            raise Fatal()
        if self.to_timestamp and buf.startswith(b"#TS:"):
            ts, end = _strtol(buf, 4)
            if buf[end:end + 1] != b"\r" or end == 4:
                self.out("Invalid timestamp annotation")
                raise Fatal()
            if ts <= self.to_timestamp:
                return True
            if self.epos == 0 and not allow_cut_anywhere:
                self.out("AOF %s has nothing before timestamp %d, aborting..." % (path, self.to_timestamp))
                raise Fatal()
            if not last_file and not allow_cut_anywhere:
                self.out("Failed to truncate AOF %s to timestamp %d to offset %d because it is not the last file."
                         % (path, self.to_timestamp, self.epos))
                self.out("If you insist, please delete all files after this file according to the manifest file "
                         "and delete the corresponding records in manifest file manually. Then re-run "
                         "redis-check-aof.")
                raise Fatal()
            self.cut = self.epos
            return False
        return True

    # -- one file ----------------------------------------------------------------------------

    def check_single(self, name: str, path: str, last_file: bool, fix: bool, preamble: bool,
                     cut_anywhere: bool = False, on_cut=None) -> int:
        """checkSingleAof.  ``on_cut(offset)`` performs a timestamp cut (it
        defaults to truncating this file)."""
        try:
            f = open(path, "r+b")
        except OSError as e:
            self.out("Cannot open file %s: %s, aborting..." % (path, e.strerror))
            raise Fatal()
        with f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                return CHECK_EMPTY
            if preamble:
                end = self._check_rdb(name, path)
                if end is None:
                    self.out("RDB preamble of AOF file is not sane, aborting.")
                    raise Fatal()
                self.out("RDB preamble is OK, proceeding with AOF tail...")
                f.seek(end)
            multi = [0]
            pos = f.tell()
            eof = False
            while True:
                if not multi[0]:
                    pos = f.tell()
                head = f.read(1)
                if not head:
                    eof = True
                    break
                f.seek(-1, 1)
                if head == b"#":
                    if not self._process_annotation(f, path, last_file, cut_anywhere):
                        if on_cut is not None:
                            on_cut(self.cut)
                        else:
                            try:
                                os.ftruncate(f.fileno(), self.cut)
                            except OSError:
                                self.out("Failed to truncate AOF %s to timestamp %d" % (path, self.to_timestamp))
                                raise Fatal()
                        return CHECK_TIMESTAMP_TRUNCATED
                elif head == b"*":
                    if not self._process_resp(f, path, multi):
                        eof = f.tell() >= size
                        break
                else:
                    self.out("AOF %s format error" % name)
                    break
            if eof and multi[0] and not self.error:
                self._error("Reached EOF before reading EXEC for MULTI")
            if self.error:
                self.out(self.error)
            diff = size - pos
            if diff == 0 and self.to_timestamp:
                self.out("Truncate nothing in AOF %s to timestamp %d" % (name, self.to_timestamp))
                return CHECK_OK
            self.out("AOF analyzed: filename=%s, size=%d, ok_up_to=%d, ok_up_to_line=%d, diff=%d"
                     % (name, size, pos, self.line, diff))
            if diff > 0:
                if not fix:
                    self.out("AOF %s is not valid. Use the --fix option to try fixing it." % name)
                    raise Fatal()
                if not last_file:
                    self.out("Failed to truncate AOF %s because it is not the last file" % name)
                    raise Fatal()
                self.out("This will shrink the AOF %s from %d bytes, with %d bytes, to %d bytes"
                         % (name, size, diff, pos))
                if self.confirm is not None and not self.confirm():
                    self.out("Aborting...")
                    raise Fatal()
                try:
                    os.ftruncate(f.fileno(), pos)
                except OSError:
                    self.out("Failed to truncate AOF %s" % name)
                    raise Fatal()
                return CHECK_TRUNCATED
        return CHECK_OK

    def _check_rdb(self, name: str, path: str):
        """redis-check-rdb on the preamble; the offset where it ends, or None."""
        here = os.getcwd()
        dirpath = os.path.dirname(path)
        if dirpath and os.path.basename(path) == name:
            os.chdir(dirpath)  # the report names the file as redis-check-rdb was given it
            shown = name
        else:
            shown = path
        try:
            if check_rdb_file(shown, out=self.out) != 0:
                return None
        finally:
            os.chdir(here)
        with open(path, "rb") as f:
            reader = RdbReader(f, make_zset=lambda pairs, big: pairs, skip_module_values=True)
            reader.load()
            return reader.offset

    # -- whole inputs --------------------------------------------------------------------

    def report(self, kind: str, name: str, ret: int) -> None:
        prefix = kind + " " if kind else ""
        if ret == CHECK_OK:
            self.out("%sAOF %s is valid" % (prefix, name))
        elif ret == CHECK_EMPTY:
            self.out("%sAOF %s is empty" % (prefix, name))
        elif ret == CHECK_TIMESTAMP_TRUNCATED:
            self.out("Successfully truncated AOF %s to timestamp %d" % (name, self.to_timestamp))
        elif ret == CHECK_TRUNCATED:
            self.out("Successfully truncated AOF %s" % name)

    def check_multi_part(self, dirpath: str, manifest_path: str, fix: bool) -> None:
        self.out("Start checking Multi Part AOF")
        try:
            m = load_manifest(manifest_path)
        except ManifestError as e:
            # The tool shares the server's manifest reader, which logs (serverLog) to stdout.
            self.out(_server_log("\n*** FATAL AOF MANIFEST FILE ERROR ***\n"))
            if e.line is not None:
                self.out(_server_log("Reading the manifest file, at line %d\n" % e.linenum))
                self.out(_server_log(">>> '%s'\n" % e.line))
            self.out(_server_log("%s\n" % e.reason))
            raise Fatal()
        except OSError as e:
            self.out("Fatal error: can't open the AOF manifest file %s for reading: %s" % (manifest_path, e.strerror))
            raise Fatal()
        files = m.files()
        total = len(files)
        if m.base is not None:
            name = m.base.name
            path = os.path.join(dirpath, name)
            rdb = file_is_rdb(path)
            self.out("Start to check BASE AOF (%s format)." % ("RDB" if rdb else "RESP"))
            ret = self.check_single(name, path, total == 1, fix, rdb)
            self.report("BASE", name, ret)
        if m.incr:
            self.out("Start to check INCR files.")
            for i, info in enumerate(m.incr):
                path = os.path.join(dirpath, info.name)
                last = info is files[-1]
                later = m.incr[i + 1:]
                on_cut = None
                if self.to_timestamp and later:
                    on_cut = self._cutter(dirpath, manifest_path, m, i, path)
                ret = self.check_single(info.name, path, last, fix, False, cut_anywhere=bool(self.to_timestamp),
                                        on_cut=on_cut)
                self.report("INCR", info.name, ret)
                if ret == CHECK_TIMESTAMP_TRUNCATED:
                    break
        self.out("All AOF files and manifest are valid")

    def _cutter(self, dirpath: str, manifest_path: str, m, i: int, path: str):
        """Point-in-time restore beyond Redis: cut incr file ``i`` and drop
        the later ones, manifest first."""
        def cut(offset: int) -> None:
            dropped = m.incr[i + 1:]
            new = m.copy()
            new.incr = new.incr[:i + 1]
            prefix = os.path.basename(manifest_path)
            if prefix.endswith(".manifest"):
                prefix = prefix[:-len(".manifest")]
            try:
                write_manifest(dirpath, prefix, new.text())
            except ManifestWriteError as e:
                self.out("Failed to write the new AOF manifest: %s" % e.strerror)
                raise Fatal()
            try:
                os.truncate(path, offset)
            except OSError:
                self.out("Failed to truncate AOF %s to timestamp %d" % (path, self.to_timestamp))
                raise Fatal()
            for info in dropped:
                try:
                    os.unlink(os.path.join(dirpath, info.name))
                except FileNotFoundError:
                    pass
                self.out("Removed INCR AOF %s: all of it is after timestamp %d" % (info.name, self.to_timestamp))
        return cut

    def check_old_style(self, path: str, fix: bool, preamble: bool) -> None:
        self.out("Start checking Old-Style AOF")
        ret = self.check_single(path, path, True, fix, preamble)
        self.report("", path, ret)


def _server_log(msg: str) -> str:
    """serverLog's line for a warning ('#')."""
    t = time.time()
    stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(t)) + ".%03d" % int((t % 1) * 1000)
    return "%d:C %s # %s" % (os.getpid(), stamp, msg)


def _hex(b: int) -> str:
    """%02x of a C char: bytes >= 0x80 are negative, printed as ffffffXX."""
    return "%02x" % (b if b < 0x80 else b + 0xFFFFFF00)


def _strtol(buf: bytes, start: int):
    """strtol(buf+start): (value, index where parsing stopped)."""
    i = start
    n = len(buf)
    while i < n and buf[i] in b" \t\n\v\f\r":
        i += 1
    j = i
    if j < n and buf[j] in b"+-":
        j += 1
    k = j
    while k < n and 48 <= buf[k] <= 57:
        k += 1
    if k == j:
        return 0, start
    return int(buf[i:k]), k


def file_is_rdb(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            return size >= 8 and f.read(5) == b"REDIS"
    except OSError as e:
        print("Cannot open file %s: %s" % (path, e.strerror))
        raise Fatal()


def file_is_manifest(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            for raw in iter(lambda: f.readline(1024), b""):
                if raw.startswith(b"#"):
                    continue
                if raw.startswith(b"file"):
                    return True
    except OSError as e:
        print("Cannot open file %s: %s" % (path, e.strerror))
        raise Fatal()
    return False


def _ask() -> bool:
    sys.stdout.write("Continue? [y/N]: ")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    return answer[:1].lower() == "y"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    prog = "redkeep-check-aof"
    fix = False
    to_ts = 0
    if len(args) == 1:
        path = args[0]
    elif len(args) == 2 and args[0] == "--fix":
        fix = True
        path = args[1]
    elif len(args) == 3 and args[0] == "--truncate-to-timestamp":
        try:
            to_ts = int(args[1], 10)
        except ValueError:
            print("Invalid timestamp, aborting...")
            return 1
        path = args[2]
    else:
        print("Usage: %s [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>" % prog)
        return 1
    confirm = _ask if fix and sys.stdin is not None and sys.stdin.isatty() else None
    checker = Checker(lambda s: print(s, flush=True), to_ts, confirm)
    try:
        if file_is_manifest(path):
            checker.check_multi_part(os.path.dirname(path) or ".", path, fix)
        else:
            checker.check_old_style(path, fix, file_is_rdb(path))
    except Fatal:
        return 1
    except BrokenPipeError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
