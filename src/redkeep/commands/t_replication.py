"""REPLICAOF/SLAVEOF, FAILOVER, REPLCONF, PSYNC/SYNC, WAIT.  Mirrors the command part of
Redis's ``replication.c`` (replicaofCommand, replconfCommand, syncCommand,
waitCommand); the machinery is in ``redkeep/replication``.
"""

from __future__ import annotations

import time

from .. import boot
from ..errors import CommandError
from ..replication import get_repl, startup
from ..resp import OK, integer
from .table import command
from .util import is_strict_int

if startup not in boot.startup_hooks:
    boot.startup_hooks.append(startup)

_NOT_INT = "ERR value is not an integer or out of range"


@command("replicaof")
def replicaof(c, argv):
    server = c.server
    repl = get_repl(server)
    if server.config.get("cluster-enabled"):
        raise CommandError("ERR REPLICAOF not allowed in cluster mode.")
    if repl.failover.active:
        raise CommandError("ERR REPLICAOF not allowed while failing over.")
    host, port = argv[1], argv[2]
    if host.lower() == b"no" and port.lower() == b"one":
        if server.replica_of is not None:
            repl.unset_master(c)
            server.log.notice("MASTER MODE enabled (user request from '%s')", server.client_info(c))
        return OK
    if c.is_replica:
        raise CommandError("ERR Command is not valid when client is a replica.")
    if not is_strict_int(port) or not 0 <= int(port) <= 65535:
        raise CommandError("ERR Invalid master port")
    host_s = host.decode("utf-8", "surrogateescape")
    port_i = int(port)
    if server.replica_of is not None and server.replica_of[0].lower() == host_s.lower() \
            and server.replica_of[1] == port_i:
        if repl.replica.refused:
            # The operator repeats REPLICAOF: consent to whatever the primary holds.
            repl.replica.consent_given()
            repl.replica.state = "connect"
            repl.replica.connect_soon(0)
            return OK
        server.log.notice("REPLICAOF would result into synchronization with the master we are already connected "
                          "with. No operation performed.")
        return b"+OK Already connected to specified master\r\n"
    repl.set_master(host_s, port_i, caller=c, consent=True)
    server.log.notice("REPLICAOF %s:%d enabled (user request from '%s')", host_s, port_i, server.client_info(c))
    return OK


command("slaveof")(replicaof)


@command("failover")
def failover(c, argv):
    """FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: see
    replication/failover.py."""
    get_repl(c.server).failover.command(argv)
    return OK


@command("replconf")
def replconf(c, argv):
    n = len(argv)
    if n % 2 == 0:
        raise CommandError("ERR syntax error")
    repl = get_repl(c.server)
    p = repl.primary
    for j in range(1, n, 2):
        opt = argv[j].lower()
        val = argv[j + 1]
        if opt == b"listening-port":
            if not is_strict_int(val):
                raise CommandError(_NOT_INT)
            p.conn_for(c).port = int(val)
        elif opt == b"ip-address":
            if len(val) >= 256:  # NET_HOST_STR_LEN
                raise CommandError("ERR REPLCONF ip-address provided by replica instance is too long: %d bytes"
                                   % len(val))
            p.conn_for(c).ip = val.decode("utf-8", "replace")
        elif opt == b"capa":
            cap = val.lower()
            if cap == b"eof":
                p.conn_for(c).capa_eof = True
            elif cap == b"psync2":
                p.conn_for(c).capa_psync2 = True
        elif opt == b"ack":
            # From a replica: its applied offset.  Never answered.
            if c.is_replica and is_strict_int(val):
                p.on_ack(c, int(val))
            return None
        elif opt == b"getack":
            rep = repl.replica
            if c.server.replica_of is not None and rep.master_client is not None:
                rep.send_ack()
            return None
        elif opt == b"rdb-only":
            if val not in (b"0", b"1"):
                raise CommandError(_NOT_INT)
        elif opt == b"rdb-filter-only":
            # Only "functions" can be kept; the keys never are.
            kept = set()
            for f in val.split():
                if f.lower() != b"functions":
                    raise CommandError("ERR Unsupported rdb-filter-only option: %s" % f.decode("utf-8", "replace"))
                kept.add("functions")
            p.conn_for(c).rdb_filter = kept
        else:
            raise CommandError("ERR Unrecognized REPLCONF option: %s" % argv[j].decode("utf-8", "replace"))
    return OK


@command("psync")
def psync(c, argv):
    return get_repl(c.server).primary.sync_command(c, argv)


@command("sync")
def sync(c, argv):
    return get_repl(c.server).primary.sync_command(c, argv)


@command("wait")
def wait(c, argv):
    server = c.server
    if server.replica_of is not None:
        raise CommandError("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
                           "if a replica is configured to be writable (which is not the default) writes to "
                           "replicas are just local and are not propagated.")
    if not is_strict_int(argv[1]):
        raise CommandError(_NOT_INT)
    num = int(argv[1])
    if not is_strict_int(argv[2]):
        raise CommandError("ERR timeout is not an integer or out of range")
    timeout_ms = int(argv[2])
    if timeout_ms < 0:
        raise CommandError("ERR timeout is negative")
    repl = get_repl(server)
    repl.flush()
    p = repl.primary
    offset = c.woff
    acked = p.count_acked(offset)
    if acked >= num or c.multi is not None or c.in_exec:
        return integer(acked)

    def timed_out(cl, offset=offset):
        p.waiters[:] = [w for w in p.waiters if w[0] is not cl]
        return integer(p.count_acked(offset))

    server.block(c, c.db, [], timeout_ms / 1000.0, lambda cl, key: None, timed_out, None, None, kind="wait")
    p.waiters.append((c, offset, num))
    p.request_acks()
    c.blocked.deadline = time.monotonic() + timeout_ms / 1000.0 if timeout_ms else 0.0
    return None
