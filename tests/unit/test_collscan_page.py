"""collscan.page: the cursor arithmetic, with members whose hashes are
chosen (collisions included)."""

from __future__ import annotations

import random

from redkeep.commands import collscan


class H:
    """A member with a given hash."""

    def __init__(self, name, h):
        self.name, self.h = name, h

    def __hash__(self):
        return self.h

    def __repr__(self):
        return "H(%r, %d)" % (self.name, self.h)


class Box:
    """Stands for RSet/RHash/ZSet: a collection with a ``scan`` slot."""

    __slots__ = ("items", "scan")

    def __init__(self, items):
        self.items = items


def _iterate(box, count, between=None):
    seen, cursor, calls = [], 0, 0
    while True:
        cursor, page = collscan.page(box, lambda: list(box.items), cursor, count)
        seen += page
        calls += 1
        assert calls < 10_000, "no progress"
        if between:
            between(calls)
        if cursor == 0:
            return seen, calls


def test_cursor_range_and_end():
    box = Box([H(i, h) for i, h in enumerate([-(2 ** 63 - 1), -2, 0, 5, 2 ** 63 - 1])])
    cursor, page = collscan.page(box, lambda: box.items, 0, 2)
    assert 1 <= cursor <= 2 ** 64 - 1 and len(page) == 2
    seen, _ = _iterate(box, 2)
    assert sorted(x.name for x in seen) == list(range(5))
    assert box.scan is None  # dropped at the end of the iteration
    # the last cursor value is the largest hash's: that member only, and done
    assert collscan.page(box, lambda: box.items, 2 ** 64 - 1, 10) == (0, [box.items[4]])


def test_collisions_never_straddle_pages():
    items = [H(i, 42) for i in range(30)] + [H(100 + i, i * 1000) for i in range(10)]
    box = Box(items)
    cursor, page = collscan.page(box, lambda: box.items, 0, 3)
    seen, calls = _iterate(box, 3)
    assert sorted(x.name for x in seen) == sorted(x.name for x in items)
    assert len(seen) == len(items)  # unchanged collection: nothing twice


def test_guarantee_with_random_changes():
    rnd = random.Random(3)
    stable = [H(("s", i), rnd.randrange(-2 ** 63 + 1, 2 ** 63)) for i in range(500)]
    box = Box(list(stable) + [H(("c", i), rnd.randrange(-50, 50)) for i in range(300)])

    def churn(call):
        for _ in range(5):
            victim = rnd.randrange(len(box.items))
            if box.items[victim].name[0] == "c":
                box.items.pop(victim)
        box.items += [H(("n", call, i), rnd.randrange(-2 ** 63 + 1, 2 ** 63)) for i in range(5)]
        if call % 5 == 0:
            collscan.page(box, lambda: list(box.items), 0, 1)  # another iteration: new snapshot

    seen, _ = _iterate(box, 7, churn)
    assert {x.name for x in stable} <= {x.name for x in seen}
