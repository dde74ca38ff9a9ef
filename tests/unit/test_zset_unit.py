"""ZSet and the t_zset range helpers against a naive sorted list, under random
operations (no server: the data structure alone)."""

import math
import random

import pytest

from redkeep.commands.t_zset import (
    ZSet, lex_bounds, parse_lex_range, parse_score, parse_score_range, score_bounds,
)
from redkeep.commands.util import index_bounds
from redkeep.errors import CommandError

SCORES = [-math.inf, math.inf, -2.5, -1, 0.0, -0.0, 0.1, 1, 1, 2, 3.75, 1e300, -1e-300]


def naive_order(d):
    return sorted((s, m) for m, s in d.items())


def check_same(zs, d):
    order = naive_order(d)
    assert list(zs.sl) == order
    assert zs.dict == d
    assert len(zs) == len(d)
    for i, (s, m) in enumerate(order):
        assert zs.rank(m) == i
        assert zs.sl[i] == (s, m)


@pytest.mark.parametrize("seed", range(8))
def test_random_operations_match_naive(seed):
    rnd = random.Random(seed)
    zs = ZSet()
    d = {}
    members = [bytes([rnd.randrange(97, 101)]) * rnd.randint(1, 3) for _ in range(40)]
    for step in range(1500):
        op = rnd.random()
        m = rnd.choice(members)
        if op < 0.55:
            s = rnd.choice(SCORES) if rnd.random() < 0.3 else rnd.randint(-20, 20) / 4
            new = zs.set_score(m, s)
            assert new == (m not in d)
            if m not in d or d[m] != s:
                d[m] = s
        elif op < 0.8:
            assert zs.remove(m) == (d.pop(m, None) is not None)
        else:
            assert zs.rank(m) == (naive_order(d).index((d[m], m)) if m in d else None)
        if step % 100 == 0:
            check_same(zs, d)
    check_same(zs, d)


def naive_score_range(order, mn, mnex, mx, mxex):
    return [(s, m) for s, m in order
            if (s > mn if mnex else s >= mn) and (s < mx if mxex else s <= mx)]


@pytest.mark.parametrize("seed", range(5))
def test_score_bounds_match_naive(seed):
    rnd = random.Random(100 + seed)
    zs = ZSet((f"m{i}".encode(), rnd.choice(SCORES + [rnd.randint(-5, 5)])) for i in range(120))
    order = naive_order(zs.dict)
    probes = SCORES + [rnd.randint(-6, 6) / 2 for _ in range(10)]
    for _ in range(400):
        mn, mx = rnd.choice(probes), rnd.choice(probes)
        mnex, mxex = rnd.random() < 0.5, rnd.random() < 0.5
        lo, hi = score_bounds(zs.sl, mn, mnex, mx, mxex)
        assert list(zs.sl[lo:hi]) == naive_score_range(order, mn, mnex, mx, mxex)


def test_lex_bounds_same_score():
    rnd = random.Random(5)
    words = sorted({bytes(rnd.choice(b"abcz") for _ in range(rnd.randint(0, 4))) for _ in range(200)})
    zs = ZSet((w, 0.0) for w in words)
    items = [b"-", b"+"] + [p + w for w in words[:30] + [b"b", b"zz", b""] for p in (b"[", b"(")]
    for _ in range(600):
        a, b = rnd.choice(items), rnd.choice(items)
        mn, mx = parse_lex_range(a, b)

        def ok(w):
            lo_ok = mn[0] < 0 or (mn[0] == 0 and (w > mn[1] if mn[2] else w >= mn[1]))
            hi_ok = mx[0] > 0 or (mx[0] == 0 and (w < mx[1] if mx[2] else w <= mx[1]))
            return lo_ok and hi_ok

        lo, hi = lex_bounds(zs.sl, mn, mx)
        assert [m for _, m in zs.sl[lo:hi]] == [w for w in words if ok(w)]


def test_index_bounds():
    for n in range(0, 6):
        for start in range(-8, 8):
            for end in range(-8, 8):
                s = start + n if start < 0 else start
                e = end + n if end < 0 else end
                s = max(s, 0)
                expected = list(range(n))[s:e + 1] if s <= e and s < n else []
                lo, hi = index_bounds(n, start, end)
                assert list(range(lo, hi)) == expected


def test_parse_score():
    assert parse_score(b"1.5") == 1.5
    assert parse_score(b"-inf") == -math.inf
    assert parse_score(b"+Infinity") == math.inf
    assert parse_score(b"0x10") == 16.0
    assert parse_score(b"1e-310") > 0  # subnormal: accepted like strtod
    for bad in [b"", b" 1", b"1 ", b"nan", b"1e400", b"-1e999", b"1e-400", b"1_0", b"x", b"0x", b"inf1"]:
        with pytest.raises(CommandError):
            parse_score(bad)
    assert parse_score_range(b"(1", b"+inf") == (1.0, True, math.inf, False)
    assert parse_score_range(b"", b"(") == (0.0, False, 0.0, True)
    assert parse_score_range(b" 2", b"1e400") == (2.0, False, math.inf, False)
    for bad in [(b"1 ", b"2"), (b"nan", b"1"), (b"  ", b"1"), (b"((1", b"2")]:
        with pytest.raises(CommandError):
            parse_score_range(*bad)
