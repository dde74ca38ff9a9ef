"""Fork-less point-in-time snapshots (BGSAVE, and later full sync and AOF
rewrite base files).

Why not fork, as Redis does: in CPython merely *reading* an object writes its
reference count, so a forked child copies nearly every page it serialises.
bench/bench_fork_cow.py measured it on redkeep's own keyspace: the child of a
1M-key server copied 64% of the parent's RSS (gc.freeze() changes nothing).
A fork-based BGSAVE would nearly double memory.

Theory of operation
-------------------
At ``start`` (time T) the snapshot records, for every non-empty db, the
*dict objects* holding its keys and expiries and a list of the keys present
at T.  It then serialises those keys in small slices between client work.
The dataset it writes must be exactly the one at T, so every change to a key
first hands the key's T-value to the snapshot (copy-on-write at key
granularity, as Dragonfly does):

* ``Database.set/add/delete`` call ``preserve(db, key)`` before they change
  a key (this covers expiry, FLUSH of single keys, RENAME, MOVE ...);
* the dispatcher calls ``preserve_command`` with the keys of every write
  command before it runs (this covers in-place container changes: LPUSH on
  an existing list, HSET, ZADD ...), and so does serving a blocked client.

``preserve`` encodes the key's record (expiry, type, key, value) right away
unless it is already preserved or absent from the T dict; when the slice
loop reaches a key it writes the preserved record if there is one, else the
key's current value, which is still its T-value.  Keys added after T are not
in the T list and are never written.  FLUSHDB/FLUSHALL replace a db's dicts
(``Database.clear``) and SWAPDB exchanges them, so the T dicts stay intact
and are found by identity.

The bytes go to a ``sink`` (a file written by a thread, or later a replica
socket); the slice loop stops producing while the sink has more than
``MAX_QUEUED`` bytes waiting, so a slow disk bounds memory, not the loop.

Extra memory is accounted as it is used — the T key lists, preserved
records with their dict slots, chunks queued for the sink, and the dicts of
a db flushed during the snapshot (kept alive until written) — and its peak
is reported in INFO as ``rdb_last_cow_size`` (the field Redis uses for a
fork's copied memory).  A key overwritten after the loop wrote it is still
preserved (knowing whether a key was passed would cost an index as large as
the key list); such records are dropped when their db is done, and counted
meanwhile.
"""

from __future__ import annotations

import sys
import time

from ..commands.table import get_keys

_MISSING = object()
# Slices of serialisation between client work.  While clients are sending
# (net input moved since the last slice), a slice lasts twice the client
# work before it, between 0.25 and 1 ms: every request of a turn waits for
# the slice after it, so a lone client waits 0.25 ms, not 1 ms, while under
# heavy load the snapshot still gets about two thirds of the time (else it
# drags on, and copy-on-write memory grows with it).  bench/bench_rdb.py,
# 1M keys: GET during BGSAVE p50 1.21 ms with fixed 1 ms slices, 0.36 ms
# here; BGSAVE under 50 busy clients 5.4 s, 5.9 s here (300k keys: slices
# of once the client work made it 1.5x longer, fixed 0.25 ms ones 1.8x).
# With nobody talking, 1 ms slices spend less on loop turns.
SLICE_NS = 1_000_000
SLICE_BUSY_NS = 250_000
MAX_QUEUED = 8 << 20  # bytes handed to the sink but not yet written
# Memory a preserved record costs besides its bytes: the bytes object header
# and its share of the ``preserved`` dict (entry, index, growth slack).
_RECORD_OVERHEAD = sys.getsizeof(b"") + 64
_getsizeof = sys.getsizeof


def _argc_only(cmd) -> bool:
    """True when a command's key positions depend only on its argc (every
    key spec is a fixed index with a range), so they can be cached."""
    for spec in cmd.key_specs:
        flat = repr(spec)
        if "keyword" in flat or "keynum" in flat:
            return False
    return True


_positions: dict = {}


def key_positions(cmd, argv) -> list:
    """get_keys, cached per (command, argc) where that is enough: this runs
    before every write command while a snapshot is in progress."""
    k = (id(cmd), len(argv))
    pos = _positions.get(k)
    if pos is None:
        pos = get_keys(cmd, argv)
        if _argc_only(cmd):
            _positions[k] = pos
    return pos


class Snapshot:
    def __init__(self, server, sink, writer_factory, aux, functions=(), on_done=None):
        self.server = server
        self.sink = sink
        self.writer = writer_factory(sink.write)
        self.aux = aux
        self.functions = functions
        self.on_done = on_done
        self.started = time.monotonic()
        self.entries = []  # [dbid, data, expires, keys, expires_at_T, preserved]
        self.by_dict = {}
        for db in server.dbs:
            if db.data:
                keys = list(db.data)
                entry = [db.id, db.data, db.expires, keys, len(db.expires), {}]
                self.entries.append(entry)
                self.by_dict[id(db.data)] = entry
        self.keys_total = sum(len(e[3]) for e in self.entries)
        self.fixed_bytes = sum(sys.getsizeof(e[3]) for e in self.entries)
        self.preserved_bytes = 0
        self.orphan_bytes = 0
        self.peak_extra = self.fixed_bytes
        self.keys_done = 0
        self.preserved_count = 0
        self.entry_index = 0
        self.pos = 0
        self.finished = False
        self.failed = None
        self.check_mask = 63  # look at the clock every 64 keys (tests use 0: one key per step)
        self.input_seen = getattr(server, "stat_net_input_bytes", 0)
        self.slice_end = time.perf_counter_ns()
        self.writer.begin(aux, functions)
        for db in server.dbs:
            db.snap = self

    # -- copy-on-write hooks ---------------------------------------------------

    def preserve(self, db, key: bytes) -> None:
        entry = self.by_dict.get(id(db.data))
        if entry is None:
            return
        preserved = entry[5]
        if key in preserved:
            return
        data = entry[1]
        value = data.get(key, _MISSING)
        if value is _MISSING:
            return
        rec = self.writer.encode_record(key, value, entry[2].get(key))
        preserved[key] = rec
        self.preserved_count += 1
        self.preserved_bytes += len(rec) + _RECORD_OVERHEAD
        self._account()

    def preserve_command(self, db, cmd, argv) -> None:
        if self.by_dict:
            preserve = self.preserve
            for i in key_positions(cmd, argv):
                preserve(db, argv[i])

    def _account(self) -> None:
        extra = self.fixed_bytes + self.preserved_bytes + self.sink.queued_bytes() + self.orphan_bytes
        if extra > self.peak_extra:
            self.peak_extra = extra

    def _check_orphans(self) -> None:
        """A T dict no db holds any more (FLUSHDB/FLUSHALL/DEBUG RELOAD
        during the snapshot) is alive only for the snapshot: count it, with
        its unwritten values estimated at the average record size so far."""
        live = {id(db.data) for db in self.server.dbs}
        avg = self.writer.bytes_written / self.keys_done if self.keys_done else 64
        total = 0
        for i in range(self.entry_index, len(self.entries)):
            entry = self.entries[i]
            data = entry[1]
            if id(data) not in live:
                left = len(entry[3]) - (self.pos if i == self.entry_index else 0)
                total += _getsizeof(data) + _getsizeof(entry[2]) + int(left * (avg + 100))
        self.orphan_bytes = total

    # -- serialisation -----------------------------------------------------------

    def step(self, budget_ns: int | None = None) -> bool:
        """Serialise for about ``budget_ns`` (default: a slice as above);
        True when everything is written."""
        if budget_ns is None:
            seen = getattr(self.server, "stat_net_input_bytes", 0)
            if seen != self.input_seen:
                self.input_seen = seen
                budget_ns = min(max(2 * (time.perf_counter_ns() - self.slice_end), SLICE_BUSY_NS), SLICE_NS)
            else:
                budget_ns = SLICE_NS
        try:
            return self._step(budget_ns)
        finally:
            self.slice_end = time.perf_counter_ns()

    def _step(self, budget_ns: int) -> bool:
        if self.finished:
            return True
        if self.server.deferred_writes:
            # Replies this loop turn produced go out before the slice, not
            # after it: a slice is ~1 ms of every client's latency.
            self.server.write_deferred()
        if self.sink.queued_bytes() > MAX_QUEUED:
            return False
        deadline = time.perf_counter_ns() + budget_ns
        writer = self.writer
        entries = self.entries
        check_mask = self.check_mask
        n = 0
        while self.entry_index < len(entries):
            dbid, data, expires, keys, nexp, preserved = entries[self.entry_index]
            if self.pos == 0:
                writer.select_db(dbid, len(keys), nexp)
            pos = self.pos
            end = len(keys)
            while pos < end:
                key = keys[pos]
                pos += 1
                rec = preserved.pop(key, None) if preserved else None
                if rec is not None:
                    writer.write_record(rec)
                    self.preserved_bytes -= len(rec) + _RECORD_OVERHEAD
                else:
                    value = data.get(key, _MISSING)
                    if value is not _MISSING:
                        writer.write_key(key, value, expires.get(key) if expires else None)
                n += 1
                if n & check_mask == 0 and time.perf_counter_ns() > deadline:
                    self.pos = pos
                    self.keys_done += n
                    self._check_orphans()
                    self._account()
                    return False
            self.keys_done += n
            n = 0
            # The T list and the records of keys changed after the loop
            # passed them are no longer needed.
            self.fixed_bytes -= _getsizeof(keys)
            for rec in preserved.values():
                self.preserved_bytes -= len(rec) + _RECORD_OVERHEAD
            keys.clear()
            preserved.clear()
            self.by_dict.pop(id(data), None)  # later changes no longer matter
            self.entry_index += 1
            self.pos = 0
        self._check_orphans()
        writer.end()
        self.finish()
        return True

    def finish(self) -> None:
        self.finished = True
        for db in self.server.dbs:
            if db.snap is self:
                db.snap = None
        self.entries = []
        self.by_dict = {}
        self._account()

    def abort(self) -> None:
        self.finish()

    def run_to_end(self) -> None:
        """SAVE: serialise everything now (blocking the loop, as SAVE does)."""
        while not self.step(1 << 62):
            self.sink.drain()
