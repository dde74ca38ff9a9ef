"""String commands.  Mirrors Redis's ``t_string.c``.

Also home of the long double arithmetic of INCRBYFLOAT (Redis's ``string2ld``
and ``ld2string`` in util.c), exported as ``ld_parse``/``ld_round``/
``ld_format``/``ld_incr`` for HINCRBYFLOAT.

Values are ``bytes`` only: Redis's integer encoding is invisible to clients
(INCR stores the decimal text), so the keyspace holds one string type.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from fractions import Fraction

from ..errors import NOT_FLOAT, NOT_INT, SYNTAX, WRONGTYPE, CommandError
from ..resp import EMPTY_BULK, OK, ONE, ZERO, array_header, bulk, integer
from .table import command
from .util import INT64_MAX, INT64_MIN, lookup_read, wrongtype


# ---------------------------------------------------------------------------
# Shared helpers (bitops.py uses them too)
# ---------------------------------------------------------------------------

def to_int64(b: bytes):
    """Redis's string2ll: the int64 that ``b`` spells canonically (ASCII
    digits, an optional '-', no leading zero, no '+', spaces or '_' that
    int() would take), else None."""
    if b.isdigit():  # bytes: ASCII digits only
        if len(b) > 19 or (b[0] == 48 and len(b) > 1):
            return None
        n = int(b)
        return n if len(b) < 19 or n <= INT64_MAX else None
    if b[:1] == b"-" and len(b) <= 20 and b[1:].isdigit() and b[1] != 48:
        n = int(b)
        return n if n >= INT64_MIN else None
    return None


def int_arg(b: bytes) -> int:
    n = to_int64(b)
    if n is None:
        raise CommandError(NOT_INT)
    return n


def string_range(start: int, end: int, total: int) -> tuple[int, int]:
    """GETRANGE/BITCOUNT/BITPOS index sanitising: negatives count from the
    end and stop at 0, ``end`` stops at the last index; start > end is empty."""
    if start < 0:
        start = max(total + start, 0)
    if end < 0:
        end = max(total + end, 0)
    if end >= total:
        end = total - 1
    return start, end


def check_string_length(c, size: int, append: int) -> None:
    """checkStringLength: a string may not grow past proto-max-bulk-len
    (the master's stream is trusted, as Redis's mustObeyClient)."""
    if size + append > c.server.proto_max_bulk_len and not c.is_master:
        raise CommandError("ERR string exceeds maximum allowed size (proto-max-bulk-len)")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# ---------------------------------------------------------------------------
# GET / SET family
# ---------------------------------------------------------------------------

@command("get")
def get(c, argv):
    db = c.db
    v = db.data.get(argv[1])
    if v is None or (db.expires and argv[1] in db.expires):
        v = db.lookup(argv[1])
        if v is None:
            c.server.stat_keyspace_misses += 1
            return c.r.null
    c.server.stat_keyspace_hits += 1
    if type(v) is not bytes:
        raise CommandError(WRONGTYPE)
    return bulk(v)


# Option flags of SET/GETEX, as Redis's OBJ_* flags.
NX, XX, EX, PX, KEEPTTL, GET, EXAT, PXAT, PERSIST = 1, 2, 4, 8, 16, 32, 64, 128, 256
_ANY_EXPIRE = EX | PX | EXAT | PXAT
_EXPIRE_OPTS = {b"ex": EX, b"px": PX, b"exat": EXAT, b"pxat": PXAT}


def _parse_extended(argv, j: int, is_set: bool):
    """parseExtendedStringArgumentsOrReply: (flags, expire argument or None).

    Conflicting options are a syntax error, but the same expire option may
    repeat (the last value wins), as in Redis."""
    flags = 0
    expire = None
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        if opt == b"nx" and is_set and not flags & XX:
            flags |= NX
        elif opt == b"xx" and is_set and not flags & NX:
            flags |= XX
        elif opt == b"get" and is_set:
            flags |= GET
        elif opt == b"keepttl" and is_set and not flags & (PERSIST | _ANY_EXPIRE):
            flags |= KEEPTTL
        elif opt == b"persist" and not is_set and not flags & (KEEPTTL | _ANY_EXPIRE):
            flags |= PERSIST
        else:
            f = _EXPIRE_OPTS.get(opt)
            if f is None or j + 1 >= n or flags & (KEEPTTL | PERSIST | (_ANY_EXPIRE & ~f)):
                raise CommandError(SYNTAX)
            flags |= f
            j += 1
            expire = argv[j]
        j += 1
    return flags, expire


def _expire_ms(arg: bytes, flags: int, name: str) -> int:
    """getExpireMillisecondsOrReply: the absolute unix time in ms."""
    ms = int_arg(arg)
    seconds = flags & (EX | EXAT)
    if ms <= 0 or (seconds and ms > INT64_MAX // 1000):
        raise CommandError("ERR invalid expire time in '%s' command" % name)
    if seconds:
        ms *= 1000
    if flags & (EX | PX):
        ms += _now_ms()
        if ms > INT64_MAX:  # Redis's signed addition wraps negative
            raise CommandError("ERR invalid expire time in '%s' command" % name)
    return ms


def _set_generic(c, argv, flags, key, val, expire, name, ok_reply, abort_reply):
    """setGenericCommand: SET and its variants SETNX, SETEX, PSETEX."""
    ms = _expire_ms(expire, flags, name) if expire is not None else 0
    db = c.db
    reply = None
    if flags & GET:
        old = lookup_read(c, key)
        if old is None:
            reply = c.r.null
        elif type(old) is not bytes:
            raise wrongtype()
        else:
            reply = bulk(old)
        found = old is not None
    else:
        found = db.lookup(key) is not None
    if (flags & NX and found) or (flags & XX and not found):
        return reply if flags & GET else abort_reply
    db.set(key, val, flags & KEEPTTL)
    c.server.dirty += 1
    if expire is not None:
        db.set_expire(key, ms)
        # Replicas and the AOF must expire the key at the same instant.
        c.prop = [[b"SET", key, val, b"PXAT", b"%d" % ms]]
    elif flags & GET:
        c.prop = [[a for i, a in enumerate(argv) if i < 3 or a.lower() != b"get"]]
    return reply if flags & GET else ok_reply


@command("set")
def set_(c, argv):
    if len(argv) == 3:
        c.db.set(argv[1], argv[2])
        c.server.dirty += 1
        return OK
    flags, expire = _parse_extended(argv, 3, True)
    return _set_generic(c, argv, flags, argv[1], argv[2], expire, "set", OK, c.r.null)


@command("setnx")
def setnx(c, argv):
    return _set_generic(c, argv, NX, argv[1], argv[2], None, "setnx", ONE, ZERO)


@command("setex")
def setex(c, argv):
    return _set_generic(c, argv, EX, argv[1], argv[3], argv[2], "setex", OK, c.r.null)


@command("psetex")
def psetex(c, argv):
    return _set_generic(c, argv, PX, argv[1], argv[3], argv[2], "psetex", OK, c.r.null)


def _get_string(c, key):
    """getGenericCommand's lookup: the value (bytes) or None."""
    v = lookup_read(c, key)
    if v is not None and type(v) is not bytes:
        raise wrongtype()
    return v


@command("getex")
def getex(c, argv):
    flags, expire = _parse_extended(argv, 2, False)
    key = argv[1]
    v = _get_string(c, key)
    if v is None:
        return c.r.null
    ms = _expire_ms(expire, flags, "getex") if expire is not None else 0
    reply = bulk(v)
    db = c.db
    srv = c.server
    if (flags & (EXAT | PXAT) and ms <= _now_ms() and not srv.loading
            and srv.replica_of is None):
        # checkAlreadyExpired: a time in the past deletes at once.
        db.delete(key)
        c.prop = [[b"UNLINK" if srv.config["lazyfree-lazy-expire"] else b"DEL", key]]
        srv.dirty += 1
    elif expire is not None:
        db.set_expire(key, ms)
        db.touch(key)
        c.prop = [[b"PEXPIREAT", key, b"%d" % ms]]
        srv.dirty += 1
    elif flags & PERSIST:
        if db.remove_expire(key):
            db.touch(key)
            c.prop = [[b"PERSIST", key]]
            srv.dirty += 1
    return reply


@command("getdel")
def getdel(c, argv):
    key = argv[1]
    v = _get_string(c, key)
    if v is None:
        return c.r.null
    srv = c.server
    if c.db.delete(key):
        c.prop = [[b"UNLINK" if srv.config["lazyfree-lazy-user-del"] else b"DEL", key]]
        srv.dirty += 1
    return bulk(v)


@command("getset")
def getset(c, argv):
    key = argv[1]
    v = _get_string(c, key)
    c.db.set(key, argv[2])
    c.server.dirty += 1
    c.prop = [[b"SET", key, argv[2]]]
    return c.r.null if v is None else bulk(v)


@command("mget")
def mget(c, argv):
    db = c.db
    data = db.data
    expires = db.expires
    null = c.r.null
    out = [array_header(len(argv) - 1)]
    hits = 0
    for key in argv[1:]:
        v = db.lookup(key) if expires else data.get(key)
        if v is None:
            out.append(null)
            continue
        hits += 1
        out.append(bulk(v) if type(v) is bytes else null)
    srv = c.server
    srv.stat_keyspace_hits += hits
    srv.stat_keyspace_misses += len(argv) - 1 - hits
    return b"".join(out)


def _check_mset_arity(argv, name):
    if len(argv) % 2 == 0:
        raise CommandError("ERR wrong number of arguments for '%s' command" % name)


@command("mset")
def mset(c, argv):
    _check_mset_arity(argv, "mset")
    db = c.db
    if db.snap is None and db.scan_slots is None and not db.watched and not db.expires:
        # Nothing to preserve, index, touch or unexpire: one C-level update
        # (later pairs win, as with successive setKey calls).
        db.data.update(zip(argv[1::2], argv[2::2]))
    else:
        dbset = db.set
        for i in range(1, len(argv), 2):
            dbset(argv[i], argv[i + 1])
    c.server.dirty += (len(argv) - 1) // 2
    return OK


@command("msetnx")
def msetnx(c, argv):
    _check_mset_arity(argv, "msetnx")
    db = c.db
    for i in range(1, len(argv), 2):
        if db.lookup(argv[i]) is not None:
            return ZERO
    for i in range(1, len(argv), 2):
        db.set(argv[i], argv[i + 1])
    c.server.dirty += (len(argv) - 1) // 2
    return ONE


# ---------------------------------------------------------------------------
# In-place edits
# ---------------------------------------------------------------------------

@command("append")
def append(c, argv):
    db = c.db
    key = argv[1]
    v = db.lookup(key)
    if v is None:
        new = argv[2]
    else:
        if type(v) is not bytes:
            raise wrongtype()
        check_string_length(c, len(v), len(argv[2]))
        new = v + argv[2]
    db.set(key, new, True)
    c.server.dirty += 1
    return integer(len(new))


@command("strlen")
def strlen(c, argv):
    v = lookup_read(c, argv[1])
    if v is None:
        return ZERO
    if type(v) is not bytes:
        raise wrongtype()
    return integer(len(v))


@command("setrange")
def setrange(c, argv):
    offset = int_arg(argv[2])
    if offset < 0:
        raise CommandError("ERR offset is out of range")
    value = argv[3]
    db = c.db
    key = argv[1]
    v = db.lookup(key)
    if v is None:
        if not value:
            return ZERO
        check_string_length(c, offset, len(value))
        v = b""
    else:
        if type(v) is not bytes:
            raise wrongtype()
        if not value:
            return integer(len(v))
        check_string_length(c, offset, len(value))
    end = offset + len(value)
    if offset <= len(v):
        new = v[:offset] + value + v[end:]
    else:
        new = v + bytes(offset - len(v)) + value
    db.set(key, new, True)
    c.server.dirty += 1
    return integer(len(new))


@command("getrange")
def getrange(c, argv):
    start = int_arg(argv[2])
    end = int_arg(argv[3])
    v = lookup_read(c, argv[1])
    if v is None:
        return EMPTY_BULK
    if type(v) is not bytes:
        raise wrongtype()
    n = len(v)
    if start < 0 and end < 0 and start > end:
        return EMPTY_BULK
    start, end = string_range(start, end, n)
    if start > end or n == 0:
        return EMPTY_BULK
    return bulk(v[start:end + 1])


command("substr")(getrange)


# ---------------------------------------------------------------------------
# Counters
# ---------------------------------------------------------------------------

def _incr(c, key: bytes, incr: int) -> bytes:
    """incrDecrCommand.  The TTL survives (Redis overwrites the value only)."""
    db = c.db
    v = db.lookup(key)
    if v is None:
        cur = 0
    else:
        if type(v) is not bytes:
            raise wrongtype()
        cur = to_int64(v)
        if cur is None:
            raise CommandError(NOT_INT)
    new = cur + incr
    if new > INT64_MAX or new < INT64_MIN:
        raise CommandError("ERR increment or decrement would overflow")
    db.set(key, b"%d" % new, True)
    c.server.dirty += 1
    return integer(new)


def _incr_fast(c, key: bytes, incr: int):
    """INCR/DECR of a plain canonical integer without a TTL, inline; None
    sends the caller down ``_incr`` (missing keys, TTLs, errors, snapshots,
    SCAN and WATCH bookkeeping)."""
    db = c.db
    v = db.data.get(key)
    if (type(v) is not bytes or db.snap is not None or db.watched or db.scan_slots is not None
            or (db.expires and key in db.expires)):
        return None
    cur = to_int64(v)
    if cur is None:
        return None
    new = cur + incr
    if new > INT64_MAX or new < INT64_MIN:
        return None
    s = b"%d" % new
    db.data[key] = s
    c.server.dirty += 1
    return b":" + s + b"\r\n"


@command("incr")
def incr(c, argv):
    return _incr_fast(c, argv[1], 1) or _incr(c, argv[1], 1)


@command("decr")
def decr(c, argv):
    return _incr_fast(c, argv[1], -1) or _incr(c, argv[1], -1)


@command("incrby")
def incrby(c, argv):
    return _incr(c, argv[1], int_arg(argv[2]))


@command("decrby")
def decrby(c, argv):
    n = int_arg(argv[2])
    if n == INT64_MIN:
        raise CommandError("ERR decrement would overflow")
    return _incr(c, argv[1], -n)


# -- long double (x87 80-bit extended), emulated exactly ----------------------
# Redis parses with strtold, adds in long double and prints with "%.17Lf";
# Python floats would give different digits (10.5 + 0.1 must read "10.6").
# Values are exact Fractions rounded like the x87 format: 64-bit significand,
# round-half-even, normal exponents down to -16382, subnormals to 2**-16445.

_LD_MANT = 64
_LD_MIN_EXP = -16445        # the quantum of subnormals
_LD_OVERFLOW_BITS = 16384   # values >= 2**16384 are infinite
LD_MAX_CHARS = 5 * 1024     # MAX_LONG_DOUBLE_CHARS
LD_INF = "inf"

_LD_RE = re.compile(
    rb"([+-]?)(?:"
    rb"(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?"                              # decimal
    rb"|0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?"      # hex
    rb"|([iI][nN][fF](?:[iI][nN][iI][tT][yY])?)"                          # inf
    rb"|([nN][aA][nN](?:\([0-9A-Za-z_]*\))?))")                           # nan


def ld_round(x: Fraction):
    """Round a Fraction to the nearest long double: a Fraction, or LD_INF
    (with the sign of x) on overflow.  Underflow gives Fraction(0)."""
    if x == 0:
        return Fraction(0)
    neg = x < 0
    p, q = (-x.numerator if neg else x.numerator), x.denominator
    k = p.bit_length() - q.bit_length()
    if k >= 0:
        fl = k if p >= q << k else k - 1
    else:
        fl = k if p << -k >= q else k - 1
    e = max(fl - (_LD_MANT - 1), _LD_MIN_EXP)
    if e >= 0:
        num, den = p, q << e
    else:
        num, den = p << -e, q
    m, r = divmod(num, den)
    r2 = r << 1
    if r2 > den or (r2 == den and m & 1):
        m += 1
    if m == 0:
        return Fraction(0)
    if m.bit_length() + e > _LD_OVERFLOW_BITS:
        return "-inf" if neg else LD_INF
    v = Fraction(m << e) if e >= 0 else Fraction(m, 1 << -e)
    return -v if neg else v


_ld_round = ld_round  # the name t_hash imports


def _bounded_exp(digits: bytes | None) -> int:
    if not digits:
        return 0
    neg = digits[:1] == b"-"
    d = digits.lstrip(b"+-").lstrip(b"0") or b"0"
    if len(d) > 12:  # far beyond any long double: saturate
        d = b"9" * 12
    return -int(d) if neg else int(d)


def ld_parse(b: bytes):
    """string2ld: a Fraction, LD_INF/'-inf', or None when not a valid float
    (bad syntax, nan, overflow, or a non-zero value that underflows to 0)."""
    if not b or len(b) >= LD_MAX_CHARS:
        return None
    m = _LD_RE.fullmatch(b)
    if m is None:
        return None
    sign, ip, fp, ex, hi, hf, hx, inf, nan = m.groups()
    neg = sign == b"-"
    if inf:
        return "-inf" if neg else LD_INF
    if nan:
        return None
    if hi is not None:
        hf = hf or b""
        if not hi and not hf:
            return None
        mant = int((hi + hf) or b"0", 16)
        if mant == 0:
            return Fraction(0)
        e2 = _bounded_exp(hx) - 4 * len(hf)
        top = mant.bit_length() + e2
        if top > _LD_OVERFLOW_BITS + 1:
            return None
        if top < _LD_MIN_EXP - 1:
            return None
        x = Fraction(mant << e2) if e2 >= 0 else Fraction(mant, 1 << -e2)
    else:
        fp = fp or b""
        if not ip and not fp:
            return None
        digits = (ip + fp).lstrip(b"0")
        if not digits:
            return Fraction(0)
        e10 = _bounded_exp(ex) - len(fp)
        adjusted = len(digits) - 1 + e10  # exponent of the leading digit
        if adjusted > 4933:
            return None
        if adjusted < -4953:
            return None
        x = Fraction(Decimal(digits.decode() + "E" + str(e10)))
    x = ld_round(-x if neg else x)
    if type(x) is str or x == 0:
        return None  # ERANGE: overflow, or underflow to zero
    return x


def ld_format(x: Fraction) -> bytes:
    """ld2string(LD_STR_HUMAN): "%.17Lf" without trailing zeros, "-0" -> "0"."""
    if x == 0:
        return b"0"
    neg = x < 0
    p, q = abs(x.numerator), x.denominator
    num = p * 10 ** 17
    n, r = divmod(num, q)
    r2 = r << 1
    if r2 > q or (r2 == q and n & 1):
        n += 1
    s = str(Decimal(n)).rjust(18, "0")
    ipart, fpart = s[:-17], s[-17:].rstrip("0")
    out = ipart + "." + fpart if fpart else ipart
    if neg and out != "0":
        out = "-" + out
    return out.encode()


def ld_incr(cur: bytes | None, incr: bytes) -> bytes:
    """cur + incr in long double, formatted; raises Redis's errors."""
    a = Fraction(0) if cur is None else ld_parse(cur)
    if a is None:
        raise CommandError(NOT_FLOAT)
    b = ld_parse(incr)
    if b is None:
        raise CommandError(NOT_FLOAT)
    if type(a) is str or type(b) is str:
        raise CommandError("ERR increment would produce NaN or Infinity")
    s = ld_round(a + b)
    if type(s) is str:
        raise CommandError("ERR increment would produce NaN or Infinity")
    return ld_format(s)


@command("incrbyfloat")
def incrbyfloat(c, argv):
    db = c.db
    key = argv[1]
    v = db.lookup(key)
    if v is not None and type(v) is not bytes:
        raise wrongtype()
    new = ld_incr(v, argv[2])
    db.set(key, new, True)
    c.server.dirty += 1
    # Replicas and the AOF get the result, never a float addition to redo.
    c.prop = [[b"SET", key, new, b"KEEPTTL"]]
    return bulk(new)


# ---------------------------------------------------------------------------
# LCS
# ---------------------------------------------------------------------------

def lcs_rows(a: bytes, b: bytes) -> list:
    """Bit-parallel LCS table (Hyyrö): rows[i] has a 0 bit at position t for
    every t where LCS(a[:i], b[:t+1]) > LCS(a[:i], b[:t]), so
    LCS(i, j) = j - popcount(rows[i] & (2**j - 1)).  O(len(a)*len(b)/64)."""
    full = (1 << len(b)) - 1
    masks: dict = {}
    for t, ch in enumerate(b):
        masks[ch] = masks.get(ch, 0) | (1 << t)
    v = full
    rows = [v]
    for ch in a:
        u = v & masks.get(ch, 0)
        v = ((v + u) | (v - u)) & full
        rows.append(v)
    return rows


@command("lcs")
def lcs(c, argv):
    a = lookup_read(c, argv[1])
    b = lookup_read(c, argv[2])
    if (a is not None and type(a) is not bytes) or (b is not None and type(b) is not bytes):
        raise CommandError("ERR The specified keys must contain string values")
    a = a or b""
    b = b or b""
    getlen = getidx = withmatchlen = False
    minmatchlen = 0
    j = 3
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        if opt == b"idx":
            getidx = True
        elif opt == b"len":
            getlen = True
        elif opt == b"withmatchlen":
            withmatchlen = True
        elif opt == b"minmatchlen" and j + 1 < n:
            minmatchlen = max(int_arg(argv[j + 1]), 0)
            j += 1
        else:
            raise CommandError(SYNTAX)
        j += 1
    if getlen and getidx:
        raise CommandError("ERR If you want both the length and indexes, please just use IDX.")
    alen, blen = len(a), len(b)
    if (alen + 1) * (blen + 1) * 4 > c.server.proto_max_bulk_len:
        raise CommandError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    rows = lcs_rows(a, b)
    total = blen - rows[alen].bit_count()
    if getlen:
        return integer(total)
    return _lcs_walk(c, a, b, rows, total, getidx, minmatchlen, withmatchlen)


def _lcs_walk(c, a, b, rows, total, getidx, minmatchlen, withmatchlen):
    """Walk the table back from (alen, blen) as Redis does, choosing the same
    path on ties, collecting the LCS and the matching ranges."""
    alen, blen = len(a), len(b)

    def L(i, j):
        return j - (rows[i] & ((1 << j) - 1)).bit_count()

    out = bytearray(total)
    idx = total
    ranges = []
    astart = alen  # alen: no range open
    aend = bstart = bend = 0
    i, j = alen, blen
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            out[idx - 1] = a[i - 1]
            if astart == alen:
                astart = aend = i - 1
                bstart = bend = j - 1
            elif astart == i and bstart == j:
                astart -= 1
                bstart -= 1
            else:
                emit = True
            if astart == 0 or bstart == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if L(i - 1, j) > L(i, j - 1):
                i -= 1
            else:
                j -= 1
            if astart != alen:
                emit = True
        if emit:
            mlen = aend - astart + 1
            if minmatchlen == 0 or mlen >= minmatchlen:
                ranges.append((astart, aend, bstart, bend, mlen))
            astart = alen
    if not getidx:
        return bulk(bytes(out))
    parts = [c.r.map_header(2), bulk(b"matches"), array_header(len(ranges))]
    for a0, a1, b0, b1, mlen in ranges:
        parts.append(array_header(3 if withmatchlen else 2))
        parts.append(b"*2\r\n" + integer(a0) + integer(a1))
        parts.append(b"*2\r\n" + integer(b0) + integer(b1))
        if withmatchlen:
            parts.append(integer(mlen))
    parts.append(bulk(b"len"))
    parts.append(integer(total))
    return b"".join(parts)
