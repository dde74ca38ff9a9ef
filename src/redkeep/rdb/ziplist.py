"""Ziplist blobs (load only: Redis 7.0 converts them to listpacks on load
and never writes them).  Mirrors Redis's ``ziplist.c``.

Layout::

    <zlbytes u32 LE> <zltail u32 LE> <zllen u16 LE, 65535 = unknown> entry... <FF>
    entry = <prevlen: 1 byte < 254, else FE + u32 LE> <encoding> [data]
"""

from __future__ import annotations

_INT_WIDTH = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}


def decode(blob: bytes, as_bytes: bool = True) -> list:
    """The elements of a ziplist; integers as decimal bytes when ``as_bytes``.
    Raises ValueError when the blob is malformed."""
    size = len(blob)
    if size < 11 or int.from_bytes(blob[0:4], "little") != size or blob[-1] != 0xFF:
        raise ValueError("ziplist header/terminator corrupt")
    declared = blob[8] | (blob[9] << 8)
    out = []
    append = out.append
    pos = 10
    end = size - 1
    try:
        while pos < end:
            pos += 5 if blob[pos] == 0xFE else 1
            c = blob[pos]
            top = c >> 6
            if top == 0:
                s = pos + 1
                pos = s + (c & 0x3F)
                append(blob[s:pos])
            elif top == 1:
                s = pos + 2
                pos = s + (((c & 0x3F) << 8) | blob[pos + 1])
                append(blob[s:pos])
            elif top == 2:
                if c != 0x80:
                    raise ValueError("ziplist invalid string encoding")
                s = pos + 5
                pos = s + int.from_bytes(blob[pos + 1:s], "big")
                append(blob[s:pos])
            else:
                if 0xF1 <= c <= 0xFD:
                    v = (c & 0x0F) - 1
                    pos += 1
                else:
                    w = _INT_WIDTH.get(c)
                    if w is None:
                        raise ValueError("ziplist invalid int encoding")
                    s = pos + 1
                    pos = s + w
                    v = int.from_bytes(blob[s:pos], "little", signed=True)
                append(b"%d" % v if as_bytes else v)
            if pos > end:
                raise ValueError("ziplist entry overflows")
    except IndexError:
        raise ValueError("ziplist entry overflows") from None
    if pos != end or (declared != 65535 and declared != len(out)):
        raise ValueError("ziplist element count/size mismatch")
    return out
