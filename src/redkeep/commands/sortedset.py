"""The sorted-set value type ``ZSet`` and the parsing and searching of score,
lex and rank ranges.  Mirrors the data-structure half of Redis's t_zset.c
(zsl*/zzl* functions); the commands are in t_zset.py.

Theory
------
Redis keeps a zset as a dict (member -> score) plus a skiplist ordered by
(score, member), or, while small, as a listpack.  ``ZSet`` keeps the same two
views: ``dict`` for O(1) score lookups and ``sl``, a ``ZIndex`` (in C:
redkeep/_zindex.c, an order-statistic B+tree that does what Redis's zskiplist
with spans does, with fewer cache misses) for O(log n) rank, rank->element and
score/lex range searches.  It orders exactly like Python
orders ``(score, member)`` tuples, which is Redis's order: by score, then by
member bytes (memcmp, shorter first).  Its hot-path methods take score and
member apart (``insert``, ``delete``, ``move``, ``rank``); the rest is the
subset of sortedcontainers' ``SortedList`` the commands use (indexing,
slices, ``islice``, ``bisect_*``), on ``(score, member)`` tuples.  Without
the compiled module, a ``SortedList`` subclass provides the same interface.

``big`` says the zset is no longer a listpack: Redis converts when an entry
count exceeds ``zset-max-listpack-entries`` or a member is longer than
``zset-max-listpack-value`` and never converts back while the key lives
(results of ZUNIONSTORE & co are built fresh, and become listpacks again when
small).  It drives OBJECT ENCODING and the RDB type.

Range searches never compare a probe tuple with a member: ``(x,)`` sorts before
every ``(x, member)``, so ``bisect_left((x,))`` is "first score >= x", and
``math.nextafter`` turns exclusive/inclusive bounds into that one form.

Lexicographic ranges are defined by Redis only when all scores are equal; then
they are bisected.  With mixed scores Redis's answer depends on how it walks
its structure; here the listpack walk (first member >= min from the head, then
forward while <= max) is reproduced, which is exactly Redis's answer for
small zsets.
"""

from __future__ import annotations

import math

from sortedcontainers import SortedList

from ..errors import CommandError
from ..keyspace import TYPE_OF


class PyZIndex(SortedList):
    """The pure-Python stand-in for redkeep._zindex.ZIndex (same methods and
    semantics, slower), used when the extension was not built."""

    def insert(self, score, member):
        self.add((score, member))

    def delete(self, score, member) -> bool:
        try:
            self.remove((score, member))
        except ValueError:
            return False
        return True

    def move(self, old, score, member) -> bool:
        if not self.delete(old, member):
            return False
        self.add((score, member))
        return True

    def rank(self, score, member) -> int:
        return self.bisect_left((score, member))


try:
    from .._zindex import ZIndex
except ImportError:  # installed without a C compiler (setup.py: optional)
    ZIndex = PyZIndex


_INF = math.inf
_NINF = -math.inf
_nextafter = math.nextafter

_MINMAX_NOT_FLOAT = "ERR min or max is not a float"
_MINMAX_NOT_STR = "ERR min or max not valid string range item"
_NAN_ERR = "ERR resulting score is not a number (NaN)"
_NOT_FLOAT = "ERR value is not a valid float"


class ZSet:
    """member -> score, plus the (score, member) order; ``scan`` is ZSCAN's
    snapshot (collscan.py), unset until one runs."""

    __slots__ = ("dict", "sl", "big", "scan")

    def __init__(self, pairs=None):
        """``pairs``: optional iterable of (member, score) with unique members."""
        if pairs:
            self.dict = d = dict(pairs)
            self.sl = ZIndex([(s, m) for m, s in d.items()])
        else:
            self.dict = {}
            self.sl = ZIndex()
        self.big = False

    def __len__(self) -> int:
        return len(self.dict)

    def __bool__(self) -> bool:
        return bool(self.dict)

    def __contains__(self, member) -> bool:
        return member in self.dict

    def score(self, member):
        return self.dict.get(member)

    def insert(self, member: bytes, score: float) -> None:
        """Add a member known to be absent."""
        self.dict[member] = score
        self.sl.insert(score, member)

    def set_score(self, member: bytes, score: float) -> bool:
        """Add or move ``member``; True if it was new."""
        d = self.dict
        old = d.get(member)
        if old is None:
            d[member] = score
            self.sl.insert(score, member)
            return True
        if old != score:
            self.sl.move(old, score, member)
            d[member] = score
        return False

    def remove(self, member: bytes) -> bool:
        old = self.dict.pop(member, None)
        if old is None:
            return False
        self.sl.delete(old, member)
        return True

    def rank(self, member: bytes):
        """0-based ascending rank, or None."""
        s = self.dict.get(member)
        if s is None:
            return None
        return self.sl.rank(s, member)

    def items(self):
        """(member, score) in ascending order."""
        return [(m, s) for s, m in self.sl]

    # The RDB encoder reads zsets through this name (rdb/encoder.py).
    items_by_score = items

    @classmethod
    def from_rdb(cls, pairs, big: bool) -> "ZSet":
        """The RDB decoder's zset factory (Server.make_zset_from_rdb)."""
        z = cls(pairs)
        z.big = big
        return z

    def refresh_encoding(self, server) -> None:
        """Redis's zsetConvertToListpackIfNeeded for a freshly built zset."""
        cfg = server.config.values
        if len(self.dict) > cfg["zset-max-listpack-entries"]:
            self.big = True
            return
        maxlen = cfg["zset-max-listpack-value"]
        self.big = any(len(m) > maxlen for m in self.dict)
        if not self.big:
            d = self.dict
            for m, s in d.items():
                if s == 0.0 and math.copysign(1.0, s) < 0:
                    # a listpack has no -0 (see _zadd)
                    self.sl.move(s, 0.0, m)
                    d[m] = 0.0


TYPE_OF[ZSet] = "zset"


# ---------------------------------------------------------------------------
# Argument parsing
# ---------------------------------------------------------------------------

_WS = b" \t\n\v\f\r"


def _c_double(s: bytes):
    """strtod over all of ``s`` (no leading space): the value, or None."""
    if not s or s[-1] in _WS or b"_" in s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    if b"x" in s or b"X" in s:
        try:
            return float.fromhex(s.decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            return None
    return None


def parse_score(b: bytes, err: str = _NOT_FLOAT) -> float:
    """getDoubleFromObject: whole string, no leading space, no NaN, no
    overflow to inf nor underflow to zero (strtod's ERANGE)."""
    if b.isdigit() and len(b) < 16:  # fast path: a plain small integer
        return float(int(b))
    if not b or b[0] in _WS:
        raise CommandError(err)
    v = _c_double(b)
    if v is None or v != v:
        raise CommandError(err)
    if v in (_INF, _NINF):
        if b.lstrip(b"+-")[:3].lower() != b"inf":
            raise CommandError(err)  # overflow
    elif v == 0.0:
        mant = b.lower()
        hexa = b"x" in mant
        mant = mant.split(b"p" if hexa else b"e")[0]
        if hexa:
            mant = mant.split(b"x", 1)[1]
        if any(ch in b"123456789abcdef" if hexa else ch in b"123456789" for ch in mant):
            raise CommandError(err)  # underflow
    return v


def _range_value(b: bytes) -> float:
    """One side of zslParseRange after the optional '(' (strtod: leading space
    allowed, empty means 0, must consume the rest, not NaN)."""
    if not b:
        return 0.0
    s = b.lstrip(_WS)
    v = _c_double(s)
    if v is None or v != v:
        raise CommandError(_MINMAX_NOT_FLOAT)
    return v


def parse_score_range(bmin: bytes, bmax: bytes):
    """zslParseRange: '(' makes a bound exclusive.  Returns (min, minex, max, maxex)."""
    if bmin[:1] == b"(":
        mn, mnex = _range_value(bmin[1:]), True
    else:
        mn, mnex = _range_value(bmin), False
    if bmax[:1] == b"(":
        mx, mxex = _range_value(bmax[1:]), True
    else:
        mx, mxex = _range_value(bmax), False
    return mn, mnex, mx, mxex


def _lex_item(b: bytes):
    """zslParseLexRangeItem -> (tag, value, exclusive); tag -1 is '-', 1 is '+'."""
    c0 = b[:1]
    if c0 == b"[":
        return (0, b[1:], False)
    if c0 == b"(":
        return (0, b[1:], True)
    if b == b"-":
        return (-1, b"", True)
    if b == b"+":
        return (1, b"", True)
    raise CommandError(_MINMAX_NOT_STR)


def parse_lex_range(bmin: bytes, bmax: bytes):
    return _lex_item(bmin), _lex_item(bmax)


def _lex_empty(mn, mx) -> bool:
    """The ranges Redis rejects up front (min > max, or equal and exclusive)."""
    a = (mn[0], mn[1])
    b = (mx[0], mx[1])
    return a > b or (a == b and (mn[2] or mx[2]))


def _gte_min(m: bytes, mn) -> bool:
    tag = mn[0]
    if tag:
        return tag < 0
    return m > mn[1] if mn[2] else m >= mn[1]


def _lte_max(m: bytes, mx) -> bool:
    tag = mx[0]
    if tag:
        return tag > 0
    return m < mx[1] if mx[2] else m <= mx[1]


# ---------------------------------------------------------------------------
# Range searches (indexes into ZSet.sl)
# ---------------------------------------------------------------------------

def score_bounds(sl, mn, mnex, mx, mxex):
    """[lo, hi) of the elements with min <(=) score <(=) max."""
    if mnex:
        lo = len(sl) if mn == _INF else sl.bisect_left((_nextafter(mn, _INF),))
    else:
        lo = sl.bisect_left((mn,))
    if mxex:
        hi = sl.bisect_left((mx,))
    else:
        hi = len(sl) if mx == _INF else sl.bisect_left((_nextafter(mx, _INF),))
    return lo, (hi if hi > lo else lo)


def lex_bounds(sl, mn, mx, reverse: bool = False):
    """[lo, hi) of the elements in the lex range (see the module docstring)."""
    n = len(sl)
    if not n or _lex_empty(mn, mx):
        return 0, 0
    s0 = sl[0][0]
    if s0 == sl[-1][0]:
        tag, v, ex = mn
        lo = 0 if tag < 0 else n if tag > 0 else (sl.bisect_right((s0, v)) if ex else sl.bisect_left((s0, v)))
        tag, v, ex = mx
        hi = n if tag > 0 else 0 if tag < 0 else (sl.bisect_left((s0, v)) if ex else sl.bisect_right((s0, v)))
        return lo, (hi if hi > lo else lo)
    # Mixed scores: the listpack walk.
    if not _gte_min(sl[-1][1], mn) or not _lte_max(sl[0][1], mx):
        return 0, 0
    if not reverse:
        lo = 0
        while not _gte_min(sl[lo][1], mn):
            lo += 1
        hi = lo
        while hi < n and _lte_max(sl[hi][1], mx):
            hi += 1
        return lo, hi
    hi = n - 1
    while not _lte_max(sl[hi][1], mx):
        hi -= 1
    lo = hi + 1
    while lo > 0 and _gte_min(sl[lo - 1][1], mn):
        lo -= 1
    return lo, hi + 1


def _window(sl, lo, hi, reverse, offset=0, limit=-1):
    """Elements of [lo, hi) in direction order, after LIMIT offset count."""
    if offset < 0 or limit == 0 or hi <= lo:
        return []
    if offset:
        if offset >= hi - lo:
            return []
        if reverse:
            hi -= offset
        else:
            lo += offset
    if limit > 0 and hi - lo > limit:
        if reverse:
            lo = hi - limit
        else:
            hi = lo + limit
    if reverse:
        return list(sl.islice(lo, hi, reverse=True))
    if lo == 0 and hi == len(sl):
        return list(sl)
    return sl[lo:hi]
