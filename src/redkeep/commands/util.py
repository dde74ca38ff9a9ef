"""Argument parsing and key lookups shared by the command families, with
Redis's error texts (Redis's ``object.c`` getters, ``db.c`` lookups,
``db.c`` scanGenericCommand's argument checks)."""

from __future__ import annotations

import math
import re

from ..errors import CommandError, NOT_FLOAT, NOT_INT, SYNTAX, WRONGTYPE
from .glob import compile_pattern

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1


def is_strict_int(b: bytes) -> bool:
    """Redis's string2ll acceptance (no '+', spaces, leading zeros; int64)."""
    n = len(b)
    if n == 0 or n > 20:
        return False
    if b[0] == 0x2D:  # '-'
        d = b[1:]
        if not d or d == b"0":
            return False
    else:
        d = b
    if not d.isdigit() or (d[0] == 0x30 and len(d) > 1):
        return False
    v = int(b)
    return INT64_MIN <= v <= INT64_MAX


def parse_int(b: bytes, err: str = NOT_INT) -> int:
    """getLongLongFromObject: strict int64 or ERR value is not an integer."""
    if not is_strict_int(b):
        raise CommandError(err)
    return int(b)


def parse_nonneg(b: bytes, err: str) -> int:
    v = parse_int(b)
    if v < 0:
        raise CommandError(err)
    return v


def range_long(b: bytes, lo: int, hi: int, msg: str | None = None) -> int:
    """getRangeLongFromObjectOrReply: with ``msg`` that text answers both a
    non-integer and an out-of-range value."""
    if not is_strict_int(b):
        raise CommandError(msg or NOT_INT)
    v = int(b)
    if v < lo or v > hi:
        raise CommandError(msg or "ERR value is out of range, value must between %d and %d" % (lo, hi))
    return v


def positive_long(b: bytes, msg: str = "ERR value is out of range, must be positive") -> int:
    """getPositiveLongFromObjectOrReply (0 included, despite the name)."""
    return range_long(b, 0, INT64_MAX, msg)


def parse_float(b: bytes, err: str = NOT_FLOAT) -> float:
    """getLongDoubleFromObject/strtold: no spaces, 'inf' allowed, nan refused."""
    s = b.decode("latin-1")
    if not s or s[0].isspace() or s[-1].isspace():
        raise CommandError(err)
    try:
        v = float(s)
    except ValueError:
        raise CommandError(err) from None
    if math.isnan(v):
        raise CommandError(err)
    low = s.lower()
    if "_" in s or low in ("infinity", "+infinity", "-infinity") and False:
        raise CommandError(err)
    return v


def wrongtype() -> CommandError:
    return CommandError(WRONGTYPE)


def syntax_error() -> CommandError:
    return CommandError(SYNTAX)


def lower(b: bytes) -> bytes:
    return b.lower()


def index_bounds(n: int, start: int, end: int):
    """Redis's start/end sanitising for LRANGE/LTRIM/ZRANGE-by-rank ...
    (inclusive, negative counts from the end) -> [lo, hi), empty as (0, 0)."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return 0, 0
    if end >= n:
        end = n - 1
    return start, end + 1


def mpop_args(argv, idx: int, where):
    """LMPOP/ZMPOP's tail: numkeys at ``idx``, the keys, a direction read by
    ``where`` (which raises on junk), [COUNT n].  Returns (keys, where(...), count)."""
    numkeys = range_long(argv[idx], 1, INT64_MAX, "ERR numkeys should be greater than 0")
    n = len(argv)
    where_idx = idx + numkeys + 1
    if where_idx >= n:
        raise syntax_error()
    direction = where(argv[where_idx])
    count = -1
    j = where_idx + 1
    while j < n:
        if count == -1 and j + 1 < n and argv[j].lower() == b"count":
            count = range_long(argv[j + 1], 1, INT64_MAX, "ERR count should be greater than 0")
            j += 2
        else:
            raise syntax_error()
    return argv[idx + 1:where_idx], direction, (1 if count == -1 else count)


# -- key lookups -------------------------------------------------------------------

def lookup_read(c, key: bytes):
    """lookupKeyRead: the value or None, counting keyspace hits/misses."""
    v = c.db.lookup(key)
    if v is None:
        c.server.stat_keyspace_misses += 1
    else:
        c.server.stat_keyspace_hits += 1
    return v


def typed_lookups(cls):
    """lookupKeyWrite and lookupKeyRead + checkType for a family whose values
    are ``cls``: ``write(db, key)`` and ``read(c, key)`` (which also counts
    keyspace hits/misses) give the value, None, or raise WRONGTYPE.  Both read
    the dict first: only a key with a TTL pays for the expiry check."""

    def write(db, key):
        v = db.data.get(key)
        if v is not None:
            if db.expires and key in db.expires:
                v = db.lookup(key)
                if v is None:
                    return None
            if type(v) is not cls:
                raise wrongtype()
        return v

    def read(c, key):
        db = c.db
        v = db.data.get(key)
        if v is not None and db.expires and key in db.expires:
            v = db.lookup(key)
        if v is None:
            c.server.stat_keyspace_misses += 1
            return None
        c.server.stat_keyspace_hits += 1
        if type(v) is not cls:
            raise wrongtype()
        return v

    return write, read


# -- SCAN family -------------------------------------------------------------------

EMPTY_SCAN = b"*2\r\n$1\r\n0\r\n*0\r\n"
SCAN_HEAD = b"*2\r\n$1\r\n0\r\n"
_CURSOR_RE = re.compile(rb"[+-]?[0-9]+")


def parse_cursor(b: bytes) -> int:
    """parseScanCursorOrReply: C strtoul, refusing a leading space or trailing
    garbage; a negative cursor wraps as unsigned, an empty one is 0, and the
    C string ends at a NUL."""
    nul = b.find(b"\0")
    if nul >= 0:
        b = b[:nul]
    if not b:
        return 0
    if b[:1].isspace() or not _CURSOR_RE.fullmatch(b):
        raise CommandError("ERR invalid cursor")
    v = int(b)
    if abs(v) > 2 ** 64 - 1:
        raise CommandError("ERR invalid cursor")
    return v % 2 ** 64


def parse_scan_options(argv, start: int):
    """COUNT / MATCH of SSCAN/HSCAN/ZSCAN (TYPE is SCAN's only): returns
    (matcher or None, count).  COUNT pages big collections (collscan.py);
    small encodings are returned whole with cursor 0, as Redis does."""
    pattern = None
    count = 10
    i = start
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"count" and i + 1 < n:
            count = parse_int(argv[i + 1], NOT_INT)
            if count < 1:
                raise syntax_error()
            i += 2
        elif opt == b"match" and i + 1 < n:
            pattern = argv[i + 1]
            i += 2
        else:
            raise syntax_error()
    if pattern is None or pattern == b"*":
        return None, count
    return compile_pattern(pattern), count
