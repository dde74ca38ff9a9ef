"""BGREWRITEAOF and DEBUG LOADAOF.  Mirrors the command half of Redis's
aof.c (bgrewriteaofCommand) and debug.c (loadaof); the work is in
persistence/aof.py."""

from __future__ import annotations

from ..errors import CommandError
from ..resp import OK, simple
from .t_debug import register
from .table import command


@command("bgrewriteaof")
def bgrewriteaof(c, argv):
    aof = c.server.aof
    if aof.rewrite is not None:
        raise CommandError("ERR Background append only file rewriting already in progress")
    if aof.child_active() or c.in_exec:
        aof.rewrite_scheduled = True
        aof.consecutive_failures = 0  # a manual request is not held back by the failure limit
        return simple("Background append only file rewriting scheduled")
    if aof.start_rewrite():
        return simple("Background append only file rewriting started")
    raise CommandError("ERR Can't execute an AOF background rewriting. Please check the server logs for more "
                       "information.")


@register("loadaof", lambda n: n == 2)
def debug_loadaof(c, argv):
    c.server.aof.debug_reload()
    return OK
