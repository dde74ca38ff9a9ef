"""String commands.  Mirrors Redis's t_string.c."""

from __future__ import annotations

from ..errors import CommandError
from ..resp import EMPTY_BULK, OK, bulk
from .table import command
from .util import wrongtype


@command("get")
def get(c, argv):
    db = c.db
    v = db.data.get(argv[1])
    if v is None or (db.expires and argv[1] in db.expires):
        v = db.lookup(argv[1])
        if v is None:
            c.server.stat_keyspace_misses += 1
            return c.r.null
    c.server.stat_keyspace_hits += 1
    if type(v) is not bytes:
        raise wrongtype()
    return bulk(v)


@command("set")
def set_(c, argv):
    # Fast path: plain SET key value.
    if len(argv) == 3:
        db = c.db
        db.set(argv[1], argv[2])
        c.server.dirty += 1
        return OK
    raise CommandError("ERR syntax error")
