"""processCommand and call(): from argv to reply, with Redis's checks in Redis's
order.  Mirrors ``server.c`` processCommand/call.

Order of checks (each a reply texts clients match on):
 1. unknown command / subcommand / wrong arity (flags MULTI as failed)
 2. NOAUTH
 3. no-multi commands inside MULTI
 4. MISCONF (persistence errors) for writes and PING; NOREPLICAS (min-replicas-to-write)
 5. READONLY on a read-only replica
 6. RESP2 pub/sub context
 7. MASTERDOWN (replica-serve-stale-data no)
 8. LOADING
 9. inside MULTI: queue, +QUEUED
then ``call``: run the handler, count stats, feed the slowlog, and if the
keyspace changed (``server.dirty`` moved) propagate the command once.
"""

from __future__ import annotations

import time

from .errors import CommandError
from .resp import QUEUED, arg_text, error

_perf = time.perf_counter_ns

TX_COMMANDS = frozenset(["exec", "discard", "multi", "watch", "quit", "reset"])
PUBSUB_ALLOWED = frozenset(["subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
                            "psubscribe", "punsubscribe", "ping", "quit", "reset"])


class Blocked:
    """Why and until when a client waits (BLPOP & co, WAIT)."""

    __slots__ = ("keys", "db", "deadline", "retry", "timeout_reply", "cmd", "argv", "kind")

    def __init__(self, db, keys, deadline, retry, timeout_reply, cmd, argv, kind="list"):
        self.db = db
        self.keys = keys
        self.deadline = deadline  # monotonic seconds, or 0 for forever
        self.retry = retry  # fn(c) -> reply bytes when served, None to keep waiting
        self.timeout_reply = timeout_reply
        self.cmd = cmd
        self.argv = argv
        self.kind = kind


def unknown_command_error(argv) -> str:
    """Redis's text: each argument as "'%.*s' " until 128 bytes are used."""
    args = b""
    for a in argv[1:]:
        if len(args) >= 128:
            break
        nul = a.find(b"\x00")
        if nul >= 0:
            a = a[:nul]
        args += b"'" + a[: 128 - len(args)] + b"' "
    return "ERR unknown command '%s', with args beginning with: %s" % (
        arg_text(argv[0], 128), args.decode("utf-8", "surrogateescape"))


class Dispatcher:
    """Mixed into Server."""

    def process_batch(self, c, reqs) -> int:
        """Run the requests of one read in order; stop when one blocks,
        closes or pauses the client.  Returns how many were consumed.

        The common case (a known plain command, authenticated client, no
        MULTI, snapshot, MONITOR or special state) runs inline here with
        everything hoisted out of the loop: pipelined batches spend most of
        their Python time in this loop.  Anything else goes through
        ``process``, which does every check in Redis's order."""
        lookup = self.cmd_lookup
        perf = _perf
        append = c.out.append
        n = len(reqs)
        i = 0
        # What the inline path depends on, read once per batch and again
        # after anything that went through process(): inline commands
        # (Command.inline_ok) cannot change it.
        fast = self._inline_allowed(c)
        slow_ns = self.slowlog_threshold_ns
        sole = self._sole_listener()
        self.current_client = c
        t0 = perf()
        while i < n:
            argv = reqs[i]
            i += 1
            if argv is None:
                continue
            cmd = lookup.get(argv[0])
            if fast and cmd is not None and cmd.inline_ok and (
                    len(argv) == cmd.arity or (cmd.arity < 0 and len(argv) >= -cmd.arity)):
                dirty = self.dirty
                c.prop = None
                try:
                    reply = cmd.handler(c, argv)
                except CommandError as e:
                    reply = e.reply()
                    cmd.failed_calls += 1
                    self.count_error(e.text)
                except Exception as e:  # a bug must not take the server down
                    reply = self._internal_error(cmd, e)
                # One clock read per command: each command's time runs from
                # the end of the one before (the loop's own steps included).
                t1 = perf()
                dt = t1 - t0
                t0 = t1
                cmd.calls += 1
                cmd.ns += dt
                if dt > slow_ns and not cmd.skip_slowlog:
                    self.slowlog_push(c, argv, dt // 1000)
                c.last_cmd = cmd.fullname
                if self.dirty != dirty or c.prop:
                    if sole is not None and c.prop is None:
                        sole(c.db.id, argv)  # the AOF alone (the common case): no detour
                    elif self.propagate_listeners:
                        self._propagate_call(c, argv)
                if reply is not None:
                    append(reply)
                if self.ready_keys:
                    self.handle_ready_keys()
                    self.current_client = c
            else:
                if self.pause_kind is not None and self.paused_for(c, argv):
                    return i - 1
                self.process(c, argv)
                if c.blocked is not None or c.closing:
                    return i
                fast = self._inline_allowed(c)
                slow_ns = self.slowlog_threshold_ns
                sole = self._sole_listener()
                self.current_client = c
                t0 = perf()
        return n

    def _sole_listener(self):
        """The one propagate listener when there is exactly one and no EXEC
        is collecting effects: the inline path calls it directly (what
        ``propagate`` would do, two calls shorter)."""
        listeners = self.propagate_listeners
        if len(listeners) == 1 and self.also_propagate is None:
            return listeners[0]
        return None

    def _inline_allowed(self, c) -> bool:
        return (self.pause_kind is None and c.multi is None and not self.checks_needed and self.snapshot is None
                and not self.monitors and c.authenticated and not c.reply_mode)

    def process(self, c, argv) -> None:
        cmd = self.cmd_lookup.get(argv[0])
        if cmd is None:
            cmd = self.commands.get(argv[0])
            if cmd is None:
                return self._reject(c, None, unknown_command_error(argv))
        if cmd.subcommands is not None:
            if len(argv) == 1:
                if cmd.handler is None:
                    return self._reject(c, cmd, "ERR wrong number of arguments for '%s' command" % cmd.fullname)
            else:
                sub = cmd.subcommands.get(argv[1])
                if sub is None:
                    sub = cmd.subcommands.get(argv[1].lower())
                if sub is not None:
                    cmd = sub
                elif cmd.handler is None:
                    return self._reject(c, cmd, "ERR unknown subcommand '%s'. Try %s HELP." % (
                        arg_text(argv[1], 128), cmd.name.upper()))
        arity = cmd.arity
        n = len(argv)
        if (arity > 0 and n != arity) or n < -arity:
            return self._reject(c, cmd, "ERR wrong number of arguments for '%s' command" % cmd.fullname)
        if not c.authenticated and not cmd.no_auth:
            return self._reject(c, cmd, "NOAUTH Authentication required.")
        multi = c.multi
        if multi is not None:
            if cmd.no_multi:
                return self._reject(c, cmd, "ERR Command not allowed inside a transaction")
            if self.checks_needed:
                err = self.precheck(c, cmd, argv)
                if err is not None:
                    return self._reject(c, cmd, err)
            if cmd.name not in TX_COMMANDS:
                multi.append((cmd, argv))
                c.write(QUEUED)
                return
            return self.call(c, cmd, argv)
        if self.checks_needed:
            err = self.precheck(c, cmd, argv)
            if err is not None:
                return self._reject(c, cmd, err)
        # Plain commands of a read batch never get here: process_batch runs
        # them inline (the hot path); this is the path of every other case.
        self.call(c, cmd, argv)

    def _internal_error(self, cmd, e) -> bytes:
        self.log.warning("Internal error running %s: %r", cmd.fullname, e, exc_info=True)
        text = "ERR internal error: %s" % str(e).replace("\r", " ").replace("\n", " ")
        cmd.failed_calls += 1
        self.count_error(text)
        return error(text)

    def _propagate_call(self, c, argv) -> None:
        """Propagate what the command did: its argv, or the deterministic
        rewrite the handler left in ``c.prop`` (which may also force a
        propagation without a change)."""
        dbid = c.db.id
        if c.prop is None:
            self.propagate(dbid, argv)
        else:
            for pargv in c.prop:
                self.propagate(dbid, pargv)

    def precheck(self, c, cmd, argv):
        """The rarely-active checks (4-8), run only while ``checks_needed``."""
        is_write = cmd.write or (cmd.name == "exec" and c.multi and any(x[0].write for x in c.multi))
        if self.write_error is not None and (is_write or cmd.name == "ping") and not c.is_master:
            return self.write_error
        if self.repl_noreplicas and is_write and self.replica_of is None:
            return "NOREPLICAS Not enough good replicas to write."
        if self.replica_of is not None and self.config["replica-read-only"] and is_write and not c.is_master:
            return "READONLY You can't write against a read only replica."
        if c.resp_ver == 2 and (c.channels or c.patterns or c.shard_channels) and cmd.name not in PUBSUB_ALLOWED:
            return ("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
                    "are allowed in this context" % cmd.fullname)
        if (self.replica_of is not None and not self.master_link_up and not self.config["replica-serve-stale-data"]
                and not cmd.stale):
            return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
        if self.loading and not cmd.loading:
            return "LOADING Redis is loading the dataset in memory"
        return None

    def _reject(self, c, cmd, text: str) -> None:
        if cmd is not None:
            cmd.rejected_calls += 1
        if c.multi is not None:
            c.multi_error = True
            if cmd is not None and cmd.name == "exec":
                # A refused EXEC ends the transaction (execCommandAbort).
                from .commands.t_multi import exec_abort_text
                text = exec_abort_text(c, text)
        self.count_error(text)
        c.write(error(text))

    def count_error(self, text: str) -> None:
        code = text.split(" ", 1)[0]
        self.stat_total_error_replies += 1
        self.errorstats[code] = self.errorstats.get(code, 0) + 1

    def call(self, c, cmd, argv) -> None:
        """Run one command (also used by EXEC for each queued command).
        ``process_batch`` inlines the same steps for plain commands: a change
        here belongs there too."""
        dirty = self.dirty
        c.prop = None
        self.current_client = c
        if self.snapshot is not None and cmd.write:
            # Copy-on-write for the snapshot in progress: hand the old
            # values of the keys this command may change to it first.
            self.snapshot.preserve_command(c.db, cmd, argv)
        t0 = _perf()
        try:
            reply = cmd.handler(c, argv)
        except CommandError as e:
            reply = e.reply()
            cmd.failed_calls += 1
            self.count_error(e.text)
        except Exception as e:  # a bug must not take the server down
            reply = self._internal_error(cmd, e)
        dt = _perf() - t0
        cmd.calls += 1
        cmd.ns += dt
        if dt > self.slowlog_threshold_ns and not cmd.skip_slowlog:
            self.slowlog_push(c, argv, dt // 1000)
        c.last_cmd = cmd.fullname
        if self.dirty != dirty or c.prop:
            self._propagate_call(c, argv)
        if self.monitors and not (cmd.skip_monitor or cmd.admin):  # admin commands are never shown
            self.feed_monitors(c, argv)
        if reply is not None:
            c.write(reply)
        if self.ready_keys and not c.in_exec:
            self.handle_ready_keys()
