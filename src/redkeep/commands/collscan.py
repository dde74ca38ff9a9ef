"""Cursors of SSCAN, HSCAN and ZSCAN over big collections (hashtable and
skiplist encodings).

Redis walks its hash table's buckets in reverse-binary order, so a full
iteration returns every element present from its start to its end, however
the table grows or shrinks in between.  Python's dict and set expose no
buckets; the order here is a fixed function of each element instead, its
``hash()``, and a cursor is ``hash + 2**63`` of the next element to return
(1 .. 2**64-1: 0 stays "start" and "done").

The call with cursor 0 sorts a snapshot of the members by hash and keeps it
on the object (its ``scan`` slot); later calls bisect it.  Why this keeps
SCAN's guarantee: an element present during the whole iteration is in every
snapshot taken during it, at the same place in the order, so it is returned
when the cursor passes its hash.  A snapshot is only reused by calls made
after it was taken, and each iteration takes one at its start, so no call
sees a snapshot older than its own iteration.  Members deleted since the
snapshot are skipped; members added may or may not be returned, as Redis
allows.  Equal hashes never straddle two pages, so every call advances.

Costs: the first call is O(n log n) (about 0.5 s for 10^6 members on the
development machine), later calls O(log n + COUNT); the snapshot (one
pointer per member) is dropped when an iteration reaches the end.

Small encodings (listpack, intset) are not handled here: Redis returns them
whole with cursor 0 whatever the cursor, and so do the callers.
"""

from __future__ import annotations

from bisect import bisect_left

from ..resp import bulk, bulk_array

_BIAS = 1 << 63


def page(obj, members, cursor: int, count: int):
    """(next cursor, members of this page) of a big collection ``obj``
    whose ``members()`` lists its members.  Members listed may since have
    been deleted: the caller checks (and fetches values) as it replies."""
    snap = getattr(obj, "scan", None) if cursor else None
    if snap is None:
        snap = sorted(members(), key=hash)
        obj.scan = snap
    n = len(snap)
    i = bisect_left(snap, cursor - _BIAS, key=hash) if cursor else 0
    j = i + count
    if j < n:
        # Equal hashes stay on one page: the next cursor must lie past them.
        h = hash(snap[j - 1])
        while j < n and hash(snap[j]) == h:
            j += 1
    if j >= n:
        obj.scan = None
        return 0, snap[i:]
    return hash(snap[j]) + _BIAS, snap[i:j]


def reply(cursor: int, items: list) -> bytes:
    return b"*2\r\n" + bulk(b"%d" % cursor) + bulk_array(items)
