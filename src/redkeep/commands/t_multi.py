"""MULTI / EXEC / DISCARD / WATCH / UNWATCH.  Mirrors Redis's ``multi.c``.

Queueing happens in the dispatcher (``c.multi`` is the list of queued
``(cmd, argv)``; a rejected command sets ``c.multi_error``).  EXEC runs each
queued command through ``server.call`` with ``c.in_exec`` set (blocking
commands then answer at once instead of blocking), capturing their replies
into one array.

Propagation.  While EXEC runs, ``server.also_propagate`` collects every effect
instead of emitting it; afterwards they are emitted wrapped in MULTI ... EXEC
only when there is more than one (Redis 7.0's propagatePendingCommands), the
MULTI in the db of the first effect and the EXEC in the db of the last one.

WATCH.  ``db.watched`` maps key -> list of watchers and ``c.watched`` lists the
client's ``(db, key)``; ``db.touch`` (signalModifiedKey) sets ``dirty_cas`` on
every watcher.  A key that is already logically expired when watched is
special in Redis: its later deletion (lazy or active expiry, FLUSH) is not a
change.  Such a watch is a ``StaleWatch`` in the db list: it absorbs the
touches Redis would ignore and forwards the others to its client.
"""

from __future__ import annotations

from ..errors import CommandError
from ..resp import OK, array_header
from .table import command

EXECABORT = "EXECABORT Transaction discarded because of previous errors."


class StaleWatch:
    """A watcher of a key that was already expired at WATCH time (Redis's
    watchedKey.expired)."""

    __slots__ = ("client", "db", "key", "stale")

    def __init__(self, client, db, key):
        self.client = client
        self.db = db
        self.key = key
        self.stale = True

    @property
    def dirty_cas(self):
        return self.client.dirty_cas

    @dirty_cas.setter
    def dirty_cas(self, value):
        if self.stale:
            db = self.db
            if self.key not in db.data:
                self.stale = False  # the expired key is now deleted: no logical change
                return
            if db.is_expired(self.key):
                return  # still the same expired key
            # Overwritten in place without being expired first: a new value.
            self.stale = False
        self.client.dirty_cas = value


def _owner(w):
    return w.client if type(w) is StaleWatch else w


def unwatch_all(c) -> None:
    """Forget every key ``c`` watches (unwatchAllKeys)."""
    for db, key in c.watched:
        lst = db.watched.get(key)
        if lst is None:
            continue
        for i, w in enumerate(lst):
            if w is c or (type(w) is StaleWatch and w.client is c):
                del lst[i]
                break
        if not lst:
            del db.watched[key]
    c.watched = []


def discard_transaction(c) -> None:
    c.multi = None
    c.multi_error = False
    c.dirty_cas = False
    if c.watched:
        unwatch_all(c)


def exec_abort_text(c, text: str) -> str:
    """The dispatcher refused EXEC itself (arity, MISCONF, READONLY ...):
    discard the transaction and name the reason, as execCommandAbort."""
    discard_transaction(c)
    if text.startswith("ERR "):
        text = text[4:]
    return "EXECABORT Transaction discarded because of: " + text


def _watched_key_expired(c) -> bool:
    """isWatchedKeyExpired: a watched key expired since WATCH (keys already
    expired when watched do not count)."""
    for db, key in c.watched:
        if db.is_expired(key):
            for w in db.watched.get(key, ()):
                if type(w) is StaleWatch and w.client is c and w.stale:
                    break
            else:
                return True
    return False


def touch_swapped(emptied, replaced_with) -> None:
    """touchAllWatchedKeysInDb for SWAPDB, called before the swap: a watched
    key changes if it exists in either db; an expired key that stays expired
    (or vanishes) is no change."""
    for key, lst in emptied.watched.items():
        in_emptied = key in emptied.data
        in_repl = key in replaced_with.data
        if not (in_emptied or in_repl):
            continue
        for i, w in enumerate(lst):
            if type(w) is StaleWatch and w.stale:
                if not in_repl:
                    w.stale = False
                    continue
                if replaced_with.is_expired(key):
                    continue
            elif not in_emptied and replaced_with.is_expired(key):
                if type(w) is StaleWatch:
                    w.stale = True
                else:
                    lst[i] = StaleWatch(w, emptied, key)
                continue
            _owner(w).dirty_cas = True


def forget_stale_watches(db) -> None:
    """After a flush, watches of keys that were expired and are now gone
    become ordinary ones (their deletion was no logical change)."""
    for key, lst in db.watched.items():
        if key not in db.data:
            for w in lst:
                if type(w) is StaleWatch:
                    w.stale = False


@command("multi")
def multi(c, argv):
    if c.multi is not None:
        raise CommandError("ERR MULTI calls can not be nested")
    c.multi = []
    return OK


@command("discard")
def discard(c, argv):
    if c.multi is None:
        raise CommandError("ERR DISCARD without MULTI")
    discard_transaction(c)
    return OK


@command("watch")
def watch(c, argv):
    if c.multi is not None:
        raise CommandError("ERR WATCH inside MULTI is not allowed")
    if c.dirty_cas:
        return OK  # the transaction already failed: nothing to watch for
    db = c.db
    mine = c.watched
    registry = db.watched
    for key in argv[1:]:
        lst = registry.get(key)
        if lst is None:
            registry[key] = lst = []
        elif any(w is c or (type(w) is StaleWatch and w.client is c) for w in lst):
            continue  # already watched in this db
        lst.append(StaleWatch(c, db, key) if db.expires and db.is_expired(key) else c)
        mine.append((db, key))
    return OK


@command("unwatch")
def unwatch(c, argv):
    if c.watched:
        unwatch_all(c)
    c.dirty_cas = False
    return OK


@command("exec")
def exec_(c, argv):
    if c.multi is None:
        raise CommandError("ERR EXEC without MULTI")
    if c.watched and not c.dirty_cas and _watched_key_expired(c):
        c.dirty_cas = True
    if c.multi_error:
        discard_transaction(c)
        raise CommandError(EXECABORT)
    if c.dirty_cas:
        discard_transaction(c)
        return c.r.null_array
    queue = c.multi
    if c.watched:
        unwatch_all(c)
    server = c.server
    saved_out, saved_batching = c.out, c.batching
    c.out = captured = []
    c.batching = True
    outer = server.also_propagate
    server.also_propagate = pending = []
    c.in_exec = True
    try:
        call = server.call
        for cmd, args in queue:
            call(c, cmd, args)
    finally:
        c.in_exec = False
        server.also_propagate = outer
        c.out = saved_out
        c.batching = saved_batching
        c.multi = None
        c.multi_error = False
        c.dirty_cas = False
    if pending:
        propagate = server.propagate
        if len(pending) > 1:
            propagate(pending[0][0], [b"MULTI"])
            for dbid, pargv in pending:
                propagate(dbid, pargv)
            propagate(pending[-1][0], [b"EXEC"])
        else:
            propagate(*pending[0])
    c.prop = []  # EXEC itself is never propagated: its effects were
    return array_header(len(queue)) + b"".join(captured)
