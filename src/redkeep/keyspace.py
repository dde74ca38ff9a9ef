"""The keyspace: one ``Database`` per db index, with expiry and WATCH hooks.

Mirrors Redis's ``db.c`` (lookupKey*, dbAdd, setKey, dbDelete) and ``expire.c``.

Values are plain Python objects chosen for speed; their Redis type is
``TYPE_OF[type(value)]``:

    string  bytes
    list    RList   (deque)
    hash    RHash   (dict field -> value)
    set     RSet    (set of bytes)
    zset    ZSet    (commands/t_zset.py: dict + sorted index, O(log n) ranks)
    other   Opaque  (a value read from an RDB that redkeep has no commands for
                     yet, e.g. a stream: kept byte-exact, never dropped)

Expiry.  ``expires`` maps key -> absolute unix time in ms.  Reads expire lazily
(``lookup``); the cron expires actively.  Redis samples random keys with a TTL;
Python dicts cannot be sampled in O(1), so active expiry instead walks a min-heap
of (when, key) with lazy invalidation: entries whose time no longer matches
``expires`` are skipped.  This removes every expired key in time order, bounded
per cycle by a time budget like Redis's ACTIVE_EXPIRE_CYCLE_SLOW.

Expired keys are deleted through ``Server.expire_key`` which propagates a DEL
(or UNLINK) so replicas and the AOF see the deletion, as Redis does: a replica
never expires keys on its own, it waits for the primary's DEL.

WATCH.  ``watched`` maps key -> list of clients; every change to a key calls
``touch`` (Redis's signalModifiedKey), which flags those clients' transactions.
Helpers that replace or delete a key touch it themselves; handlers that mutate
a container in place call ``db.touch(key)``.
"""

from __future__ import annotations

import heapq
import time
from collections import deque


class RList(deque):
    __slots__ = ()


class RHash(dict):
    """``big`` is True once the hash was converted away from listpack
    (Redis never converts back while the key lives).  ``scan`` is HSCAN's
    snapshot (commands/collscan.py), unset until one runs."""

    __slots__ = ("big", "scan")

    def __init__(self, *a):
        super().__init__(*a)
        self.big = False


class RSet(set):
    """``big`` is True once the set left the intset encoding.  ``rnd`` is
    t_set's random-access index ((members list, member -> position), built by
    the first random pick on a big set), None until then.  ``scan`` is
    SSCAN's snapshot (commands/collscan.py), unset until one runs."""

    __slots__ = ("big", "rnd", "scan")

    def __init__(self, *a):
        super().__init__(*a)
        self.big = False
        self.rnd = None


class Opaque:
    """A value of a type redkeep cannot operate on yet, kept losslessly:
    ``rdb_type`` and ``payload`` are its RDB type byte and encoded value."""

    __slots__ = ("type_name", "rdb_type", "payload")

    def __init__(self, type_name: str, rdb_type: int, payload: bytes):
        self.type_name = type_name
        self.rdb_type = rdb_type
        self.payload = payload


TYPE_OF: dict = {bytes: "string", RList: "list", RHash: "hash", RSet: "set"}
# t_zset registers ZSet into TYPE_OF when imported.


def type_name(value) -> str:
    t = TYPE_OF.get(type(value))
    if t is None and type(value) is Opaque:
        return value.type_name
    return t


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Database:
    __slots__ = ("id", "server", "data", "expires", "heap", "watched", "blocking", "avg_ttl", "scan_slots", "scan_pos",
                 "scan_free", "snap")

    def __init__(self, server, dbid: int):
        self.id = dbid
        self.server = server
        self.data: dict = {}
        self.expires: dict = {}
        self.heap: list = []  # (when_ms, key), possibly stale
        self.watched: dict = {}  # key -> list[Client]
        self.blocking: dict = {}  # key -> deque[Client] blocked on it
        self.avg_ttl = 0
        # Stable cursor positions for SCAN, built on first use (see keys_scan).
        self.scan_slots = None
        self.scan_pos = None
        self.scan_free = None
        # The snapshot in progress (persistence/snapshot.py): every change to
        # a key first hands the key's old value to it.
        self.snap = None

    # -- lookups -----------------------------------------------------------

    def lookup(self, key: bytes):
        """The value, or None if missing/expired (expiring it lazily)."""
        if self.expires:
            when = self.expires.get(key)
            if when is not None and when <= self.server.clock_ms():
                server = self.server
                if server.may_expire():
                    server.expire_key(self, key)
                    return None
                # A replica keeps the key until its primary's DEL arrives, but
                # reports it missing to everyone except that primary's stream.
                c = server.current_client
                if c is None or not c.is_master:
                    return None
        return self.data.get(key)

    def exists(self, key: bytes) -> bool:
        return self.lookup(key) is not None

    def is_expired(self, key: bytes) -> bool:
        when = self.expires.get(key)
        return when is not None and when <= self.server.clock_ms()

    def keys(self):
        """Live keys (expired ones are skipped, not deleted)."""
        if not self.expires:
            return list(self.data)
        now = self.server.clock_ms()
        exp = self.expires
        return [k for k in self.data if not (k in exp and exp[k] <= now)]

    def __len__(self) -> int:
        return len(self.data)

    # -- writes ------------------------------------------------------------

    def set(self, key: bytes, value, keepttl: bool = False) -> None:
        """Redis's setKey: store ``value`` and drop any TTL unless keepttl."""
        if self.snap is not None:
            self.snap.preserve(self, key)
        data = self.data
        if self.scan_slots is not None and key not in data:
            data[key] = value
            self._slot_add(key)
        else:
            # One dict operation on the common path: a lookup in a big dict
            # is a cache miss, and SET pays it once.
            data[key] = value
            if not keepttl and self.expires:
                self.expires.pop(key, None)
        if self.watched:
            self.touch(key)

    def add(self, key: bytes, value) -> None:
        """Redis's dbAdd: the key must not exist."""
        if self.snap is not None:
            self.snap.preserve(self, key)
        self.data[key] = value
        if self.scan_slots is not None:
            self._slot_add(key)
        if self.watched:
            self.touch(key)

    def delete(self, key: bytes) -> bool:
        if self.snap is not None:
            self.snap.preserve(self, key)
        if self.data.pop(key, _MISSING) is _MISSING:
            return False
        if self.expires:
            self.expires.pop(key, None)
        if self.scan_slots is not None:
            self._slot_del(key)
        if self.watched:
            self.touch(key)
        return True

    def set_expire(self, key: bytes, when_ms: int) -> None:
        if self.snap is not None:
            self.snap.preserve(self, key)
        self.expires[key] = when_ms
        heapq.heappush(self.heap, (when_ms, key))
        if len(self.heap) > 64 and len(self.heap) > 3 * len(self.expires):
            self._rebuild_heap()

    def get_expire(self, key: bytes) -> int:
        """Absolute ms, or -1 if the key has no TTL."""
        return self.expires.get(key, -1)

    def remove_expire(self, key: bytes) -> bool:
        if self.snap is not None:
            self.snap.preserve(self, key)
        return self.expires.pop(key, None) is not None

    def touch(self, key: bytes) -> None:
        """signalModifiedKey: invalidate WATCHers of ``key``."""
        clients = self.watched.get(key)
        if clients:
            for c in clients:
                c.dirty_cas = True

    def signal_ready(self, key: bytes) -> None:
        """A list/zset got elements: wake clients blocked on ``key``."""
        if key in self.blocking:
            self.server.ready_keys.append((self, key))

    def clear(self) -> int:
        """Remove every key; returns how many there were."""
        n = len(self.data)
        if self.watched:
            for key in list(self.watched):
                if key in self.data:
                    self.touch(key)
        self.data = {}
        self.expires = {}
        self.heap = []
        if self.scan_slots is not None:
            self.scan_slots = None
            self.scan_pos = None
            self.scan_free = None
        return n

    def _rebuild_heap(self) -> None:
        self.heap = [(w, k) for k, w in self.expires.items()]
        heapq.heapify(self.heap)

    # -- active expiry -----------------------------------------------------

    def active_expire(self, now: int, deadline_ns: int) -> int:
        """Delete keys whose time has come, oldest first, until ``deadline``."""
        heap = self.heap
        exp = self.expires
        n = 0
        check = 0
        while heap and heap[0][0] <= now:
            when, key = heapq.heappop(heap)
            if exp.get(key) == when and key in self.data:
                self.server.expire_key(self, key)
                n += 1
            check += 1
            if check & 31 == 0 and time.perf_counter_ns() > deadline_ns:
                break
        return n

    # -- SCAN support --------------------------------------------------------
    # SCAN must return every key present for the whole iteration even while
    # other keys come and go.  Keys get a stable slot in a list the first
    # time SCAN runs on this db; a cursor is a slot index.  Deleted keys leave
    # a hole that a later key may reuse (such a key may or may not be
    # returned, which SCAN allows).  Until SCAN is used nothing is paid.

    def _slot_add(self, key: bytes) -> None:
        if self.scan_free:
            i = self.scan_free.pop()
            self.scan_slots[i] = key
        else:
            i = len(self.scan_slots)
            self.scan_slots.append(key)
        self.scan_pos[key] = i

    def _slot_del(self, key: bytes) -> None:
        i = self.scan_pos.pop(key, None)
        if i is not None:
            self.scan_slots[i] = None
            self.scan_free.append(i)

    def scan_index(self):
        if self.scan_slots is None:
            self.scan_slots = list(self.data)
            self.scan_pos = {k: i for i, k in enumerate(self.scan_slots)}
            self.scan_free = []
        return self.scan_slots

    # -- SWAPDB ----------------------------------------------------------------

    _CONTENT = ("data", "expires", "heap", "avg_ttl", "scan_slots", "scan_pos", "scan_free")

    def swap_content(self, other: "Database") -> None:
        """Exchange the keys (and their expiry/SCAN state) with ``other``;
        watchers and blocked clients stay with their db index, as in Redis's
        dbSwapDatabases.  The caller handles WATCH and wake-ups."""
        for name in self._CONTENT:
            mine = getattr(self, name)
            setattr(self, name, getattr(other, name))
            setattr(other, name, mine)


_MISSING = object()
