"""Listpack blobs: the packed encoding of small lists, hashes, zsets and
stream nodes.  Mirrors Redis's ``listpack.c`` (lpEncode*, lpDecodeBacklen,
lpValidateIntegrity's light checks).

Layout::

    <total_bytes u32 LE> <num_elements u16 LE, 65535 = unknown> <entry>... <FF>
    entry = <encoding+data> <backlen: size of encoding+data, 1..5 bytes>

An element given as bytes is stored as an integer when it is the canonical
decimal text of an int64 (no sign '+', no leading zeros, not "-0"), in the
smallest of the 7-bit, 13-bit, 16/24/32/64-bit forms; otherwise as a string
with a 6-bit, 12-bit or 32-bit length.
"""

from __future__ import annotations

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
EMPTY = b"\x07\x00\x00\x00\x00\x00\xff"


def strict_int(b: bytes) -> int | None:
    """Redis's string2ll: the int64 that ``b`` is the canonical text of."""
    n = len(b)
    if n == 0 or n > 20:
        return None
    c = b[0]
    if not (48 <= c <= 57 or (c == 45 and n > 1)):
        return None
    try:
        v = int(b)
    except ValueError:
        return None
    if b"%d" % v != b or v < _INT64_MIN or v > _INT64_MAX:
        return None
    return v


def _backlen(n: int) -> bytes:
    if n <= 127:
        return bytes((n,))
    if n < 16383:
        return bytes((n >> 7, (n & 127) | 128))
    if n < 2097151:
        return bytes((n >> 14, ((n >> 7) & 127) | 128, (n & 127) | 128))
    if n < 268435455:
        return bytes((n >> 21, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128, (n & 127) | 128))
    return bytes((n >> 28, ((n >> 21) & 127) | 128, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128, (n & 127) | 128))


_SMALL_INTS = [bytes((i, 1)) for i in range(128)]


def int_entry(v: int) -> bytes:
    if 0 <= v <= 127:
        return _SMALL_INTS[v]
    if -4096 <= v <= 4095:
        u = v & 0x1FFF
        return bytes((0xC0 | (u >> 8), u & 0xFF, 2))
    if -32768 <= v <= 32767:
        return b"\xf1" + v.to_bytes(2, "little", signed=True) + b"\x03"
    if -8388608 <= v <= 8388607:
        return b"\xf2" + v.to_bytes(3, "little", signed=True) + b"\x04"
    if -2147483648 <= v <= 2147483647:
        return b"\xf3" + v.to_bytes(4, "little", signed=True) + b"\x05"
    return b"\xf4" + v.to_bytes(8, "little", signed=True) + b"\x09"


def str_entry(b: bytes) -> bytes:
    n = len(b)
    if n < 64:
        return bytes((0x80 | n,)) + b + _backlen(n + 1)
    if n < 4096:
        return bytes((0xE0 | (n >> 8), n & 0xFF)) + b + _backlen(n + 2)
    return b"\xf0" + n.to_bytes(4, "little") + b + _backlen(n + 5)


def entry(b: bytes) -> bytes:
    """The encoded entry for element ``b`` (integer form when canonical)."""
    n = len(b)
    if n <= 20 and n:
        c = b[0]
        if 48 <= c <= 57 or c == 45:
            v = strict_int(b)
            if v is not None:
                return int_entry(v)
    if n < 64:
        return bytes((0x80 | n,)) + b + (bytes((n + 1,)))
    return str_entry(b)


def pack(entries: list[bytes]) -> bytes:
    """Assemble already-encoded entries into a listpack blob."""
    body = b"".join(entries)
    count = len(entries)
    total = len(body) + 7
    return total.to_bytes(4, "little") + (count if count < 65535 else 65535).to_bytes(2, "little") + body + b"\xff"


def encode(items) -> bytes:
    """A listpack of byte-string elements."""
    return pack([entry(b) for b in items])


def decode(blob: bytes, as_bytes: bool = True) -> list:
    """The elements of a listpack.  Integers come back as canonical decimal
    bytes when ``as_bytes``, else as ``int``.  Raises ValueError when the
    blob is malformed."""
    size = len(blob)
    if size < 7 or int.from_bytes(blob[0:4], "little") != size or blob[-1] != 0xFF:
        raise ValueError("listpack header/terminator corrupt")
    declared = blob[4] | (blob[5] << 8)
    out = []
    append = out.append
    pos = 6
    end = size - 1
    try:
        while pos < end:
            c = blob[pos]
            if c < 0x80:
                append(b"%d" % c if as_bytes else c)
                pos += 2
                continue
            if c < 0xC0:
                n = c & 0x3F
                s = pos + 1
                pos = s + n
                append(blob[s:pos])
                l = n + 1
            elif c < 0xE0:
                u = ((c & 0x1F) << 8) | blob[pos + 1]
                v = u - 8192 if u >= 4096 else u
                append(b"%d" % v if as_bytes else v)
                pos += 3
                continue
            elif c < 0xF0:
                n = ((c & 0x0F) << 8) | blob[pos + 1]
                s = pos + 2
                pos = s + n
                append(blob[s:pos])
                l = n + 2
            elif c == 0xF0:
                n = int.from_bytes(blob[pos + 1:pos + 5], "little")
                s = pos + 5
                pos = s + n
                append(blob[s:pos])
                l = n + 5
            elif c <= 0xF4:
                w = (2, 3, 4, 8)[c - 0xF1]
                s = pos + 1
                v = int.from_bytes(blob[s:s + w], "little", signed=True)
                append(b"%d" % v if as_bytes else v)
                l = w + 1
                pos = s + w
            else:
                raise ValueError("listpack invalid entry encoding")
            if pos > end:
                raise ValueError("listpack entry overflows")
            pos += 1 if l <= 127 else 2 if l < 16383 else 3 if l < 2097151 else 4 if l < 268435455 else 5
    except IndexError:
        raise ValueError("listpack entry overflows") from None
    if pos != end or (declared != 65535 and declared != len(out)):
        raise ValueError("listpack element count/size mismatch")
    return out
