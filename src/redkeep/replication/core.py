"""Replication state shared by both roles: replication ids and offsets, the
backlog, the stream fed by ``propagate``, role changes, INFO and ROLE.
Mirrors the common half of Redis's ``replication.c`` (replicationFeedSlaves,
shiftReplicationId, replicationSetMaster / replicationUnsetMaster,
replicationCron, rdbPopulateSaveInfo) and the replication part of
genRedisInfoString.

The ids and offsets live on the Server (``replid``, ``replid2``,
``second_repl_offset``, ``master_repl_offset``) where INFO, DEBUG and the RDB
AUX fields read them.  On a primary the stream is made here from every
propagated command (SELECT inserted when the db changes); on a replica the
stream is the master's, proxied byte for byte after it is applied
(replica.py), so a chained replica sees the top primary's offsets.

Stream bytes are collected and written once per event-loop turn (``flush``),
so a pipelined burst of writes costs one socket write per replica, not one
per command; ``master_repl_offset`` is exact at every moment.
"""

from __future__ import annotations

import os
import time

from ..resp import array_header, bulk, bulk_array, encode_command, integer
from .backlog import Backlog
from .primary import ONLINE, SEND_BULK, WAIT_BGSAVE_END, WAIT_BGSAVE_START, Primary
from .replica import ReplicaSide

ZERO_ID = "0" * 40
# encode_command for the common arities, in one formatting call.
_FMT2 = b"*2\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n"
_FMT3 = b"*3\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n"

_INFO_STATE = {WAIT_BGSAVE_START: "wait_bgsave", WAIT_BGSAVE_END: "wait_bgsave", SEND_BULK: "send_bulk",
               ONLINE: "online"}


def get_repl(server) -> Replication:
    repl = getattr(server, "repl", None)
    if repl is None:
        repl = Replication(server)
    return repl


class Replication:
    def __init__(self, server):
        self.server = server
        server.repl = self
        for name, v in (("master_repl_offset", 0), ("second_repl_offset", -1), ("stat_sync_full", 0),
                        ("stat_sync_partial_ok", 0), ("stat_sync_partial_err", 0),
                        ("stat_net_repl_input_bytes", 0), ("stat_net_repl_output_bytes", 0),
                        ("repl_noreplicas", False)):
            if not hasattr(server, name):
                setattr(server, name, v)
        if not getattr(server, "replid2", None):
            server.replid2 = ZERO_ID
        server.rdb_repl_info = self.rdb_repl_info
        self.backlog = None
        self.seldb = -1  # slaveseldb: the db the stream last SELECTed
        self.chunks: list = []
        self.flush_scheduled = False
        self.cron_loops = 0
        self.last_second = 0
        self.primary = Primary(self)
        self.replica = ReplicaSide(self)
        from .failover import Failover
        self.failover = Failover(self)
        server.cron_hooks.append(self.cron)
        server.disconnect_hooks.append(self.on_disconnect)
        server.shutdown_hooks.append(self.on_shutdown)
        cfg = server.config
        cfg.hooks["repl-backlog-size"] = self._on_backlog_size
        for name in ("min-replicas-to-write", "min-replicas-max-lag"):
            cfg.hooks[name] = lambda old, new: self.primary.refresh_good()
        from ..commands import t_info
        t_info.register_section("replication", lambda s: self.info_lines())

    @property
    def backlog(self):
        return self._backlog

    @backlog.setter
    def backlog(self, b) -> None:
        """The stream is fed only while a backlog exists (from the first
        replica on), as in Redis: until then writes pay nothing for it."""
        self._backlog = b
        listeners = self.server.propagate_listeners
        if b is not None:
            if self.on_propagate not in listeners:
                listeners.append(self.on_propagate)
        elif self.on_propagate in listeners:
            listeners.remove(self.on_propagate)

    # -- the stream ------------------------------------------------------------------------

    def on_propagate(self, dbid: int, argv) -> None:
        s = self.server
        if self.backlog is None or s.replica_of is not None:
            return  # no replica ever attached; a replica proxies its master's stream
        if dbid != self.seldb and dbid >= 0:
            self.seldb = dbid
            self.feed(encode_command([b"SELECT", b"%d" % dbid]))
        n = len(argv)
        if n == 3:
            a, b, c = argv
            data = _FMT3 % (len(a), a, len(b), b, len(c), c)
        elif n == 2:
            a, b = argv
            data = _FMT2 % (len(a), a, len(b), b)
        else:
            data = encode_command(argv)
        s.master_repl_offset += len(data)
        self.chunks.append(data)
        if not self.flush_scheduled:
            self._schedule_flush()
        c = s.current_client
        if c is not None:
            c.woff = s.master_repl_offset  # what WAIT waits for

    def feed_command(self, dbid: int, argv) -> None:
        """A stream-only command (ping, REPLCONF GETACK): no SELECT for dbid -1."""
        if self.backlog is None:
            return
        self.on_propagate(dbid, argv) if dbid >= 0 else self.feed(encode_command(argv))

    def feed(self, data: bytes) -> None:
        self.server.master_repl_offset += len(data)
        self.chunks.append(data)
        if not self.flush_scheduled:
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        loop = self.server.loop
        if loop is None:
            self.flush()
        else:
            self.flush_scheduled = True
            loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_scheduled = False
        chunks = self.chunks
        if not chunks:
            return
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        if self.backlog is not None:
            self.backlog.append(data)
        if self.primary.replicas:
            self.primary.feed(data)

    # -- ids and backlog ---------------------------------------------------------------------

    def create_backlog(self, new_id: bool = False) -> None:
        s = self.server
        if new_id:
            s.replid = os.urandom(20).hex()
            self.clear_replid2()
        self.backlog = Backlog(s.config["repl-backlog-size"], s.master_repl_offset)

    def free_backlog_after_ttl(self, secs: int) -> None:
        s = self.server
        self.flush()
        self.backlog = None
        s.replid = os.urandom(20).hex()
        self.clear_replid2()
        s.log.notice("Replication backlog freed after %d seconds without connected replicas.", secs)

    def clear_replid2(self) -> None:
        s = self.server
        s.replid2 = ZERO_ID
        s.second_repl_offset = -1

    def shift_replid(self) -> None:
        """shiftReplicationId: the old history stays valid up to here as replid2."""
        s = self.server
        s.replid2 = s.replid
        s.second_repl_offset = s.master_repl_offset + 1
        s.replid = os.urandom(20).hex()
        s.log.notice("Setting secondary replication ID to %s, valid up to offset: %d. New replication ID is %s",
                     s.replid2, s.second_repl_offset, s.replid)

    def _on_backlog_size(self, old, new) -> None:
        if self.backlog is not None:
            self.flush()
            self.backlog.resize(self.server.config["repl-backlog-size"])

    def rdb_repl_info(self):
        """rdbPopulateSaveInfo: (repl-stream-db, repl-id, repl-offset) or None."""
        s = self.server
        self.flush()
        if s.replica_of is None:
            if self.backlog is None:
                return None
            return (max(self.seldb, 0), s.replid, s.master_repl_offset)
        rep = self.replica
        if rep.master_client is not None:
            return (rep.master_client.db.id, s.replid, rep.reploff)
        if rep.cached is not None:
            return (rep.cached_db, rep.cached[0], rep.cached[1])
        return None

    # -- role changes ------------------------------------------------------------------------

    def set_master(self, host: str, port: int, caller=None, consent: bool = False) -> None:
        """replicationSetMaster (REPLICAOF host port, start-up replicaof)."""
        s = self.server
        was_master = s.replica_of is None
        s.replica_of = (host, port)
        self.server.config.values["replicaof"] = (host, port)
        s.master_link_up = False
        s.refresh_checks()
        from ..logsetup import set_role
        set_role("S")
        self.replica.cancel()
        if was_master:
            self.flush()
            self.replica.cache_myself()
            self._unblock_all()
            self._disconnect_normal_clients(caller)
        if consent:
            self.replica.consent_given()
        self.replica.state = "connect"
        self.replica.connect_soon(0)

    def unset_master(self, caller=None) -> None:
        """replicationUnsetMaster (REPLICAOF NO ONE): promotion."""
        s = self.server
        if s.replica_of is None:
            return
        s.replica_of = None
        self.server.config.values["replicaof"] = None
        self.replica.cancel()
        self.replica.cached = None
        self.replica.refused = None
        self.flush()
        self.shift_replid()
        self.primary.disconnect_all()
        self.replica.state = "none"
        self.replica.down_since = 0
        self.seldb = -1
        self.primary.no_replicas_since = time.time()
        s.master_link_up = False
        if self.backlog is None:
            self.create_backlog()
        s.refresh_checks()
        from ..logsetup import set_role
        set_role("M")
        self.primary.refresh_good()

    def _unblock_all(self) -> None:
        from ..resp import error
        s = self.server
        for c in list(s.clients.values()):
            if c.blocked is not None and not c.is_master:
                s.unblock(c, error("UNBLOCKED force unblock from blocking operation, instance state changed "
                                   "(master -> replica?)"))

    def _disconnect_normal_clients(self, caller) -> None:
        """Demotion: drop normal clients (not the caller, not replicas or
        monitors), so clients that discover the primary through Sentinel
        reconnect to the new one instead of reading from a replica."""
        s = self.server
        n = 0
        for c in list(s.clients.values()):
            if c is caller or c.is_master or c.is_replica or c in s.monitors or c.transport is None:
                continue
            if c.channels or c.patterns or c.shard_channels:
                continue
            c.transport.close()
            c.closing = True
            n += 1
        if n:
            s.log.notice("Disconnected %d normal client(s) on demotion to replica", n)

    # -- hooks ---------------------------------------------------------------------------------

    def on_disconnect(self, c) -> None:
        if c.is_replica or c in self.primary.handshakes:
            self.primary.forget(c)
        if c.is_master and self.replica.master_client is c:
            self.replica.on_master_client_gone()

    def on_shutdown(self, nosave: bool, save: bool) -> bool:
        self.flush()
        self.replica.save_sidecar()
        return True

    def cron(self, now: float) -> None:
        s = self.server
        p = self.primary
        self.failover.update()
        if p.replicas:
            p.start_pending_syncs(now, cron=True)
        sec = int(now)
        if sec == self.last_second:
            return
        self.last_second = sec
        self.cron_loops += 1
        unix = time.time()
        self.replica.cron_second(unix)
        p.cron_second(unix, self.cron_loops)
        if self.chunks and s.loop is None:
            self.flush()

    # -- startup ----------------------------------------------------------------------------------

    def restore_from_aux(self, aux: dict) -> bool:
        """After loading an RDB at start-up: take back the replication id and
        offset it recorded (Redis's rsi from the AUX fields)."""
        s = self.server
        try:
            replid = aux[b"repl-id"].decode()
            offset = int(aux[b"repl-offset"])
            stream_db = int(aux.get(b"repl-stream-db", b"0"))
        except (KeyError, ValueError, UnicodeDecodeError):
            return False
        if len(replid) != 40:
            return False
        if s.replica_of is not None:
            s.replid = replid
            s.master_repl_offset = offset
            self.replica.cached = (replid, offset)
            self.replica.cached_db = stream_db
            s.log.notice("Before turning into a replica, using my own master parameters to synthesize a cached "
                         "master: I may be able to synchronize with the new master with just a partial transfer.")
        else:
            s.replid2 = replid
            s.second_repl_offset = offset + 1
            s.master_repl_offset = offset
            self.backlog = Backlog(s.config["repl-backlog-size"], offset)
            self.primary.no_replicas_since = time.time()
        return True

    # -- observability ------------------------------------------------------------------------------

    def info_lines(self) -> list:
        s = self.server
        self.flush()
        cfg = s.config
        out = []
        rep = self.replica
        now = time.time()
        if s.replica_of is None:
            out.append("role:master")
        else:
            host, port = s.replica_of
            out += ["role:slave", "master_host:%s" % host, "master_port:%d" % port,
                    "master_link_status:%s" % ("up" if rep.state == "connected" else "down"),
                    "master_last_io_seconds_ago:%d" % (int(time.monotonic() - rep.master_client.last_interaction)
                                                      if rep.master_client is not None else -1),
                    "master_sync_in_progress:%d" % (1 if rep.state == "sync" else 0)]
            if rep.master_client is not None:
                read_off, off = rep.read_reploff, rep.reploff
            elif rep.cached is not None:
                read_off = off = rep.cached[1]
            else:
                read_off = off = 1
            out += ["slave_read_repl_offset:%d" % read_off, "slave_repl_offset:%d" % off]
            if rep.state == "sync":
                p = rep.payload
                size = p.size if p is not None and p.started else -1
                read = rep.transfer_read
                perc = read / size * 100 if size else 0.0  # -0.00 with an EOF mark, as Redis prints it
                out += ["master_sync_total_bytes:%d" % size, "master_sync_read_bytes:%d" % read,
                        "master_sync_left_bytes:%d" % (size - read), "master_sync_perc:%.2f" % perc,
                        "master_sync_last_io_seconds_ago:%d" % int(time.monotonic() - rep.last_io)]
            if rep.state != "connected":
                out.append("master_link_down_since_seconds:%d" % (int(now - rep.down_since) if rep.down_since
                                                                  else -1))
            out += ["slave_priority:%d" % cfg["replica-priority"],
                    "slave_read_only:%d" % (1 if cfg["replica-read-only"] else 0),
                    "replica_announced:%d" % (1 if cfg["replica-announced"] else 0)]
        p = self.primary
        out.append("connected_slaves:%d" % len(p.replicas))
        if cfg["min-replicas-to-write"] and cfg["min-replicas-max-lag"]:
            out.append("min_slaves_good_slaves:%d" % p.good_replicas)
        i = 0
        for rc in p.replicas.values():
            state = _INFO_STATE.get(rc.state)
            if state is None:
                continue
            lag = int(now - rc.ack_time) if rc.state == ONLINE else 0
            out.append("slave%d:ip=%s,port=%d,state=%s,offset=%d,lag=%d" % (i, rc.info_ip(), rc.port, state,
                                                                           rc.ack_off, lag))
            i += 1
        bl = self.backlog
        out += ["master_failover_state:%s" % self.failover.state,
                "master_replid:%s" % s.replid,
                "master_replid2:%s" % s.replid2,
                "master_repl_offset:%d" % s.master_repl_offset,
                "second_repl_offset:%d" % s.second_repl_offset,
                "repl_backlog_active:%d" % (1 if bl is not None else 0),
                "repl_backlog_size:%d" % cfg["repl-backlog-size"],
                "repl_backlog_first_byte_offset:%d" % (bl.offset if bl is not None else 0),
                "repl_backlog_histlen:%d" % (bl.histlen if bl is not None else 0)]
        # Beyond Redis: why the last full resync happened (primary side) and
        # why this replica refuses to sync (the empty-primary protection).
        if p.last_full_sync_reason:
            out.append("last_full_sync_reason:%s" % p.last_full_sync_reason)
        if rep.refused:
            out.append("master_sync_refused_reason:%s" % rep.refused)
        s.mem_replication_backlog = bl.memory() if bl is not None else 0
        return out

    def role_reply(self, c) -> bytes:
        s = self.server
        if s.replica_of is not None:
            host, port = s.replica_of
            rep = self.replica
            state = rep.state
            off = rep.reploff if rep.master_client is not None else -1
            return (b"*5\r\n$5\r\nslave\r\n" + bulk(str(host).encode()) + integer(int(port))
                    + bulk(state.encode()) + integer(off))
        self.flush()
        online = [rc for rc in self.primary.replicas.values() if rc.state == ONLINE]
        out = [b"*3\r\n$6\r\nmaster\r\n", integer(s.master_repl_offset), array_header(len(online))]
        for rc in online:
            out.append(bulk_array([rc.info_ip().encode(), b"%d" % rc.port, b"%d" % rc.ack_off]))
        return b"".join(out)
