"""LZF compression and CRC-64, the two checksums/codecs of the RDB format.

Mirrors Redis's ``lzf_c.c``/``lzf_d.c`` and ``crc64.c`` through C-backed
packages: python-lzf bundles the same liblzf 3.x (HLOG 16, VERY_FAST), so
its output is byte-identical to what Redis writes; crcmod's C extension
computes CRC-64/Jones (reflected, init 0, xorout 0: the Redis callers start
from 0 even though crc64.c's header comment mentions 0xffff...).
"""

from __future__ import annotations

import crcmod
import lzf

_compress = lzf.compress

# crc64(data, crc=0) -> int; pass the previous value to continue a running CRC.
crc64 = crcmod.mkCrcFun(0x1AD93D23594C935A9, initCrc=0, rev=True, xorOut=0)


def lzf_compress(data: bytes, max_len: int) -> bytes | None:
    """lzf_compress(in, out_len=max_len) as Redis calls it: the compressed
    form, or None when liblzf gives up within ``max_len`` output bytes.
    python-lzf hands liblzf one byte more than asked (``max_len + 1``), so
    it is asked for one less to get Redis's exact give-up point."""
    if max_len <= 1:
        return None
    return _compress(data, max_len - 1)


def lzf_decompress(data: bytes, expected_len: int) -> bytes | None:
    """The original bytes, or None if ``data`` is not LZF of exactly
    ``expected_len`` bytes."""
    if expected_len == 0:
        return b"" if not data else None
    try:
        out = lzf.decompress(data, expected_len)
    except ValueError:
        return None
    if out is None or len(out) != expected_len:
        return None
    return out
