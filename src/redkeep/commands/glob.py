"""Glob-style matching with the exact semantics of Redis's ``stringmatchlen``
(util.c), used by KEYS, SCAN MATCH, PUBSUB CHANNELS and pattern subscriptions.

A pattern is translated once into a compiled ``re`` byte pattern (cached) and
matched with ``fullmatch``.  The translation reproduces Redis's quirks rather
than POSIX glob's:

* ``\\x`` escapes ``x`` (a trailing lone backslash is a literal backslash);
* ``[...]`` classes take ``^`` for negation, ``a-z`` ranges (reversed ends are
  swapped), ``\\`` escapes inside; an unterminated class ends the pattern;
  ``[a-]`` is the range from ``a`` to ``]``, as the C parser reads it;
* range ends compare as *signed* chars, as in C on x86: bytes >= 0x80 sort
  below ASCII inside ranges;
* an empty string is matched only by an empty pattern (Redis's loop never runs,
  so even ``*`` does not match it; KEYS/SCAN special-case a lone ``*`` before
  calling the matcher).
"""

from __future__ import annotations

import re

_cache: dict = {}
_CACHE_MAX = 1024


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def _lower(v: int) -> int:
    return v + 32 if 65 <= v <= 90 else v


def _class_set(p: bytes, i: int, nocase: bool):
    """Parse a class starting just after '['; returns (set of bytes, next i).

    Walks the class like the C loop does, collecting its items, then decides
    for every byte value whether the C comparison would accept it."""
    n = len(p)
    neg = i < n and p[i] == 0x5E  # '^'
    if neg:
        i += 1
    exact, plain, ranges = set(), set(), []
    while True:
        left = n - i
        if left >= 2 and p[i] == 0x5C:  # an escaped char compares exactly
            i += 1
            exact.add(p[i])
        elif left > 0 and p[i] == 0x5D:  # ']'
            i += 1
            break
        elif left <= 0:
            break
        elif left >= 3 and p[i + 1] == 0x2D:  # 'a-z'
            lo, hi = _signed(p[i]), _signed(p[i + 2])
            if lo > hi:
                lo, hi = hi, lo
            ranges.append((lo, hi))
            i += 2
        else:
            plain.add(p[i])
        i += 1
    chars = set(exact)
    for b in range(256):
        if b in chars:
            continue
        c = _signed(b)
        if nocase:
            lc = _lower(c)
            if any(_lower(_signed(x)) == lc for x in plain) or any(_lower(lo) <= lc <= _lower(hi) for lo, hi in ranges):
                chars.add(b)
        elif b in plain or any(lo <= c <= hi for lo, hi in ranges):
            chars.add(b)
    if neg:
        chars = set(range(256)) - chars
    return chars, i


def _class_regex(chars) -> bytes:
    if not chars:
        return b"(?!)"
    out = []
    vals = sorted(chars)
    start = prev = vals[0]
    for v in vals[1:] + [None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        if start == prev:
            out.append(b"\\x%02x" % start)
        else:
            out.append(b"\\x%02x-\\x%02x" % (start, prev))
        if v is not None:
            start = prev = v
    return b"[" + b"".join(out) + b"]"


def _translate(p: bytes, nocase: bool) -> bytes:
    out = []
    i, n = 0, len(p)
    while i < n:
        ch = p[i]
        if ch == 0x2A:  # '*'
            while i + 1 < n and p[i + 1] == 0x2A:
                i += 1
            out.append(b".*")
        elif ch == 0x3F:  # '?'
            out.append(b".")
        elif ch == 0x5B:  # '['
            chars, i = _class_set(p, i + 1, nocase)
            out.append(_class_regex(chars))
            continue
        else:
            if ch == 0x5C and i + 1 < n:
                i += 1
                ch = p[i]
            if nocase and 0x41 <= (ch & 0xDF) <= 0x5A:
                out.append(_class_regex({ch | 0x20, ch & 0xDF}))
            else:
                out.append(re.escape(bytes((ch,))))
        i += 1
    return b"".join(out)


def compile_pattern(pattern: bytes, nocase: bool = False):
    """A matcher ``fn(string) -> bool`` for ``pattern`` (cached)."""
    key = (pattern, nocase)
    fn = _cache.get(key)
    if fn is not None:
        return fn
    if pattern == b"*":
        def fn(s, _=None):
            return len(s) > 0
    elif not pattern:
        def fn(s, _=None):
            return not s
    else:
        rx = re.compile(_translate(pattern, nocase), re.DOTALL).fullmatch

        def fn(s, _rx=rx):
            return bool(s) and _rx(s) is not None
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[key] = fn
    return fn


def match(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    return compile_pattern(pattern, nocase)(string)
