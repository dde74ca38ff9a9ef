"""The replica's side: connecting to the master, the handshake, receiving and
loading the RDB, applying the stream.  Mirrors the replica half of Redis's
``replication.c`` (connectWithMaster, syncWithMaster, readSyncBulkPayload,
replicationCreateMasterClient, replicationCacheMaster, replicationSendAck,
the replica part of replicationCron).

States (ROLE names): none, connect, connecting, handshake, sync, connected.

Safety rules beyond Redis's:

* The RDB is parsed by a thread into fresh dicts while it arrives (and, with
  ``repl-diskless-load disabled``, also written to a temp file that becomes
  dump.rdb), the old dataset serving meanwhile; it is installed in one step
  only when the payload is complete, its end mark or length matched and its
  checksum verified.  A link cut or a corrupt payload leaves the old dataset
  (and the old dump.rdb) as they were.
* The empty-primary trap: a replica that holds keys refuses to replace them
  with an empty dataset from a primary whose history is not its own (a
  primary that restarted without persistence): it keeps its data, reports
  ``master_link_status:down`` with the reason, and waits for the operator
  (``REPLICAOF`` again, or ``replica-refuse-empty-master-sync no``).
* Reconnection backs off (0.25 s doubling to 2 s) instead of a fixed 1 s.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import deque

import hiredis

from ..resp import encode_command
from .handshake import Handshake, PayloadError, PayloadReader

BACKOFF_FIRST = 0.25
BACKOFF_MAX = 2.0


def enc_len(argv) -> int:
    """Length of argv as multibulk (how the master sent it)."""
    n = len(argv)
    total = (4 if n < 10 else 5 if n < 100 else len(b"%d" % n) + 3)
    for a in argv:
        m = len(a)
        total += m + (6 if m < 10 else 7 if m < 100 else 8 if m < 1000 else len(b"%d" % m) + 5)
    return total


class TransferAborted(Exception):
    pass


class ChunkFeed:
    """A blocking ``read(n)`` for the loader thread over chunks the event
    loop pushes as they arrive.  ``push`` returns True when the parser is
    behind by more than HIGH bytes (the loop then pauses the socket; the
    reader calls ``resume`` from the loop once it has caught up)."""

    HIGH = 64 << 20
    LOW = 16 << 20

    def __init__(self, loop, resume):
        self.loop = loop
        self.resume = resume
        self.cv = threading.Condition()
        self.chunks: deque = deque()
        self.queued = 0
        self.eof = False
        self.aborted = False
        self.paused = False

    def push(self, data: bytes) -> bool:
        with self.cv:
            self.chunks.append(data)
            self.queued += len(data)
            self.cv.notify()
            if self.queued > self.HIGH:
                self.paused = True
            return self.paused

    def close(self) -> None:
        with self.cv:
            self.eof = True
            self.cv.notify()

    def abort(self) -> None:
        with self.cv:
            self.aborted = True
            self.chunks.clear()
            self.cv.notify()

    def read(self, n: int) -> bytes:
        with self.cv:
            while not self.chunks and not self.eof and not self.aborted:
                self.cv.wait()
            if self.aborted:
                raise TransferAborted()
            out = []
            have = 0
            chunks = self.chunks
            while chunks and have < n:
                c = chunks.popleft()
                if have + len(c) > n:
                    cut = n - have
                    chunks.appendleft(c[cut:])
                    c = c[:cut]
                out.append(c)
                have += len(c)
            self.queued -= have
            if self.paused and self.queued < self.LOW:
                self.paused = False
                self.loop.call_soon_threadsafe(self.resume)
        return out[0] if len(out) == 1 else b"".join(out)


class MasterLink(asyncio.Protocol):
    def __init__(self, side, gen: int):
        self.side = side
        self.gen = gen
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.side.on_connected(self)

    def data_received(self, data: bytes) -> None:
        self.side.on_data(self, data)

    def connection_lost(self, exc) -> None:
        self.side.on_lost(self, exc)


def load_rdb(server, source) -> dict:
    """Read an RDB (bytes or a reader) into fresh dicts; touches no live state."""
    from ..persistence.rdb import load_limits
    from ..rdb import RdbError, RdbReader
    ndb = len(server.dbs)
    dbs: dict = {}
    stats = {"keys": 0}

    def on_select(dbid):
        if dbid >= ndb:
            raise RdbError("FATAL: Data file was created with a Redis server configured to handle more than "
                           "%d databases." % ndb, 0)

    def on_key(dbid, key, value, expire_ms, lru_idle, lfu_freq):
        d = dbs.get(dbid)
        if d is None:
            d = dbs[dbid] = ({}, {})
        data = d[0]
        if key in data:
            raise RdbError("Duplicated key found in RDB file", 0)
        data[key] = value
        if expire_ms is not None:
            d[1][key] = expire_ms
        stats["keys"] += 1

    cfg = server.config
    reader = RdbReader(source, make_zset=getattr(server, "make_zset_from_rdb", None), limits=load_limits(cfg),
                       verify_checksum=cfg.get("rdbchecksum", True))
    reader.load(on_select=on_select, on_key=on_key)
    return {"dbs": dbs, "aux": reader.aux, "functions": reader.functions, "keys": stats["keys"], "expired": 0}


class ReplicaSide:
    def __init__(self, repl):
        self.repl = repl
        self.server = repl.server
        self.state = "none"
        self.gen = 0
        self.link = None
        self.hs = None
        self.payload = None
        self.transfer_read = 0
        self.transfer_fd = None
        self.transfer_path = None
        self.feed = None
        self.load_result = None
        self.fullresync = None
        self.loading = False
        self.stash = b""
        self.master_client = None
        self.reader = None
        self.raw = bytearray()
        self.held = 0
        self.reploff = 0
        self.read_reploff = 0
        self.cached = None  # (replid, offset) to PSYNC with
        self.cached_db = 0
        self.down_since = 0.0  # unix time the link went down, 0 = never up
        self.last_io = time.monotonic()
        self.failures = 0
        self.connect_handle = None
        self.refused = None  # why we refuse to sync (empty-primary protection)
        self.allow_empty = False  # the operator accepted whatever the primary has
        self.ack_override = None
        server = self.server
        server.config.hooks["replica-refuse-empty-master-sync"] = self._on_refuse_config

    # -- connection management --------------------------------------------------------------

    def connect_soon(self, delay: float) -> None:
        loop = self.server.loop
        if loop is None:
            return
        if self.connect_handle is not None:
            self.connect_handle.cancel()
        self.connect_handle = loop.call_later(delay, self._connect)

    def _connect(self) -> None:
        self.connect_handle = None
        s = self.server
        if s.replica_of is None or self.state != "connect" or self.refused:
            return
        host, port = s.replica_of
        self.gen += 1
        gen = self.gen
        self.state = "connecting"
        self.last_io = time.monotonic()
        s.log.notice("Connecting to MASTER %s:%d", host, port)
        s.log.notice("MASTER <-> REPLICA sync started")
        s.loop.create_task(self._open(host, port, gen))

    async def _open(self, host, port, gen) -> None:
        s = self.server
        try:
            await asyncio.wait_for(s.loop.create_connection(lambda: MasterLink(self, gen), host, port),
                                   timeout=s.config["repl-timeout"])
        except (TimeoutError, OSError) as e:
            if gen != self.gen:
                return
            s.log.warning("Error condition on socket for SYNC: %s", getattr(e, "strerror", None) or
                          str(e) or "Connection timed out")
            self._retry_later()

    def _retry_later(self) -> None:
        if self.repl.failover.in_progress:
            # The target cannot be reached: be a primary again rather than
            # wait, writes paused, for a node that may be gone.
            self.repl.failover.abort("Failover target connection failed")
            return
        self.state = "connect"
        self.failures += 1
        if self.server.replica_of is not None and not self.refused:
            self.connect_soon(min(BACKOFF_FIRST * 2 ** (self.failures - 1), BACKOFF_MAX))

    def cancel(self) -> None:
        """cancelReplicationHandshake + drop the master link (its state is
        cached, so a new master may continue our history)."""
        self.gen += 1
        if self.connect_handle is not None:
            self.connect_handle.cancel()
            self.connect_handle = None
        link, self.link = self.link, None
        if self.master_client is not None:
            self._cache_master()
        self._abort_transfer()
        if link is not None and link.transport is not None:
            link.transport.abort()
        self.failures = 0
        if self.state != "none":
            self.state = "connect"
        self.server.master_link_up = False

    def cache_myself(self) -> None:
        s = self.server
        s.log.notice("Before turning into a replica, using my own master parameters to synthesize a cached "
                     "master: I may be able to synchronize with the new master with just a partial transfer.")
        self.cached = (s.replid, s.master_repl_offset)
        self.cached_db = max(self.repl.seldb, 0)

    def consent_given(self) -> None:
        if self.refused:
            self.server.log.warning("Empty-primary protection lifted by the operator: the next full "
                                    "synchronization may replace this replica's data.")
        self.refused = None
        self.allow_empty = True

    def _on_refuse_config(self, old, new) -> None:
        if not self.server.config["replica-refuse-empty-master-sync"] and self.refused:
            self.consent_given()
            self.state = "connect"
            self.connect_soon(0)

    # -- link events ----------------------------------------------------------------------------

    def on_connected(self, link) -> None:
        s = self.server
        if link.gen != self.gen or s.replica_of is None:
            link.transport.abort()
            return
        self.link = link
        self.state = "handshake"
        self.last_io = time.monotonic()
        s.log.notice("Non blocking connect for SYNC fired the event.")
        cfg = s.config
        replid, offset = ("?", -1) if self.cached is None else (self.cached[0], self.cached[1] + 1)
        self.hs = Handshake(port=cfg["replica-announce-port"] or cfg["port"], ip=cfg["replica-announce-ip"] or None,
                            masteruser=cfg["masteruser"] or None, masterauth=cfg["masterauth"] or None,
                            psync_replid=replid, psync_offset=offset, failover=self.repl.failover.in_progress)
        link.transport.write(self.hs.start())

    def on_data(self, link, data: bytes) -> None:
        if link is not self.link:
            return
        self.server.stat_net_repl_input_bytes += len(data)
        self.last_io = time.monotonic()
        if self.state == "connected":
            self._stream(data)
        else:
            self._dispatch(data)

    def _dispatch(self, data: bytes) -> None:
        st = self.state
        if st == "handshake":
            self._handshake(data)
        elif st == "sync":
            if self.loading:
                self.stash += data
            else:
                self._payload(data)
        elif st == "connected":
            self._stream(data)

    def _handshake(self, data: bytes) -> None:
        s = self.server
        rest = b""
        for ev in self.hs.feed(data):
            kind = ev[0]
            if kind == "send":
                self.link.transport.write(ev[1])
            elif kind == "log":
                (s.log.warning if ev[1] == "warning" else s.log.notice)(ev[2])
            elif kind == "retry":
                s.log.warning(ev[1])
                self._fail()
                return
            elif kind == "rejected":
                self.repl.failover.psync_done(False)  # back to a primary: drops this link
                if self.link is not None:
                    self._fail()
                return
            elif kind == "fullresync":
                self.repl.failover.psync_done(True)  # a full resync is a valid end too, as in Redis
                self._begin_full(ev[1], ev[2])
            elif kind == "sync":
                self._begin_full("?", -1)
            elif kind == "continue":
                self.repl.failover.psync_done(True)
                self._continue(ev[1])
            elif kind == "rest":
                rest = ev[1]
        if rest and self.link is not None:
            self._dispatch(rest)

    def _fail(self) -> None:
        """Drop a link that is not (yet) streaming, keep the data, retry."""
        link, self.link = self.link, None
        self.gen += 1
        self._abort_transfer()
        if link is not None and link.transport is not None:
            link.transport.abort()
        self._retry_later()

    def on_lost(self, link, exc) -> None:
        if link is not self.link:
            return
        s = self.server
        self.link = None
        if self.master_client is not None:
            s.log.warning("Connection with master lost.")
            s.log.notice("* Caching the disconnected master state.")
            self._cache_master()
            self.state = "connect"
            self.failures = 0
            if s.replica_of is not None:
                s.log.notice("Reconnecting to MASTER %s:%d after failure", *s.replica_of)
                self.connect_soon(0)  # as Redis: at once after losing an established link
        else:
            if self.state == "sync":
                s.log.warning("I/O error trying to sync with MASTER: connection lost")
            elif self.state == "handshake":
                s.log.warning("Master closed the connection during the handshake")
            self._abort_transfer()
            self._retry_later()

    def _cache_master(self) -> None:
        """replicationCacheMaster: remember (replid, applied offset) to PSYNC."""
        s = self.server
        mc, self.master_client = self.master_client, None
        self.cached = (s.replid, self.reploff)
        self.cached_db = mc.db.id
        self.raw = bytearray()
        self.held = 0
        self.reader = None
        s.clients.pop(mc.id, None)
        mc.transport = None
        self.down_since = time.time()
        s.master_link_up = False
        s.refresh_checks()

    def on_master_client_gone(self) -> None:
        if self.master_client is not None and self.link is not None:
            self.link.transport.close()

    # -- full resynchronisation ----------------------------------------------------------------

    def _begin_full(self, replid: str, offset: int) -> None:
        s = self.server
        if replid != "?":
            s.log.notice("Full resync from master: %s:%d", replid, offset)
        self.cached = None  # replicationDiscardCachedMaster
        self.fullresync = (replid, offset)
        self.state = "sync"
        self.payload = PayloadReader()
        self.transfer_read = 0
        self.loading = False
        self.stash = b""
        if s.config["repl-diskless-load"] == "disabled":
            # Redis writes the payload to a temp file first; so do we (it
            # becomes our dump.rdb), but we also parse it as it arrives.
            self.transfer_path = os.path.abspath("temp-%d.%d.rdb" % (int(time.time()), os.getpid()))
            try:
                self.transfer_fd = os.open(self.transfer_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            except OSError as e:
                s.log.warning("Opening the temp file needed for MASTER <-> REPLICA synchronization: %s",
                              e.strerror)
                self.transfer_path = None
                self._fail()
                return
        # The RDB is parsed by a thread while it arrives, into fresh dicts;
        # nothing is installed before the payload is complete and valid.
        self.feed = ChunkFeed(s.loop, self._resume_transfer)
        self.load_result = None
        gen = self.gen
        fut = s.loop.run_in_executor(None, load_rdb, s, self.feed)
        fut.add_done_callback(lambda f: self._load_finished(f, gen))

    def _resume_transfer(self) -> None:
        if self.link is not None and self.state == "sync" and not self.loading:
            self.link.transport.resume_reading()

    def _abort_transfer(self) -> None:
        if self.transfer_fd is not None:
            try:
                os.close(self.transfer_fd)
            except OSError:
                pass
            self.transfer_fd = None
        if self.transfer_path is not None:
            try:
                os.unlink(self.transfer_path)
            except OSError:
                pass
            self.transfer_path = None
        if self.feed is not None:
            self.feed.abort()
            self.feed = None
        self.load_result = None
        self.payload = None
        self.loading = False
        self.stash = b""

    def _payload(self, data: bytes) -> None:
        s = self.server
        p = self.payload
        was_started = p.started
        try:
            body, done, rest = p.feed(data)
        except PayloadError as e:
            s.log.warning("%s", e)
            self._fail()
            return
        if p.started and not was_started:
            if p.size < 0:
                s.log.notice("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to %s",
                             "disk" if self.transfer_path else "parser")
            else:
                s.log.notice("MASTER <-> REPLICA sync: receiving %d bytes from master to %s", p.size,
                             "disk" if self.transfer_path else "parser")
        if body:
            self.transfer_read += len(body)
            if self.transfer_fd is not None:
                try:
                    view = memoryview(body)
                    while view:
                        view = view[os.write(self.transfer_fd, view):]
                except OSError as e:
                    s.log.warning("Write error or short write writing to the DB dump file needed for MASTER <-> "
                                  "REPLICA synchronization: %s", e.strerror)
                    self._fail()
                    return
            if self.feed.push(body):
                self.link.transport.pause_reading()  # the parser is behind: bound the memory
        if done:
            self._payload_done(rest)

    def _payload_done(self, rest: bytes) -> None:
        s = self.server
        if self.transfer_fd is not None:
            try:
                os.fsync(self.transfer_fd)
            except OSError:
                pass
            os.close(self.transfer_fd)
            self.transfer_fd = None
        s.log.notice("MASTER <-> REPLICA sync: Loading DB in memory")
        self.loading = True
        self.stash = rest
        self.link.transport.pause_reading()
        self.feed.close()
        if self.load_result is not None:
            self._loaded()

    def _load_finished(self, fut, gen: int) -> None:
        if gen != self.gen or self.feed is None:
            return  # the transfer was abandoned; the old data stays
        try:
            self.load_result = ("ok", fut.result())
        except Exception as e:  # noqa: BLE001 - RdbError, OSError, anything: the payload is bad
            self.load_result = ("error", e)
        if self.loading or self.load_result[0] == "error":
            self._loaded()

    def _loaded(self) -> None:
        s = self.server
        kind, loaded = self.load_result
        self.load_result = None
        if kind == "error":
            s.log.warning("Failed trying to load the MASTER synchronization DB from disk, check server logs. (%s)",
                          loaded)
            self._fail()
            return
        self.feed = None
        replid, offset = self.fullresync
        if self._refuse_empty(loaded, replid, offset):
            return
        self._install(loaded, replid, offset)

    def _refuse_empty(self, loaded, replid: str, offset: int) -> bool:
        s = self.server
        if (loaded["keys"] or self.allow_empty or not s.config["replica-refuse-empty-master-sync"]
                or replid in (s.replid, s.replid2)):
            return False
        held = sum(len(db.data) for db in s.dbs)
        if not held or offset > s.master_repl_offset:
            return False
        host, port = s.replica_of
        # No commas: INFO parsers split values on them.
        self.refused = ("primary %s:%d offered an empty dataset (new replid %s at offset %d) while this replica "
                        "holds %d keys at offset %d; data kept; run REPLICAOF %s %d again or set "
                        "replica-refuse-empty-master-sync no to accept it"
                        % (host, port, replid, offset, held, s.master_repl_offset, host, port))
        s.log.warning("Refusing full resynchronization: %s", self.refused)
        link, self.link = self.link, None
        self.gen += 1
        self._abort_transfer()
        if link is not None:
            link.transport.abort()
        self.state = "connect"
        if not self.down_since:
            self.down_since = time.time()
        return True

    def _install(self, loaded, replid: str, offset: int) -> None:
        s = self.server
        repl = self.repl
        # As Redis: the AOF stops during the swap and restarts with a rewrite,
        # so it describes the new dataset, not the old one plus the stream.
        aof = getattr(s, "aof", None)
        aof_was_on = aof is not None and aof.state != 0  # AOF_OFF
        if aof_was_on:
            aof.stop()
        s.log.notice("MASTER <-> REPLICA sync: Flushing old data")
        for db in s.dbs:
            if db.id not in loaded["dbs"]:
                db.clear()
        rdb = getattr(s, "rdb", None)
        if rdb is not None:
            rdb.install(loaded)
        else:
            for dbid, (data, expires) in loaded["dbs"].items():
                db = s.dbs[dbid]
                db.clear()
                db.data, db.expires = data, expires
                if expires:
                    db._rebuild_heap()
        if self.transfer_path is not None:
            try:
                target = rdb.path if rdb is not None else os.path.abspath(s.config["dbfilename"])
                os.replace(self.transfer_path, target)
            except OSError as e:
                s.log.warning("Failed trying to rename the temp DB into %s in MASTER <-> REPLICA "
                              "synchronization: %s", s.config["dbfilename"], e.strerror)
                try:
                    os.unlink(self.transfer_path)
                except OSError:
                    pass
            self.transfer_path = None
        usemark = self.payload is not None and self.payload.mark is not None
        self.payload = None
        self.loading = False
        self.allow_empty = False
        s.log.notice("MASTER <-> REPLICA sync: Finished with success")
        if aof_was_on and not aof.start():
            s.log.warning("Failed enabling the AOF after successful master synchronization!")
        if replid == "?":
            replid, offset = os.urandom(20).hex(), 0
        repl.flush()
        repl.chunks.clear()
        s.replid = replid
        s.master_repl_offset = offset
        repl.clear_replid2()
        repl.create_backlog()
        # Our sub-replicas hold another history now: they must resync.
        repl.primary.disconnect_all()
        try:
            dbid = int(loaded["aux"].get(b"repl-stream-db", b"0"))
        except ValueError:
            dbid = 0
        self._go_online(offset, dbid)
        if usemark:
            self.send_ack()
        stash, self.stash = self.stash, b""
        self.link.transport.resume_reading()
        if stash:
            self._stream(stash)

    def _continue(self, newid) -> None:
        s = self.server
        repl = self.repl
        if self.cached is None:
            s.log.warning("Master accepted a partial resynchronization we did not ask for")
            self._fail()
            return
        replid, offset = self.cached
        s.log.notice("Successful partial resynchronization with master.")
        repl.flush()
        if newid and newid != replid:
            s.replid2 = replid
            s.second_repl_offset = offset + 1
            s.replid = newid
            s.log.notice("Master replication ID changed to %s", newid)
            repl.primary.disconnect_all()
        else:
            s.replid = replid
        s.master_repl_offset = offset
        if repl.backlog is None:
            repl.create_backlog()
        self.cached = None
        s.log.notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
        self._go_online(offset, self.cached_db)

    def _go_online(self, offset: int, dbid: int) -> None:
        from ..networking import REPLY_OFF, Client, _fmt_addr
        s = self.server
        t = self.link.transport
        c = Client(s)
        c.transport = t
        c.addr = _fmt_addr(t.get_extra_info("peername"))
        c.laddr = _fmt_addr(t.get_extra_info("sockname"))
        sock = t.get_extra_info("socket")
        c.fd = sock.fileno() if sock is not None else -1
        c.is_master = True
        c.authenticated = True
        c.parser.authenticated = True
        c.reply_mode = REPLY_OFF  # a master never reads our replies
        c.db = s.dbs[dbid if 0 <= dbid < len(s.dbs) else 0]
        c.last_interaction = time.monotonic()
        s.clients[c.id] = c
        self.master_client = c
        self.reader = hiredis.Reader()
        self.raw = bytearray()
        self.held = 0
        self.reploff = self.read_reploff = offset
        self.state = "connected"
        self.failures = 0
        self.down_since = 0.0
        s.master_link_up = True
        s.refresh_checks()

    # -- the stream --------------------------------------------------------------------------------

    def _stream(self, data: bytes) -> None:
        """Apply the master's commands; proxy the applied bytes to our backlog
        and sub-replicas.  Offsets move by whole commands, and never into an
        unfinished MULTI (as Redis's reploff), so a link cut inside a
        transaction resumes from its MULTI.

        The stream is parsed by hiredis directly: a master is trusted, so the
        request checks of client connections are not needed.  Positions are
        counted from each command's encoded length, which is exact for a
        master's canonical multibulk; keepalive newlines between commands
        (which hiredis refuses) are skipped and counted, as Redis does."""
        s = self.server
        mc = self.master_client
        self.read_reploff += len(data)
        mc.last_interaction = time.monotonic()
        raw = self.raw
        raw += data
        reader = self.reader
        reader.feed(data)
        process = s.process
        base = self.reploff
        pos = self.held  # bytes of an open MULTI already parsed, at the front of raw
        applied = 0
        while True:
            try:
                argv = reader.gets()
            except hiredis.ProtocolError:
                rest = raw[pos:]
                body = rest.lstrip(b"\r\n")
                skipped = len(rest) - len(body)
                if not skipped:
                    s.log.warning("Protocol error from master: closing the link")
                    self.link.transport.close()
                    return
                pos += skipped
                if mc.multi is None:
                    applied = pos
                reader = self.reader = hiredis.Reader()
                reader.feed(bytes(body))
                continue
            if argv is False:
                break
            if type(argv) is not list or not argv:
                s.log.warning("Protocol error from master (not a command): closing the link")
                self.link.transport.close()
                return
            a0 = argv[0]
            if len(a0) == 8 and a0.lower() == b"replconf":
                self.ack_override = base + applied
            process(mc, argv)
            self.ack_override = None
            pos += enc_len(argv)
            if mc.multi is None:
                applied = pos
            if self.master_client is not mc:
                return  # the command changed our role (e.g. REPLICAOF from the master)
        self.held = pos - applied
        if applied:
            chunk = bytes(raw[:applied])
            del raw[:applied]
            self.reploff = base + applied
            self.repl.feed(chunk)

    def send_ack(self, offset: int | None = None) -> None:
        if self.link is None or self.master_client is None:
            return
        if offset is None:
            offset = self.ack_override if self.ack_override is not None else self.reploff
        self.link.transport.write(encode_command([b"REPLCONF", b"ACK", b"%d" % offset]))

    # -- cron ------------------------------------------------------------------------------------------

    def cron_second(self, unix: float) -> None:
        s = self.server
        if s.replica_of is None:
            return
        timeout = s.config["repl-timeout"]
        now = time.monotonic()
        st = self.state
        if st in ("connecting", "handshake") and now - self.last_io > timeout:
            s.log.warning("Timeout connecting to the MASTER...")
            self._fail()
        elif st == "sync" and not self.loading and now - self.last_io > timeout:
            s.log.warning("Timeout receiving bulk data from MASTER... If the problem persists try to set the "
                          "'repl-timeout' parameter in redis.conf to a larger value.")
            self._fail()
        elif st == "sync" and self.loading and self.link is not None:
            self.link.transport.write(b"\n")  # keep the master from timing us out while loading
        elif st == "connected" and self.master_client is not None:
            if now - self.master_client.last_interaction > timeout:
                s.log.warning("MASTER timeout: no data nor PING received...")
                self.link.transport.close()
            else:
                self.send_ack()
        elif st == "connect" and self.connect_handle is None and not self.refused:
            self.connect_soon(0)

    # -- AOF-only restarts ----------------------------------------------------------------------------

    def save_sidecar(self) -> None:
        """Hook for persisting replication state outside the RDB (AOF-only
        set-ups): see core.Replication.on_shutdown."""
        from . import sidecar
        sidecar.save(self.server)
