"""commands/glob.py against a line-by-line model of Redis's stringmatchlen
(util.c), including its quirks (signed-char ranges, unterminated classes,
empty strings)."""

import random

import pytest
from hypothesis import given, settings, strategies as st

from redkeep.commands.glob import match


def reference(p: bytes, s: bytes, nocase: bool = False) -> bool:
    """The C algorithm transcribed (pointers become indexes; a NUL follows
    both buffers as in sds strings)."""
    P, S = p + b"\0", s + b"\0"

    def sg(b):
        return b - 256 if b >= 128 else b

    def low(v):
        return v + 32 if 65 <= v <= 90 else v

    skip = [False]

    def impl(pi, pl, si, sl):
        while pl and sl:
            c = P[pi]
            if c == 0x2A:
                while pl and P[pi + 1] == 0x2A:
                    pi += 1
                    pl -= 1
                if pl == 1:
                    return True
                while sl:
                    if impl(pi + 1, pl - 1, si, sl):
                        return True
                    if skip[0]:
                        return False
                    si += 1
                    sl -= 1
                skip[0] = True
                return False
            elif c == 0x3F:
                si += 1
                sl -= 1
            elif c == 0x5B:
                pi += 1
                pl -= 1
                neg = P[pi] == 0x5E
                if neg:
                    pi += 1
                    pl -= 1
                m = False
                while True:
                    if P[pi] == 0x5C and pl >= 2:
                        pi += 1
                        pl -= 1
                        m = m or P[pi] == S[si]
                    elif P[pi] == 0x5D:
                        break
                    elif pl == 0:
                        pi -= 1
                        pl += 1
                        break
                    elif pl >= 3 and P[pi + 1] == 0x2D:
                        a, b, x = sg(P[pi]), sg(P[pi + 2]), sg(S[si])
                        if a > b:
                            a, b = b, a
                        if nocase:
                            a, b, x = low(a), low(b), low(x)
                        pi += 2
                        pl -= 2
                        m = m or a <= x <= b
                    elif nocase:
                        m = m or low(sg(P[pi])) == low(sg(S[si]))
                    else:
                        m = m or P[pi] == S[si]
                    pi += 1
                    pl -= 1
                if neg:
                    m = not m
                if not m:
                    return False
                si += 1
                sl -= 1
            else:
                if c == 0x5C and pl >= 2:
                    pi += 1
                    pl -= 1
                if (low(sg(P[pi])) != low(sg(S[si]))) if nocase else P[pi] != S[si]:
                    return False
                si += 1
                sl -= 1
            pi += 1
            pl -= 1
            if sl == 0:
                while pi < len(P) and P[pi] == 0x2A:
                    pi += 1
                    pl -= 1
                break
        return pl == 0 and sl == 0

    return impl(0, len(p), 0, len(s))


@pytest.mark.parametrize("pattern,string,expected", [
    (b"*", b"", False), (b"", b"", True), (b"**", b"", False), (b"*", b"x", True), (b"a*", b"a", True),
    (b"h?llo", b"hello", True), (b"h[^e]llo", b"hello", False), (b"h[a-b]llo", b"hallo", True),
    (b"h[b-a]llo", b"hbllo", True), (b"x[a-]y", b"x]y", False), (b"x[a-]y", b"x]", True), (b"a[", b"a", False), (b"[^", b"q", True),
    (b"a\\*c", b"a*c", True), (b"a\\*c", b"abc", False), (b"\\", b"\\", True), (b"[]", b"]", False),
    (b"[a-\xff]", b"\xff", True), (b"[a-\xff]", b"0", True), (b"[a-\xff]", b"\xe9", False),
    (b"[a-\xff]", b"z", False),
])
def test_examples(pattern, string, expected):
    assert match(pattern, string) is expected
    assert reference(pattern, string) is expected


def test_random_against_reference():
    rnd = random.Random(7)
    alpha = b"ab*?[]^-\\\xe9A"
    for _ in range(3000):
        p = bytes(rnd.choice(alpha) for _ in range(rnd.randint(0, 7)))
        s = bytes(rnd.choice(b"ab]-^\\A\xe9*?[") for _ in range(rnd.randint(0, 6)))
        for nocase in (False, True):
            assert match(p, s, nocase) == reference(p, s, nocase), (p, s, nocase)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=8), st.binary(max_size=8), st.booleans())
def test_hypothesis_against_reference(p, s, nocase):
    assert match(p, s, nocase) == reference(p, s, nocase)
