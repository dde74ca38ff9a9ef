"""List commands, blocking ones included.  Mirrors Redis's ``t_list.c`` (and
the list part of ``blocked.c``).

A list is a ``keyspace.RList`` (a deque): O(1) at both ends, which is where
lists are used.  An empty list never stays in the keyspace.

Blocking (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).  When every key is empty
the client waits through ``server.block``; its ``retry(c, key)`` runs when a
key it waits on gets elements (FIFO per key, ``server.handle_ready_keys``).
Only the creation of a list can wake anyone: a client only waits on keys
that hold no list, so pushes to an existing list never signal.  Like Redis,
a served client propagates the non-blocking form of what it did (BLPOP ->
LPOP key, BLMPOP -> LPOP key n, BLMOVE -> LMOVE ... LEFT RIGHT), and inside
MULTI/EXEC a blocking command never blocks: it answers as if timed out.
"""

from __future__ import annotations

from itertools import islice

from ..errors import CommandError
from ..keyspace import RList
from ..resp import EMPTY_ARRAY, NEG_ONE, OK, ZERO, array_header, bulk, bulk_array, integer
from .t_string import _ld_round, ld_parse
from .table import command
from .util import INT64_MAX, INT64_MIN, index_bounds, mpop_args, parse_int, positive_long, syntax_error, typed_lookups

_NO_SUCH_KEY = "ERR no such key"
_OUT_OF_RANGE = "ERR index out of range"
_TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
_TIMEOUT_NEGATIVE = "ERR timeout is negative"
_POP_COUNT = "ERR value is out of range, must be positive"
_LPOP, _RPOP = b"LPOP", b"RPOP"


# -- helpers -------------------------------------------------------------------

_write, _read = typed_lookups(RList)


def _removed(db, key, lst) -> None:
    """After elements left ``lst``: delete it when empty, else tell WATCH."""
    if not lst:
        db.delete(key)
    elif db.watched:
        db.touch(key)


def _where(b: bytes) -> bool:
    """getListPositionFromObjectOrReply: True for LEFT (head)."""
    w = b.lower()
    if w == b"left":
        return True
    if w == b"right":
        return False
    raise syntax_error()


def parse_timeout(b: bytes) -> float:
    """getTimeoutFromObjectOrReply(UNIT_SECONDS): seconds, 0 for forever.

    Redis reads a long double and keeps whole milliseconds, truncating: so
    0.0001 means "forever", and a value whose ms do not fit a long long
    (1e16, inf) lands on LLONG_MIN and reads as negative."""
    if b.isdigit() and len(b) <= 12:
        return int(b)
    x = ld_parse(b)
    if x is None:
        raise CommandError(_TIMEOUT_NOT_FLOAT)
    if type(x) is str:
        raise CommandError(_TIMEOUT_NEGATIVE)
    ms = _ld_round(x * 1000)
    if type(ms) is str:
        raise CommandError(_TIMEOUT_NEGATIVE)
    ms = int(ms)
    if ms < 0 or ms > INT64_MAX:
        raise CommandError(_TIMEOUT_NEGATIVE)
    return ms / 1000


def _move(c, db, src, s, dst, wf_left: bool, wt_left: bool) -> bytes:
    """Pop from list ``s`` (at ``src``), push onto ``dst`` (created if missing).
    Raises WRONGTYPE before touching anything if ``dst`` is not a list."""
    d = _write(db, dst)
    v = s.popleft() if wf_left else s.pop()
    created = d is None
    if created:
        d = RList()
        db.add(dst, d)
    elif db.watched:
        db.touch(dst)
    if wt_left:
        d.appendleft(v)
    else:
        d.append(v)
    _removed(db, src, s)
    c.server.dirty += 1
    if created:
        db.signal_ready(dst)
    return v


# -- push ------------------------------------------------------------------------

def _push(c, argv, left: bool, xx: bool):
    db = c.db
    key = argv[1]
    lst = _write(db, key)
    created = lst is None
    if created:
        if xx:
            return ZERO
        lst = RList()
        db.add(key, lst)
    elif db.watched:
        db.touch(key)
    if len(argv) == 3:
        if left:
            lst.appendleft(argv[2])
        else:
            lst.append(argv[2])
    elif left:
        lst.extendleft(islice(argv, 2, None))
    else:
        lst.extend(islice(argv, 2, None))
    c.server.dirty += len(argv) - 2
    if created:
        db.signal_ready(key)
    return integer(len(lst))


# LPUSH/RPUSH/LPOP/RPOP on an existing list without a TTL are what
# benchmarks and queues do: one handler, no helper calls (pipelined
# throughput is bounded by Python calls per command).  Anything else takes
# the general path.  The handlers are made by closures so that each end
# has its own without a flag test or an extra call.

def _fast_push(left: bool):
    def handler(c, argv):
        db = c.db
        key = argv[1]
        lst = db.data.get(key)
        if type(lst) is not RList or (db.expires and key in db.expires):
            return _push(c, argv, left, False)
        if db.watched:
            db.touch(key)
        if len(argv) == 3:
            add(lst, argv[2])
        else:
            add_many(lst, islice(argv, 2, None))
        c.server.dirty += len(argv) - 2
        return integer(len(lst))

    add = RList.appendleft if left else RList.append
    add_many = RList.extendleft if left else RList.extend
    return handler


lpush = command("lpush")(_fast_push(True))
rpush = command("rpush")(_fast_push(False))


@command("lpushx")
def lpushx(c, argv):
    return _push(c, argv, True, True)


@command("rpushx")
def rpushx(c, argv):
    return _push(c, argv, False, True)


# -- pop ---------------------------------------------------------------------------

def _pop(c, argv, left: bool, name: str):
    n = len(argv)
    if n > 3:
        raise CommandError("ERR wrong number of arguments for '%s' command" % name)
    count = positive_long(argv[2], _POP_COUNT) if n == 3 else None
    db = c.db
    key = argv[1]
    lst = _write(db, key)
    if lst is None:
        return c.r.null if count is None else c.r.null_array
    if count is None:
        v = lst.popleft() if left else lst.pop()
        _removed(db, key, lst)
        c.server.dirty += 1
        return bulk(v)
    if count == 0:
        return EMPTY_ARRAY
    items = _pop_n(lst, left, count)
    _removed(db, key, lst)
    c.server.dirty += len(items)
    return bulk_array(items)


def _pop_n(lst, left: bool, count: int) -> list:
    if count >= len(lst):
        items = list(lst)
        if not left:
            items.reverse()
        lst.clear()
        return items
    pop = lst.popleft if left else lst.pop
    return [pop() for _ in range(count)]


def _fast_pop(left: bool, name: str):
    def handler(c, argv):
        if len(argv) == 2:
            db = c.db
            key = argv[1]
            lst = db.data.get(key)
            if type(lst) is RList and len(lst) > 1 and not (db.expires and key in db.expires):
                v = take(lst)
                if db.watched:
                    db.touch(key)
                c.server.dirty += 1
                return bulk(v)
        return _pop(c, argv, left, name)

    take = RList.popleft if left else RList.pop
    return handler


lpop = command("lpop")(_fast_pop(True, "lpop"))
rpop = command("rpop")(_fast_pop(False, "rpop"))


# -- read / modify in place ---------------------------------------------------------------

@command("llen")
def llen(c, argv):
    lst = _read(c, argv[1])
    return ZERO if lst is None else integer(len(lst))


@command("lindex")
def lindex(c, argv):
    lst = _read(c, argv[1])
    if lst is None:
        return c.r.null
    index = parse_int(argv[2])
    n = len(lst)
    if index < 0:
        index += n
    if 0 <= index < n:
        return bulk(lst[index])
    return c.r.null


@command("lset")
def lset(c, argv):
    db = c.db
    key = argv[1]
    lst = _write(db, key)
    if lst is None:
        raise CommandError(_NO_SUCH_KEY)
    index = parse_int(argv[2])
    n = len(lst)
    if index < 0:
        index += n
    if not 0 <= index < n:
        raise CommandError(_OUT_OF_RANGE)
    lst[index] = argv[3]
    if db.watched:
        db.touch(key)
    c.server.dirty += 1
    return OK


def _range(lst, start: int, end: int):
    """The elements start..end (Redis's inclusive, negative-aware indexes),
    or None when the range is empty."""
    n = len(lst)
    lo, hi = index_bounds(n, start, end)
    if lo == hi:
        return None
    if lo == 0 and hi == n:
        return list(lst)
    if lo <= n - hi:
        return list(islice(lst, lo, hi))
    # nearer the tail: walk from there
    items = list(islice(reversed(lst), n - hi, n - lo))
    items.reverse()
    return items


@command("lrange")
def lrange(c, argv):
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    lst = _read(c, argv[1])
    if lst is None:
        return EMPTY_ARRAY
    items = _range(lst, start, end)
    return EMPTY_ARRAY if items is None else bulk_array(items)


@command("ltrim")
def ltrim(c, argv):
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    db = c.db
    key = argv[1]
    lst = _write(db, key)
    if lst is None:
        return OK
    n = len(lst)
    lo, hi = index_bounds(n, start, end)
    ltrim_n, rtrim_n = (lo, n - hi) if lo < hi else (n, 0)
    removed = ltrim_n + rtrim_n
    if removed == n:
        lst.clear()
    elif removed > n - removed:
        kept = list(islice(lst, ltrim_n, n - rtrim_n))
        lst.clear()
        lst.extend(kept)
    else:
        for _ in range(ltrim_n):
            lst.popleft()
        for _ in range(rtrim_n):
            lst.pop()
    if not lst:
        db.delete(key)
    elif db.watched:
        db.touch(key)
    c.server.dirty += removed
    return OK


@command("lrem")
def lrem(c, argv):
    toremove = parse_int(argv[2])
    db = c.db
    key = argv[1]
    lst = _write(db, key)
    if lst is None:
        return ZERO
    ele = argv[3]
    if toremove == 0:
        kept = [x for x in lst if x != ele]
        removed = len(lst) - len(kept)
    else:
        limit = toremove if toremove > 0 else -toremove
        kept = []
        removed = 0
        for x in (lst if toremove > 0 else reversed(lst)):
            if removed < limit and x == ele:
                removed += 1
            else:
                kept.append(x)
        if toremove < 0:
            kept.reverse()
    if removed:
        lst.clear()
        lst.extend(kept)
        _removed(db, key, lst)
        c.server.dirty += removed
    return integer(removed)


@command("linsert")
def linsert(c, argv):
    where = argv[2].lower()
    if where == b"after":
        after = True
    elif where == b"before":
        after = False
    else:
        raise syntax_error()
    db = c.db
    key = argv[1]
    lst = _write(db, key)
    if lst is None:
        return ZERO
    try:
        i = lst.index(argv[3])
    except ValueError:
        return NEG_ONE
    lst.insert(i + 1 if after else i, argv[4])
    if db.watched:
        db.touch(key)
    c.server.dirty += 1
    return integer(len(lst))


@command("lpos")
def lpos(c, argv):
    ele = argv[2]
    n = len(argv)
    if n == 3:
        lst = _read(c, argv[1])
        if lst is None:
            return c.r.null
        try:
            return integer(lst.index(ele))
        except ValueError:
            return c.r.null
    rank, count, maxlen = 1, -1, 0
    j = 3
    while j < n:
        opt = argv[j].lower()
        more = j + 1 < n
        if opt == b"rank" and more:
            rank = parse_int(argv[j + 1])
            if rank == 0:
                raise CommandError("ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                                   "second ... or use negative to start from the end of the list")
        elif opt == b"count" and more:
            count = positive_long(argv[j + 1], "ERR COUNT can't be negative")
        elif opt == b"maxlen" and more:
            maxlen = positive_long(argv[j + 1], "ERR MAXLEN can't be negative")
        else:
            raise syntax_error()
        j += 2
    lst = _read(c, argv[1])
    if lst is None:
        return EMPTY_ARRAY if count != -1 else c.r.null
    reverse = rank < 0
    limit = count
    if rank == INT64_MIN:
        # Redis negates LONG_MIN into itself: every match counts from the
        # first, and the COUNT test overflows so that it never stops early.
        rank, limit = 1, 0
    elif reverse:
        rank = -rank
    size = len(lst)
    it = reversed(lst) if reverse else lst
    if maxlen:
        it = islice(it, maxlen)
    matches = 0
    found = []
    for index, x in enumerate(it):
        if x == ele:
            matches += 1
            if matches >= rank:
                pos = size - index - 1 if reverse else index
                if count == -1:
                    return integer(pos)
                found.append(pos)
                if limit and len(found) >= limit:
                    break
    if count == -1:
        return c.r.null
    return array_header(len(found)) + b"".join(integer(p) for p in found)


# -- move -----------------------------------------------------------------------------------

@command("lmove")
def lmove(c, argv):
    wf_left = _where(argv[3])
    wt_left = _where(argv[4])
    return _lmove(c, argv[1], argv[2], wf_left, wt_left)


@command("rpoplpush")
def rpoplpush(c, argv):
    return _lmove(c, argv[1], argv[2], False, True)


def _lmove(c, src, dst, wf_left, wt_left):
    db = c.db
    s = _write(db, src)
    if s is None:
        return c.r.null
    return bulk(_move(c, db, src, s, dst, wf_left, wt_left))


# -- LMPOP -------------------------------------------------------------------------------------

def _mpop_from(c, db, key, lst, left: bool, count: int) -> bytes:
    """Pop up to ``count`` from ``lst``: [key, [elements]], propagated as
    [LR]POP key n."""
    items = _pop_n(lst, left, count)
    _removed(db, key, lst)
    c.server.dirty += len(items)
    c.prop = [[_LPOP if left else _RPOP, key, b"%d" % len(items)]]
    return b"*2\r\n" + bulk(key) + bulk_array(items)


@command("lmpop")
def lmpop(c, argv):
    keys, left, count = mpop_args(argv, 1, _where)
    db = c.db
    for key in keys:
        lst = _write(db, key)
        if lst:
            return _mpop_from(c, db, key, lst, left, count)
    return c.r.null_array


# -- blocking ------------------------------------------------------------------------------------

def _blocked_list(c, key):
    """The list a blocked client was woken for, if it still has elements."""
    db = c.blocked.db
    lst = db.lookup(key)
    if type(lst) is not RList or not lst:
        return None
    return lst


def _block(c, argv, keys, timeout, retry, timeout_reply):
    if len(keys) > 1:
        keys = list(dict.fromkeys(keys))
    # cmd=None: dispatch already counted this call in the command stats.
    return c.server.block(c, c.db, keys, timeout, retry, timeout_reply, None, argv)


def _bpop_from(c, db, key, lst, left: bool) -> bytes:
    """Pop one element for BLPOP/BRPOP: [key, element], propagated as [LR]POP key."""
    v = lst.popleft() if left else lst.pop()
    _removed(db, key, lst)
    c.server.dirty += 1
    c.prop = [[_LPOP if left else _RPOP, key]]
    return b"*2\r\n" + bulk(key) + bulk(v)


def _bpop(c, argv, left: bool):
    timeout = parse_timeout(argv[-1])
    db = c.db
    last = len(argv) - 1
    for i in range(1, last):
        key = argv[i]
        lst = _write(db, key)
        if lst:
            return _bpop_from(c, db, key, lst, left)
    if c.in_exec:
        return c.r.null_array

    def retry(c, key):
        lst = _blocked_list(c, key)
        if lst is None:
            return None
        return _bpop_from(c, c.blocked.db, key, lst, left)

    return _block(c, argv, argv[1:last], timeout, retry, c.r.null_array)


@command("blpop")
def blpop(c, argv):
    return _bpop(c, argv, True)


@command("brpop")
def brpop(c, argv):
    return _bpop(c, argv, False)


@command("blmpop")
def blmpop(c, argv):
    keys, left, count = mpop_args(argv, 2, _where)
    timeout = parse_timeout(argv[1])
    db = c.db
    for key in keys:
        lst = _write(db, key)
        if lst:
            return _mpop_from(c, db, key, lst, left, count)
    if c.in_exec:
        return c.r.null_array

    def retry(c, key):
        lst = _blocked_list(c, key)
        if lst is None:
            return None
        return _mpop_from(c, c.blocked.db, key, lst, left, count)

    return _block(c, argv, keys, timeout, retry, c.r.null_array)


def _bmove(c, argv, wf_left: bool, wt_left: bool, timeout: float, prop_name: bytes):
    db = c.db
    src, dst = argv[1], argv[2]
    s = _write(db, src)
    if s is not None:
        v = _move(c, db, src, s, dst, wf_left, wt_left)
        if prop_name == b"LMOVE":
            c.prop = [[b"LMOVE", src, dst, argv[3], argv[4]]]
        else:
            c.prop = [[b"RPOPLPUSH", src, dst]]
        return bulk(v)
    if c.in_exec:
        return c.r.null

    def retry(c, key):
        s = _blocked_list(c, key)
        if s is None:
            return None
        bdb = c.blocked.db
        try:
            v = _move(c, bdb, src, s, dst, wf_left, wt_left)
        except CommandError as e:
            # the destination is no list: the waiter gets the error and leaves
            c.server.count_error(e.text)
            return e.reply()
        if prop_name == b"LMOVE":
            c.prop = [[b"LMOVE", src, dst, b"LEFT" if wf_left else b"RIGHT", b"LEFT" if wt_left else b"RIGHT"]]
        else:
            c.prop = [[b"RPOPLPUSH", src, dst]]
        return bulk(v)

    # Redis answers a timed out BLMOVE with a null *array*, unlike its
    # immediate null bulk.
    return _block(c, argv, [src], timeout, retry, c.r.null_array)


@command("blmove")
def blmove(c, argv):
    wf_left = _where(argv[3])
    wt_left = _where(argv[4])
    timeout = parse_timeout(argv[5])
    return _bmove(c, argv, wf_left, wt_left, timeout, b"LMOVE")


@command("brpoplpush")
def brpoplpush(c, argv):
    timeout = parse_timeout(argv[3])
    return _bmove(c, argv, False, True, timeout, b"RPOPLPUSH")
