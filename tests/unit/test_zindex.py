"""redkeep._zindex.ZIndex (C) and its pure-Python stand-in PyZIndex
against sortedcontainers.SortedList, the model whose order and semantics the
zset code relies on: random operation sequences (hypothesis stateful and a
larger seeded run), plus types, refcounts, leaks and mutation during
iteration for the C type."""

import copy
import gc
import math
import os
import pickle
import random
import subprocess
import sys
import tracemalloc

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sortedcontainers import SortedList

from redkeep._zindex import ZIndex
from redkeep.commands.sortedset import PyZIndex

IMPLS = [ZIndex, PyZIndex]

EDGE_SCORES = [-math.inf, math.inf, -0.0, 0.0, 1.0, -1.0, 0.5, 1e300, -1e-300, 5e-324, 2.0 ** 53]
EDGE_MEMBERS = [b"", b"a", b"aa", b"ab", b"a\x00", b"\x00", b"\xff", b"b", b"abc", b"a\x00b"]

scores = st.sampled_from(EDGE_SCORES) | st.floats(allow_nan=False) | st.integers(-3, 3).map(float)
members = st.sampled_from(EDGE_MEMBERS) | st.binary(max_size=3)
indexes = st.integers(-12, 12)
opt_indexes = st.none() | indexes


def exact(items):
    """Elements with the sign of zero made visible (-0.0 == 0.0 otherwise)."""
    return [(s.hex(), m) for s, m in items]


class ZIndexMachine(RuleBasedStateMachine):
    """The ZSet's usage: members unique, scores moved, ranges read."""

    impl = ZIndex

    def __init__(self):
        super().__init__()
        self.zl = self.impl()
        self.model = SortedList()
        self.scores = {}

    def _member_in(self, data):
        return data.draw(st.sampled_from(sorted(self.scores)))

    @rule(s=scores, m=members, as_tuple=st.booleans())
    def insert(self, s, m, as_tuple):
        if m in self.scores:
            return
        if as_tuple:
            self.zl.add((s, m))
        else:
            self.zl.insert(s, m)
        self.model.add((s, m))
        self.scores[m] = s

    @precondition(lambda self: self.scores)
    @rule(data=st.data(), as_tuple=st.booleans(), flip_zero=st.booleans())
    def delete(self, data, as_tuple, flip_zero):
        m = self._member_in(data)
        s = self.scores.pop(m)
        if flip_zero and s == 0.0:
            s = -s  # -0.0 and 0.0 are the same score
        if as_tuple:
            self.zl.remove((s, m))
        else:
            assert self.zl.delete(s, m) is True
        self.model.remove((s, m))

    @rule(s=scores, m=members)
    def delete_absent(self, s, m):
        if m in self.scores and self.scores[m] == s:
            return
        assert self.zl.delete(s, m) is False
        with pytest.raises(ValueError):
            self.zl.remove((s, m))
        assert self.zl.move(s, 1.0, m) is False

    @precondition(lambda self: self.scores)
    @rule(data=st.data(), s=scores)
    def move(self, data, s):
        m = self._member_in(data)
        old = self.scores[m]
        assert self.zl.move(old, s, m) is True
        self.model.remove((old, m))
        self.model.add((s, m))
        self.scores[m] = s

    @rule(s=scores, m=members)
    def rank_and_bisect(self, s, m):
        assert self.zl.rank(s, m) == self.model.bisect_left((s, m))
        assert self.zl.bisect_left((s, m)) == self.model.bisect_left((s, m))
        assert self.zl.bisect_right((s, m)) == self.model.bisect_right((s, m))
        assert self.zl.bisect_left((s,)) == self.model.bisect_left((s,))
        assert self.zl.bisect_right((s,)) == self.model.bisect_right((s,))
        assert ((s, m) in self.zl) == ((s, m) in self.model)

    @rule(i=indexes)
    def getitem(self, i):
        try:
            want = self.model[i]
        except IndexError:
            with pytest.raises(IndexError):
                self.zl[i]
            return
        assert exact([self.zl[i]]) == exact([want])

    @rule(a=opt_indexes, b=opt_indexes, step=st.sampled_from([None, 1, 2, 3, -1, -2]))
    def getslice(self, a, b, step):
        got = self.zl[a:b:step]
        assert type(got) is list
        assert exact(got) == exact(self.model[a:b:step])

    @rule(a=opt_indexes, b=opt_indexes, reverse=st.booleans())
    def islice(self, a, b, reverse):
        assert exact(self.zl.islice(a, b, reverse=reverse)) == exact(self.model.islice(a, b, reverse=reverse))

    @rule(a=opt_indexes, b=opt_indexes, step=st.sampled_from([None, 1, -1]))
    def delslice(self, a, b, step):
        for _, m in self.model[a:b:step]:
            del self.scores[m]
        del self.zl[a:b:step]
        del self.model[a:b:step]

    @precondition(lambda self: self.scores)
    @rule(i=indexes)
    def delitem(self, i):
        if not -len(self.model) <= i < len(self.model):
            with pytest.raises(IndexError):
                del self.zl[i]
            return
        del self.scores[self.model[i][1]]
        del self.zl[i]
        del self.model[i]

    @invariant()
    def same(self):
        assert len(self.zl) == len(self.model)
        assert bool(self.zl) == bool(self.model)
        assert exact(self.zl) == exact(self.model)
        assert exact(reversed(self.zl)) == exact(reversed(self.model))
        if hasattr(self.zl, "_check"):
            self.zl._check()


_SETTINGS = settings(max_examples=150, stateful_step_count=40, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


class PyZIndexMachine(ZIndexMachine):
    impl = PyZIndex


ZIndexMachine.TestCase.settings = _SETTINGS
PyZIndexMachine.TestCase.settings = settings(_SETTINGS, max_examples=40)
TestZIndexC = ZIndexMachine.TestCase
TestZIndexPython = PyZIndexMachine.TestCase


@pytest.mark.parametrize("impl", IMPLS)
def test_large_random_against_model(impl):
    """Thousands of elements, so the upper levels and long spans are used."""
    rnd = random.Random(7)
    zl, model, cur = impl(), SortedList(), {}
    pool = [b"m%d" % i for i in range(3000)]
    for step in range(30000):
        op = rnd.random()
        m = rnd.choice(pool)
        s = float(rnd.randrange(-50, 50)) if rnd.random() < 0.7 else rnd.choice(EDGE_SCORES)
        if m not in cur:
            zl.insert(s, m)
            model.add((s, m))
            cur[m] = s
        elif op < 0.45:
            zl.move(cur[m], s, m)
            model.remove((cur[m], m))
            model.add((s, m))
            cur[m] = s
        elif op < 0.7:
            old = cur.pop(m)
            assert zl.delete(old, m)
            model.remove((old, m))
        else:
            r = model.bisect_left((cur[m], m))
            assert zl.rank(cur[m], m) == r
            assert zl[r] == model[r]
            assert zl[r - len(model)] == model[r]
        if step % 5000 == 0:
            assert list(zl) == list(model)
            if hasattr(zl, "_check"):
                zl._check()
    assert list(zl) == list(model)


# -- the C type only -----------------------------------------------------------

def test_order_matches_python_tuples():
    items = [(s, m) for s in EDGE_SCORES for m in EDGE_MEMBERS if not (s == 0.0 and math.copysign(1, s) < 0)]
    random.Random(1).shuffle(items)
    zl = ZIndex(items)
    assert list(zl) == sorted(items)
    zl._check()
    z2 = ZIndex()
    for it in items:
        z2.insert(*it)
    assert list(z2) == sorted(items)
    z2._check()


def test_negative_zero_is_zero_and_keeps_its_sign():
    zl = ZIndex()
    zl.insert(-0.0, b"b")
    zl.insert(0.0, b"a")
    assert [m for _, m in zl] == [b"a", b"b"]
    assert math.copysign(1, zl[1][0]) == -1
    assert zl.bisect_left((0.0,)) == 0 and zl.bisect_right((-0.0,)) == 0
    assert zl.move(0.0, 0.0, b"b")  # in place: the sign is rewritten
    assert math.copysign(1, zl[1][0]) == 1
    zl._check()


def test_constructor_forms():
    assert list(ZIndex()) == [] and list(ZIndex(None)) == []
    data = [(3.0, b"c"), (1.0, b"a"), (2.0, b"b"), (1.0, b"a")]
    zl = ZIndex(data)
    assert list(zl) == sorted(data)
    zl._check()
    assert list(ZIndex(iter(sorted(data)))) == sorted(data)
    zl.__init__([(9.0, b"z")])  # re-initialising replaces the content
    assert list(zl) == [(9.0, b"z")]
    zl._check()


def test_copy_pickle_deepcopy_repr():
    zl = ZIndex([(float(i % 7), b"m%d" % i) for i in range(300)])
    for other in (zl.copy(), copy.copy(zl), copy.deepcopy(zl), pickle.loads(pickle.dumps(zl))):
        assert type(other) is ZIndex and other is not zl
        assert list(other) == list(zl)
        other._check()
    assert repr(ZIndex([(1.5, b"x")])) == "ZIndex([(1.5, b'x')])"


def test_clear_and_len():
    zl = ZIndex([(float(i), b"%d" % i) for i in range(100)])
    assert len(zl) == 100 and zl
    zl.clear()
    assert len(zl) == 0 and not zl and list(zl) == []
    zl._check()
    zl.insert(1.0, b"a")
    assert list(zl) == [(1.0, b"a")]


@pytest.mark.parametrize("call, exc", [
    (lambda z: z.insert("1", b"a"), TypeError),
    (lambda z: z.insert(None, b"a"), TypeError),
    (lambda z: z.insert(1.0, "a"), TypeError),
    (lambda z: z.insert(1.0, bytearray(b"a")), TypeError),
    (lambda z: z.insert(1.0), TypeError),
    (lambda z: z.insert(1.0, b"a", 3), TypeError),
    (lambda z: z.insert(math.nan, b"a"), ValueError),
    (lambda z: z.move(1.0, math.nan, b"a"), ValueError),
    (lambda z: z.delete(1.0, 2), TypeError),
    (lambda z: z.rank(b"a", 1.0), TypeError),
    (lambda z: z.add([1.0, b"a"]), TypeError),
    (lambda z: z.add((1.0,)), TypeError),
    (lambda z: z.add((1.0, b"a", b"b")), TypeError),
    (lambda z: z.remove("x"), TypeError),
    (lambda z: z.bisect_left(1.0), TypeError),
    (lambda z: z.bisect_left(()), TypeError),
    (lambda z: z.bisect_right((1.0, b"a", 1)), TypeError),
    (lambda z: z.bisect_left((math.nan,)), ValueError),
    (lambda z: z.bisect_left((1.0, "a")), TypeError),
    (lambda z: z["a"], TypeError),
    (lambda z: z[5], IndexError),
    (lambda z: z[-6], IndexError),
    (lambda z: z[0:3:0], ValueError),
    (lambda z: z.islice("a"), TypeError),
    (lambda z: z.__setitem__(0, (1.0, b"a")), TypeError),
    (lambda z: z.__delitem__(slice(0, 4, 2)), ValueError),
    (lambda z: z.__delitem__("a"), TypeError),
    (lambda z: z.__delitem__(9), IndexError),
    (lambda z: [1, 2] in z, TypeError),
    (lambda z: ZIndex(5), TypeError),
    (lambda z: ZIndex([1, 2]), TypeError),
    (lambda z: ZIndex([(1.0, "a")]), TypeError),
    (lambda z: ZIndex(x=1), TypeError),
])
def test_wrong_arguments_raise(call, exc):
    zl = ZIndex([(float(i), b"%d" % i) for i in range(5)])
    with pytest.raises(exc):
        call(zl)
    assert list(zl) == [(float(i), b"%d" % i) for i in range(5)]
    zl._check()


def test_int_scores_are_stored_as_floats():
    zl = ZIndex()
    zl.insert(3, b"a")
    zl.add((True, b"b"))
    assert list(zl) == [(1.0, b"b"), (3.0, b"a")]
    assert all(type(s) is float for s, _ in zl)


def test_mutation_during_iteration_raises_not_crashes():
    zl = ZIndex([(float(i), b"%d" % i) for i in range(50)])
    for make in (iter, reversed, lambda z: z.islice(5, 40), lambda z: z.islice(5, 40, reverse=True)):
        it = make(zl)
        next(it)
        zl.delete(*zl[10])
        with pytest.raises(RuntimeError):
            next(it)
        with pytest.raises(StopIteration):
            next(it)
    it = iter(zl)
    next(it)
    s, m = zl[20]
    zl.move(s, s + 0.5, m)  # in place: still a change
    with pytest.raises(RuntimeError):
        next(it)
    it = iter(zl)
    zl.clear()
    with pytest.raises(RuntimeError):
        next(it)


def test_iterator_outlives_the_name():
    zl = ZIndex([(1.0, b"a"), (2.0, b"b")])
    it = iter(zl)
    del zl
    gc.collect()
    assert list(it) == [(1.0, b"a"), (2.0, b"b")]


def test_length_hint():
    zl = ZIndex([(float(i), b"%d" % i) for i in range(10)])
    it = zl.islice(2, 7)
    assert it.__length_hint__() == 5
    next(it)
    assert it.__length_hint__() == 4


def test_member_refcounts():
    m = b"member-" + bytes(range(20))  # a fresh object, not interned
    base = sys.getrefcount(m)
    zl = ZIndex()
    zl.insert(1.0, m)
    assert sys.getrefcount(m) == base + 1
    zl.move(1.0, 2.0, m)
    assert sys.getrefcount(m) == base + 1
    t = zl[0]
    assert t[1] is m
    del t
    assert zl.delete(2.0, m)
    assert sys.getrefcount(m) == base
    zl.insert(1.0, m)
    del zl[0:1]
    assert sys.getrefcount(m) == base
    zl.insert(1.0, m)
    zl.clear()
    assert sys.getrefcount(m) == base
    zl = ZIndex([(1.0, m)])
    assert sys.getrefcount(m) == base + 1
    del zl
    assert sys.getrefcount(m) == base


def test_no_leak_in_churn():
    members = [b"x%d" % i for i in range(2000)]

    def churn():
        zl = ZIndex()
        cur = {}
        rnd = random.Random(3)
        for _ in range(20000):
            m = rnd.choice(members)
            s = float(rnd.randrange(1000))
            if m in cur:
                if rnd.random() < 0.5:
                    zl.move(cur[m], s, m)
                    cur[m] = s
                else:
                    zl.delete(cur.pop(m), m)
            else:
                zl.insert(s, m)
                cur[m] = s
        list(zl.islice(0, 100, reverse=True))
        zl[10:500]
        del zl[100:900]
        zl.copy()

    churn()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(3):
            churn()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 64 * 1024


def test_many_levels():
    n = 100000
    zl = ZIndex([(float(i), b"%d" % i) for i in range(n)])
    zl._check()
    for i in (0, 1, 2, 4095, 4096, 65537, n - 2, n - 1):
        assert zl[i] == (float(i), b"%d" % i)
        assert zl.rank(float(i), b"%d" % i) == i
    del zl[1000:99000]
    assert len(zl) == 2000 and zl[1000] == (99000.0, b"99000")
    zl._check()


def test_fallback_when_the_extension_is_missing():
    """Without redkeep._zindex (no compiler at install), ZSet runs on PyZIndex."""
    code = (
        "import sys; sys.modules['redkeep._zindex'] = None\n"
        "from redkeep.commands import sortedset as ss\n"
        "assert ss.ZIndex is ss.PyZIndex\n"
        "z = ss.ZSet([(b'a', 2.0), (b'b', 1.0)])\n"
        "z.set_score(b'a', 0.5); z.insert(b'c', 3.0); z.remove(b'b')\n"
        "assert list(z.sl) == [(0.5, b'a'), (3.0, b'c')] and z.rank(b'c') == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the B+tree's node splits, borrows and merges at every level ----------------

_CHURN = r'''
import random, sys
from sortedcontainers import SortedList
from redkeep._zindex import ZIndex
rnd = random.Random(int(sys.argv[1]))
zl, model, cur = ZIndex(), SortedList(), {}
pool = [b"m%d" % i for i in range(int(sys.argv[2]))]
for step in range(int(sys.argv[3])):
    grow = (step // (len(pool) // 2)) % 2 == 0      # alternately grow and shrink
    m = rnd.choice(pool)
    s = float(rnd.randrange(-30, 30)) if rnd.random() < 0.5 else rnd.random() * 1000
    op = rnd.random()
    if m not in cur:
        if grow or op < 0.2:
            zl.insert(s, m); model.add((s, m)); cur[m] = s
    elif op < 0.4:
        assert zl.move(cur[m], s, m)
        model.remove((cur[m], m)); model.add((s, m)); cur[m] = s
    elif op < (0.5 if grow else 0.9):
        old = cur.pop(m)
        assert zl.delete(old, m)
        model.remove((old, m))
    elif len(model) > 3:
        a = rnd.randrange(len(model)); b = min(len(model), a + rnd.randrange(1, 9))
        for _, m2 in model[a:b]:
            del cur[m2]
        del zl[a:b]; del model[a:b]
    if step % int(sys.argv[4]) == 0:
        zl._check()
        assert list(zl) == list(model) and list(reversed(zl)) == list(reversed(model))
        if model:
            r = rnd.randrange(len(model))
            assert zl[r] == model[r] and zl.rank(*model[r]) == r
zl._check()
assert list(zl) == list(model)
'''


def test_churn_production_nodes():
    """Thousands of elements: three levels of 32-wide nodes, emptied and
    refilled."""
    subprocess.run([sys.executable, "-c", _CHURN, "5", "6000", "60000", "2000"], check=True)


def test_churn_small_nodes(tmp_path):
    """The same code built with 4-entry leaves and 8-child inner nodes (the
    smallest the invariants allow), so that a few hundred elements make a
    tree six levels deep and every operation splits, borrows or merges;
    checked after every step."""
    src = __import__("pathlib").Path(__file__).resolve().parents[2] / "src" / "redkeep" / "_zindex.c"
    pkg = tmp_path / "redkeep"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    build = (
        "from setuptools import setup, Extension\n"
        f"setup(name='t', ext_modules=[Extension('redkeep._zindex', [{str(src)!r}],"
        " extra_compile_args=['-O1', '-DLCAP=4', '-DICAP=8'])])\n"
    )
    (tmp_path / "build.py").write_text(build)
    r = subprocess.run([sys.executable, "build.py", "build_ext", "--build-lib", str(tmp_path), "-q"],
                       cwd=tmp_path, capture_output=True, text=True)
    if r.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("cannot build the small-node variant: " + r.stderr[-2000:])
        pytest.skip("no C compiler")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    for seed in ("1", "2", "3"):
        subprocess.run([sys.executable, "-c", _CHURN, seed, "300", "6000", "1"], check=True, env=env)
