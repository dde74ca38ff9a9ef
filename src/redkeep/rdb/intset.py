"""Intset blobs: sorted unique integers of one width.  Mirrors Redis's
``intset.c``.

Layout::

    <encoding u32 LE: 2, 4 or 8> <length u32 LE> <length x int, LE, ascending>

The width is the smallest that fits every member.
"""

from __future__ import annotations

import struct


def encode(values: list[int]) -> bytes:
    """``values`` must be sorted ascending and unique."""
    if values:
        lo, hi = values[0], values[-1]
        if -32768 <= lo and hi <= 32767:
            w = 2
        elif -2147483648 <= lo and hi <= 2147483647:
            w = 4
        else:
            w = 8
    else:
        w = 2
    head = w.to_bytes(4, "little") + len(values).to_bytes(4, "little")
    return head + b"".join([v.to_bytes(w, "little", signed=True) for v in values])


def decode(blob: bytes) -> list[int]:
    """The members, ascending.  Raises ValueError when the blob is malformed
    (bad width, size mismatch, not strictly ascending)."""
    if len(blob) < 8:
        raise ValueError("intset too short")
    w = int.from_bytes(blob[0:4], "little")
    n = int.from_bytes(blob[4:8], "little")
    if w not in (2, 4, 8) or len(blob) != 8 + w * n:
        raise ValueError("intset size mismatch")
    values = list(struct.unpack("<%d%s" % (n, "hiq"[w >> 2]), blob[8:]))
    for i in range(1, n):
        if values[i - 1] >= values[i]:
            raise ValueError("intset not sorted/unique")
    return values
