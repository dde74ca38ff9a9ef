"""Type-agnostic keyspace commands.  Mirrors Redis's ``db.c`` (DEL, EXISTS,
KEYS, SCAN, RENAME, MOVE, COPY, SWAPDB, FLUSH*), ``expire.c`` (EXPIRE family,
TTL family, PERSIST, TOUCH), ``object.c`` (OBJECT) and ``sort.c`` (SORT).

Lookups follow Redis's two flavours: read lookups (``lookup_read``) count keyspace
hits/misses, write lookups (``db.lookup``) do not; both expire lazily.
"""

from __future__ import annotations

import random
import re
from itertools import islice

from ..errors import NO_SUCH_KEY, SYNTAX, CommandError
from ..keyspace import RHash, RList, RSet, Opaque, type_name
from ..resp import NEG_ONE, NEG_TWO, OK, ONE, ZERO, array_header, bulk, bulk_array, integer
from .glob import compile_pattern
from .table import command
from .util import INT64_MAX, is_strict_int, lookup_read, parse_cursor, parse_int, range_long, wrongtype

SAME_OBJECT = "ERR source and destination objects are the same"
DB_RANGE = "ERR DB index is out of range"
INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1

# Called with the server after FLUSHALL emptied the dataset (Redis then saves
# an RDB when save points are configured): persistence registers here.
FLUSHALL_HOOKS: list = []


def _parse_int32(b: bytes, msg: str | None = None) -> int:
    """getIntFromObjectOrReply."""
    return range_long(b, INT32_MIN, INT32_MAX, msg)


def _db_by_index(c, idx: int):
    dbs = c.server.dbs
    if idx < 0 or idx >= len(dbs):
        raise CommandError(DB_RANGE)
    return dbs[idx]


def _help(name: str, lines) -> bytes:
    """addReplyHelp."""
    rows = ["%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" % name, *lines,
            "HELP", "    Prints this help."]
    return array_header(len(rows)) + b"".join(b"+" + r.encode() + b"\r\n" for r in rows)


def _is_container_for_blockers(v) -> bool:
    t = type_name(v)
    return t == "list" or t == "zset" or t == "stream"


def dup_value(v):
    """A deep-enough copy for COPY: containers are new objects."""
    t = type(v)
    if t is bytes:
        return v
    if t is RList:
        return RList(v)
    if t is RHash:
        n = RHash(v)
        n.big = v.big
        return n
    if t is RSet:
        n = RSet(v)
        n.big = v.big
        return n
    if t is Opaque:
        return Opaque(v.type_name, v.rdb_type, v.payload)
    if type_name(v) == "zset":
        n = t(v.items())
        n.big = v.big
        return n
    import copy
    return copy.deepcopy(v)


# ---------------------------------------------------------------------------
# DEL / UNLINK / EXISTS / TYPE / TOUCH
# ---------------------------------------------------------------------------


@command("del")
def del_(c, argv):
    db = c.db
    n = 0
    for key in argv[1:]:
        if db.expires and key in db.expires:
            db.lookup(key)  # an expired key is expired (and propagated) first
        if db.delete(key):
            n += 1
    c.server.dirty += n
    return integer(n)


command("unlink")(del_)


@command("exists")
def exists(c, argv):
    db = c.db
    server = c.server
    n = 0
    if not db.expires:
        data = db.data
        for key in argv[1:]:
            if key in data:
                n += 1
        server.stat_keyspace_hits += n
        server.stat_keyspace_misses += len(argv) - 1 - n
        return integer(n)
    for key in argv[1:]:
        if lookup_read(c, key) is not None:
            n += 1
    return integer(n)


@command("type")
def type_(c, argv):
    v = lookup_read(c, argv[1])
    if v is None:
        return b"+none\r\n"
    return b"+" + type_name(v).encode() + b"\r\n"


@command("touch")
def touch(c, argv):
    n = 0
    for key in argv[1:]:
        if lookup_read(c, key) is not None:
            n += 1
    return integer(n)


# ---------------------------------------------------------------------------
# RENAME / MOVE / COPY
# ---------------------------------------------------------------------------


def _rename(c, argv, nx: bool):
    db = c.db
    src, dst = argv[1], argv[2]
    v = db.lookup(src)
    if v is None:
        raise CommandError(NO_SUCH_KEY)
    if src == dst:
        return ZERO if nx else OK
    when = db.get_expire(src)
    if db.lookup(dst) is not None:
        if nx:
            return ZERO
        db.delete(dst)
    db.add(dst, v)
    if when != -1:
        db.set_expire(dst, when)
    db.delete(src)
    if _is_container_for_blockers(v):
        db.signal_ready(dst)
    c.server.dirty += 1
    return ONE if nx else OK


@command("rename")
def rename(c, argv):
    return _rename(c, argv, False)


@command("renamenx")
def renamenx(c, argv):
    return _rename(c, argv, True)


@command("move")
def move(c, argv):
    src = c.db
    dst = _db_by_index(c, _parse_int32(argv[2]))
    if src is dst:
        raise CommandError(SAME_OBJECT)
    key = argv[1]
    v = src.lookup(key)
    if v is None:
        return ZERO
    when = src.get_expire(key)
    if dst.lookup(key) is not None:
        return ZERO
    dst.add(key, v)
    if when != -1:
        dst.set_expire(key, when)
    src.delete(key)
    if _is_container_for_blockers(v):
        dst.signal_ready(key)
    c.server.dirty += 1
    return ONE


@command("copy")
def copy_(c, argv):
    src = dst = c.db
    replace = False
    i, n = 3, len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"replace":
            replace = True
        elif opt == b"db" and i + 1 < n:
            dst = _db_by_index(c, _parse_int32(argv[i + 1]))
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1
    key, newkey = argv[1], argv[2]
    if src is dst and key == newkey:
        raise CommandError(SAME_OBJECT)
    v = lookup_read(c, key)
    if v is None:
        return ZERO
    when = src.get_expire(key)
    if dst.lookup(newkey) is not None:
        if not replace:
            return ZERO
        dst.delete(newkey)
    nv = dup_value(v)
    dst.add(newkey, nv)
    if when != -1:
        dst.set_expire(newkey, when)
    if _is_container_for_blockers(nv):
        dst.signal_ready(newkey)
    c.server.dirty += 1
    return ONE


# ---------------------------------------------------------------------------
# EXPIRE family, TTL family, PERSIST
# ---------------------------------------------------------------------------

_NX, _XX, _GT, _LT = 1, 2, 4, 8
_EXPIRE_OPTS = {b"nx": _NX, b"xx": _XX, b"gt": _GT, b"lt": _LT}


def _expire_generic(c, argv, relative: bool, unit_s: bool):
    flags = 0
    for opt in argv[3:]:
        f = _EXPIRE_OPTS.get(opt.lower())
        if f is None:
            raise CommandError("ERR Unsupported option %s" % opt.decode("utf-8", "replace"))
        flags |= f
    if flags & _NX and flags & (_XX | _GT | _LT):
        raise CommandError("ERR NX and XX, GT or LT options at the same time are not compatible")
    if flags & _GT and flags & _LT:
        raise CommandError("ERR GT and LT options at the same time are not compatible")
    when = parse_int(argv[2])
    server = c.server
    if unit_s:
        if when > INT64_MAX // 1000 or when < -(INT64_MAX // 1000):
            raise CommandError(_bad_expire(argv))
        when *= 1000
    base = server.clock_ms() if relative else 0
    if when > INT64_MAX - base:
        raise CommandError(_bad_expire(argv))
    when += base
    db = c.db
    key = argv[1]
    if db.lookup(key) is None:
        return ZERO
    if flags:
        cur = db.get_expire(key)
        if flags & _NX and cur != -1:
            return ZERO
        if flags & _XX and cur == -1:
            return ZERO
        if flags & _GT and (when <= cur or cur == -1):
            return ZERO
        if flags & _LT and cur != -1 and when >= cur:
            return ZERO
    if when <= server.clock_ms() and not server.loading and server.replica_of is None:
        db.delete(key)
        server.dirty += 1
        c.prop = [[b"UNLINK" if server.config["lazyfree-lazy-expire"] else b"DEL", key]]
        return ONE
    db.set_expire(key, when)
    db.touch(key)
    server.dirty += 1
    if relative or unit_s:
        c.prop = [[b"PEXPIREAT", key, b"%d" % when, *argv[3:]]]
    return ONE


def _bad_expire(argv) -> str:
    return "ERR invalid expire time in '%s' command" % argv[0].decode("utf-8", "replace").lower()


@command("expire")
def expire(c, argv):
    return _expire_generic(c, argv, True, True)


@command("pexpire")
def pexpire(c, argv):
    return _expire_generic(c, argv, True, False)


@command("expireat")
def expireat(c, argv):
    return _expire_generic(c, argv, False, True)


@command("pexpireat")
def pexpireat(c, argv):
    return _expire_generic(c, argv, False, False)


def _ttl_generic(c, argv, ms: bool, absolute: bool):
    key = argv[1]
    if lookup_read(c, key) is None:
        return NEG_TWO
    when = c.db.get_expire(key)
    if when == -1:
        return NEG_ONE
    ttl = when if absolute else when - c.server.clock_ms()
    if ttl < 0:
        ttl = 0
    return integer(ttl if ms else (ttl + 500) // 1000)


@command("ttl")
def ttl(c, argv):
    return _ttl_generic(c, argv, False, False)


@command("pttl")
def pttl(c, argv):
    return _ttl_generic(c, argv, True, False)


@command("expiretime")
def expiretime(c, argv):
    return _ttl_generic(c, argv, False, True)


@command("pexpiretime")
def pexpiretime(c, argv):
    return _ttl_generic(c, argv, True, True)


@command("persist")
def persist(c, argv):
    db = c.db
    key = argv[1]
    if db.lookup(key) is None or not db.remove_expire(key):
        return ZERO
    db.touch(key)
    c.server.dirty += 1
    return ONE


# ---------------------------------------------------------------------------
# KEYS / SCAN / RANDOMKEY / DBSIZE
# ---------------------------------------------------------------------------


@command("keys")
def keys(c, argv):
    db = c.db
    pat = argv[1]
    if pat == b"*":
        return bulk_array(db.keys())
    match = compile_pattern(pat)
    exp = db.expires
    if not exp:
        return bulk_array([k for k in db.data if match(k)])
    now = c.server.clock_ms()
    return bulk_array([k for k in db.data if match(k) and not (k in exp and exp[k] <= now)])


@command("scan")
def scan(c, argv):
    cursor = parse_cursor(argv[1])
    count = 10
    pat = None
    typ = None
    i, n = 2, len(argv)
    while i < n:
        opt = argv[i].lower()
        if n - i < 2:
            raise CommandError(SYNTAX)
        if opt == b"count":
            count = parse_int(argv[i + 1])
            if count < 1:
                raise CommandError(SYNTAX)
        elif opt == b"match":
            pat = argv[i + 1]
            if pat == b"*":
                pat = None
        elif opt == b"type":
            typ = argv[i + 1].lower()
        else:
            raise CommandError(SYNTAX)
        i += 2
    db = c.db
    slots = db.scan_index()
    total = len(slots)
    found = []
    pos = cursor
    budget = count * 10
    while pos < total and budget and len(found) < count:
        k = slots[pos]
        if k is not None:
            found.append(k)
        pos += 1
        budget -= 1
    next_cursor = pos if pos < total else 0
    if pat is not None:
        match = compile_pattern(pat)
        found = [k for k in found if match(k)]
    if typ is not None:
        kept = []
        for k in found:
            v = lookup_read(c, k)
            if (type_name(v) if v is not None else "none").encode() == typ:
                kept.append(k)
        found = kept
    if db.expires:
        exp = db.expires
        now = c.server.clock_ms()
        kept = []
        for k in found:
            when = exp.get(k)
            if when is not None and when <= now:
                db.lookup(k)
                continue
            kept.append(k)
        found = kept
    return b"*2\r\n" + bulk(b"%d" % next_cursor) + bulk_array(found)


@command("randomkey")
def randomkey(c, argv):
    db = c.db
    tries = 100
    all_volatile = len(db.data) == len(db.expires)
    while db.data:
        key = _random_key(db)
        if key in db.expires:
            if all_volatile and c.server.replica_of is not None:
                tries -= 1
                if tries == 0:
                    return bulk(key)
            if db.is_expired(key) and db.lookup(key) is None:
                continue
        return bulk(key)
    return c.r.null


def _random_key(db):
    data = db.data
    slots = db.scan_slots
    if slots is None and len(data) > 50_000:
        slots = db.scan_index()
    if slots is not None:
        for _ in range(16):
            k = slots[random.randrange(len(slots))]
            if k is not None:
                return k
    return next(islice(iter(data), random.randrange(len(data)), None))


@command("dbsize")
def dbsize(c, argv):
    return integer(len(c.db.data))


# ---------------------------------------------------------------------------
# SELECT / SWAPDB / FLUSHDB / FLUSHALL
# ---------------------------------------------------------------------------


@command("select")
def select(c, argv):
    c.db = _db_by_index(c, _parse_int32(argv[1]))
    return OK


@command("swapdb")
def swapdb(c, argv):
    id1 = _parse_int32(argv[1], "ERR invalid first DB index")
    id2 = _parse_int32(argv[2], "ERR invalid second DB index")
    dbs = c.server.dbs
    if not (0 <= id1 < len(dbs) and 0 <= id2 < len(dbs)):
        raise CommandError(DB_RANGE)
    if id1 != id2:
        from .t_multi import touch_swapped
        db1, db2 = dbs[id1], dbs[id2]
        touch_swapped(db1, db2)
        touch_swapped(db2, db1)
        db1.swap_content(db2)
        for db in (db1, db2):
            for key in list(db.blocking):
                if key in db.data:
                    db.signal_ready(key)
    c.server.dirty += 1
    return OK


def _flush_flags(argv) -> None:
    if len(argv) == 2:
        opt = argv[1].lower()
        if opt != b"sync" and opt != b"async":
            raise CommandError(SYNTAX)
    elif len(argv) > 2:
        raise CommandError(SYNTAX)


def flush_db(db) -> int:
    """Empty ``db`` the way FLUSHDB does (WATCHers of existing keys are
    touched); returns how many keys it held."""
    from .t_multi import forget_stale_watches
    n = db.clear()
    if db.watched:
        forget_stale_watches(db)
    return n


@command("flushdb")
def flushdb(c, argv):
    _flush_flags(argv)
    c.server.dirty += flush_db(c.db)
    # propagated even when nothing was removed (forceCommandPropagation)
    c.prop = [argv]
    return OK


@command("flushall")
def flushall(c, argv):
    _flush_flags(argv)
    server = c.server
    n = 0
    for db in server.dbs:
        n += flush_db(db)
    server.dirty += n
    for hook in FLUSHALL_HOOKS:
        hook(server)
    c.prop = [argv]
    return OK


# ---------------------------------------------------------------------------
# OBJECT
# ---------------------------------------------------------------------------

_SHARED_INTEGERS = 10000
_OBJ_SHARED_REFCOUNT = 2147483647


def _lfu(server) -> bool:
    return "lfu" in str(server.config.get("maxmemory-policy", "noeviction"))


def _lru_or_lfu(server) -> bool:
    p = str(server.config.get("maxmemory-policy", "noeviction"))
    return "lru" in p or "lfu" in p


def encoding_of(v) -> str:
    t = type(v)
    if t is bytes:
        if len(v) <= 20 and is_strict_int(v):
            return "int"
        return "embstr" if len(v) <= 44 else "raw"
    if t is RList:
        return "quicklist"
    if t is RHash:
        return "hashtable" if v.big else "listpack"
    if t is RSet:
        return "hashtable" if v.big else "intset"
    if t is Opaque:
        return "stream" if v.type_name == "stream" else "raw"
    if type_name(v) == "zset":
        return "skiplist" if getattr(v, "big", False) else "listpack"
    return "unknown"


def _object_lookup(c, key):
    return lookup_read(c, key)


@command("object|encoding")
def object_encoding(c, argv):
    v = _object_lookup(c, argv[2])
    if v is None:
        return c.r.null
    return bulk(encoding_of(v).encode())


@command("object|refcount")
def object_refcount(c, argv):
    v = _object_lookup(c, argv[2])
    if v is None:
        return c.r.null
    server = c.server
    if (type(v) is bytes and len(v) <= 5 and is_strict_int(v) and 0 <= int(v) < _SHARED_INTEGERS
            and (not server.config.get("maxmemory", 0) or not _lru_or_lfu(server))):
        return integer(_OBJ_SHARED_REFCOUNT)
    return ONE


@command("object|idletime")
def object_idletime(c, argv):
    v = _object_lookup(c, argv[2])
    if v is None:
        return c.r.null
    if _lfu(c.server):
        raise CommandError(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "
            "between policies at runtime LRU and LFU data will take some time to adjust.")
    # Access times are not tracked per key (it would cost every command).
    return ZERO


@command("object|freq")
def object_freq(c, argv):
    v = _object_lookup(c, argv[2])
    if v is None:
        return c.r.null
    if not _lfu(c.server):
        raise CommandError(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
            "switching between policies at runtime LRU and LFU data will take some time to adjust.")
    return integer(5)  # LFU_INIT_VAL: access counters are not tracked


_OBJECT_HELP = _help("OBJECT", [
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
])


@command("object|help")
def object_help(c, argv):
    return _OBJECT_HELP


# ---------------------------------------------------------------------------
# SORT / SORT_RO
# ---------------------------------------------------------------------------

_STRTOD_RE = re.compile(
    rb"[ \t\n\v\f\r]*[+-]?(?:"
    rb"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    rb"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    rb"|inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)",
    re.IGNORECASE,
)
_DBL_MIN = 2.2250738585072014e-308


def _sort_score(b: bytes):
    """strtod with Redis's checks: the whole string must parse, no overflow or
    underflow (ERANGE), no NaN.  Returns None when it is not a double."""
    nul = b.find(b"\0")
    if nul >= 0:
        b = b[:nul]
    if not b:
        return 0.0  # no conversion, but the end pointer is at the terminator
    if not _STRTOD_RE.fullmatch(b):
        return None
    s = b.strip(b" \t\n\v\f\r")
    low = s.lower().lstrip(b"+-")
    try:
        if low.startswith(b"0x"):
            neg = s[:1] == b"-"
            v = float.fromhex(low.decode())
            v = -v if neg else v
        elif low.startswith(b"nan"):
            return None
        else:
            v = float(s)
    except (ValueError, OverflowError):
        return None
    if v != v:
        return None
    if v in (float("inf"), float("-inf")) and not low.startswith(b"inf"):
        return None  # overflow
    if v == 0.0 or abs(v) < _DBL_MIN:
        digits = low.split(b"e")[0] if not low.startswith(b"0x") else low[2:].split(b"p")[0]
        if any(ch in b"123456789abcdef" for ch in digits):
            return None  # underflow
    return v


def _pattern_value(c, pattern: bytes, subst: bytes):
    """lookupKeyByPattern: '#' is the element itself; '*' is replaced by it;
    'key*->field' reads a hash field.  None when missing or of another type."""
    if pattern == b"#":
        return subst
    star = pattern.find(b"*")
    if star < 0:
        return None
    arrow = pattern.find(b"->", star + 1)
    if arrow >= 0 and arrow + 2 < len(pattern):
        field = pattern[arrow + 2:]
        keyname = pattern[:star] + subst + pattern[star + 1:arrow]
    else:
        field = None
        keyname = pattern[:star] + subst + pattern[star + 1:]
    v = lookup_read(c, keyname)
    if v is None:
        return None
    if field is not None:
        if type(v) is not RHash:
            return None
        return v.get(field)
    if type(v) is not bytes:
        return None
    return v


def _zset_items(z):
    """(member, score) pairs in rank order (the zset type lives in t_zset.py)."""
    return z.items()


def _c_string(b: bytes) -> bytes:
    nul = b.find(b"\0")
    return b if nul < 0 else b[:nul]


def _same(b: bytes) -> bytes:
    return b


def _sort_generic(c, argv, readonly: bool):
    desc = alpha = False
    limit_start, limit_count = 0, -1
    sortby = storekey = None
    dontsort = False
    gets = []
    i, n = 2, len(argv)
    while i < n:
        opt = argv[i].lower()
        left = n - i - 1
        if opt == b"asc":
            desc = False
        elif opt == b"desc":
            desc = True
        elif opt == b"alpha":
            alpha = True
        elif opt == b"limit" and left >= 2:
            limit_start = parse_int(argv[i + 1])
            limit_count = parse_int(argv[i + 2])
            i += 2
        elif opt == b"store" and left >= 1 and not readonly:
            storekey = argv[i + 1]
            i += 1
        elif opt == b"by" and left >= 1:
            sortby = argv[i + 1]
            if b"*" not in sortby:
                dontsort = True
            i += 1
        elif opt == b"get" and left >= 1:
            gets.append(argv[i + 1])
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1

    db = c.db
    v = lookup_read(c, argv[1])
    if v is None:
        kind = "list"
        v = RList()
    else:
        kind = type_name(v)
        if kind not in ("list", "set", "zset"):
            raise wrongtype()
        if kind == "zset":
            # Redis converts a sorted set it sorts to a skiplist ("Destructively
            # convert encoded sorted sets for SORT"), for good: OBJECT
            # ENCODING and the RDB type show it.
            v.big = True

    if dontsort and kind == "set" and storekey is not None:
        dontsort = False
        alpha = True
        sortby = None

    vlen = len(v)
    start = min(max(limit_start, 0), vlen)
    limit_count = min(max(limit_count, -1), vlen)
    end = vlen - 1 if limit_count < 0 else start + limit_count - 1
    if start >= vlen:
        start = vlen - 1
        end = vlen - 2
    if end >= vlen:
        end = vlen - 1

    if dontsort and kind in ("list", "zset"):
        if kind == "list":
            seq = reversed(v) if desc else iter(v)
        else:
            items = _zset_items(v)
            seq = (m for m, _ in (reversed(items) if desc else items))
        elems = list(islice(seq, start, end + 1)) if end >= start else []
        start, end = 0, len(elems) - 1
    else:
        if kind == "zset":
            elems = [m for m, _ in _zset_items(v)]
        else:
            elems = list(v)
            if kind == "set" and not v.big:
                try:
                    elems.sort(key=int)  # an intset iterates in numeric order
                except ValueError:
                    pass

    if not dontsort:
        if alpha:
            # Replies compare with strcoll (C strings: up to the first NUL; the
            # server's collation is byte order), STORE compares whole bytes.
            cut = _c_string if storekey is None else _same
            if sortby is not None:
                keyed = []
                for e in elems:
                    bv = _pattern_value(c, sortby, e)
                    keyed.append(((bv is not None, cut(bv) if bv is not None else b""), e))
                keyed.sort(key=lambda t: t[0], reverse=desc)
                elems = [e for _, e in keyed]
            else:
                elems.sort(key=cut, reverse=desc)
        else:
            keyed = []
            bad = False
            for e in elems:
                bv = _pattern_value(c, sortby, e) if sortby is not None else e
                if bv is None:
                    score = 0.0
                else:
                    score = _sort_score(bv)
                    if score is None:
                        bad = True
                        score = 0.0
                keyed.append((score, e))
            if bad:
                raise CommandError("ERR One or more scores can't be converted into double")
            keyed.sort(reverse=desc)
            elems = [e for _, e in keyed]

    selected = elems[start:end + 1] if end >= start else []
    if storekey is None:
        if not gets:
            return bulk_array(selected)
        out = [array_header(len(selected) * len(gets))]
        null = c.r.null
        for e in selected:
            for g in gets:
                val = _pattern_value(c, g, e)
                out.append(null if val is None else bulk(val))
        return b"".join(out)
    result = RList()
    if not gets:
        result.extend(selected)
    else:
        for e in selected:
            for g in gets:
                val = _pattern_value(c, g, e)
                result.append(b"" if val is None else val)
    server = c.server
    if result:
        db.set(storekey, result)
        db.signal_ready(storekey)
        server.dirty += len(result)
    elif db.delete(storekey):
        server.dirty += 1
    return integer(len(result))


@command("sort")
def sort(c, argv):
    return _sort_generic(c, argv, False)


@command("sort_ro")
def sort_ro(c, argv):
    return _sort_generic(c, argv, True)
