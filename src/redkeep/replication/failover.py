"""FAILOVER: a planned switch of roles between this primary and one of its
replicas (Redis 6.2+, replication.c failoverCommand / updateFailoverStatus).

States, as INFO's ``master_failover_state`` shows them:

* ``waiting-for-sync``: writes are paused (a WRITE pause of its own,
  independent of CLIENT PAUSE) and no PING is fed to the stream, so the
  replication offset stops moving; the first replica (or the named target)
  whose acknowledged offset reaches ours is chosen.  Why: the target must
  hold every acknowledged write before it is promoted, or they are lost.
* ``failover-in-progress``: we became a replica of the target and our
  PSYNC carries ``FAILOVER``; the target promotes itself when our replid is
  its own (it holds our history) and answers ``+CONTINUE``.  Then the pause
  ends and the paused writes meet a replica.  Why we demote first: there is
  never a moment with two primaries accepting writes.
* A timeout while waiting aborts (or, with FORCE, fails over anyway); a
  target that refuses our PSYNC, or cannot be reached, aborts: we become a
  primary again with our data, which we never discarded.
"""

from __future__ import annotations

import time

from ..commands.util import is_strict_int
from ..errors import CommandError
from .primary import ONLINE

NO_FAILOVER = "no-failover"
WAIT_FOR_SYNC = "waiting-for-sync"
IN_PROGRESS = "failover-in-progress"


class Failover:
    def __init__(self, repl):
        self.repl = repl
        self.server = repl.server
        self.state = NO_FAILOVER
        self.end = 0.0  # time.monotonic() deadline while waiting (0: none)
        self.force = False
        self.host = None
        self.port = 0
        self.check_scheduled = False

    # -- the command ---------------------------------------------------------------

    def command(self, argv) -> None:
        """FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: checks in
        Redis's order, then starts waiting for a replica to catch up."""
        s = self.server
        if s.config.get("cluster-enabled"):
            raise CommandError("ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.")
        if len(argv) == 2 and argv[1].lower() == b"abort":
            if self.state == NO_FAILOVER:
                raise CommandError("ERR No failover in progress.")
            self.abort("Failover manually aborted")
            return
        timeout_ms = 0
        force = False
        host = None
        port = 0
        j, n = 1, len(argv)
        while j < n:
            opt = argv[j].lower()
            if opt == b"timeout" and j + 1 < n and timeout_ms == 0:
                timeout_ms = _long(argv[j + 1])
                if timeout_ms <= 0:
                    raise CommandError("ERR FAILOVER timeout must be greater than 0")
                j += 1
            elif opt == b"to" and j + 2 < n and host is None:
                port = _long(argv[j + 2])
                host = argv[j + 1].decode("utf-8", "surrogateescape")
                j += 2
            elif opt == b"force" and not force:
                force = True
            else:
                raise CommandError("ERR syntax error")
            j += 1
        if self.state != NO_FAILOVER:
            raise CommandError("ERR FAILOVER already in progress.")
        if s.replica_of is not None:
            raise CommandError("ERR FAILOVER is not valid when server is a replica.")
        primary = self.repl.primary
        if not primary.replicas:
            raise CommandError("ERR FAILOVER requires connected replicas.")
        if force and (not timeout_ms or host is None):
            raise CommandError("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
        if host is not None:
            rc = self.find_replica(host, port)
            if rc is None:
                raise CommandError("ERR FAILOVER target HOST and PORT is not a replica.")
            if rc.state != ONLINE:
                raise CommandError("ERR FAILOVER target replica is not online.")
            self.host, self.port = host, port
            s.log.notice("FAILOVER requested to %s:%d.", host, port)
        else:
            s.log.notice("FAILOVER requested to any replica.")
        self.end = time.monotonic() + timeout_ms / 1000.0 if timeout_ms else 0.0
        self.force = force
        self.state = WAIT_FOR_SYNC
        s.set_failover_pause(True)

    def find_replica(self, host: str, port: int):
        for rc in self.repl.primary.replicas.values():
            if rc.info_ip().lower() == host.lower() and rc.port == port:
                return rc
        return None

    # -- progress ----------------------------------------------------------------------

    def schedule_check(self) -> None:
        """After an ACK: look at the offsets once the loop is back (the
        switch drops clients, which must not happen inside a command)."""
        if self.state == WAIT_FOR_SYNC and not self.check_scheduled and self.server.loop is not None:
            self.check_scheduled = True
            self.server.loop.call_soon(self._scheduled_check)

    def _scheduled_check(self) -> None:
        self.check_scheduled = False
        self.update()

    def update(self) -> None:
        """updateFailoverStatus (each cron tick and after ACKs)."""
        if self.state != WAIT_FOR_SYNC:
            return
        s = self.server
        if self.end and time.monotonic() >= self.end:
            if self.force:
                s.log.notice("FAILOVER to %s:%d time out exceeded, failing over.", self.host, self.port)
                self._switch()
            else:
                self.abort("Replica never caught up before timeout")
            return
        target = s.master_repl_offset
        if self.host is not None:
            rc = self.find_replica(self.host, self.port)
            if rc is None or rc.ack_off != target:
                return
        else:
            rc = next((r for r in self.repl.primary.replicas.values() if r.ack_off == target), None)
            if rc is None:
                return
            self.host, self.port = rc.info_ip(), rc.port
        s.log.notice("Failover target %s:%d is synced, failing over.", self.host, self.port)
        self._switch()

    def _switch(self) -> None:
        self.state = IN_PROGRESS
        self.repl.set_master(self.host, self.port)

    def psync_done(self, accepted: bool, why: str = "Failover target rejected psync request") -> None:
        """Our PSYNC FAILOVER was answered (the replica side calls this)."""
        if self.state != IN_PROGRESS:
            return
        if accepted:
            self.clear()
        else:
            self.abort(why)

    def abort(self, why: str) -> None:
        """abortFailover: back to a primary if we had switched."""
        if self.state == NO_FAILOVER:
            return
        s = self.server
        if self.host is not None:
            s.log.notice("FAILOVER to %s:%d aborted: %s", self.host, self.port, why)
        else:
            s.log.notice("FAILOVER to any replica aborted: %s", why)
        if self.state == IN_PROGRESS:
            self.repl.unset_master()
        self.clear()

    def clear(self) -> None:
        self.state = NO_FAILOVER
        self.end = 0.0
        self.force = False
        self.host = None
        self.port = 0
        self.server.set_failover_pause(False)

    @property
    def active(self) -> bool:
        return self.state != NO_FAILOVER

    @property
    def waiting(self) -> bool:
        return self.state == WAIT_FOR_SYNC

    @property
    def in_progress(self) -> bool:
        return self.state == IN_PROGRESS


def _long(b: bytes) -> int:
    if not is_strict_int(b) or not -2 ** 63 <= int(b) < 2 ** 63:
        raise CommandError("ERR value is not an integer or out of range")
    return int(b)
