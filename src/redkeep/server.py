"""The Server: owns the databases, clients, command table and the cron.

Mirrors Redis's ``server.c``.  One event loop owns all of this state; nothing
locks.  ``cron`` runs ``hz`` times a second: active expiry, client and
blocking timeouts, instantaneous stats, and the hooks of persistence and
replication (``cron_hooks``).

``propagate(dbid, argv)`` is the single point where writes leave the process:
every listener (AOF, replication backlog, test hooks) registers in
``propagate_listeners`` and receives the already-deterministic argv.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import resource
import signal
import socket
import time
from collections import deque

from .commands import load_all
from .commands.table import CommandTable
from .dispatch import Blocked, Dispatcher
from .keyspace import Database
from .logsetup import VERBOSE, log_from_handler
from .networking import Client
from .resp import error
from .zmalloc import heap_in_use

log = logging.getLogger("redkeep")


class Server(Dispatcher):
    def __init__(self, config):
        load_all()
        self.config = config
        self.log = log
        self.commands = CommandTable()
        for old, new in config.renames:
            self.commands.rename(old, new)
        self.cmd_lookup = self.commands.lookup  # hot path: one dict, exact-case names
        self.pid = os.getpid()
        self.run_id = os.urandom(20).hex()
        self.dbs = [Database(self, i) for i in range(config["databases"])]
        self.clients: dict[int, Client] = {}
        self._next_client_id = 0
        self.dirty = 0
        self.loop = None
        self.listeners = []
        self.start_time = time.time()
        self.start_mono = time.monotonic()
        self.mono = self.start_mono
        self.propagate_listeners = []
        self.deferred_writes = []  # clients with replies for the end of the loop turn
        self.exited = False  # finish_shutdown ran
        self.cron_hooks = []
        self.shutdown_hooks = []
        self.ready_keys = []
        self.monitors = []
        self.pubsub_channels: dict[bytes, dict] = {}
        self.pubsub_patterns: dict[bytes, dict] = {}
        self.pubsub_shard_channels: dict[bytes, dict] = {}
        self.also_propagate = None  # a list while EXEC collects its effects (t_multi)
        # fn(client) on disconnection: the modules' (class-wide) and this server's own
        self.disconnect_hooks = list(Server.disconnect_hooks)
        self.reply_gate = None  # fn(client, data) -> held?, while the AOF has unlogged data (aof_writer)
        self.slowlog = deque()
        self.slowlog_next_id = 0
        self.errorstats: dict[str, int] = {}
        self.current_client = None  # the client whose command runs now
        self.snapshot = None  # the fork-less snapshot in progress (persistence/snapshot.py)
        self.dirty_at_last_save = 0
        self.aof_flush_sleep = 0  # DEBUG aof-flush-sleep <microseconds> (read on every AOF flush)
        self.write_error = None  # MISCONF text while persistence is failing
        self.replica_of = None  # (host, port) when a replica
        self.master_link_up = False
        self.loading = False
        self.checks_needed = False
        # The pause in force (what paused_for tests): CLIENT PAUSE's, and
        # FAILOVER's WRITE pause while it waits, combined (set_pause).
        self.pause_end = 0.0
        self.pause_kind = None  # None | 'write' | 'all'
        self.client_pause = None  # (kind, monotonic end) of CLIENT PAUSE
        self.failover_pause = False
        self.shutdown_asked = None
        self.pidfile_path = None  # written by boot.py, removed at shutdown
        self.mem_baseline = 0  # the interpreter's own heap, measured by boot.py (see used_memory)
        self.cronloops = 0
        self.lastsave = int(time.time())
        self.replid = os.urandom(20).hex()  # replication id (INFO, PSYNC)
        self.replid2 = "0" * 40
        self.master_repl_offset = 0
        self.second_repl_offset = -1
        self.repl_noreplicas = False  # min-replicas-to-write not met (replication/primary.py)
        self.active_expire_enabled = True  # DEBUG SET-ACTIVE-EXPIRE
        from .commands.t_zset import ZSet
        self.make_zset_from_rdb = ZSet.from_rdb  # what the RDB decoder builds zsets with
        self.stat_reset()
        self.apply_config()

    # -- config-derived fast fields -----------------------------------------------

    def apply_config(self) -> None:
        cfg = self.config
        self.requirepass = cfg["requirepass"]
        self.proto_max_bulk_len = cfg["proto-max-bulk-len"]
        for c in self.clients.values():  # Redis reads the limit as it parses: connected clients too
            c.parser.max_bulk = self.proto_max_bulk_len
        self.query_buffer_limit = cfg["client-query-buffer-limit"]
        # A negative threshold disables the slowlog: compare against "never".
        threshold = cfg["slowlog-log-slower-than"]
        self.slowlog_threshold_ns = threshold * 1000 if threshold >= 0 else 1 << 62
        limits = cfg.get("client-output-buffer-limit") or {}
        self.obuf_limit_normal = any(limits.get("normal", (0, 0, 0))[:2])
        self.refresh_checks()
        for name in ("requirepass", "proto-max-bulk-len", "client-query-buffer-limit",
                     "slowlog-log-slower-than", "replica-read-only", "client-output-buffer-limit"):
            cfg.hooks.setdefault(name, lambda old, new: self.apply_config())

    def refresh_checks(self) -> None:
        """Turn on the slow-path checks of dispatch only while one can fire."""
        self.checks_needed = bool(
            self.write_error is not None
            or self.replica_of is not None
            or self.repl_noreplicas
            or self.loading
            or self.pubsub_channels or self.pubsub_patterns or self.pubsub_shard_channels
        )

    def stat_reset(self) -> None:
        self.stat_numcommands = 0
        self.stat_numconnections = 0
        self.stat_rejected_conn = 0
        self.stat_expiredkeys = 0
        self.stat_evictedkeys = 0
        self.stat_keyspace_hits = 0
        self.stat_keyspace_misses = 0
        self.stat_net_input_bytes = 0
        self.stat_net_output_bytes = 0
        self.stat_total_error_replies = 0
        self.stat_unexpected_error_replies = 0
        self.stat_expired_stale_perc = 0.0
        self.stat_io_reads = 0
        self.errorstats = {}
        self.ops_samples = deque(maxlen=16)
        self.last_ops_sample = (time.monotonic(), 0, 0, 0)

    # -- clock ---------------------------------------------------------------------

    @staticmethod
    def clock_ms() -> int:
        return time.time_ns() // 1_000_000

    def may_expire(self) -> bool:
        """A replica never deletes expired keys itself: it waits for the
        primary's DEL, so both hold the same keys (Redis's expireIfNeeded).
        Nothing expires while loading: a later command of the AOF may still
        need the key (keyIsExpired returns 0 while loading)."""
        return self.replica_of is None and not self.loading

    def expire_key(self, db, key: bytes) -> None:
        db.delete(key)
        self.stat_expiredkeys += 1
        # No dirty++ (as deleteExpiredKeyAndPropagate): the DEL below is the
        # whole effect, and a read that expires a key must not be propagated.
        cmd = b"UNLINK" if self.config["lazyfree-lazy-expire"] else b"DEL"
        self.propagate(db.id, [cmd, key])

    # -- propagation -----------------------------------------------------------------

    def defer_write(self, c) -> None:
        """Queue ``c`` for write_deferred at the end of this loop turn."""
        if self.loop is None:  # driven without an event loop (bench/bench_dispatch.py)
            c.flush_deferred()
            return
        pending = self.deferred_writes
        if not pending:
            self.loop.call_soon(self.write_deferred)
        pending.append(c)

    def write_deferred(self) -> None:
        """The replies of this loop turn, written in one burst (see
        Client._flush for why)."""
        pending = self.deferred_writes
        self.deferred_writes = []
        for c in pending:
            c.flush_deferred()

    def propagate(self, dbid: int, argv: list) -> None:
        pending = self.also_propagate
        if pending is not None:
            pending.append((dbid, argv))
            return
        for fn in self.propagate_listeners:
            fn(dbid, argv)

    # -- clients ---------------------------------------------------------------------

    def next_client_id(self) -> int:
        self._next_client_id += 1
        return self._next_client_id

    def client_connected(self, c: Client) -> None:
        self.stat_numconnections += 1
        if len(self.clients) >= self.config["maxclients"]:
            self.stat_rejected_conn += 1
            c.transport.write(b"-ERR max number of clients reached\r\n")
            c.transport.close()
            c.closing = True
            return
        if self.protected_mode_denies(c):
            self.stat_rejected_conn += 1
            c.transport.write(error(PROTECTED_MODE_DENIED))
            c.transport.close()
            c.closing = True
            return
        self.clients[c.id] = c
        if log.isEnabledFor(VERBOSE):
            if c.laddr.startswith("/"):
                log.verbose("Accepted connection to %s", c.laddr)
            else:
                log.verbose("Accepted %s", c.addr)

    def protected_mode_denies(self, c: Client) -> bool:
        return protected_mode_denies(self.config["protected-mode"], bool(self.requirepass),
                                     c.addr.rsplit(":", 1)[0], c.laddr.startswith("/"))

    def client_disconnected(self, c: Client) -> None:
        self.clients.pop(c.id, None)
        if c.blocked is not None:
            self.unblock(c, None)
        for hook in self.disconnect_hooks:
            hook(c)
        if c.watched:
            from .commands.t_multi import unwatch_all
            unwatch_all(c)
        if c in self.monitors:
            self.monitors.remove(c)

    disconnect_hooks: list = []  # the command modules' hooks (copied per server)

    def client_info(self, c: Client) -> str:
        from .commands.t_client import client_info_line
        return client_info_line(self, c)

    def protocol_error(self, c: Client, e) -> None:
        text = "ERR Protocol error: %s" % e
        self.count_error(text)
        c.write(error(text))
        self.log.verbose("Protocol error (%s) from client: %s", e, self.client_info(c))
        c.close_after_reply()

    def check_output_limits(self, c: Client) -> None:
        """client-output-buffer-limit <class> <hard> <soft> <soft-seconds>."""
        limits = self.config.get("client-output-buffer-limit")
        if not limits:
            return
        hard, soft, secs = limits.get(c.kind, (0, 0, 0))
        size = c.output_size()
        over = False
        if hard and size >= hard:
            over = True
        elif soft and size >= soft:
            now = time.monotonic()
            if not c.obuf_soft_since:
                c.obuf_soft_since = now
            elif now - c.obuf_soft_since > secs:
                over = True
        else:
            c.obuf_soft_since = 0.0
        if over:
            self.log.warning("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
                             self.client_info(c))
            c.transport.abort()

    # -- pause ---------------------------------------------------------------------

    def paused_for(self, c: Client, argv) -> bool:
        """CLIENT PAUSE holds ``argv``, this client's next request, until the
        pause ends.  Callers test ``pause_kind is not None`` first (fast path).
        Like Redis, a WRITE pause holds commands that may write or replicate,
        and EXEC of a transaction holding one; an ALL pause holds everything."""
        if self.pause_kind is None or argv is None or c.is_master or c.is_replica:
            return False
        if time.monotonic() >= self.pause_end:
            self.unpause()
            if self.pause_kind is None:
                return False
        if self.pause_kind == "all":
            return True
        cmd = self.commands.get(argv[0])
        if cmd is None:
            return False
        if cmd.subcommands is not None and len(argv) > 1:
            cmd = cmd.subcommands.get(argv[1].lower(), cmd)
        if cmd.write or cmd.may_replicate:
            return True
        return cmd.name == "exec" and bool(c.multi) and any(q[0].write or q[0].may_replicate for q in c.multi)

    def unpause(self) -> None:
        """End CLIENT PAUSE (expired or CLIENT UNPAUSE); a FAILOVER's pause
        stays (Redis keeps one pause per purpose)."""
        self.client_pause = None
        self.set_pause()

    def set_failover_pause(self, on: bool) -> None:
        self.failover_pause = on
        self.set_pause()

    def set_pause(self) -> None:
        """Recompute the pause in force from the purposes: ALL beats WRITE;
        it ends when CLIENT PAUSE's does (FAILOVER's has no end).  Held
        clients resume from the event loop (never from inside another
        client's command, which would interleave replies)."""
        cp = self.client_pause
        before = self.pause_kind
        if cp is not None:
            self.pause_kind, self.pause_end = cp
        elif self.failover_pause:
            self.pause_kind, self.pause_end = "write", float("inf")
        else:
            self.pause_kind = None
        if before is None or self.pause_kind == before or (before == "write" and self.pause_kind == "all"):
            return
        for c in list(self.clients.values()):
            if c.queued and c.blocked is None:
                self.loop.call_soon(self._resume_held, c)

    @staticmethod
    def _resume_held(c: Client) -> None:
        if c.transport is not None and not c.transport.is_closing() and c.blocked is None:
            c.resume()

    # -- blocking ------------------------------------------------------------------

    def block(self, c: Client, db, keys, timeout_s: float, retry, timeout_reply, cmd=None, argv=None, kind="list"):
        deadline = time.monotonic() + timeout_s if timeout_s > 0 else 0.0
        c.blocked = Blocked(db, keys, deadline, retry, timeout_reply, cmd, argv, kind)
        for k in keys:
            db.blocking.setdefault(k, deque()).append(c)
        return None

    def unblock(self, c: Client, reply) -> None:
        b = c.blocked
        if b is None:
            return
        c.blocked = None
        for k in b.keys:
            q = b.db.blocking.get(k)
            if q is not None:
                try:
                    q.remove(c)
                except ValueError:
                    pass
                if not q:
                    del b.db.blocking[k]
        if reply is not None:
            c.write(reply)
            c.last_interaction = self.mono  # Redis counts a write as interaction: idle time restarts
        if c.transport is not None and not c.transport.is_closing() and c.queued:
            self.loop.call_soon(c.resume)
        elif c.paused_reading and c.transport is not None:
            c.paused_reading = False
            c.transport.resume_reading()

    def handle_ready_keys(self) -> None:
        """Serve clients blocked on keys that received data, FIFO per key
        (Redis's handleClientsBlockedOnKeys)."""
        while self.ready_keys:
            ready, self.ready_keys = self.ready_keys, []
            seen = set()
            for db, key in ready:
                if (db.id, key) in seen:
                    continue
                seen.add((db.id, key))
                q = db.blocking.get(key)
                if not q:
                    continue
                for c in list(q):
                    if c.blocked is None or key not in db.data:
                        if key not in db.data:
                            break
                        continue
                    b = c.blocked
                    if self.snapshot is not None and b.argv is not None:
                        # Serving the pop changes keys in place: the snapshot
                        # gets their old values first (see snapshot.py).
                        bcmd = b.cmd or self.commands.get(b.argv[0])
                        if bcmd is not None:
                            self.snapshot.preserve_command(b.db, bcmd, b.argv)
                    dirty = self.dirty
                    c.prop = None
                    reply = b.retry(c, key)
                    if reply is None:
                        continue
                    if self.dirty != dirty and c.prop:
                        for pargv in c.prop:
                            self.propagate(b.db.id, pargv)
                    if b.cmd is not None:
                        b.cmd.calls += 1
                    self.unblock(c, reply)

    def check_block_timeouts(self, now: float) -> None:
        for c in list(self.clients.values()):
            b = c.blocked
            if b is not None and b.deadline and now >= b.deadline:
                self.unblock(c, b.timeout_reply(c) if callable(b.timeout_reply) else b.timeout_reply)

    # -- slowlog / monitor ------------------------------------------------------------

    def slowlog_push(self, c: Client, argv, usec: int) -> None:
        maxlen = self.config["slowlog-max-len"]
        if maxlen <= 0:
            return
        args = []
        extra = 0
        if len(argv) > 32:
            extra = len(argv) - 31
            argv = argv[:31]
        for a in argv:
            if len(a) > 128:
                a = a[:128] + b"... (%d more bytes)" % (len(a) - 128)
            args.append(a)
        if extra:
            args.append(b"... (%d more arguments)" % extra)
        entry = (self.slowlog_next_id, int(time.time()), usec, args, c.addr.encode(), c.name)
        self.slowlog_next_id += 1
        self.slowlog.appendleft(entry)
        while len(self.slowlog) > maxlen:
            self.slowlog.pop()

    def feed_monitors(self, c: Client, argv) -> None:
        from .commands.t_server import monitor_line
        line = monitor_line(self, c, argv)
        for m in list(self.monitors):
            m.write(line)

    # -- cron ----------------------------------------------------------------------------

    def cron(self) -> None:
        now = time.monotonic()
        self.mono = now
        hz = self.config["hz"]
        budget = int(1e9 / hz * 0.25)  # ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC
        deadline = time.perf_counter_ns() + budget
        if self.replica_of is None and self.active_expire_enabled:
            ms = self.clock_ms()
            for db in self.dbs:
                if db.heap:
                    db.active_expire(ms, deadline)
        self.check_block_timeouts(now)
        timeout = self.config["timeout"]
        if timeout:
            # clientsCronHandleTimeout: replicas, monitors (Redis flags them
            # as replicas), the master, blocked clients and subscribers stay.
            for c in list(self.clients.values()):
                if (now - c.last_interaction > timeout and c.blocked is None and not c.is_master
                        and not c.is_replica and not c.monitor and not c.channels and not c.patterns
                        and not c.shard_channels):
                    self.log.verbose("Closing idle client")
                    c.transport.close()
        self.cronloops += 1
        if (self.cronloops - 1) % (5 * hz) == 0 and log.isEnabledFor(VERBOSE):  # run_with_period(5000)
            self.log_periodic_stats()
        if self.pause_kind is not None and now >= self.pause_end:
            self.unpause()
        self.sample_ops(now)
        for hook in self.cron_hooks:
            try:
                hook(now)
            except Exception:
                self.log.exception("cron hook failed")
        if self.shutdown_asked is not None:
            sig, self.shutdown_asked = self.shutdown_asked, None
            flags = self.config.get("shutdown-on-" + sig.lower(), "default") or "default"
            words = flags.split()
            # Until the process ends, a Ctrl+C must act at once, even in the
            # middle of the final save: a plain handler, not the loop's.
            signal.signal(signal.SIGINT, _insist_exit)
            if self.prepare_shutdown("nosave" in words, "save" in words) or "force" in words:
                self.finish_shutdown()
            else:
                self.catch_signal(signal.SIGINT)
                self.log.warning("Errors trying to shut down the server. Check the logs for more information.")

    def log_periodic_stats(self) -> None:
        """serverCron's every-5-seconds lines: non-empty databases (verbose)
        and clients and memory (debug)."""
        for db in self.dbs:
            used, vkeys = len(db.data), len(db.expires)
            if used or vkeys:
                # Redis's dict has a power-of-two table of at least 4 slots,
                # grown when full: the same figure for the same key count.
                slots = 4
                while slots < used:
                    slots <<= 1
                log.verbose("DB %d: %d keys (%d volatile) in %d slots HT.", db.id, used, vkeys, slots)
        if log.isEnabledFor(logging.DEBUG):
            replicas = sum(1 for c in self.clients.values() if c.is_replica)
            log.debug("%d clients connected (%d replicas), %d bytes in use", len(self.clients) - replicas,
                      replicas, self.used_memory())

    def sample_ops(self, now: float) -> None:
        t, cmds, nin, nout = self.last_ops_sample
        if now - t >= 0.1:
            total = sum(c.calls for c in self.commands.all_commands())
            self.ops_samples.append(((total - cmds) / (now - t), (self.stat_net_input_bytes - nin) / (now - t),
                                     (self.stat_net_output_bytes - nout) / (now - t)))
            self.last_ops_sample = (now, total, self.stat_net_input_bytes, self.stat_net_output_bytes)

    def _cron_tick(self) -> None:
        # A timer, not a task sleeping in a loop: a task still pending when
        # the loop closes at shutdown is reported on stderr ("Task was
        # destroyed but it is pending!").
        self.cron_handle = self.loop.call_later(1 / self.config["hz"], self._cron_tick)
        try:
            self.cron()
        except Exception:
            self.log.exception("cron failed")

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        cfg = self.config
        port = cfg["port"]
        if port:
            for addr in cfg["bind"]:
                optional = addr.startswith("-")
                host = addr[1:] if optional else addr
                host = {"*": "0.0.0.0", "::*": "::"}.get(host, host)  # Redis's wildcard spellings
                try:
                    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
                    srv = await self.loop.create_server(lambda: Client(self), host=host, port=port,
                                                        family=fam, backlog=cfg["tcp-backlog"],
                                                        reuse_address=True)
                    self.listeners.append(srv)
                except OSError as e:
                    # Redis's text is anet's "bind: <strerror>"; asyncio wraps
                    # the errno in a sentence of its own.
                    reason = ("bind: " + os.strerror(e.errno)) if e.errno else str(e)
                    self.log.warning("Warning: Could not create server TCP listening socket %s:%d: %s",
                                     addr[1:] if optional else addr, port, reason)
                    if optional and e.errno in (97, 99, 22):  # no IPv6 / address unavailable
                        continue
                    self.log.warning("Failed listening on port %d (TCP), aborting.", port)
                    raise SystemExit(1)
            if not self.listeners:
                self.log.warning("Failed listening on port %d (TCP), aborting.", port)
                raise SystemExit(1)
        unixsocket = cfg.get("unixsocket")
        if unixsocket:
            srv = await self.loop.create_unix_server(lambda: Client(self), path=unixsocket)
            self.listeners.append(srv)
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.catch_signal(sig)
        self.cron_handle = self.loop.call_later(1 / cfg["hz"], self._cron_tick)

    def catch_signal(self, sig) -> None:
        """Run _on_signal in the loop when ``sig`` arrives.

        Not loop.add_signal_handler: uvloop (0.23) loses a signal that
        arrives while the loop is between two runs (boot.py runs it in
        phases: start, load, serve), because it only looks at signals its
        self-pipe reports and that pipe is recreated at each run; SIGTERM
        right after start-up was ignored about 1 time in 30 (found by the
        tests).  A plain handler runs in the main thread at the next
        bytecode whatever the loop is doing, and call_soon_threadsafe (the
        documented way from a signal handler) queues the work for the loop's
        current or next run."""
        loop = self.loop

        def handler(signum, frame):
            loop.call_soon_threadsafe(self._on_signal, signum)

        signal.signal(sig, handler)

    def _on_signal(self, sig) -> None:
        """sigShutdownHandler: a second SIGINT (Ctrl+C twice) exits at once."""
        name = "SIGTERM" if sig == signal.SIGTERM else "SIGINT"
        if sig == signal.SIGINT and (self.shutdown_asked is not None or getattr(self, "_shutting", False)):
            log_from_handler("You insist... exiting now.")
            os._exit(1)
        if self.loading:
            log_from_handler("Received shutdown signal during loading, scheduling shutdown.")
        else:
            log_from_handler("Received %s scheduling shutdown..." % name)
        self.shutdown_asked = name
        self.loop.call_soon(self.cron)

    def prepare_shutdown(self, nosave: bool, save: bool) -> bool:
        """Run shutdown hooks (final save, AOF flush); False aborts shutdown."""
        self._shutting = True
        self.log.warning("User requested shutdown...")
        for hook in self.shutdown_hooks:
            if not hook(nosave, save):
                self._shutting = False
                return False
        return True

    def finish_shutdown(self) -> None:
        pidfile = self.pidfile_path
        if pidfile:
            self.log.notice("Removing the pid file.")
            try:
                os.unlink(pidfile)
            except OSError:
                pass
        self.log.warning("%s is now ready to exit, bye bye...", "Redis")
        for c in list(self.clients.values()):
            if c.transport is not None:
                c.transport.close()
        for srv in self.listeners:
            srv.close()
        self.exited = True  # boot.py: no further phase of the loop runs
        self.loop.stop()

    def used_memory(self) -> int:
        """INFO's used_memory: what the allocators hold now (zmalloc.py)
        minus what the bare interpreter with its code held before the server
        was built.  That baseline plays the part of Redis's binary and
        static data, which its used_memory does not count either; all the
        rest (databases, clients, buffers, caches) is counted."""
        return max(heap_in_use() - self.mem_baseline, 0)

    def rss(self) -> int:
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _insist_exit(signum, frame) -> None:
    """A second SIGINT during a signal's shutdown: exit now with status 1,
    abandoning the final save and its temporary file (persistence/rdb.py
    names it temp-<pid>-<n>.rdb), as Redis's sigShutdownHandler does."""
    log_from_handler("You insist... exiting now.")
    for path in glob.glob("temp-%d-*.rdb" % os.getpid()):
        try:
            os.unlink(path)
        except OSError:
            pass
    os._exit(1)


def protected_mode_denies(protected_mode: bool, has_password: bool, peer_host: str, unix: bool) -> bool:
    """acceptCommonHandler's protected mode: without a password, only
    clients from exactly 127.0.0.1 or ::1, or a unix socket, get in.
    Redis 7.0 compares the peer's address as text: 127.0.0.2 is refused, and
    bind does not matter."""
    if not protected_mode or has_password or unix:
        return False
    return peer_host not in ("127.0.0.1", "::1")


PROTECTED_MODE_DENIED = (
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set "
    "for the default user. In this mode connections are only accepted from the loopback interface. If you "
    "want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just "
    "disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by "
    "connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly "
    "accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Redis configuration file, and setting the protected "
    "mode option to 'no', and then restarting the server. 3) If you started the server manually just for "
    "testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the "
    "default user. NOTE: You only need to do one of the above things in order for the server to start accepting "
    "connections from the outside."
)
