"""Sorted set commands.  Mirrors the command half of Redis's t_zset.c; the
``ZSet`` type and range parsing are in sortedset.py."""


from __future__ import annotations

import random

from ..errors import CommandError
from ..keyspace import RSet
from ..resp import (
    EMPTY_ARRAY,
    ONE,
    ZERO,
    array_header,
    bulk,
    bulk_array,
    format_double,
    integer,
)
from .sortedset import (  # noqa: F401 - ZSet is re-exported for other modules
    _INF,
    _MINMAX_NOT_FLOAT,
    _MINMAX_NOT_STR,
    _NAN_ERR,
    _NINF,
    _NOT_FLOAT,
    _WS,
    ZSet,
    _c_double,
    _gte_min,
    _lex_empty,
    _lex_item,
    _lte_max,
    _range_value,
    _window,
    lex_bounds,
    parse_lex_range,
    parse_score,
    parse_score_range,
    score_bounds,
)
from .t_list import parse_timeout
from . import collscan
from .table import command
from .util import (EMPTY_SCAN, INT64_MAX, SCAN_HEAD, index_bounds, mpop_args, parse_cursor, parse_int, parse_scan_options,
                   positive_long, range_long, syntax_error, typed_lookups, wrongtype, lookup_read)

# ---------------------------------------------------------------------------
# Replies
# ---------------------------------------------------------------------------

def _score_text(s: float) -> bytes:
    if s - s == 0.0:  # finite
        return b"%.17g" % s
    return b"inf" if s > 0 else b"-inf"


def emit_range(c, elems, withscores: bool) -> bytes:
    """ZRANGE-style reply of (score, member) tuples: RESP2 flat, RESP3 pairs."""
    if not withscores:
        return bulk_array([m for _, m in elems])
    n = len(elems)
    if c.r.version == 2:
        parts = [array_header(2 * n)]
        for s, m in elems:
            t = b"%.17g" % s if s - s == 0.0 else _score_text(s)
            parts.append(b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(m), m, len(t), t))
    else:
        parts = [array_header(n)]
        for s, m in elems:
            t = b"%.17g" % s if s - s == 0.0 else _score_text(s)
            parts.append(b"*2\r\n$%d\r\n%s\r\n,%s\r\n" % (len(m), m, t))
    return b"".join(parts)


def _pairs_flat(c, popped) -> list:
    dbl = c.r.double
    out = []
    for m, s in popped:
        out.append(bulk(m))
        out.append(dbl(s))
    return out


def _pairs_nested(c, popped) -> list:
    dbl = c.r.double
    return [b"*2\r\n" + bulk(m) + dbl(s) for m, s in popped]


# ---------------------------------------------------------------------------
# Lookups and shared write helpers
# ---------------------------------------------------------------------------

# lookupKeyWrite + checkType, reads included: zset reads count no keyspace
# hits/misses (Redis's do).
_read = typed_lookups(ZSet)[0]
_rread = typed_lookups(ZSet)[1]  # lookupKeyRead: counts keyspace hits/misses


def _changed(c, db, key, zs, n: int) -> None:
    """Book ``n`` removals from ``zs``: drop the key when empty, WATCH, dirty."""
    if not zs:
        db.delete(key)
    elif db.watched:
        db.touch(key)
    c.server.dirty += n


def _store(c, dst: bytes, zs) -> bytes:
    """The tail of every *STORE: write ``zs`` to ``dst`` or delete ``dst``."""
    db = c.db
    if zs:
        zs.refresh_encoding(c.server)
        db.set(dst, zs)
        db.signal_ready(dst)
        c.server.dirty += 1
        return integer(len(zs))
    if db.lookup(dst) is not None:
        db.delete(dst)
        c.server.dirty += 1
    return ZERO


# ---------------------------------------------------------------------------
# ZADD / ZINCRBY / ZREM
# ---------------------------------------------------------------------------

_ZADD_FLAGS = frozenset([b"nx", b"xx", b"gt", b"lt", b"ch", b"incr"])


def _zadd(c, argv, incr: bool):
    nx = xx = gt = lt = ch = False
    i = 2
    n = len(argv)
    while i < n:
        o = argv[i]
        if len(o) > 4 or o.lower() not in _ZADD_FLAGS:
            break
        o = o.lower()
        if o == b"nx":
            nx = True
        elif o == b"xx":
            xx = True
        elif o == b"gt":
            gt = True
        elif o == b"lt":
            lt = True
        elif o == b"ch":
            ch = True
        else:
            incr = True
        i += 1
    elements = n - i
    if elements % 2 or not elements:
        raise syntax_error()
    if nx and xx:
        raise CommandError("ERR XX and NX options at the same time are not compatible")
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise CommandError("ERR GT, LT, and/or NX options at the same time are not compatible")
    if incr and elements > 2:
        raise CommandError("ERR INCR option supports a single increment-element pair")
    scores = [parse_score(argv[j]) for j in range(i, n, 2)]

    db = c.db
    key = argv[1]
    zs = db.lookup(key)
    server = c.server
    if zs is None:
        if xx:
            return c.r.null if incr else ZERO
        cfg = server.config.values
        zs = ZSet()
        zs.big = cfg["zset-max-listpack-entries"] == 0 or len(argv[i + 1]) > cfg["zset-max-listpack-value"]
        db.add(key, zs)
        db.signal_ready(key)
    elif type(zs) is not ZSet:
        raise wrongtype()

    d = zs.dict
    sl = zs.sl
    # A listpack stores scores as text that may become an integer, which
    # turns -0 into 0 (a skiplist keeps the double's sign).
    listpack = not zs.big
    added = updated = processed = 0
    longest = 0
    score = 0.0
    for k, j in enumerate(range(i + 1, n, 2)):
        m = argv[j]
        s = scores[k]
        cur = d.get(m)
        if cur is None:
            if xx:
                continue
            if listpack and s == 0.0:
                d[m] = 0.0
                sl.insert(0.0, m)
            else:
                d[m] = s
                sl.insert(s, m)
            added += 1
            if len(m) > longest:
                longest = len(m)
        else:
            if nx:
                continue
            if incr:
                s += cur
                if s != s:
                    raise CommandError(_NAN_ERR)
            if (lt and s >= cur) or (gt and s <= cur):
                continue
            if s != cur:
                stored = 0.0 if listpack and s == 0.0 else s
                sl.move(cur, stored, m)
                d[m] = stored
                updated += 1
        processed += 1
        score = s
    if added and not zs.big:
        cfg = server.config.values
        if len(d) > cfg["zset-max-listpack-entries"] or longest > cfg["zset-max-listpack-value"]:
            zs.big = True
    if added or updated:
        if db.watched:
            db.touch(key)
        server.dirty += added + updated
    if incr:
        return c.r.double(score) if processed else c.r.null
    return integer(added + updated if ch else added)


@command("zadd")
def zadd(c, argv):
    """``ZADD key score member`` on an existing zset is served here without
    the option and multi-element machinery of _zadd (same checks in the
    same order); everything else goes to _zadd."""
    if len(argv) != 4:
        return _zadd(c, argv, False)
    o = argv[2]
    if len(o) < 5 and o.lower() in _ZADD_FLAGS:
        return _zadd(c, argv, False)
    s = parse_score(o)
    db = c.db
    key = argv[1]
    zs = db.lookup(key)
    if type(zs) is not ZSet:
        return _zadd(c, argv, False)
    m = argv[3]
    d = zs.dict
    big = zs.big
    if s == 0.0 and not big:
        s = 0.0  # a listpack has no -0 (see _zadd)
    cur = d.get(m)
    if cur is None:
        d[m] = s
        zs.sl.insert(s, m)
        if not big:
            cfg = c.server.config.values
            if len(d) > cfg["zset-max-listpack-entries"] or len(m) > cfg["zset-max-listpack-value"]:
                zs.big = True
        reply = ONE
    elif s != cur:
        zs.sl.move(cur, s, m)
        d[m] = s
        reply = ZERO
    else:
        return ZERO
    if db.watched:
        db.touch(key)
    c.server.dirty += 1
    return reply


@command("zincrby")
def zincrby(c, argv):
    return _zadd(c, argv, True)


@command("zrem")
def zrem(c, argv):
    db = c.db
    key = argv[1]
    zs = _read(db, key)
    if zs is None:
        return ZERO
    removed = 0
    for m in argv[2:]:
        if zs.remove(m):
            removed += 1
    if removed:
        _changed(c, db, key, zs, removed)
    return integer(removed)


# ---------------------------------------------------------------------------
# Reads: ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT
# ---------------------------------------------------------------------------

@command("zcard")
def zcard(c, argv):
    zs = _rread(c, argv[1])
    return integer(len(zs.dict)) if zs is not None else ZERO


@command("zscore")
def zscore(c, argv):
    zs = _rread(c, argv[1])
    if zs is None:
        return c.r.null
    s = zs.dict.get(argv[2])
    return c.r.null if s is None else c.r.double(s)


@command("zmscore")
def zmscore(c, argv):
    zs = _rread(c, argv[1])
    d = zs.dict if zs is not None else {}
    r = c.r
    parts = [array_header(len(argv) - 2)]
    for m in argv[2:]:
        s = d.get(m)
        parts.append(r.null if s is None else r.double(s))
    return b"".join(parts)


def _rank(c, argv, reverse):
    zs = _rread(c, argv[1])
    if zs is None:
        return c.r.null
    r = zs.rank(argv[2])
    if r is None:
        return c.r.null
    return integer(len(zs.dict) - 1 - r if reverse else r)


@command("zrank")
def zrank(c, argv):
    return _rank(c, argv, False)


@command("zrevrank")
def zrevrank(c, argv):
    return _rank(c, argv, True)


@command("zcount")
def zcount(c, argv):
    rng = parse_score_range(argv[2], argv[3])
    zs = _rread(c, argv[1])
    if zs is None:
        return ZERO
    lo, hi = score_bounds(zs.sl, *rng)
    return integer(hi - lo)


@command("zlexcount")
def zlexcount(c, argv):
    mn, mx = parse_lex_range(argv[2], argv[3])
    zs = _rread(c, argv[1])
    if zs is None:
        return ZERO
    lo, hi = lex_bounds(zs.sl, mn, mx)
    return integer(hi - lo)


# ---------------------------------------------------------------------------
# ZRANGE and its older spellings, ZRANGESTORE
# ---------------------------------------------------------------------------

RANK, SCORE, LEX = 0, 1, 2


def _zrange(c, argv, first: int, store: bool, rangetype, reverse):
    """zrangeGenericCommand.  ``first`` is the index of the source key;
    ``rangetype``/``reverse`` are None when the options may choose them
    (ZRANGE, ZRANGESTORE), fixed for ZRANGEBYSCORE & co."""
    withscores = False
    offset, limit = 0, -1
    auto_dir = reverse is None
    auto_type = rangetype is None
    n = len(argv)
    j = first + 3
    while j < n:
        o = argv[j].lower()
        left = n - j - 1
        if not store and o == b"withscores":
            withscores = True
        elif o == b"limit" and left >= 2:
            offset = parse_int(argv[j + 1])
            limit = parse_int(argv[j + 2])
            j += 2
        elif auto_dir and o == b"rev":
            reverse = True
            auto_dir = False
        elif auto_type and o == b"bylex":
            rangetype = LEX
            auto_type = False
        elif auto_type and o == b"byscore":
            rangetype = SCORE
            auto_type = False
        else:
            raise syntax_error()
        j += 1
    if reverse is None:
        reverse = False
    if rangetype is None:
        rangetype = RANK
    if limit != -1 and rangetype == RANK:
        raise CommandError("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    if withscores and rangetype == LEX:
        raise CommandError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    a, b = argv[first + 1], argv[first + 2]
    if reverse and rangetype != RANK:
        a, b = b, a  # given as max, min
    if rangetype == RANK:
        start, end = parse_int(a), parse_int(b)
    elif rangetype == SCORE:
        rng = parse_score_range(a, b)
    else:
        mn, mx = parse_lex_range(a, b)

    zs = _rread(c, argv[first])
    if zs is None:
        return _store(c, argv[1], None) if store else EMPTY_ARRAY
    sl = zs.sl
    if rangetype == RANK:
        lo, hi = index_bounds(len(sl), start, end)
        if reverse:
            # ranks count from the top
            lo, hi = len(sl) - hi, len(sl) - lo
        elems = _window(sl, lo, hi, reverse)
    elif rangetype == SCORE:
        lo, hi = score_bounds(sl, *rng)
        elems = _window(sl, lo, hi, reverse, offset, limit)
    else:
        lo, hi = lex_bounds(sl, mn, mx, reverse)
        elems = _window(sl, lo, hi, reverse, offset, limit)
    if store:
        return _store(c, argv[1], ZSet([(m, s) for s, m in elems]) if elems else None)
    return emit_range(c, elems, withscores)


@command("zrange")
def zrange(c, argv):
    return _zrange(c, argv, 1, False, None, None)


@command("zrangestore")
def zrangestore(c, argv):
    return _zrange(c, argv, 2, True, None, None)


@command("zrevrange")
def zrevrange(c, argv):
    return _zrange(c, argv, 1, False, RANK, True)


@command("zrangebyscore")
def zrangebyscore(c, argv):
    return _zrange(c, argv, 1, False, SCORE, False)


@command("zrevrangebyscore")
def zrevrangebyscore(c, argv):
    return _zrange(c, argv, 1, False, SCORE, True)


@command("zrangebylex")
def zrangebylex(c, argv):
    return _zrange(c, argv, 1, False, LEX, False)


@command("zrevrangebylex")
def zrevrangebylex(c, argv):
    return _zrange(c, argv, 1, False, LEX, True)


# ---------------------------------------------------------------------------
# ZREMRANGEBY*
# ---------------------------------------------------------------------------

def _zremrange(c, argv, rangetype):
    if rangetype == RANK:
        start, end = parse_int(argv[2]), parse_int(argv[3])
    elif rangetype == SCORE:
        rng = parse_score_range(argv[2], argv[3])
    else:
        mn, mx = parse_lex_range(argv[2], argv[3])
    db = c.db
    key = argv[1]
    zs = _read(db, key)
    if zs is None:
        return ZERO
    sl = zs.sl
    if rangetype == RANK:
        lo, hi = index_bounds(len(sl), start, end)
    elif rangetype == SCORE:
        lo, hi = score_bounds(sl, *rng)
    else:
        lo, hi = lex_bounds(sl, mn, mx)
    if hi <= lo:
        return ZERO
    d = zs.dict
    for _, m in sl[lo:hi]:
        del d[m]
    del sl[lo:hi]
    _changed(c, db, key, zs, hi - lo)
    return integer(hi - lo)


@command("zremrangebyrank")
def zremrangebyrank(c, argv):
    return _zremrange(c, argv, RANK)


@command("zremrangebyscore")
def zremrangebyscore(c, argv):
    return _zremrange(c, argv, SCORE)


@command("zremrangebylex")
def zremrangebylex(c, argv):
    return _zremrange(c, argv, LEX)


# ---------------------------------------------------------------------------
# Pops: ZPOPMIN ZPOPMAX ZMPOP and the blocking BZPOPMIN BZPOPMAX BZMPOP
# ---------------------------------------------------------------------------

def _pop(c, db, key, zs, where_max: bool, count: int):
    """Remove up to ``count`` extremes; returns [(member, score)]."""
    sl = zs.sl
    n = len(sl)
    k = count if count < n else n
    if where_max:
        taken = sl[n - k:]
        taken.reverse()
        del sl[n - k:]
    else:
        taken = sl[:k]
        del sl[:k]
    d = zs.dict
    for _, m in taken:
        del d[m]
    _changed(c, db, key, zs, k)
    return [(m, s) for s, m in taken]


def _zpop(c, argv, where_max):
    n = len(argv)
    if n > 3:
        raise syntax_error()
    count = positive_long(argv[2]) if n == 3 else -1
    db = c.db
    key = argv[1]
    zs = _read(db, key)
    if zs is None or count == 0:
        return EMPTY_ARRAY
    popped = _pop(c, db, key, zs, where_max, 1 if count < 0 else count)
    if c.r.version == 3 and count != -1:
        items = _pairs_nested(c, popped)
    else:
        items = _pairs_flat(c, popped)
    return array_header(len(items)) + b"".join(items)


@command("zpopmin")
def zpopmin(c, argv):
    return _zpop(c, argv, False)


@command("zpopmax")
def zpopmax(c, argv):
    return _zpop(c, argv, True)


def _mpop_reply(c, key, popped) -> bytes:
    return b"*2\r\n" + bulk(key) + array_header(len(popped)) + b"".join(_pairs_nested(c, popped))


def _bpop_reply(c, key, popped) -> bytes:
    m, s = popped[0]
    return b"*3\r\n" + bulk(key) + bulk(m) + c.r.double(s)


def _pop_prop(key, where_max, count, n):
    """How a served pop travels to replicas/AOF: ZPOPMIN/ZPOPMAX key, with the
    number actually popped when the command had a COUNT (ZMPOP/BZMPOP)."""
    name = b"ZPOPMAX" if where_max else b"ZPOPMIN"
    if count < 0:
        return [[name, key]]
    return [[name, key, b"%d" % (count if count < n else n)]]


def _serve_pop(c, db, key, zs, where_max: bool, count: int, mpop: bool) -> bytes:
    """Pop for ZMPOP and the blocking pops (``count`` -1: no COUNT given),
    set the propagation and build the reply."""
    n = len(zs)
    popped = _pop(c, db, key, zs, where_max, 1 if count < 0 else count)
    c.prop = _pop_prop(key, where_max, count, n)
    return _mpop_reply(c, key, popped) if mpop else _bpop_reply(c, key, popped)


def _where_max(b: bytes) -> bool:
    """ZMPOP's MIN|MAX: True for MAX."""
    w = b.lower()
    if w == b"max":
        return True
    if w == b"min":
        return False
    raise syntax_error()


def _first_zset(db, keys):
    for k in keys:
        zs = _read(db, k)
        if zs:
            return k, zs
    return None, None


@command("zmpop")
def zmpop(c, argv):
    keys, where_max, count = mpop_args(argv, 1, _where_max)
    db = c.db
    key, zs = _first_zset(db, keys)
    if zs is None:
        return c.r.null_array
    return _serve_pop(c, db, key, zs, where_max, count, True)


def _blocking_pop(c, argv, keys, timeout_arg, where_max, count, mpop: bool):
    timeout = parse_timeout(timeout_arg)
    db = c.db
    key, zs = _first_zset(db, keys)
    if zs is not None:
        return _serve_pop(c, db, key, zs, where_max, count, mpop)
    if c.in_exec:
        # A transaction cannot block: Redis answers as if the timeout expired.
        return c.r.null_array

    def retry(client, key):
        d = client.blocked.db
        zs = d.data.get(key)
        if type(zs) is not ZSet or not zs:
            return None
        if d.snap is not None:
            d.snap.preserve(d, key)  # served outside call(): hand the old value to the snapshot
        return _serve_pop(client, d, key, zs, where_max, count, mpop)

    return c.server.block(c, db, list(keys), timeout, retry, c.r.null_array, None, argv, kind="zset")


@command("bzpopmin")
def bzpopmin(c, argv):
    return _blocking_pop(c, argv, argv[1:-1], argv[-1], False, -1, False)


@command("bzpopmax")
def bzpopmax(c, argv):
    return _blocking_pop(c, argv, argv[1:-1], argv[-1], True, -1, False)


@command("bzmpop")
def bzmpop(c, argv):
    keys, where_max, count = mpop_args(argv, 2, _where_max)
    return _blocking_pop(c, argv, keys, argv[1], where_max, count, True)


# ---------------------------------------------------------------------------
# ZRANDMEMBER
# ---------------------------------------------------------------------------

@command("zrandmember")
def zrandmember(c, argv):
    n = len(argv)
    if n == 2:
        zs = _rread(c, argv[1])
        if zs is None:
            return c.r.null
        return bulk(zs.sl[random.randrange(len(zs.sl))][1])
    count = range_long(argv[2], -INT64_MAX, INT64_MAX)
    withscores = False
    if n > 4 or (n == 4 and argv[3].lower() != b"withscores"):
        raise syntax_error()
    if n == 4:
        withscores = True
        if count < -(INT64_MAX // 2) or count > INT64_MAX // 2:
            raise CommandError("ERR value is out of range")
    zs = _rread(c, argv[1])
    if zs is None or count == 0:
        return EMPTY_ARRAY
    sl = zs.sl
    size = len(sl)
    if count < 0:
        idx = random.choices(range(size), k=-count)
        elems = [sl[i] for i in idx]
    elif count == 1:
        elems = [sl[random.randrange(size)]]
    elif count >= size:
        elems = list(reversed(sl))  # Redis walks the zset from its tail here
    else:
        idx = random.sample(range(size), count)
        elems = [sl[i] for i in idx]
    return emit_range(c, elems, withscores)


# ---------------------------------------------------------------------------
# ZUNION ZINTER ZDIFF (+STORE), ZINTERCARD
# ---------------------------------------------------------------------------

UNION, INTER, DIFF = 0, 1, 2
_AGG = {b"sum": 0, b"min": 1, b"max": 2}


def _src_scores(obj):
    """A source as a mapping member -> score (a set's members score 1)."""
    if obj is None:
        return {}
    if type(obj) is ZSet:
        return obj.dict
    return dict.fromkeys(obj, 1.0)


def _setop(c, argv, numkeys_idx: int, op: int, store: bool, card: bool):
    """zunionInterDiffGenericCommand -> (result dict or cardinality, withscores)."""
    setnum = parse_int(argv[numkeys_idx])
    cmdname = argv[0].lower().decode("latin-1")
    if setnum < 1:
        raise CommandError("ERR at least 1 input key is needed for '%s' command" % cmdname)
    n = len(argv)
    if setnum > n - (numkeys_idx + 1):
        raise syntax_error()
    db = c.db
    srcs = []
    j = numkeys_idx + 1
    for _ in range(setnum):
        obj = lookup_read(c, argv[j])
        if obj is not None and type(obj) is not ZSet and type(obj) is not RSet:
            raise wrongtype()
        srcs.append(obj)
        j += 1
    weights = [1.0] * setnum
    agg = 0
    withscores = False
    limit = 0
    while j < n:
        o = argv[j].lower()
        left = n - j
        if op != DIFF and not card and left >= setnum + 1 and o == b"weights":
            j += 1
            for i in range(setnum):
                weights[i] = parse_score(argv[j], "ERR weight value is not a float")
                j += 1
        elif op != DIFF and not card and left >= 2 and o == b"aggregate":
            a = _AGG.get(argv[j + 1].lower())
            if a is None:
                raise syntax_error()
            agg = a
            j += 2
        elif not store and not card and o == b"withscores":
            withscores = True
            j += 1
        elif card and left >= 2 and o == b"limit":
            limit = positive_long(argv[j + 1], "ERR LIMIT can't be negative")
            j += 2
        else:
            raise syntax_error()

    maps = [_src_scores(s) for s in srcs]
    if op == DIFF:
        first = maps[0]
        rest = [m for m in maps[1:] if m]
        return {m: s for m, s in first.items() if not any(m in r for r in rest)}, withscores
    order = sorted(range(setnum), key=lambda i: len(maps[i]))
    if op == INTER:
        m0 = maps[order[0]]
        if card:
            count = 0
            if m0:
                others = [maps[i] for i in order[1:]]
                for m in m0:
                    for o in others:
                        if m not in o:
                            break
                    else:
                        count += 1
                        if limit and count >= limit:
                            break
            return count, False
        res = {}
        if not m0:
            return res, withscores
        w0 = weights[order[0]]
        others = [(maps[i], weights[i]) for i in order[1:]]
        for m, s in m0.items():
            score = w0 * s
            if score != score:
                score = 0.0
            for o, w in others:
                v = o.get(m)
                if v is None:
                    break
                # Unlike the first input's (and every input of a union), a
                # NaN product (inf * 0) is not zeroed here: Redis aggregates
                # it as it is, so SUM gives 0 and MIN/MAX keep the score.
                score = _aggregate(score, w * v, agg)
            else:
                res[m] = score
        return res, withscores
    res = {}
    for i in order:
        w = weights[i]
        for m, s in maps[i].items():
            v = w * s
            if v != v:
                v = 0.0
            cur = res.get(m)
            res[m] = v if cur is None else _aggregate(cur, v, agg)
    return res, withscores


def _aggregate(a: float, b: float, agg: int) -> float:
    if agg == 0:
        r = a + b
        return 0.0 if r != r else r
    if agg == 1:
        return b if b < a else a
    return b if b > a else a


def _setop_reply(c, argv, op):
    res, withscores = _setop(c, argv, 1, op, False, False)
    if not res:
        return EMPTY_ARRAY
    elems = sorted((s, m) for m, s in res.items())
    return emit_range(c, elems, withscores)


def _setop_store(c, argv, op):
    res, _ = _setop(c, argv, 2, op, True, False)
    return _store(c, argv[1], ZSet(res.items()) if res else None)


@command("zunion")
def zunion(c, argv):
    return _setop_reply(c, argv, UNION)


@command("zinter")
def zinter(c, argv):
    return _setop_reply(c, argv, INTER)


@command("zdiff")
def zdiff(c, argv):
    return _setop_reply(c, argv, DIFF)


@command("zunionstore")
def zunionstore(c, argv):
    return _setop_store(c, argv, UNION)


@command("zinterstore")
def zinterstore(c, argv):
    return _setop_store(c, argv, INTER)


@command("zdiffstore")
def zdiffstore(c, argv):
    return _setop_store(c, argv, DIFF)


@command("zintercard")
def zintercard(c, argv):
    count, _ = _setop(c, argv, 1, INTER, False, True)
    return integer(count)


# ---------------------------------------------------------------------------
# ZSCAN
# ---------------------------------------------------------------------------

@command("zscan")
def zscan(c, argv):
    cursor = parse_cursor(argv[2])
    zs = _rread(c, argv[1])
    if zs is None:
        return EMPTY_SCAN
    match, count = parse_scan_options(argv, 3)
    if zs.big:
        d = zs.dict
        cursor, members = collscan.page(zs, d.keys, cursor, count)
        out = []
        for m in members:
            s = d.get(m)
            if s is not None and (match is None or match(m)):
                out += (m, format_double(s))
        return collscan.reply(cursor, out)
    parts = []
    k = 0
    for s, m in zs.sl:
        if match is not None and not match(m):
            continue
        parts.append(bulk(m))
        parts.append(bulk(format_double(s)))
        k += 2
    return SCAN_HEAD + array_header(k) + b"".join(parts)
