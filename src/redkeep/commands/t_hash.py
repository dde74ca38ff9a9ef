"""Hash commands.  Mirrors Redis's ``t_hash.c``.

A hash is a ``keyspace.RHash`` (a dict field -> value).  Redis 7.0 keeps a
small hash as a *listpack* and converts it for good to a hash table once it
holds more than ``hash-max-listpack-entries`` fields or is given a field or
value longer than ``hash-max-listpack-value`` bytes.  ``RHash.big`` records
that conversion; it drives OBJECT ENCODING and the RDB type.

A listpack is iterated in insertion order (an update keeps the field's
place), exactly like a Python dict, so HKEYS / HGETALL / HSCAN ... of a small
hash answer in Redis's own order.  A hash table's order is unspecified.

HSCAN returns the whole hash in one reply with cursor 0, whatever the
cursor: what Redis does for listpacks, and a valid SCAN for hash tables too
(every field present for the whole iteration is returned).
"""

from __future__ import annotations

import random
import re
from itertools import islice

from ..errors import NOT_FLOAT, CommandError
from ..keyspace import RHash
from ..resp import CRLF, EMPTY_ARRAY, OK, ONE, ZERO, array_header, bulk, bulk_array, integer
from . import collscan
from .t_string import _ld_round, ld_format, ld_parse
from .table import command
from .util import (EMPTY_SCAN, INT64_MAX, INT64_MIN, SCAN_HEAD, is_strict_int, parse_cursor, parse_int,
                   parse_scan_options, range_long, syntax_error, typed_lookups)

_LONG_MAX = INT64_MAX
# Small integers add exactly in long double and print as plain integers, so
# HINCRBYFLOAT of such operands needs no emulation.
_SMALL_INT = re.compile(rb"-?[0-9]{1,17}\Z")


_write, _read = typed_lookups(RHash)


def _write_or_create(c, key):
    """hashTypeLookupWriteOrCreate: the hash, created (empty) if missing.
    Callers touch the key (WATCH) only once they did change it."""
    db = c.db
    h = _write(db, key)
    if h is None:
        h = RHash()
        db.add(key, h)
    return h


def _convert_for_args(c, h, argv, start: int) -> None:
    """hashTypeTryConversion: a long field or value makes the hash a hash table."""
    maxval = c.server.config.values["hash-max-listpack-value"]
    for i in range(start, len(argv)):
        if len(argv[i]) > maxval:
            h.big = True
            return


def _set(c, h, field: bytes, value: bytes) -> None:
    """hashTypeSet with its encoding checks (HINCRBY* reach it directly)."""
    if not h.big:
        values = c.server.config.values
        maxval = values["hash-max-listpack-value"]
        if len(field) > maxval or len(value) > maxval:
            h.big = True
        h[field] = value
        if len(h) > values["hash-max-listpack-entries"]:
            h.big = True
    else:
        h[field] = value


def _after_delete(db, key, h) -> None:
    """A hash left empty is deleted; otherwise WATCHers learn of the change."""
    if not h:
        db.delete(key)
    elif db.watched:
        db.touch(key)


# -- writes --------------------------------------------------------------------

@command("hset")
def hset(c, argv):
    n = len(argv)
    if n & 1:
        raise CommandError("ERR wrong number of arguments for 'hset' command")
    h = _write_or_create(c, argv[1])
    if c.db.watched:
        c.db.touch(argv[1])
    before = len(h)
    if n == 4:
        field, value = argv[2], argv[3]
        if h.big:
            h[field] = value
        else:
            _set(c, h, field, value)
        c.server.dirty += 1
        return ONE if len(h) > before else ZERO
    if not h.big:
        _convert_for_args(c, h, argv, 2)
    for i in range(2, n, 2):
        h[argv[i]] = argv[i + 1]
    if not h.big and len(h) > c.server.config.values["hash-max-listpack-entries"]:
        h.big = True
    c.server.dirty += (n - 2) >> 1
    return integer(len(h) - before)


@command("hmset")
def hmset(c, argv):
    if len(argv) & 1:
        raise CommandError("ERR wrong number of arguments for 'hmset' command")
    hset(c, argv)
    return OK


@command("hsetnx")
def hsetnx(c, argv):
    h = _write_or_create(c, argv[1])
    field = argv[2]
    if field in h:
        return ZERO
    if not h.big:
        _convert_for_args(c, h, argv, 2)
    _set(c, h, field, argv[3])
    if c.db.watched:
        c.db.touch(argv[1])
    c.server.dirty += 1
    return ONE


@command("hdel")
def hdel(c, argv):
    db = c.db
    key = argv[1]
    h = _write(db, key)
    if h is None:
        return ZERO
    deleted = 0
    pop = h.pop
    for i in range(2, len(argv)):
        if pop(argv[i], None) is not None:
            deleted += 1
            if not h:
                break
    if deleted:
        _after_delete(db, key, h)
        c.server.dirty += deleted
    return integer(deleted)


@command("hincrby")
def hincrby(c, argv):
    incr = parse_int(argv[3])
    h = _write_or_create(c, argv[1])
    field = argv[2]
    cur = h.get(field)
    if cur is None:
        value = 0
    else:
        if not is_strict_int(cur):
            raise CommandError("ERR hash value is not an integer")
        value = int(cur)
    new = value + incr
    if new > INT64_MAX or new < INT64_MIN:
        raise CommandError("ERR increment or decrement would overflow")
    out = b"%d" % new
    _set(c, h, field, out)
    if c.db.watched:
        c.db.touch(argv[1])
    c.server.dirty += 1
    return integer(new)


@command("hincrbyfloat")
def hincrbyfloat(c, argv):
    key, field, arg = argv[1], argv[2], argv[3]
    small = _SMALL_INT.match(arg) is not None
    if not small:
        incr = ld_parse(arg)
        if incr is None:
            raise CommandError(NOT_FLOAT)
        if type(incr) is str:
            raise CommandError("ERR value is NaN or Infinity")
    h = _write_or_create(c, key)
    cur = h.get(field)
    if small and (cur is None or _SMALL_INT.match(cur) is not None):
        out = b"%d" % (int(arg) + (int(cur) if cur is not None else 0))
    else:
        if small:
            incr = ld_parse(arg)
        if cur is None:
            value = 0
        else:
            value = ld_parse(cur)
            if value is None:
                raise CommandError("ERR hash value is not a float")
            if type(value) is str:
                raise CommandError("ERR increment would produce NaN or Infinity")
        total = _ld_round(value + incr)
        if type(total) is str:
            raise CommandError("ERR increment would produce NaN or Infinity")
        out = ld_format(total)
    _set(c, h, field, out)
    if c.db.watched:
        c.db.touch(key)
    c.server.dirty += 1
    # The result, not the addition, goes to replicas and the AOF, so float
    # precision or formatting can never make them diverge.
    c.prop = [[b"HSET", key, field, out]]
    return bulk(out)


# -- reads ---------------------------------------------------------------------

@command("hget")
def hget(c, argv):
    h = _read(c, argv[1])
    if h is None:
        return c.r.null
    v = h.get(argv[2])
    if v is None:
        return c.r.null
    return bulk(v)


@command("hmget")
def hmget(c, argv):
    h = _read(c, argv[1])
    null = c.r.null
    n = len(argv) - 2
    if h is None:
        return array_header(n) + null * n
    parts = [array_header(n)]
    get = h.get
    for i in range(2, len(argv)):
        v = get(argv[i])
        parts.append(null if v is None else bulk(v))
    return b"".join(parts)


@command("hlen")
def hlen(c, argv):
    h = _read(c, argv[1])
    return ZERO if h is None else integer(len(h))


@command("hstrlen")
def hstrlen(c, argv):
    h = _read(c, argv[1])
    if h is None:
        return ZERO
    v = h.get(argv[2])
    return ZERO if v is None else integer(len(v))


@command("hexists")
def hexists(c, argv):
    h = _read(c, argv[1])
    return ONE if h is not None and argv[2] in h else ZERO


@command("hkeys")
def hkeys(c, argv):
    h = _read(c, argv[1])
    if h is None:
        return EMPTY_ARRAY
    return bulk_array(list(h))


@command("hvals")
def hvals(c, argv):
    h = _read(c, argv[1])
    if h is None:
        return EMPTY_ARRAY
    return bulk_array(list(h.values()))


def _pairs(h) -> list:
    """field, value, field, value ... (flat)."""
    out = []
    for kv in h.items():
        out += kv
    return out


@command("hgetall")
def hgetall(c, argv):
    h = _read(c, argv[1])
    r = c.r
    if h is None:
        return r.map_header(0)
    flat = bulk_array(_pairs(h))
    if r.version == 2:
        return flat
    # same elements, with a map header instead of the array one
    return r.map_header(len(h)) + flat[flat.index(CRLF) + 2:]


# -- HRANDFIELD ------------------------------------------------------------------

@command("hrandfield")
def hrandfield(c, argv):
    n = len(argv)
    if n == 2:
        h = _read(c, argv[1])
        if h is None:
            return c.r.null
        return bulk(next(islice(h, random.randrange(len(h)), None)))
    count = range_long(argv[2], -_LONG_MAX, _LONG_MAX)
    withvalues = False
    if n > 4 or (n == 4 and argv[3].lower() != b"withvalues"):
        raise syntax_error()
    if n == 4:
        withvalues = True
        if count < -(_LONG_MAX // 2) or count > _LONG_MAX // 2:
            raise CommandError("ERR value is out of range")
    h = _read(c, argv[1])
    if h is None or count == 0:
        return EMPTY_ARRAY
    resp3 = c.r.version == 3
    size = len(h)
    if count < 0 or count == 1:
        # repetitions allowed, random order
        count = -count if count < 0 else 1
        if withvalues:
            items = list(h.items())
            picks = random.choices(items, k=count)
        else:
            picks = random.choices(list(h), k=count)
    elif count >= size:
        picks = list(h.items()) if withvalues else list(h)
    else:
        items = list(h.items()) if withvalues else list(h)
        idx = random.sample(range(size), count)
        if not h.big:
            # Redis samples a listpack in place: the picks keep its order.
            idx.sort()
        picks = [items[i] for i in idx]
    if not withvalues:
        return bulk_array(picks)
    if not resp3:
        flat = []
        for kv in picks:
            flat += kv
        return bulk_array(flat)
    parts = [array_header(len(picks))]
    for f, v in picks:
        parts.append(b"*2\r\n")
        parts.append(bulk(f))
        parts.append(bulk(v))
    return b"".join(parts)


# -- HSCAN ---------------------------------------------------------------------------

@command("hscan")
def hscan(c, argv):
    cursor = parse_cursor(argv[2])
    h = _read(c, argv[1])
    if h is None:
        return EMPTY_SCAN
    match, count = parse_scan_options(argv, 3)
    if h.big:
        cursor, fields = collscan.page(h, h.keys, cursor, count)
        out = []
        for f in fields:
            v = h.get(f)
            if v is not None and (match is None or match(f)):
                out += (f, v)
        return collscan.reply(cursor, out)
    if match is None:
        return SCAN_HEAD + bulk_array(_pairs(h))
    out = []
    for kv in h.items():
        if match(kv[0]):
            out += kv
    return SCAN_HEAD + bulk_array(out)
