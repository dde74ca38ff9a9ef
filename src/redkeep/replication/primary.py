"""The primary's side: replica links, full and partial resynchronisation,
acknowledgements, WAIT, min-replicas.  Mirrors the master half of Redis's
``replication.c`` (syncCommand, masterTryPartialResynchronization,
startBgsaveForReplication, updateSlavesWaitingBgsave, replconfCommand,
waitCommand, refreshGoodSlavesCount).

A replica is an ordinary ``Client`` that sent SYNC/PSYNC; its replication
state lives in a ``ReplicaConn`` (Client has fixed slots).  States, as Redis:

    wait_bgsave_start -> wait_bgsave_end -> send_bulk (disk only) -> online

Full sync takes a fork-less snapshot (persistence/snapshot.py) at a moment T
and remembers master_repl_offset at T; from T on, the stream bytes for that
replica are held in ``pending`` and sent after the RDB, so the replica
continues from exactly the RDB's offset.

* disk (``repl-diskless-sync no`` or a replica without ``capa eof``): a BGSAVE
  through persistence/rdb.py, then the file is sent as ``$<len>\\r\\n<rdb>``;
  a replica arriving while that BGSAVE runs attaches to it, its pending bytes
  taken from the backlog since T.
* diskless: one snapshot streamed to every waiting replica socket as
  ``$EOF:<mark>\\r\\n<rdb><mark>``, after ``repl-diskless-sync-delay`` seconds
  (or as soon as ``repl-diskless-sync-max-replicas`` wait); as Redis, the
  stream starts only after the replica's first REPLCONF ACK.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

from ..persistence.rdb import rdb_options
from ..persistence.snapshot import Snapshot
from ..rdb import RdbWriter, standard_aux
from ..rdb.encoder import dump_rdb

WAIT_BGSAVE_START = "wait_bgsave_start"
WAIT_BGSAVE_END = "wait_bgsave_end"
SEND_BULK = "send_bulk"
ONLINE = "online"

SOCKET_HIGH_WATER = 8 << 20  # bytes queued on a replica socket before the RDB producer waits


class ReplicaConn:
    __slots__ = (
        "ack_off",
        "ack_time",
        "addr_key",
        "c",
        "capa_eof",
        "capa_psync2",
        "initial_offset",
        "ip",
        "job",
        "old_sync",
        "pending",
        "pending_bytes",
        "port",
        "rdb_filter",
        "since",
        "state",
        "stream_on_ack",
        "streaming",
    )

    def __init__(self, c):
        self.c = c
        self.state = None
        self.capa_eof = False
        self.capa_psync2 = False
        self.port = 0
        self.ip = None
        self.ack_off = 0
        self.ack_time = time.time()
        self.initial_offset = -1
        self.pending = None  # list of stream chunks held during the full sync
        self.pending_bytes = 0
        self.streaming = False  # stream bytes go straight to the socket
        self.stream_on_ack = False
        self.old_sync = False
        self.since = time.monotonic()
        self.job = None
        self.rdb_filter = None  # REPLCONF rdb-filter-only: the parts kept ({"functions"} or empty)

    def address(self) -> str:
        ip = self.ip or self.c.addr.rsplit(":", 1)[0]
        return "%s:%d" % (ip, self.port)

    def info_ip(self) -> str:
        return self.ip or self.c.addr.rsplit(":", 1)[0]


class _DisklessSink:
    """Snapshot sink writing the RDB to every replica socket of the job."""

    def __init__(self, job):
        self.job = job

    def write(self, chunk) -> None:
        data = bytes(chunk)
        for rc in self.job.targets:
            t = rc.c.transport
            if t is not None and not t.is_closing():
                t.write(data)
        self.job.primary.server.stat_net_repl_output_bytes += len(data) * len(self.job.targets)

    def queued_bytes(self) -> int:
        q = 0
        for rc in self.job.targets:
            t = rc.c.transport
            if t is not None and not t.is_closing():
                q = max(q, t.get_write_buffer_size())
        return q

    def drain(self) -> None:
        pass


class SyncJob:
    """One snapshot serving one or more replicas."""

    def __init__(self, primary, kind: str, offset: int):
        self.primary = primary
        self.kind = kind  # "disk" | "socket"
        self.offset = offset
        self.targets: list = []
        self.snap = None
        self.mark = None
        self.done = False


class Primary:
    def __init__(self, repl):
        self.repl = repl
        self.server = repl.server
        self.replicas: dict = {}  # Client -> ReplicaConn (SYNC/PSYNC done), in attach order
        self.handshakes: dict = {}  # Client -> ReplicaConn (REPLCONF seen, no PSYNC yet)
        self.job = None  # the SyncJob in progress
        self.good_replicas = 0
        self.waiters: list = []  # clients blocked in WAIT: (c, offset, numreplicas)
        self.getack_scheduled = False
        self.no_replicas_since = time.time()
        self.dropped_reason: dict = {}  # replica address -> why its last link was dropped
        self.last_full_sync_reason = ""

    # -- REPLCONF -------------------------------------------------------------------

    def conn_for(self, c) -> ReplicaConn:
        rc = self.replicas.get(c) or self.handshakes.get(c)
        if rc is None:
            rc = self.handshakes[c] = ReplicaConn(c)
        return rc

    def on_ack(self, c, offset: int) -> None:
        rc = self.replicas.get(c)
        if rc is None:
            return
        rc.ack_off = max(rc.ack_off, offset)
        rc.ack_time = time.time()
        self.repl.failover.schedule_check()
        if rc.stream_on_ack and rc.state == ONLINE:
            self.start_stream(rc)
        if self.waiters:
            self.check_waiters()

    # -- SYNC / PSYNC -----------------------------------------------------------------

    def sync_command(self, c, argv) -> bytes | None:
        s = self.server
        repl = self.repl
        if c.is_replica:
            return None
        from ..errors import CommandError
        if len(argv) > 3 and argv[0].lower() == b"psync" and argv[3].lower() == b"failover":
            # The old primary of a FAILOVER asks us to take over: only if we
            # hold its history (its replid is ours), see failover.py.
            replid = argv[1].decode("utf-8", "replace")
            s.log.warning("Failover request received for replid %s.", replid)
            if s.replica_of is None:
                raise CommandError("ERR PSYNC FAILOVER can't be sent to a master.")
            if replid.lower() != s.replid.lower():
                raise CommandError("ERR PSYNC FAILOVER replid must match my replid.")
            repl.unset_master()
            s.log.notice("MASTER MODE enabled (failover request from '%s')", s.client_info(c))
        if repl.failover.active:
            raise CommandError("NOMASTERLINK Can't SYNC while failing over")
        if s.replica_of is not None and not s.master_link_up:
            raise CommandError("NOMASTERLINK Can't SYNC while not connected with my master")
        rc = self.handshakes.pop(c, None) or ReplicaConn(c)
        psync = argv[0].lower() == b"psync"
        if rc.rdb_filter is not None:
            if not rc.capa_eof:
                raise CommandError("ERR Filtered replica requires EOF capability")
            return self._filtered_rdb(rc, psync)
        s.log.notice("Replica %s asks for synchronization", rc.address())
        reason = None
        if psync:
            replid = argv[1].decode("utf-8", "replace")
            try:
                offset = int(argv[2])
            except ValueError:
                offset = -1
            reply, reason = self.try_partial(rc, replid, offset)
            if reply is not None:
                s.stat_sync_partial_ok += 1
                return reply
            if replid != "?":
                s.stat_sync_partial_err += 1
        else:
            rc.old_sync = True
            reason = "legacy SYNC"
        s.stat_sync_full += 1
        prior = self.dropped_reason.pop(rc.address(), None)
        if prior and reason and prior not in reason:
            reason = "%s (after %s)" % (reason, prior)
        self.last_full_sync_reason = reason or "unknown"
        s.log.notice("Full resync requested by replica %s (reason: %s)", rc.address(), self.last_full_sync_reason)
        self._mark_replica(c)
        rc.state = WAIT_BGSAVE_START
        rc.since = time.monotonic()
        self.replicas[c] = rc
        if repl.backlog is None and len(self.replicas) == 1:
            repl.create_backlog(new_id=True)
            s.log.notice("Replication backlog created, my new replication IDs are '%s' and '%s'",
                         s.replid, s.replid2)
        self.maybe_attach(rc)
        if rc.state == WAIT_BGSAVE_START:
            if self.wants_diskless([rc]) and s.config["repl-diskless-sync-delay"]:
                s.log.notice("Delay next BGSAVE for diskless SYNC")
            else:
                self.start_pending_syncs()
        return None

    def _rdb_meta(self):
        """(AUX fields, functions) of an RDB made for replicas now."""
        s = self.server
        rdb = getattr(s, "rdb", None)
        if rdb is not None:
            return rdb.aux_fields(), rdb.functions()
        return (standard_aux(int(time.time()), s.rss(), self.repl.rdb_repl_info()),
                list(getattr(s, "rdb_functions", ())))

    def _filtered_rdb(self, rc, psync: bool) -> bytes:
        """A client that asked for part of the RDB (redis-cli --functions-rdb
        sends REPLCONF rdb-filter-only functions): an RDB without the keys,
        made at once (it holds no data to snapshot), after which the link
        ends; such a client never takes the stream."""
        s = self.server
        aux, functions = self._rdb_meta()
        if "functions" not in rc.rdb_filter:
            functions = ()
        mark = os.urandom(20).hex().encode()
        head = b"+FULLRESYNC %s %d\r\n" % (s.replid.encode(), s.master_repl_offset) if psync else b""
        s.log.notice("Replica %s asks for a filtered RDB (%s): sent without the keys", rc.address(),
                     ", ".join(sorted(rc.rdb_filter)) or "nothing")
        rc.c.close_after_reply()
        return head + b"$EOF:%s\r\n" % mark + dump_rdb({}, aux, functions, rdb_options(s.config)) + mark

    def try_partial(self, rc, replid: str, offset: int):
        """(reply, None) when accepted, else (None, reason for the full sync)."""
        s = self.server
        repl = self.repl
        if replid == "?":
            return None, "replica asked for a full resync"
        if replid != s.replid and not (replid == s.replid2 and offset <= s.second_repl_offset):
            if replid != s.replid2:
                s.log.notice("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for "
                             "'%s', my replication IDs are '%s' and '%s')", replid, s.replid, s.replid2)
                return None, "replid mismatch"
            s.log.notice("Partial resynchronization not accepted: Requested offset for second ID was %d, but I "
                         "can reply up to %d", offset, s.second_repl_offset)
            return None, "offset out of range"
        repl.flush()
        bl = repl.backlog
        if bl is None:
            s.log.notice("Unable to partial resync with replica %s for lack of backlog (Replica request was: %d).",
                         rc.address(), offset)
            return None, "no backlog"
        if not bl.covers(offset):
            s.log.notice("Unable to partial resync with replica %s for lack of backlog (Replica request was: %d).",
                         rc.address(), offset)
            if offset > s.master_repl_offset:
                s.log.warning("Warning: replica %s tried to PSYNC with an offset that is greater than the master "
                              "replication offset.", rc.address())
            return None, "offset out of range"
        c = rc.c
        self._mark_replica(c)
        rc.state = ONLINE
        rc.ack_time = time.time()
        rc.streaming = True
        self.replicas[c] = rc
        self.dropped_reason.pop(rc.address(), None)
        data = bl.read_from(offset)
        head = b"+CONTINUE %s\r\n" % s.replid.encode() if rc.capa_psync2 else b"+CONTINUE\r\n"
        s.stat_net_repl_output_bytes += len(data)
        s.log.notice("Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting "
                     "from offset %d.", rc.address(), len(data), offset)
        self.refresh_good()
        return head + data, None

    def _mark_replica(self, c) -> None:
        c.is_replica = True
        c.kind = "replica"
        if self.server.config["repl-disable-tcp-nodelay"]:
            # Fewer, bigger packets to the replica at the cost of latency.
            sock = c.transport.get_extra_info("socket") if c.transport is not None else None
            if sock is not None:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
                except OSError:
                    pass

    def wants_diskless(self, rcs) -> bool:
        return bool(self.server.config["repl-diskless-sync"]) and all(r.capa_eof and not r.old_sync for r in rcs)

    def maybe_attach(self, rc) -> None:
        """A disk BGSAVE for replication is running: share it when its
        stream since T is still in the backlog (Redis copies the output
        buffer of a replica already waiting for it)."""
        job = self.job
        repl = self.repl
        if job is None or job.kind != "disk" or job.done or rc.old_sync:
            return
        repl.flush()
        bl = repl.backlog
        if bl is None or not bl.covers(job.offset + 1):
            self.server.log.notice("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC")
            return
        self.server.log.notice("Waiting for end of BGSAVE for SYNC")
        self._setup_full(rc, job)
        data = bl.read_from(job.offset + 1)
        if data:
            rc.pending.append(data)
            rc.pending_bytes += len(data)

    def _setup_full(self, rc, job) -> None:
        """replicationSetupSlaveForFullResync: +FULLRESYNC and hold the stream from T."""
        s = self.server
        rc.state = WAIT_BGSAVE_END
        rc.initial_offset = job.offset
        rc.pending = []
        rc.pending_bytes = 0
        rc.streaming = False
        rc.job = job
        job.targets.append(rc)
        self.repl.seldb = -1  # the stream after T starts with SELECT
        if not rc.old_sync:
            self._send(rc.c, b"+FULLRESYNC %s %d\r\n" % (s.replid.encode(), job.offset))

    @staticmethod
    def _send(c, data: bytes) -> None:
        if c.batching:
            c.out.append(data)
        elif c.transport is not None and not c.transport.is_closing():
            c.flush_deferred()  # its earlier replies first
            c.transport.write(data)

    def start_pending_syncs(self, now: float | None = None, cron: bool = False) -> None:
        """Start a snapshot for the replicas in wait_bgsave_start, when
        nothing else snapshots and the diskless delay allows."""
        s = self.server
        waiting = [rc for rc in self.replicas.values() if rc.state == WAIT_BGSAVE_START]
        if not waiting or self.job is not None:
            return
        if s.snapshot is not None or (getattr(s, "rdb", None) is not None and s.rdb.in_progress()):
            return  # another snapshot runs (BGSAVE, AOF rewrite): wait for its end
        diskless = self.wants_diskless(waiting)
        if diskless:
            cfg = s.config
            delay = cfg["repl-diskless-sync-delay"]
            maxr = cfg["repl-diskless-sync-max-replicas"]
            idle = (now or time.monotonic()) - min(rc.since for rc in waiting)
            if delay and idle < delay and not (maxr and len(waiting) >= maxr):
                return
            self.start_socket_job(waiting)
        else:
            self.start_disk_job(waiting)

    # -- disk target -------------------------------------------------------------------

    def start_disk_job(self, waiting) -> None:
        s = self.server
        rdb = getattr(s, "rdb", None)
        repl = self.repl
        repl.flush()
        job = SyncJob(self, "disk", s.master_repl_offset)
        s.log.notice("Starting BGSAVE for SYNC with target: disk")
        if rdb is None or not rdb.start_bgsave() or rdb.bgsave is None:
            s.log.warning("BGSAVE for replication failed")
            for rc in waiting:
                self._send(rc.c, b"-ERR BGSAVE failed, maybe there is no disk space available?\r\n")
                self.drop(rc, "BGSAVE for replication failed")
            return
        self.job = job
        for rc in waiting:
            self._setup_full(rc, job)
        rdb.waiters.append(lambda ok, job=job: self._disk_done(job, ok))

    def _disk_done(self, job, ok: bool) -> None:
        s = self.server
        job.done = True
        if self.job is job:
            self.job = None
        if not ok:
            s.log.warning("SYNC failed. BGSAVE child returned an error")
            for rc in list(job.targets):
                self.drop(rc, "BGSAVE for replication failed")
        else:
            # One open file per replica (a dup would share the file offset),
            # all opened now, before another BGSAVE may replace the file.
            for rc in list(job.targets):
                if rc.c not in self.replicas or rc.state != WAIT_BGSAVE_END:
                    continue
                try:
                    fd = os.open(s.rdb.path, os.O_RDONLY)
                except OSError as e:
                    s.log.warning("SYNC failed. Can't open/stat DB after BGSAVE: %s", e.strerror)
                    self.drop(rc, "RDB file missing after BGSAVE")
                    continue
                rc.state = SEND_BULK
                s.loop.create_task(self._send_file(rc, fd))
        self.start_pending_syncs()

    async def _send_file(self, rc, fd: int) -> None:
        s = self.server
        t = rc.c.transport
        try:
            size = os.fstat(fd).st_size
            t.write(b"$%d\r\n" % size)
            while True:
                if t.is_closing() or rc.c not in self.replicas:
                    return
                chunk = os.read(fd, 1 << 18)
                if not chunk:
                    break
                t.write(chunk)
                s.stat_net_repl_output_bytes += len(chunk)
                while t.get_write_buffer_size() > SOCKET_HIGH_WATER and not t.is_closing():
                    await asyncio.sleep(0.002)
        except OSError as e:
            s.log.warning("Read error sending DB to replica: %s", e.strerror)
            self.drop(rc, "read error sending the RDB")
            return
        finally:
            os.close(fd)
        self.put_online(rc)
        self.start_stream(rc)

    # -- socket target (diskless) --------------------------------------------------------

    def start_socket_job(self, waiting) -> None:
        s = self.server
        repl = self.repl
        repl.flush()
        job = SyncJob(self, "socket", s.master_repl_offset)
        job.mark = os.urandom(20).hex().encode()
        for rc in waiting:
            self._setup_full(rc, job)
            self._send(rc.c, b"$EOF:%s\r\n" % job.mark)
        s.log.notice("Starting BGSAVE for SYNC with target: replicas sockets")
        aux, functions = self._rdb_meta()
        job.snap = Snapshot(s, _DisklessSink(job), lambda wr: RdbWriter(wr, rdb_options(s.config)), aux, functions)
        s.snapshot = job.snap
        self.job = job
        s.loop.call_soon(self._socket_slice, job)

    def _socket_slice(self, job) -> None:
        s = self.server
        if self.job is not job:
            return
        job.targets = [rc for rc in job.targets if rc.c in self.replicas]
        if not job.targets:
            s.log.warning("Diskless rdb transfer, last replica dropped, killing fork child.")
            self._end_socket_job(job)
            return
        try:
            done = job.snap.step()
        except Exception as e:  # an encoder bug must not take the primary down
            s.log.warning("Diskless RDB transfer failed: %r", e, exc_info=True)
            for rc in list(job.targets):
                self.drop(rc, "RDB transfer failed")
            self._end_socket_job(job)
            return
        if not done:
            if job.snap.sink.queued_bytes() > SOCKET_HIGH_WATER:
                s.loop.call_later(0.002, self._socket_slice, job)
            else:
                s.loop.call_soon(self._socket_slice, job)
            return
        for rc in job.targets:
            self._send(rc.c, job.mark)
            # As Redis: online now, but the stream starts with its first ACK,
            # the sign the replica has loaded the RDB.
            self.put_online(rc)
            rc.stream_on_ack = True
        s.log.notice("Diskless rdb transfer done, %d replicas served", len(job.targets))
        self._end_socket_job(job)

    def _end_socket_job(self, job) -> None:
        s = self.server
        job.done = True
        if job.snap is not None and not job.snap.finished:
            job.snap.abort()
        if s.snapshot is job.snap:
            s.snapshot = None
        if self.job is job:
            self.job = None
        s.loop.call_soon(self.start_pending_syncs)

    # -- online -------------------------------------------------------------------------

    def put_online(self, rc) -> None:
        rc.state = ONLINE
        rc.ack_time = time.time()
        rc.job = None
        self.refresh_good()
        self.server.log.notice("Synchronization with replica %s succeeded", rc.address())

    def start_stream(self, rc) -> None:
        """The replica loaded the RDB: send what accumulated since T, then go live."""
        rc.stream_on_ack = False
        if rc.streaming:
            return
        self.repl.flush()
        pending, rc.pending = rc.pending or [], None
        rc.pending_bytes = 0
        t = rc.c.transport
        if pending and t is not None and not t.is_closing():
            data = b"".join(pending)
            t.write(data)
            self.server.stat_net_repl_output_bytes += len(data)
        rc.streaming = True

    def feed(self, data: bytes) -> None:
        """Stream bytes (already in the backlog) to every replica; what a
        replica cannot take yet counts against client-output-buffer-limit
        replica (socket buffer while streaming, held stream during a sync)."""
        limits = None
        for rc in list(self.replicas.values()):
            if rc.streaming:
                t = rc.c.transport
                if t is not None and not t.is_closing():
                    t.write(data)
                    self.server.stat_net_repl_output_bytes += len(data)
                    queued = t.get_write_buffer_size()
                    if queued:
                        limits = limits or self._limits()
                        self._check_limit(rc, queued, limits)
            elif rc.pending is not None:
                rc.pending.append(data)
                rc.pending_bytes += len(data)
                limits = limits or self._limits()
                self._check_limit(rc, rc.pending_bytes, limits)

    def _limits(self):
        lim = self.server.config.get("client-output-buffer-limit") or {}
        return lim.get("replica", (0, 0, 0))

    def _check_limit(self, rc, size: int, limits) -> None:
        hard, soft, secs = limits
        c = rc.c
        over = False
        if hard and size >= hard:
            over = True
        elif soft and size >= soft:
            now = time.monotonic()
            if not c.obuf_soft_since:
                c.obuf_soft_since = now
            elif now - c.obuf_soft_since >= secs:
                over = True
        else:
            c.obuf_soft_since = 0.0
        if over:
            self.server.log.warning("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
                                    self.server.client_info(c))
            self.drop(rc, "output buffer overrun")

    def drop(self, rc, reason: str) -> None:
        self.dropped_reason[rc.address()] = reason
        t = rc.c.transport
        if t is not None:
            t.abort() if reason == "output buffer overrun" else t.close()
        self.forget(rc.c)

    def forget(self, c) -> None:
        self.handshakes.pop(c, None)
        rc = self.replicas.pop(c, None)
        if rc is None:
            return
        if rc.state == ONLINE or rc.state == SEND_BULK:
            self.server.log.notice("Connection with replica %s lost.", rc.address())
        if rc.job is not None and rc in rc.job.targets and rc.job.kind == "disk":
            rc.job.targets.remove(rc)
        if not self.replicas:
            self.no_replicas_since = time.time()
        self.refresh_good()

    def disconnect_all(self) -> None:
        """disconnectSlaves: they reconnect and PSYNC (PSYNC2 keeps it partial)."""
        for c in list(self.replicas):
            if c.transport is not None:
                c.transport.close()
            self.forget(c)

    # -- cron (1 Hz parts in replicationCron) ------------------------------------------------

    def cron_second(self, now_unix: float, loops: int) -> None:
        s = self.server
        cfg = s.config
        repl = self.repl
        # No PING while a FAILOVER waits for a replica to reach our offset
        # (it would move the offset it is waiting for).
        if (s.replica_of is None and self.replicas and loops % cfg["repl-ping-replica-period"] == 0
                and not repl.failover.waiting):
            repl.feed_command(-1, [b"ping"])
        for rc in list(self.replicas.values()):
            # Keepalive newlines to replicas waiting for the RDB to start:
            # not part of the stream, they do not move offsets.
            if rc.state == WAIT_BGSAVE_START or (rc.state == WAIT_BGSAVE_END and rc.job is not None
                                                 and rc.job.kind == "disk") or s.replica_of is not None and not s.master_link_up and rc.state == ONLINE:
                self._send(rc.c, b"\n")
        timeout = cfg["repl-timeout"]
        for rc in list(self.replicas.values()):
            if rc.state == ONLINE and not rc.old_sync and now_unix - rc.ack_time > timeout:
                s.log.warning("Disconnecting timedout replica (streaming sync): %s", rc.address())
                self.drop(rc, "replica timed out")
        ttl = cfg["repl-backlog-ttl"]
        if (s.replica_of is None and not self.replicas and ttl and repl.backlog is not None
                and now_unix - self.no_replicas_since > ttl):
            repl.free_backlog_after_ttl(int(now_unix - self.no_replicas_since))
        self.refresh_good()

    # -- min-replicas / WAIT ----------------------------------------------------------------

    def refresh_good(self) -> None:
        s = self.server
        cfg = s.config
        lag = cfg["min-replicas-max-lag"]
        now = time.time()
        self.good_replicas = sum(1 for rc in self.replicas.values()
                                 if rc.state == ONLINE and now - rc.ack_time <= lag)
        need = cfg["min-replicas-to-write"]
        deny = bool(need and lag and self.good_replicas < need)
        if deny != s.repl_noreplicas:
            s.repl_noreplicas = deny
            s.refresh_checks()

    def count_acked(self, offset: int) -> int:
        return sum(1 for rc in self.replicas.values() if rc.state == ONLINE and rc.ack_off >= offset)

    def request_acks(self) -> None:
        """REPLCONF GETACK * to every replica, once before the loop sleeps."""
        if self.getack_scheduled:
            return
        self.getack_scheduled = True
        self.server.loop.call_soon(self._send_getack)

    def _send_getack(self) -> None:
        self.getack_scheduled = False
        if self.server.replica_of is None and self.replicas:
            self.repl.feed_command(-1, [b"REPLCONF", b"GETACK", b"*"])
            self.repl.flush()

    def check_waiters(self) -> None:
        for c, offset, num in list(self.waiters):
            if c.blocked is None or c.blocked.kind != "wait":
                self.waiters.remove((c, offset, num))
                continue
            n = self.count_acked(offset)
            if n >= num:
                self.waiters.remove((c, offset, num))
                from ..resp import integer
                self.server.unblock(c, integer(n))
