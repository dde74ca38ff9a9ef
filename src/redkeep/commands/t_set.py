"""Set commands.  Mirrors Redis's t_set.c.

A set is a ``keyspace.RSet`` (a Python ``set`` of bytes).  Redis 7.0 keeps a
set as an *intset* while every member is a strict int64 decimal string and
there are at most ``set-max-intset-entries`` of them, else as a hash table,
and never converts back.  ``RSet.big`` records "left the intset"; it drives
OBJECT ENCODING and the RDB type, and one visible behaviour: an intset is
iterated in ascending numeric order, so SMEMBERS / SUNION / SSCAN ... of a
small all-integer set reply sorted, exactly as Redis does.  Replies built
from hash-table sets come in Python's set order (Redis's is its dict order;
neither is specified).

Random picks (SPOP, SRANDMEMBER).  A Python set has no random access, so the
first pick from a set of more than ``_RND_MIN`` members builds ``RSet.rnd``:
a list of the members plus member -> position, which the commands here then
keep up to date (append on add, swap-remove on remove), making later picks
O(1).  A size mismatch (a set changed elsewhere) rebuilds it.
"""

from __future__ import annotations

import random

from ..errors import CommandError
from ..keyspace import RSet
from ..resp import EMPTY_ARRAY, ONE, ZERO, CRLF, array_header, bulk, bulk_array, integer
from . import collscan
from .table import command
from .util import (EMPTY_SCAN, INT64_MAX, SCAN_HEAD, is_strict_int, parse_cursor, parse_scan_options, positive_long,
                   range_long, syntax_error, typed_lookups, wrongtype, lookup_read)

_INTSET_HARD_MAX = 1 << 30  # Redis caps set-max-intset-entries there (intset internals)


def intset_max(server) -> int:
    n = server.config.values["set-max-intset-entries"]
    return n if n < _INTSET_HARD_MAX else _INTSET_HARD_MAX


def fits_intset(members, max_entries: int) -> bool:
    """Would Redis hold these members (a fresh set) as an intset?"""
    if len(members) > max_entries:
        return False
    for m in members:
        if not is_strict_int(m):
            return False
    return True


def new_set(members, server) -> RSet:
    """A set built from scratch (SINTERSTORE, SPOP's rebuild ...): Redis
    starts it as an intset and converts as members arrive."""
    s = RSet(members)
    s.big = not fits_intset(s, intset_max(server))
    return s


def ordered(s, max_entries: int):
    """Members in Redis's iteration order where it is defined (intset:
    ascending numbers), else in set order."""
    if not s.big and len(s) <= max_entries:
        try:
            return sorted(s, key=int)
        except ValueError:  # a mis-flagged set (never built by these commands)
            pass
    return s


def _result_order(members, server):
    """Order of a computed result that Redis holds in a fresh set object."""
    if fits_intset(members, intset_max(server)):
        return sorted(members, key=int)
    return members


def set_reply(c, members) -> bytes:
    """A RESP3 set (RESP2 array) of bulk strings."""
    r = c.r
    if r.version == 2:
        return bulk_array(members if type(members) is list else list(members))
    parts = [r.set_header(len(members))]
    for m in members:
        parts.append(b"$%d\r\n" % len(m))
        parts.append(m)
        parts.append(CRLF)
    return b"".join(parts)


_RND_MIN = 64  # below this a tuple snapshot per pick is cheaper than an index


def _rnd_index(s):
    idx = s.rnd
    if idx is None or len(idx[0]) != len(s):
        arr = list(s)
        idx = s.rnd = (arr, {m: i for i, m in enumerate(arr)})
    return idx


def _rnd_add(s, m) -> None:
    arr, pos = s.rnd
    pos[m] = len(arr)
    arr.append(m)


def _rnd_remove(s, m) -> None:
    arr, pos = s.rnd
    i = pos.pop(m, None)
    if i is None:
        s.rnd = None
        return
    last = arr.pop()
    if i < len(arr):
        arr[i] = last
        pos[last] = i


def pick(s):
    """One uniformly random member of a non-empty set."""
    n = len(s)
    if n <= _RND_MIN:
        return random.choice(tuple(s)) if n > 1 else next(iter(s))
    arr = _rnd_index(s)[0]
    return arr[random.randrange(n)]


def discard(s, m) -> bool:
    """Remove ``m`` keeping the random index current; True if it was there."""
    if m not in s:
        return False
    s.discard(m)
    if s.rnd is not None:
        _rnd_remove(s, m)
    return True


# lookupKeyWrite + checkType, reads included: set reads count no keyspace
# hits/misses (Redis's do).
_read = typed_lookups(RSet)[0]
_rread = typed_lookups(RSet)[1]  # lookupKeyRead: counts keyspace hits/misses


def _store(c, dst: bytes, members) -> bytes:
    """Write a computed set to ``dst`` (or delete it when empty): Redis's
    setKey / dbDelete tail of the *STORE commands."""
    db = c.db
    if members:
        db.set(dst, new_set(members, c.server))
        c.server.dirty += 1
        return integer(len(members))
    if db.lookup(dst) is not None:
        db.delete(dst)
        c.server.dirty += 1
    return ZERO


# ---------------------------------------------------------------------------
# Single-key commands
# ---------------------------------------------------------------------------

@command("sadd")
def sadd(c, argv):
    db = c.db
    key = argv[1]
    s = db.lookup(key)
    if s is None:
        s = RSet()
        db.add(key, s)
    elif type(s) is not RSet:
        raise wrongtype()
    n = len(s)
    if s.rnd is not None:
        for m in argv[2:]:
            if m not in s:
                s.add(m)
                _rnd_add(s, m)
    elif len(argv) == 3:
        s.add(argv[2])
    else:
        s.update(argv[2:])
    added = len(s) - n
    if added:
        if not s.big:
            if len(s) > intset_max(c.server):
                s.big = True
            else:
                for i in range(2, len(argv)):
                    if not is_strict_int(argv[i]):
                        s.big = True
                        break
        if db.watched:
            db.touch(key)
        c.server.dirty += added
    return integer(added)


@command("srem")
def srem(c, argv):
    db = c.db
    key = argv[1]
    s = _read(db, key)
    if s is None:
        return ZERO
    n = len(s)
    if s.rnd is not None:
        for m in argv[2:]:
            discard(s, m)
    elif len(argv) == 3:
        s.discard(argv[2])
    else:
        s.difference_update(argv[2:])
    removed = n - len(s)
    if removed:
        if not s:
            db.delete(key)
        elif db.watched:
            db.touch(key)
        c.server.dirty += removed
    return integer(removed)


@command("scard")
def scard(c, argv):
    s = _rread(c, argv[1])
    return integer(len(s)) if s is not None else ZERO


@command("sismember")
def sismember(c, argv):
    s = _rread(c, argv[1])
    return ONE if s is not None and argv[2] in s else ZERO


@command("smismember")
def smismember(c, argv):
    s = _rread(c, argv[1])
    if s is None:
        s = ()
    parts = [array_header(len(argv) - 2)]
    for m in argv[2:]:
        parts.append(ONE if m in s else ZERO)
    return b"".join(parts)


@command("smembers")
def smembers(c, argv):
    s = _rread(c, argv[1])
    if s is None:
        return c.r.set_header(0)
    return set_reply(c, ordered(s, intset_max(c.server)))


@command("smove")
def smove(c, argv):
    db = c.db
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    src = db.lookup(src_key)
    dst = db.lookup(dst_key)
    if src is None:
        return ZERO
    if type(src) is not RSet or (dst is not None and type(dst) is not RSet):
        raise wrongtype()
    if src is dst:
        return ONE if member in src else ZERO
    if not discard(src, member):
        return ZERO
    if not src:
        db.delete(src_key)
    elif db.watched:
        db.touch(src_key)
    c.server.dirty += 1
    if dst is None:
        dst = RSet()
        dst.big = not is_strict_int(member)
        db.add(dst_key, dst)
    if member not in dst:
        dst.add(member)
        if dst.rnd is not None:
            _rnd_add(dst, member)
        if not dst.big and len(dst) > intset_max(c.server):
            dst.big = True
        elif not dst.big and not is_strict_int(member):
            dst.big = True
        if db.watched:
            db.touch(dst_key)
        c.server.dirty += 1
    return ONE


# ---------------------------------------------------------------------------
# Random access: SPOP, SRANDMEMBER
# ---------------------------------------------------------------------------

@command("spop")
def spop(c, argv):
    if len(argv) == 3:
        return _spop_count(c, argv)
    if len(argv) > 3:
        raise syntax_error()
    db = c.db
    key = argv[1]
    s = _read(db, key)
    if s is None:
        return c.r.null
    member = pick(s)
    discard(s, member)
    c.prop = [[b"SREM", key, member]]
    if not s:
        db.delete(key)
    elif db.watched:
        db.touch(key)
    c.server.dirty += 1
    return bulk(member)


def _spop_count(c, argv):
    count = positive_long(argv[2])
    db = c.db
    key = argv[1]
    s = _read(db, key)
    if s is None or count == 0:
        return c.r.set_header(0)
    server = c.server
    size = len(s)
    if count >= size:
        # Redis replies with the whole set and propagates a DEL.
        members = ordered(s, intset_max(server))
        reply = set_reply(c, members)
        db.delete(key)
        server.dirty += size
        c.prop = [[b"DEL", key]]
        return reply
    if count <= size // 2 and size > _RND_MIN:
        arr = _rnd_index(s)[0]
        popped = [arr[i] for i in random.sample(range(size), count)]
        for m in popped:
            discard(s, m)
    else:
        popped = random.sample(tuple(s), count)
        s.difference_update(popped)
        s.rnd = None
    if size - count <= count // 5:
        # Redis rebuilds the remaining members into a new set (its "case 3"),
        # which may go back to an intset.
        s.big = not fits_intset(s, intset_max(server))
    if db.watched:
        db.touch(key)
    server.dirty += count
    # Redis 7.0 propagates one SREM per popped member; several effects of one
    # command travel as MULTI/EXEC (unless already inside EXEC's own wrapper).
    prop = [[b"SREM", key, m] for m in popped]
    if len(prop) > 1 and not c.in_exec:
        prop.insert(0, [b"MULTI"])
        prop.append([b"EXEC"])
    c.prop = prop
    return set_reply(c, popped)


@command("srandmember")
def srandmember(c, argv):
    if len(argv) == 3:
        return _srandmember_count(c, argv)
    if len(argv) > 3:
        raise syntax_error()
    s = _rread(c, argv[1])
    if s is None:
        return c.r.null
    return bulk(pick(s))


def _srandmember_count(c, argv):
    count = range_long(argv[2], -INT64_MAX, INT64_MAX)
    s = _rread(c, argv[1])
    if s is None or count == 0:
        return EMPTY_ARRAY
    size = len(s)
    if count == 1:
        return bulk_array([pick(s)])
    if count < 0:
        pool = _rnd_index(s)[0] if size > _RND_MIN else tuple(s)
        return bulk_array(random.choices(pool, k=-count))
    if count >= size:
        members = ordered(s, intset_max(c.server))
        return bulk_array(members if type(members) is list else list(members))
    pool = _rnd_index(s)[0] if size > _RND_MIN else tuple(s)
    return bulk_array(random.sample(pool, count))


# ---------------------------------------------------------------------------
# Algebra: SINTER, SUNION, SDIFF and their STORE / CARD forms
# ---------------------------------------------------------------------------

def _inter(c, keys, limit: int = 0):
    """Members of the intersection, in Redis's order; None if a key is
    missing (every key is type-checked first, as Redis does)."""
    sets = []
    missing = False
    for k in keys:
        s = lookup_read(c, k)
        if s is None:
            missing = True
            continue
        if type(s) is not RSet:
            raise wrongtype()
        sets.append(s)
    if missing:
        return None
    sets.sort(key=len)
    first = sets[0]
    rest = [s for s in sets[1:] if s is not first]
    if not rest:
        res = first
    elif limit:
        res = []
        for m in first:
            for s in rest:
                if m not in s:
                    break
            else:
                res.append(m)
                if len(res) >= limit:
                    break
        return res
    else:
        res = first.intersection(*rest)
    return ordered_like(first, res, c.server)


def ordered_like(source, members, server):
    """Members taken from ``source`` in ``source``'s iteration order."""
    if not source.big and len(source) <= intset_max(server):
        return sorted(members, key=int)
    return members


@command("sinter")
def sinter(c, argv):
    res = _inter(c, argv[1:])
    if not res:
        return c.r.set_header(0)
    return set_reply(c, res)


@command("sinterstore")
def sinterstore(c, argv):
    res = _inter(c, argv[2:])
    return _store(c, argv[1], res or ())


@command("sintercard")
def sintercard(c, argv):
    numkeys = range_long(argv[1], 1, INT64_MAX, "ERR numkeys should be greater than 0")
    if numkeys > len(argv) - 2:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    limit = 0
    i = 2 + numkeys
    n = len(argv)
    while i < n:
        if argv[i].lower() == b"limit" and i + 1 < n:
            limit = positive_long(argv[i + 1], "ERR LIMIT can't be negative")
            i += 2
        else:
            raise syntax_error()
    res = _inter(c, argv[2:2 + numkeys], limit)
    if not res:
        return ZERO
    return integer(min(len(res), limit) if limit else len(res))


def _union_diff(c, keys, diff: bool):
    sets = []
    for k in keys:
        s = lookup_read(c, k)
        if s is not None and type(s) is not RSet:
            raise wrongtype()
        sets.append(s)
    if not diff:
        res = set()
        for s in sets:
            if s:
                res |= s
        return res
    first = sets[0]
    if not first:
        return set()
    rest = [s for s in sets[1:] if s]
    for s in rest:
        if s is first:
            return set()  # diffing a set with itself: Redis short-cuts to empty
    return first.difference(*rest)


def _union_diff_reply(c, argv, diff):
    res = _union_diff(c, argv[1:], diff)
    if not res:
        return c.r.set_header(0)
    return set_reply(c, _result_order(res, c.server))


@command("sunion")
def sunion(c, argv):
    return _union_diff_reply(c, argv, False)


@command("sdiff")
def sdiff(c, argv):
    return _union_diff_reply(c, argv, True)


@command("sunionstore")
def sunionstore(c, argv):
    return _store(c, argv[1], _union_diff(c, argv[2:], False))


@command("sdiffstore")
def sdiffstore(c, argv):
    return _store(c, argv[1], _union_diff(c, argv[2:], True))


# ---------------------------------------------------------------------------
# SSCAN
# ---------------------------------------------------------------------------

@command("sscan")
def sscan(c, argv):
    cursor = parse_cursor(argv[2])
    s = _rread(c, argv[1])
    if s is None:
        return EMPTY_SCAN
    match, count = parse_scan_options(argv, 3)
    if s.big:
        cursor, page = collscan.page(s, lambda: s, cursor, count)
        return collscan.reply(cursor, [m for m in page if m in s and (match is None or match(m))])
    members = ordered(s, intset_max(c.server))
    if match is not None:
        members = [m for m in members if match(m)]
    elif type(members) is not list:
        members = list(members)
    return SCAN_HEAD + bulk_array(members)
