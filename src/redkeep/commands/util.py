"""Argument parsing shared by the command families, with Redis's error texts."""

from __future__ import annotations

import math

from ..errors import CommandError, NOT_FLOAT, NOT_INT, SYNTAX, WRONGTYPE

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1


def is_strict_int(b: bytes) -> bool:
    """Redis's string2ll acceptance (no '+', spaces, leading zeros; int64)."""
    n = len(b)
    if n == 0 or n > 20:
        return False
    if b[0] == 0x2D:  # '-'
        d = b[1:]
        if not d or d == b"0":
            return False
    else:
        d = b
    if not d.isdigit() or (d[0] == 0x30 and len(d) > 1):
        return False
    v = int(b)
    return INT64_MIN <= v <= INT64_MAX


def parse_int(b: bytes, err: str = NOT_INT) -> int:
    """getLongLongFromObject: strict int64 or ERR value is not an integer."""
    if not is_strict_int(b):
        raise CommandError(err)
    return int(b)


def parse_nonneg(b: bytes, err: str) -> int:
    v = parse_int(b)
    if v < 0:
        raise CommandError(err)
    return v


def parse_float(b: bytes, err: str = NOT_FLOAT) -> float:
    """getLongDoubleFromObject/strtold: no spaces, 'inf' allowed, nan refused."""
    s = b.decode("latin-1")
    if not s or s[0].isspace() or s[-1].isspace():
        raise CommandError(err)
    try:
        v = float(s)
    except ValueError:
        raise CommandError(err) from None
    if math.isnan(v):
        raise CommandError(err)
    low = s.lower()
    if "_" in s or low in ("infinity", "+infinity", "-infinity") and False:
        raise CommandError(err)
    return v


def wrongtype() -> CommandError:
    return CommandError(WRONGTYPE)


def syntax_error() -> CommandError:
    return CommandError(SYNTAX)


def lower(b: bytes) -> bytes:
    return b.lower()
