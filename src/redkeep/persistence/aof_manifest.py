"""The multi-part AOF manifest: which files make up the log, in which order.
Mirrors the manifest half of Redis 7.0's ``aof.c`` (aofInfo, aofManifest,
aofLoadManifestFromFile, getAofManifestAsString, persistAofManifest).

A manifest is one line per file, ``file <name> seq <n> type <b|h|i>``: the
base first, then history, then the incremental files in ascending seq.  It
is the single source of truth about the dataset on disk, so it is only ever
replaced atomically (temp file, fsync, rename, fsync of the directory): a
crash leaves either the old or the new manifest, never a mix.

File names are ``str`` decoded with surrogateescape, so any byte survives.
"""

from __future__ import annotations

import os

from ..config import sds_repr
from ..resp import split_args
from .filesink import fsync_dir

BASE, HIST, INCR = "b", "h", "i"
MANIFEST_MAX_LINE = 1024


class ManifestError(Exception):
    """A manifest Redis would refuse; ``line``/``linenum`` locate it."""

    def __init__(self, reason: str, line: str | None = None, linenum: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.linenum = linenum


class AofInfo:
    __slots__ = ("name", "seq", "type")

    def __init__(self, name: str, seq: int, type_: str):
        self.name = name
        self.seq = seq
        self.type = type_

    def copy(self) -> "AofInfo":
        return AofInfo(self.name, self.seq, self.type)

    def line(self) -> str:
        name = self.name
        if _needs_repr(name):
            name = sds_repr(name)
        return "file %s seq %d type %s\n" % (name, self.seq, self.type)

    def __repr__(self) -> str:
        return "AofInfo(%r, %d, %r)" % (self.name, self.seq, self.type)


def _needs_repr(name: str) -> bool:
    """sdsneedsrepr: quotes, backslashes, spaces, control or non-ASCII bytes."""
    for b in name.encode("utf-8", "surrogateescape"):
        if b in b'\\"' or b <= 0x20 or b >= 0x7F:
            return True
    return False


class Manifest:
    def __init__(self):
        self.base: AofInfo | None = None
        self.incr: list[AofInfo] = []
        self.history: list[AofInfo] = []
        self.base_seq = 0
        self.incr_seq = 0
        self.dirty = False

    def copy(self) -> "Manifest":
        m = Manifest()
        m.base = self.base.copy() if self.base else None
        m.incr = [a.copy() for a in self.incr]
        m.history = [a.copy() for a in self.history]
        m.base_seq = self.base_seq
        m.incr_seq = self.incr_seq
        m.dirty = self.dirty
        return m

    def is_empty(self) -> bool:
        return self.base is None and not self.incr

    def files(self) -> list[AofInfo]:
        """Base then incr files: what a load reads, in order."""
        return ([self.base] if self.base else []) + self.incr

    def text(self) -> str:
        return "".join(a.line() for a in ([self.base] if self.base else []) + self.history + self.incr)

    # -- changes (each marks the manifest dirty; persist() writes it) ----------------

    def new_base(self, prefix: str, rdb: bool) -> str:
        """getNewBaseFileNameAndMarkPreAsHistory."""
        if self.base is not None:
            self.base.type = HIST
            self.history.insert(0, self.base)
        self.base_seq += 1
        name = "%s.%d.base.%s" % (prefix, self.base_seq, "rdb" if rdb else "aof")
        self.base = AofInfo(name, self.base_seq, BASE)
        self.dirty = True
        return name

    def new_incr(self, prefix: str) -> str:
        self.incr_seq += 1
        name = "%s.%d.incr.aof" % (prefix, self.incr_seq)
        self.incr.append(AofInfo(name, self.incr_seq, INCR))
        self.dirty = True
        return name

    def last_incr(self, prefix: str) -> str:
        return self.incr[-1].name if self.incr else self.new_incr(prefix)

    def incr_to_history(self, keep_last: bool) -> None:
        """markRewrittenIncrAofAsHistory: every incr file the new base
        covers becomes history (all but the one being written, if any)."""
        moved = self.incr[:-1] if keep_last else self.incr
        self.incr = self.incr[-1:] if keep_last else []
        for a in reversed(moved):
            self.history.insert(0, AofInfo(a.name, a.seq, HIST))
        self.dirty = True

    # -- disk ---------------------------------------------------------------------------

    def persist(self, dirpath: str, prefix: str) -> None:
        """Write atomically if dirty.  Raises OSError (with a Redis log text in
        ``args[-1]`` via ``ManifestWriteError``) on failure; the old manifest
        then stays in place."""
        if not self.dirty:
            return
        write_manifest(dirpath, prefix, self.text())
        self.dirty = False


class ManifestWriteError(OSError):
    pass


def manifest_name(prefix: str) -> str:
    return prefix + ".manifest"


def write_manifest(dirpath: str, prefix: str, text: str) -> None:
    """writeAofManifestFile: temp, write, fsync, rename, fsync the dir."""
    name = manifest_name(prefix)
    tmp_name = "temp-" + name
    tmp = os.path.join(dirpath, tmp_name)
    path = os.path.join(dirpath, name)
    data = text.encode("utf-8", "surrogateescape")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o644)
    except OSError as e:
        raise ManifestWriteError(e.errno, "Can't open the AOF manifest file %s: %s" % (tmp_name, e.strerror))
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except OSError as e:
            raise ManifestWriteError(e.errno, "Error trying to write the temporary AOF manifest file %s: %s"
                                     % (tmp_name, e.strerror))
        try:
            os.fsync(fd)
        except OSError as e:
            raise ManifestWriteError(e.errno, "Fail to fsync the temp AOF file %s: %s." % (tmp_name, e.strerror))
    finally:
        os.close(fd)
    try:
        os.rename(tmp, path)
    except OSError as e:
        raise ManifestWriteError(e.errno, "Error trying to rename the temporary AOF manifest file %s into %s: %s"
                                 % (tmp_name, name, e.strerror))
    try:
        fsync_dir(dirpath)
    except OSError as e:
        raise ManifestWriteError(e.errno, "Fail to fsync AOF directory %s: %s." % (path, e.strerror))


def parse_manifest(data: bytes) -> Manifest:
    """aofLoadManifestFromFile's rules, with its error texts."""
    m = Manifest()
    maxseq = 0
    linenum = 0
    pos = 0
    n = len(data)
    if n == 0:
        raise ManifestError("Found an empty AOF manifest")
    while pos < n:
        # fgets(buf, MANIFEST_MAX_LINE+1): at most 1024 bytes per read
        nl = data.find(b"\n", pos, pos + MANIFEST_MAX_LINE)
        end = nl + 1 if nl >= 0 else min(n, pos + MANIFEST_MAX_LINE)
        raw = data[pos:end]
        pos = end
        linenum += 1
        if raw[:1] == b"#":
            continue
        if nl < 0:
            raise ManifestError("The AOF manifest file contains too long line")
        line = raw.strip(b" \t\r\n")
        text = line.decode("utf-8", "surrogateescape")
        if not line:
            raise ManifestError("Invalid AOF manifest file format", text, linenum)
        argv = split_args(line)
        if argv is None or len(argv) < 6 or len(argv) % 2:
            raise ManifestError("Invalid AOF manifest file format", text, linenum)
        name = None
        seq = 0
        ftype = ""
        for i in range(0, len(argv), 2):
            k = argv[i].lower()
            v = argv[i + 1]
            if k == b"file":
                name = v.decode("utf-8", "surrogateescape")
                if "/" in name or "\\" in name:
                    raise ManifestError("File can't be a path, just a filename", text, linenum)
            elif k == b"seq":
                seq = _atoll(v)
            elif k == b"type":
                ftype = v[:1].decode("latin-1")
        if not name or not seq or not ftype:
            raise ManifestError("Invalid AOF manifest file format", text, linenum)
        info = AofInfo(name, seq, ftype)
        if ftype == BASE:
            if m.base is not None:
                raise ManifestError("Found duplicate base file information", text, linenum)
            m.base = info
            m.base_seq = seq
        elif ftype == HIST:
            m.history.append(info)
        elif ftype == INCR:
            if seq <= maxseq:
                raise ManifestError("Found a non-monotonic sequence number", text, linenum)
            m.incr.append(info)
            m.incr_seq = seq
            maxseq = seq
        else:
            raise ManifestError("Unknown AOF file type", text, linenum)
    return m


def _atoll(b: bytes) -> int:
    """atoll: optional spaces and sign, then digits; anything else ends it."""
    s = b.lstrip(b" \t\n\r\v\f")
    i = 0
    if s[:1] in (b"+", b"-"):
        i = 1
    j = i
    while j < len(s) and 48 <= s[j] <= 57:
        j += 1
    try:
        return int(s[:j]) if j > i else 0
    except ValueError:
        return 0


def load_manifest(path: str) -> Manifest:
    """Read and parse; OSError and ManifestError propagate."""
    with open(path, "rb") as f:
        return parse_manifest(f.read())


def log_manifest_error(log, e: ManifestError) -> None:
    log.warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n")
    if e.line is not None:
        log.warning("Reading the manifest file, at line %d\n", e.linenum)
        log.warning(">>> '%s'\n", e.line)
    log.warning("%s\n", e.reason)
