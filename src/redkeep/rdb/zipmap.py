"""Zipmap blobs (load only: very old small hashes, RDB type 9).  Mirrors
Redis's ``zipmap.c``.

Layout::

    <zmlen: 1 byte, count if < 254> { <len> key <len> <free: 1 byte> value <free bytes> }... <FF>
    len = 1 byte if < 254; 254 followed by u32 LE; 255 is the end marker
"""

from __future__ import annotations


def decode(blob: bytes) -> list[tuple[bytes, bytes]]:
    """The (key, value) pairs.  Raises ValueError when malformed."""
    out = []
    pos = 1
    try:
        while True:
            c = blob[pos]
            if c == 0xFF:
                break
            if c == 0xFE:
                klen = int.from_bytes(blob[pos + 1:pos + 5], "little")
                pos += 5
            else:
                klen = c
                pos += 1
            key = blob[pos:pos + klen]
            pos += klen
            c = blob[pos]
            if c == 0xFE:
                vlen = int.from_bytes(blob[pos + 1:pos + 5], "little")
                pos += 5
            elif c == 0xFF:
                raise ValueError("zipmap truncated entry")
            else:
                vlen = c
                pos += 1
            free = blob[pos]
            pos += 1
            value = blob[pos:pos + vlen]
            pos += vlen + free
            if pos >= len(blob):
                raise ValueError("zipmap entry overflows")
            out.append((key, value))
    except IndexError:
        raise ValueError("zipmap entry overflows") from None
    if pos != len(blob) - 1:
        raise ValueError("zipmap trailing bytes")
    if blob[0] < 254 and blob[0] != len(out):
        raise ValueError("zipmap count mismatch")
    return out
