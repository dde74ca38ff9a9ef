"""One asyncio Protocol per connection: the client state and its buffers.

Mirrors Redis's ``networking.c``.  The read path is::

    data_received -> RequestParser.feed -> [argv, ...] -> dispatch.process(c, argv)
                  -> replies appended to c.out -> joined, written at the end of
                     the loop turn (Client._flush, Server.write_deferred)

Replies produced outside a read (a blocked client served, a pub/sub message)
go out immediately through ``c.write``.

A client that is blocked (BLPOP ...) or paused (CLIENT PAUSE) keeps its
remaining pipelined requests in ``c.queued`` and stops reading, so replies
stay in request order; ``resume()`` runs them when it is released.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections import deque

from . import resp
from .config import sds_repr
from .errors import ProtocolError
from .resp import RESP2, RequestParser

# Client flags for CLIENT LIST's flags=
REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT, REPLY_SKIP = 0, 1, 2, 3


class Client(asyncio.Protocol):
    __slots__ = (
        "server", "id", "transport", "parser", "db", "r", "name", "authenticated",
        "multi", "multi_error", "watched", "dirty_cas", "channels", "patterns", "shard_channels",
        "blocked", "queued", "closing", "ctime", "last_interaction", "last_cmd",
        "addr", "laddr", "fd", "out", "batching", "reply_mode", "is_master", "is_replica",
        "monitor", "prop", "in_exec", "no_evict", "kind", "obuf_soft_since", "paused_reading",
        "lib_name", "lib_ver", "argv_mem", "resp_ver", "user", "woff", "deferred", "cfd",
    )

    def __init__(self, server):
        self.server = server
        self.id = server.next_client_id()
        self.transport = None
        self.parser = RequestParser(server.proto_max_bulk_len)
        self.db = server.dbs[0]
        self.r = RESP2
        self.resp_ver = 2
        self.name = b""
        self.authenticated = not server.requirepass
        self.parser.authenticated = self.authenticated
        self.multi = None  # list of queued (cmd, argv) while in MULTI
        self.multi_error = False
        self.watched = []  # (db, key)
        self.dirty_cas = False
        self.channels = set()
        self.patterns = {}  # dict as an ordered set: PUNSUBSCRIBE answers in subscription order
        self.shard_channels = set()
        self.blocked = None  # dispatch.Blocked while blocked
        self.queued = deque()  # requests waiting while blocked/paused
        self.closing = False
        self.ctime = time.monotonic()
        self.last_interaction = self.ctime
        self.last_cmd = "NULL"
        self.addr = "?:0"
        self.laddr = "?:0"
        self.fd = -1
        self.out = None
        self.deferred = None  # reply bytes waiting for the end of the loop turn (_flush)
        self.cfd = -1  # a dup of fd while the AOF writer may write held replies to it (aof_writer)
        self.batching = False
        self.reply_mode = REPLY_ON
        self.is_master = False
        self.is_replica = False
        self.monitor = False
        self.prop = None
        self.in_exec = False
        self.no_evict = False
        self.kind = "normal"  # output buffer class: normal | pubsub | replica
        self.obuf_soft_since = 0.0
        self.paused_reading = False
        self.lib_name = b""
        self.lib_ver = b""
        self.user = "default"
        self.woff = 0  # master_repl_offset after this client's last write (WAIT)

    # -- asyncio.Protocol ------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport
        server = self.server
        sock = transport.get_extra_info("socket")
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        self.addr = _fmt_addr(peer)
        self.laddr = _fmt_addr(local)
        if sock is not None:
            self.fd = sock.fileno()
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    ka = server.config["tcp-keepalive"]
                    if ka > 0:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                        if hasattr(socket, "TCP_KEEPIDLE"):
                            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, ka)
                            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(ka // 3, 1))
                            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
                except OSError:
                    pass
        server.client_connected(self)

    def connection_lost(self, exc) -> None:
        self.server.client_disconnected(self)

    def data_received(self, data: bytes) -> None:
        server = self.server
        parser = self.parser
        reqs = []
        perr = None
        try:
            parser.feed(data, reqs)
        except ProtocolError as e:
            perr = e
        server.stat_net_input_bytes += len(data)
        self.last_interaction = server.mono
        self.out = out = []
        self.batching = True
        try:
            if self.queued or self.blocked is not None:
                self.queued.extend(reqs)
            else:
                done = server.process_batch(self, reqs)
                if done < len(reqs):
                    # blocked, closing or paused: the rest waits, in order
                    self.queued.extend(reqs[done:])
            if perr is not None and not self.closing:
                server.protocol_error(self, perr)
        finally:
            self.batching = False
            self.out = None
            if out:
                self._flush(out)
        if self.queued and not self.paused_reading:
            self.paused_reading = True
            self.transport.pause_reading()
        if self.closing:
            self.transport.close()
        elif ((parser.pending or parser.inline_buf) and not self.queued
              and parser.buffered() > server.query_buffer_limit and not self.is_master):
            head = sds_repr(unparsed_query(parser)[:64].decode("utf-8", "surrogateescape"))
            server.log.warning("Closing client that reached max query buffer length: %s (qbuf initial bytes: %s)",
                               self.describe(), head)
            self.transport.close()
        elif parser.held:
            parser.held = False
            server.loop.call_soon(self._feed_held)

    def _feed_held(self) -> None:
        """Parse what an unauthenticated client sent after AUTH/HELLO, now
        that it ran (RequestParser._feed_unauthenticated)."""
        if not self.transport.is_closing():
            self.data_received(b"")

    # -- output ----------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Send a reply; inside a read batch it is joined with the others."""
        if self.reply_mode != REPLY_ON:
            if self.reply_mode == REPLY_SKIP_NEXT:
                self.reply_mode = REPLY_ON
            return
        if self.batching:
            self.out.append(data)
        elif self.transport is not None and not self.transport.is_closing():
            gate = self.server.reply_gate
            if gate is not None and gate(self, data):
                return  # held until the AOF has logged what it may depend on
            self.send(data)

    def push(self, data: bytes) -> None:
        """Out-of-band data (pub/sub messages).  Like Redis's addReplyPushLen
        it honours CLIENT REPLY, so it is an ordinary write."""
        self.write(data)

    def _flush(self, out: list) -> None:
        data = out[0] if len(out) == 1 else b"".join(out)
        gate = self.server.reply_gate
        if gate is not None and gate(self, data):
            return  # held until the AOF has logged what it may depend on (aof_writer.py)
        if self.kind == "normal" and not self.closing:
            # Written at the end of the loop turn together with the other
            # clients' replies (Server.write_deferred), as Redis writes
            # replies in beforeSleep.  Why: each reply written to a peer
            # that went to sleep waiting for it wakes that peer, which on a
            # VM costs an inter-processor interrupt inside our write();
            # written in a burst, only the first reply of the turn pays it.
            # Measured with perf on ZADD -P 1: the wake-up went from 14% of
            # the server's CPU to 4.5%, and ops/s rose 25-38%.  Replicas and
            # closing clients are written at once (their streams and the
            # close must follow the reply).
            if self.deferred is None:
                self.deferred = data
                self.server.defer_write(self)
            else:
                self.deferred += data
            return
        self.send(data)

    def flush_deferred(self) -> None:
        """Write what _flush left for the end of the loop turn, now."""
        d = self.deferred
        if d is not None:
            self.deferred = None
            if self.transport is not None:
                self.send(d)

    def send(self, data: bytes) -> None:
        """Put reply bytes on the wire (counted in net output), after any
        deferred ones (order is kept whoever writes first)."""
        d = self.deferred
        if d is not None:
            self.deferred = None
            data = d + data
        self.server.stat_net_output_bytes += len(data)
        t = self.transport
        if not t.is_closing():
            fd = self.fd
            if fd >= 0 and not t.get_write_buffer_size():
                # Write straight to the socket when nothing is queued: one
                # syscall without the transport's buffering (measured ~3x
                # cheaper per call than transport.write under uvloop).  What
                # the kernel does not take goes through the transport, which
                # keeps the order since its buffer was empty.
                try:
                    n = os.write(fd, data)
                except (BlockingIOError, InterruptedError):
                    n = 0
                except OSError:
                    n = -1
                if n == len(data):
                    return
                if n > 0:
                    data = data[n:]
            t.write(data)
            if self.kind != "normal" or self.server.obuf_limit_normal:
                self.server.check_output_limits(self)

    def close_after_reply(self) -> None:
        self.closing = True

    def resume(self) -> None:
        """Run requests queued while blocked/paused, then read again."""
        server = self.server
        self.out = out = []
        self.batching = True
        try:
            q = self.queued
            while q and self.blocked is None and not self.closing and not (
                    server.pause_kind is not None and server.paused_for(self, q[0])):
                argv = q.popleft()
                if argv is not None:
                    server.process(self, argv)
        finally:
            self.batching = False
            self.out = None
            if out:
                self._flush(out)
        if self.closing:
            self.transport.close()
        elif not self.queued and self.blocked is None and self.paused_reading:
            self.paused_reading = False
            self.transport.resume_reading()

    def output_size(self) -> int:
        t = self.transport
        return t.get_write_buffer_size() if t is not None else 0

    def describe(self) -> str:
        return self.server.client_info(self)

    def set_protocol(self, ver: int) -> None:
        self.resp_ver = ver
        self.r = resp.RESP3 if ver == 3 else resp.RESP2


def unparsed_query(parser) -> bytes:
    """What Redis's query buffer would hold of an incomplete request: the
    bytes after its last complete line or argument, which Redis has parsed
    and trimmed (for client-query-buffer-limit's log line)."""
    if parser.inline_buf:
        return parser.inline_buf
    buf = bytes(parser.pending)
    if not buf.startswith(b"*"):
        return buf
    nl = buf.find(b"\r\n")
    if nl < 0:
        return buf
    try:
        count = int(buf[1:nl])
        pos = nl + 2
        for _ in range(count):
            nl = buf.find(b"\r\n", pos)
            if not buf.startswith(b"$", pos) or nl < 0:
                break
            start = nl + 2
            end = start + int(buf[pos + 1:nl]) + 2
            if end > len(buf):
                pos = start
                break
            pos = end
    except ValueError:
        return buf
    return buf[pos:]


def _fmt_addr(a) -> str:
    if not a:
        return "?:0"
    if isinstance(a, str):
        return a  # unix socket path
    host, port = a[0], a[1]
    return f"{host}:{port}"
