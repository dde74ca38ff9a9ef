"""The replica's side of the conversation with its master, sans I/O.
Mirrors Redis's ``replication.c`` syncWithMaster / slaveTryPartialResynchronization
(the handshake) and readSyncBulkPayload (the RDB transfer framing).

``Handshake`` walks Redis's states::

    RECEIVE_PING_REPLY -> (AUTH, REPLCONF listening-port [ip-address], capa: pipelined)
    RECEIVE_AUTH_REPLY -> RECEIVE_PORT_REPLY -> RECEIVE_IP_REPLY -> RECEIVE_CAPA_REPLY
    -> RECEIVE_PSYNC_REPLY -> FULLRESYNC | CONTINUE | RETRY | NOT_SUPPORTED

``feed(data)`` returns events, tuples whose first item says what happened:

    ("send", bytes)                  write these bytes to the master
    ("log", level, text)             a log line ('notice' | 'warning')
    ("fullresync", replid, offset)   then the RDB payload (PayloadReader) follows
    ("continue", newid_or_None)      then the stream follows
    ("retry", reason)                drop the link and retry later
    ("sync", )                       master has no PSYNC: SYNC was sent, payload follows
    ("rest", bytes)                  bytes past the last reply (payload or stream)

``PayloadReader`` frames the RDB: ``$<len>\\r\\n<len bytes>`` (no trailing CRLF)
or ``$EOF:<40 chars>\\r\\n ... <same 40 chars>``, skipping ``\\n`` keepalives
before the header.
"""

from __future__ import annotations

from ..resp import encode_command

RECEIVE_PING_REPLY = "receive_ping_reply"
RECEIVE_AUTH_REPLY = "receive_auth_reply"
RECEIVE_PORT_REPLY = "receive_port_reply"
RECEIVE_IP_REPLY = "receive_ip_reply"
RECEIVE_CAPA_REPLY = "receive_capa_reply"
RECEIVE_PSYNC_REPLY = "receive_psync_reply"
DONE = "done"

EOF_MARK_SIZE = 40


class Handshake:
    def __init__(self, *, port: int, ip: str | None = None, masteruser: str | None = None,
                 masterauth: str | None = None, psync_replid: str = "?", psync_offset: int = -1,
                 failover: bool = False):
        self.port = port
        self.ip = ip
        self.masteruser = masteruser
        self.masterauth = masterauth
        self.psync_replid = psync_replid
        self.psync_offset = psync_offset
        self.failover = failover  # PSYNC ... FAILOVER: the target must promote itself (failover.py)
        self.state = None
        self.buf = b""
        self.queue: list = []  # states still expecting a reply, in order

    def start(self) -> bytes:
        self.state = RECEIVE_PING_REPLY
        return encode_command([b"PING"])

    def psync_command(self) -> bytes:
        args = [b"PSYNC", self.psync_replid.encode(), b"%d" % self.psync_offset]
        if self.failover:
            args.append(b"FAILOVER")
        return encode_command(args)

    def feed(self, data: bytes) -> list:
        self.buf += data
        events: list = []
        while self.state != DONE:
            nl = self.buf.find(b"\n")
            if nl < 0:
                break
            line = self.buf[:nl].rstrip(b"\r")
            self.buf = self.buf[nl + 1:]
            if not self._line(line.decode("utf-8", "replace"), events):
                break
        if self.state == DONE or (events and events[-1][0] == "retry"):
            if self.buf:
                events.append(("rest", self.buf))
            self.buf = b""
        return events

    def _line(self, line: str, ev: list) -> bool:
        """Handle one reply line; False stops the walk (done or failed)."""
        st = self.state
        if st == RECEIVE_PING_REPLY:
            if not line:
                return True
            if line[0] == "-" and not line.startswith(("-NOAUTH", "-NOPERM", "-ERR operation not permitted")):
                ev.append(("retry", "Error reply to PING from master: '%s'" % line))
                return False
            ev.append(("log", "notice", "Master replied to PING, replication can continue..."))
            out = []
            if self.masterauth:
                args = [b"AUTH"]
                if self.masteruser:
                    args.append(self.masteruser.encode())
                args.append(self.masterauth.encode())
                out.append(encode_command(args))
                self.queue.append(RECEIVE_AUTH_REPLY)
            out.append(encode_command([b"REPLCONF", b"listening-port", b"%d" % self.port]))
            self.queue.append(RECEIVE_PORT_REPLY)
            if self.ip:
                out.append(encode_command([b"REPLCONF", b"ip-address", self.ip.encode()]))
                self.queue.append(RECEIVE_IP_REPLY)
            out.append(encode_command([b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]))
            self.queue.append(RECEIVE_CAPA_REPLY)
            ev.append(("send", b"".join(out)))
            self.state = self.queue.pop(0)
            return True
        if st in (RECEIVE_AUTH_REPLY, RECEIVE_PORT_REPLY, RECEIVE_IP_REPLY, RECEIVE_CAPA_REPLY):
            if not line:
                return True
            if line[0] == "-":
                if st == RECEIVE_AUTH_REPLY:
                    ev.append(("retry", "Unable to AUTH to MASTER: %s" % line))
                    return False
                what = {RECEIVE_PORT_REPLY: "REPLCONF listening-port", RECEIVE_IP_REPLY: "REPLCONF ip-address",
                        RECEIVE_CAPA_REPLY: "REPLCONF capa"}[st]
                ev.append(("log", "notice", "(Non critical) Master does not understand %s: %s" % (what, line)))
            if self.queue:
                self.state = self.queue.pop(0)
                return True
            if self.psync_replid != "?":
                ev.append(("log", "notice", "Trying a partial resynchronization (request %s:%d)."
                           % (self.psync_replid, self.psync_offset)))
            else:
                ev.append(("log", "notice", "Partial resynchronization not possible (no cached master)"))
            ev.append(("send", self.psync_command()))
            self.state = RECEIVE_PSYNC_REPLY
            return True
        if st == RECEIVE_PSYNC_REPLY:
            if not line:
                return True  # keepalive newline while the master prepares the RDB
            if line.startswith("+FULLRESYNC"):
                parts = line.split()
                if len(parts) >= 3 and len(parts[1]) == 40:
                    try:
                        offset = int(parts[2])
                    except ValueError:
                        offset = -1
                    ev.append(("fullresync", parts[1], offset))
                else:
                    ev.append(("log", "warning", "Master replied with wrong +FULLRESYNC syntax."))
                    ev.append(("fullresync", "?", -1))
                self.state = DONE
                return False
            if line.startswith("+CONTINUE"):
                newid = line[9:].strip()
                ev.append(("continue", newid if len(newid) == 40 else None))
                self.state = DONE
                return False
            if line.startswith(("-NOMASTERLINK", "-LOADING")):
                ev.append(("retry", "Master is currently unable to PSYNC but should be in the future: %s" % line))
                return False
            if self.failover:
                # A refused FAILOVER ends it (no fallback to SYNC).
                ev.append(("log", "warning", "Unexpected reply to PSYNC from master: %s" % line))
                ev.append(("rejected", line))
                self.state = DONE
                return False
            if line.startswith("-ERR"):
                ev.append(("log", "warning", "Unexpected reply to PSYNC from master: %s" % line))
            else:
                ev.append(("log", "warning", "Unexpected reply to PSYNC from master: %s" % line))
            ev.append(("log", "notice", "Retrying with SYNC..."))
            ev.append(("send", b"SYNC\r\n"))
            ev.append(("sync",))
            self.state = DONE
            return False
        return False


class PayloadError(Exception):
    pass


class PayloadReader:
    """Frames the RDB payload.  ``feed(data)`` returns (body, done, rest):
    the RDB bytes found in ``data``, whether the payload is complete, and the
    bytes after it (the start of the stream)."""

    def __init__(self):
        self.header = b""
        self.size = None  # -1 with an EOF mark
        self.mark = None
        self.read = 0  # RDB bytes delivered
        self.tail = b""  # EOF mode: the last bytes, possibly the mark
        self.done = False

    @property
    def started(self) -> bool:
        return self.size is not None

    def feed(self, data: bytes):
        if self.size is None:
            data = self._header(data)
            if self.size is None:
                return b"", False, b""
        if self.mark is None:
            need = self.size - self.read
            body = data[:need]
            self.read += len(body)
            self.done = self.read == self.size
            return body, self.done, data[need:] if self.done else b""
        buf = self.tail + data if self.tail else data
        if len(buf) >= EOF_MARK_SIZE and buf[-EOF_MARK_SIZE:] == self.mark:
            body = buf[:-EOF_MARK_SIZE]
            self.tail = b""
            self.read += len(body)
            self.done = True
            return body, True, b""
        keep = min(EOF_MARK_SIZE, len(buf))
        body = buf[:len(buf) - keep]
        self.tail = buf[len(buf) - keep:]
        self.read += len(body)
        return body, False, b""

    def _header(self, data: bytes) -> bytes:
        buf = self.header + data
        while buf[:1] == b"\n":
            buf = buf[1:]  # keepalives
        nl = buf.find(b"\n")
        if nl < 0:
            self.header = buf
            return b""
        line = buf[:nl].rstrip(b"\r").decode("utf-8", "replace")
        rest = buf[nl + 1:]
        self.header = b""
        if line[:1] == "-":
            raise PayloadError("MASTER aborted replication with an error: %s" % line[1:])
        if line[:1] != "$":
            raise PayloadError("Bad protocol from MASTER, the first byte is not '$' (we received '%s'), are you "
                               "sure the host and port are right?" % line)
        if line.startswith("$EOF:") and len(line) >= 5 + EOF_MARK_SIZE:
            self.mark = line[5:5 + EOF_MARK_SIZE].encode()
            self.size = -1
        else:
            try:
                self.size = int(line[1:])
            except ValueError:
                raise PayloadError("Bad protocol from MASTER, invalid payload length '%s'" % line) from None
        return rest
