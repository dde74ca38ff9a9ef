"""Bit commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD(_RO).

Mirrors Redis's ``bitops.c``.  Strings stay immutable ``bytes``; a write
builds the new value by slicing (an O(n) copy, like Redis's sdsgrowzero when
it grows).  Bit 0 is the most significant bit of byte 0, so a string read as
a big-endian integer lines bits up with Python's shifts.
"""

from __future__ import annotations

from ..errors import NOT_INT, SYNTAX, CommandError
from ..resp import NEG_ONE, ONE, ZERO, array_header, integer
from .t_string import int_arg, string_range, to_int64
from .table import command
from .util import lookup_read, wrongtype

_BIT_OFFSET_ERR = "ERR bit offset is not an integer or out of range"


def _bit_offset(c, arg: bytes, hash_ok: bool = False, bits: int = 0) -> int:
    """getBitOffsetFromArgument: "#N" (BITFIELD) counts in units of the type
    width; offsets stop at proto-max-bulk-len bytes."""
    usehash = hash_ok and bits > 0 and arg[:1] == b"#"
    n = to_int64(arg[1:] if usehash else arg)
    if n is None:
        raise CommandError(_BIT_OFFSET_ERR)
    if usehash:
        # Redis multiplies in int64: an overflow wraps (and usually fails below).
        n = ((n * bits + (1 << 63)) & ((1 << 64) - 1)) - (1 << 63)
    if n < 0 or ((n >> 3) >= c.server.proto_max_bulk_len and not c.is_master):
        raise CommandError(_BIT_OFFSET_ERR)
    return n


def _string_for_write(c, key: bytes, maxbit: int):
    """lookupStringForBitCommand: (value zero-padded to hold ``maxbit``,
    grown?).  The value is not stored yet."""
    v = c.db.lookup(key)
    need = (maxbit >> 3) + 1
    if v is None:
        return bytes(need), True
    if type(v) is not bytes:
        raise wrongtype()
    if len(v) < need:
        return v + bytes(need - len(v)), True
    return v, False


@command("setbit")
def setbit(c, argv):
    offset = _bit_offset(c, argv[2])
    on = to_int64(argv[3])
    if on is None or on & ~1:
        raise CommandError("ERR bit is not an integer or out of range")
    key = argv[1]
    v, grown = _string_for_write(c, key, offset)
    byte = offset >> 3
    mask = 0x80 >> (offset & 7)
    old = v[byte]
    oldbit = 1 if old & mask else 0
    if grown or oldbit != on:
        new = (old | mask) if on else (old & ~mask)
        c.db.set(key, v[:byte] + bytes((new,)) + v[byte + 1:], True)
        c.server.dirty += 1
    return ONE if oldbit else ZERO


@command("getbit")
def getbit(c, argv):
    offset = _bit_offset(c, argv[2])
    v = lookup_read(c, argv[1])
    if v is None:
        return ZERO
    if type(v) is not bytes:
        raise wrongtype()
    byte = offset >> 3
    if byte < len(v) and v[byte] & (0x80 >> (offset & 7)):
        return ONE
    return ZERO


def _range_keyword(arg: bytes) -> bool:
    """True for BIT, False for BYTE."""
    low = arg.lower()
    if low == b"bit":
        return True
    if low == b"byte":
        return False
    raise CommandError(SYNTAX)


def _bits(v: bytes, sbit: int, ebit: int) -> tuple[int, int]:
    """Bits sbit..ebit (inclusive) of v as (integer, width), first bit highest."""
    sbyte, ebyte = sbit >> 3, ebit >> 3
    x = int.from_bytes(v[sbyte:ebyte + 1], "big")
    x >>= 7 - (ebit & 7)
    width = ebit - sbit + 1
    return x & ((1 << width) - 1), width


@command("bitcount")
def bitcount(c, argv):
    v = lookup_read(c, argv[1])
    if v is None:
        return ZERO
    if type(v) is not bytes:
        raise wrongtype()
    n = len(argv)
    if n == 2:
        return integer(int.from_bytes(v, "big").bit_count())
    if n not in (4, 5):
        raise CommandError(SYNTAX)
    start = int_arg(argv[2])
    end = int_arg(argv[3])
    if start < 0 and end < 0 and start > end:
        return ZERO
    isbit = _range_keyword(argv[4]) if n == 5 else False
    start, end = string_range(start, end, len(v) * 8 if isbit else len(v))
    if start > end:
        return ZERO
    if not isbit:
        return integer(int.from_bytes(v[start:end + 1], "big").bit_count())
    x, _ = _bits(v, start, end)
    return integer(x.bit_count())


@command("bitpos")
def bitpos(c, argv):
    bit = to_int64(argv[2])
    if bit is None:
        raise CommandError(NOT_INT)
    if bit != 0 and bit != 1:
        raise CommandError("ERR The bit argument must be 1 or 0.")
    v = lookup_read(c, argv[1])
    if v is None:
        # A missing key is an infinite run of zeros.
        return NEG_ONE if bit else ZERO
    if type(v) is not bytes:
        raise wrongtype()
    n = len(argv)
    isbit = False
    end_given = n >= 5
    if n == 3:
        start, end = 0, len(v) - 1
    elif n <= 6:
        start = int_arg(argv[3])
        if n == 6:
            isbit = _range_keyword(argv[5])
        total = len(v)
        if end_given:
            end = int_arg(argv[4])
        else:
            end = total - 1
        if isbit:
            total <<= 3
        start, end = string_range(start, end, total)
    else:
        raise CommandError(SYNTAX)
    if start > end:
        return NEG_ONE
    if isbit:
        sbit, ebit = start, end
    else:
        sbit, ebit = start << 3, (end << 3) + 7
    x, width = _bits(v, sbit, ebit)
    if bit == 0:
        x ^= (1 << width) - 1
    if x:
        return integer(sbit + width - x.bit_length())
    # Not found.  Looking for a clear bit without an explicit end, the string
    # is taken as zero-padded on the right: the answer is the bit past it.
    if bit == 0 and not end_given:
        return integer(ebit + 1)
    return NEG_ONE


@command("bitop")
def bitop(c, argv):
    op = argv[1].lower()
    if op not in (b"and", b"or", b"xor", b"not"):
        raise CommandError(SYNTAX)
    if op == b"not" and len(argv) != 4:
        raise CommandError("ERR BITOP NOT must be called with a single source key.")
    srcs = []
    for key in argv[3:]:
        v = lookup_read(c, key)
        if v is None:
            srcs.append(b"")
        elif type(v) is not bytes:
            raise wrongtype()
        else:
            srcs.append(v)
    maxlen = max(len(s) for s in srcs)
    db = c.db
    target = argv[2]
    if maxlen:
        # Missing keys and shorter strings count as zero bytes on the right.
        nums = [int.from_bytes(s, "big") << ((maxlen - len(s)) << 3) for s in srcs]
        res = nums[0]
        if op == b"and":
            for x in nums[1:]:
                res &= x
        elif op == b"or":
            for x in nums[1:]:
                res |= x
        elif op == b"xor":
            for x in nums[1:]:
                res ^= x
        else:
            res ^= (1 << (maxlen << 3)) - 1
        db.set(target, res.to_bytes(maxlen, "big"))
        c.server.dirty += 1
    elif db.delete(target):
        c.server.dirty += 1
    return integer(maxlen)


# -- BITFIELD ------------------------------------------------------------------

_TYPE_ERR = ("ERR Invalid bitfield type. Use something like i16 u8. "
             "Note that u64 is not supported but i64 is.")
_GET, _SET, _INCRBY = 0, 1, 2
_WRAP, _SAT, _FAIL = 0, 1, 2
_OVERFLOW = {b"wrap": _WRAP, b"sat": _SAT, b"fail": _FAIL}


def _bitfield_type(arg: bytes) -> tuple[bool, int]:
    """getBitfieldTypeFromArgument: (signed, bits)."""
    t = arg[:1]
    if t == b"i":
        signed = True
    elif t == b"u":
        signed = False
    else:
        raise CommandError(_TYPE_ERR)
    bits = to_int64(arg[1:])
    if bits is None or bits < 1 or bits > (64 if signed else 63):
        raise CommandError(_TYPE_ERR)
    return signed, bits


def _get_field(v: bytes, offset: int, bits: int, signed: bool) -> int:
    """The field at ``offset``; bits past the end of v read as zero."""
    byte = offset >> 3
    chunk = v[byte:byte + 9]
    x = int.from_bytes(chunk, "big") << ((9 - len(chunk)) << 3)
    x = (x >> (72 - (offset & 7) - bits)) & ((1 << bits) - 1)
    if signed and x >> (bits - 1):
        x -= 1 << bits
    return x


def _set_field(buf: bytearray, offset: int, bits: int, value: int) -> None:
    byte = offset >> 3
    last = (offset + bits - 1) >> 3
    n = last - byte + 1
    x = int.from_bytes(buf[byte:last + 1], "big")
    shift = (n << 3) - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    x = (x & ~mask) | ((value << shift) & mask)
    buf[byte:last + 1] = x.to_bytes(n, "big")


def _overflow(value: int, lo: int, hi: int, bits: int, signed: bool, owtype: int):
    """check{Signed,Unsigned}BitfieldOverflow on an exact sum: (overflowed,
    value to store)."""
    if lo <= value <= hi:
        return False, value
    if owtype == _SAT:
        return True, hi if value > hi else lo
    value &= (1 << bits) - 1  # WRAP (FAIL stores nothing)
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return True, value


def _bitfield(c, argv, readonly_cmd: bool):
    ops = []
    owtype = _WRAP
    readonly = True
    highest = 0
    n = len(argv)
    j = 2
    while j < n:
        rem = n - j - 1
        sub = argv[j].lower()
        if sub == b"get" and rem >= 2:
            opcode = _GET
        elif sub == b"set" and rem >= 3:
            opcode = _SET
        elif sub == b"incrby" and rem >= 3:
            opcode = _INCRBY
        elif sub == b"overflow" and rem >= 1:
            owtype = _OVERFLOW.get(argv[j + 1].lower())
            if owtype is None:
                raise CommandError("ERR Invalid OVERFLOW type specified")
            j += 2
            continue
        else:
            raise CommandError(SYNTAX)
        signed, bits = _bitfield_type(argv[j + 1])
        offset = _bit_offset(c, argv[j + 2], True, bits)
        arg = 0
        if opcode != _GET:
            readonly = False
            highest = max(highest, offset + bits - 1)
            arg = int_arg(argv[j + 3])
        ops.append((opcode, signed, bits, offset, arg, owtype))
        j += 4 if opcode != _GET else 3

    key = argv[1]
    if readonly:
        v = lookup_read(c, key)
        if v is not None and type(v) is not bytes:
            raise wrongtype()
        v = v or b""
        out = [array_header(len(ops))]
        for _, signed, bits, offset, _, _ in ops:
            out.append(integer(_get_field(v, offset, bits, signed)))
        return b"".join(out)
    if readonly_cmd:
        raise CommandError("ERR BITFIELD_RO only supports the GET subcommand")

    v, grown = _string_for_write(c, key, highest)
    buf = bytearray(v)
    out = [array_header(len(ops))]
    changes = 0
    null = c.r.null
    for opcode, signed, bits, offset, arg, ow in ops:
        if opcode == _GET:
            out.append(integer(_get_field(buf, offset, bits, signed)))
            continue
        old = _get_field(buf, offset, bits, signed)
        if signed:
            hi = (1 << (bits - 1)) - 1
            lo = -hi - 1
        else:
            hi = (1 << bits) - 1
            lo = 0
        if opcode == _INCRBY:
            overflowed, new = _overflow(old + arg, lo, hi, bits, signed, ow)
            ret = new
        else:
            if not signed:
                arg &= (1 << 64) - 1  # the C code reads the value as uint64
            overflowed, new = _overflow(arg, lo, hi, bits, signed, ow)
            ret = old
        if overflowed and ow == _FAIL:
            out.append(null)
            continue
        out.append(integer(ret))
        _set_field(buf, offset, bits, new)
        if grown or old != new:
            changes += 1
    # The key is created (or grown) even if every write failed, as in Redis.
    if grown or changes:
        c.db.set(key, bytes(buf), True)
    if changes:
        c.server.dirty += changes
    return b"".join(out)


@command("bitfield")
def bitfield(c, argv):
    return _bitfield(c, argv, False)


@command("bitfield_ro")
def bitfield_ro(c, argv):
    return _bitfield(c, argv, True)
