"""SAVE, BGSAVE, DUMP, RESTORE, DEBUG RELOAD.  Mirrors the command half of
Redis's rdb.c, cluster.c (DUMP/RESTORE) and debug.c (RELOAD).  The work is in
persistence/rdb.py and rdb/."""

from __future__ import annotations

from ..errors import CommandError
from ..resp import OK, bulk, simple
from .t_debug import register
from .table import command
from .util import parse_int

BGSAVE_IN_PROGRESS = "ERR Background save already in progress"


@command("save")
def save(c, argv):
    rdb = c.server.rdb
    if rdb.in_progress():
        raise CommandError(BGSAVE_IN_PROGRESS)
    if rdb.save():
        rdb.saves += 1  # rdb_saves counts SAVE and BGSAVE, not internal saves
        return OK
    raise CommandError("ERR")


@command("bgsave")
def bgsave(c, argv):
    schedule = False
    if len(argv) > 1:
        if len(argv) == 2 and argv[1].lower() == b"schedule":
            schedule = True
        else:
            raise CommandError("ERR syntax error")
    s = c.server
    rdb = s.rdb
    if rdb.in_progress():
        if schedule:
            rdb.bgsave_scheduled = True
            return simple("Background saving scheduled")
        raise CommandError(BGSAVE_IN_PROGRESS)
    if getattr(s, "aof_rewrite_in_progress", False) or c.in_exec:
        # Redis: another "child" (here, the AOF rewrite's snapshot) is active,
        # or we are inside EXEC: schedule it or refuse, with Redis's texts.
        if schedule or c.in_exec:
            rdb.bgsave_scheduled = True
            return simple("Background saving scheduled")
        raise CommandError("ERR Another child process is active (AOF?): can't BGSAVE right now. "
                           "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
    if rdb.start_bgsave():
        return simple("Background saving started")
    raise CommandError("ERR")


@command("dump")
def dump(c, argv):
    from ..rdb import dump_payload
    from ..persistence.rdb import rdb_options

    from .util import lookup_read

    v = lookup_read(c, argv[1])
    if v is None:
        return c.r.null
    return bulk(dump_payload(v, rdb_options(c.server.config)))


@command("restore")
def restore(c, argv):
    from ..rdb import restore_payload
    from ..persistence.rdb import load_limits

    s = c.server
    db = c.db
    key = argv[1]
    replace = absttl = False
    idle = freq = None
    i = 4
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"replace":
            replace = True
        elif opt == b"absttl":
            absttl = True
        elif opt == b"idletime" and i + 1 < n and freq is None:
            i += 1
            idle = parse_int(argv[i])
            if idle < 0:
                raise CommandError("ERR Invalid IDLETIME value, must be >= 0")
        elif opt == b"freq" and i + 1 < n and idle is None:
            i += 1
            freq = parse_int(argv[i])
            if freq < 0 or freq > 255:
                raise CommandError("ERR Invalid FREQ value, must be >= 0 and <= 255")
        else:
            raise CommandError("ERR syntax error")
        i += 1
    ttl = parse_int(argv[2])
    if ttl < 0:
        raise CommandError("ERR Invalid TTL value, must be >= 0")
    if not replace and db.lookup(key) is not None:
        raise CommandError("BUSYKEY Target key name already exists.")
    try:
        value = restore_payload(argv[3], make_zset=getattr(s, "make_zset_from_rdb", None),
                                limits=load_limits(s.config))
    except CommandError:
        raise
    except Exception:
        raise CommandError("ERR Bad data format") from None
    now = s.clock_ms()
    if ttl and not absttl:
        ttl += now
    deleted = False
    if replace:
        deleted = db.delete(key)
    if ttl and ttl <= now:
        # Already expired: nothing is created (Redis's checkAlreadyExpired).
        if deleted:
            s.dirty += 1
            c.prop = [[b"DEL", key]]
        return OK
    db.add(key, value)
    if ttl:
        db.set_expire(key, ttl)
    if getattr(value, "__class__", None) is not None and hasattr(db, "signal_ready"):
        db.signal_ready(key)
    s.dirty += 1
    # Propagate with an absolute TTL so replicas and the AOF get the same
    # expiry whenever they apply it (Redis sends the relative form).
    prop = [b"RESTORE", key, b"%d" % ttl, argv[3], b"REPLACE"]
    if ttl:
        prop.append(b"ABSTTL")
    c.prop = [prop]
    return OK


@register("reload")
def debug_reload(c, argv):
    """DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, flush, load back,
    blocking, as Redis does (a test of the whole persistence round trip)."""
    flush = save = True
    merge = False
    for a in argv[2:]:
        o = a.lower()
        if o == b"merge":
            merge = True
        elif o == b"noflush":
            flush = False
        elif o == b"nosave":
            save = False
        else:
            raise CommandError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    err = c.server.rdb.reload(save=save, flush=flush, merge=merge)
    if err is not None:
        raise CommandError(err)
    return OK
