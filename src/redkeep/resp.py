"""RESP2/RESP3: request parsing and reply encoding, with no I/O.

Mirrors Redis's ``networking.c`` (processMultibulkBuffer / processInlineBuffer and
the addReply* family).

Theory of the request parser
----------------------------
Requests are either multibulk (``*2\\r\\n$3\\r\\nGET\\r\\n$1\\r\\na\\r\\n``) or inline
(``GET a\\r\\n``, what telnet sends).  The fast path hands multibulk bytes to
``hiredis.Reader`` (C); hiredis is a *reply* parser, so it accepts things Redis
rejects in a request (``:1`` elements, nested arrays, ``$-1``) and its own error
texts differ from Redis's.  So:

* at a request boundary (hiredis holds no partial data), a first byte other
  than ``*`` switches to the inline parser for one line;
* every parsed request is checked to be a flat array of bulk strings;
* when hiredis raises, or a partial request grows past ``CHECK_PARTIAL`` bytes,
  the bytes since the last boundary are re-read by ``check_multibulk`` — a
  straight port of Redis's checks — which names the exact Redis error
  (``invalid bulk length``, ``expected '$', got 'x'`` ...) and enforces
  ``proto-max-bulk-len`` before a huge bulk is buffered.

Invariant: every byte received is either consumed as part of a complete
request, held as the (bounded) partial tail, or answered with a protocol error
after which the connection is closed.
"""

from __future__ import annotations

import hiredis

from .errors import ProtocolError

# ---------------------------------------------------------------------------
# Reply encoding
# ---------------------------------------------------------------------------

OK = b"+OK\r\n"
PONG = b"+PONG\r\n"
QUEUED = b"+QUEUED\r\n"
EMPTY_ARRAY = b"*0\r\n"
EMPTY_BULK = b"$0\r\n\r\n"
ZERO = b":0\r\n"
ONE = b":1\r\n"
NEG_ONE = b":-1\r\n"
NEG_TWO = b":-2\r\n"
CRLF = b"\r\n"

_INTS = [b":%d\r\n" % i for i in range(-1, 10001)]
_ARRAY_HDR = [b"*%d\r\n" % i for i in range(0, 1025)]
_BULK_HDR = [b"$%d\r\n" % i for i in range(0, 1025)]


def integer(n: int) -> bytes:
    if -1 <= n <= 10000:
        return _INTS[n + 1]
    return f":{n}\r\n".encode()  # ~25% cheaper than bytes %-formatting


def bulk(b: bytes) -> bytes:
    n = len(b)
    if n <= 1024:
        return _BULK_HDR[n] + b + CRLF
    return b"$%d\r\n%s\r\n" % (n, b)


def bulk_str(s: str) -> bytes:
    return bulk(s.encode())


def array_header(n: int) -> bytes:
    if n <= 1024:
        return _ARRAY_HDR[n]
    return b"*%d\r\n" % n


def py_bulk_array(items) -> bytes:
    """An array of bulk strings (every item is bytes)."""
    parts = [array_header(len(items))]
    for b in items:
        n = len(b)
        parts.append(_BULK_HDR[n] if n <= 1024 else b"$%d\r\n" % n)
        parts.append(b)
        parts.append(CRLF)
    return b"".join(parts)


try:  # the same in C (_respenc.c: ~15x faster for a 100-element reply)
    from ._respenc import bulk_array
except ImportError:
    bulk_array = py_bulk_array


def simple(s: str | bytes) -> bytes:
    if isinstance(s, str):
        s = s.encode()
    return b"+" + s + CRLF


def error(text: str) -> bytes:
    """``text`` carries its code: error('ERR syntax error').  CR/LF become
    spaces (they would break the reply's framing), as in Redis's
    addReplyErrorLength; user bytes carried in ``text`` as surrogate escapes
    (see ``arg_text``) go out unchanged."""
    if "\r" in text or "\n" in text:
        text = text.replace("\r", " ").replace("\n", " ")
    return b"-" + text.encode("utf-8", "surrogateescape") + CRLF


def arg_text(b: bytes, limit: int | None = None) -> str:
    """A client argument for an error text, as C's "%s" prints it: cut at
    the first NUL (and at ``limit`` bytes), bytes kept exactly."""
    nul = b.find(b"\x00")
    if nul >= 0:
        b = b[:nul]
    if limit is not None:
        b = b[:limit]
    return b.decode("utf-8", "surrogateescape")


def format_double(x: float) -> bytes:
    """Redis 7.0's addReplyDouble text: %.17g, inf/-inf/nan."""
    if x != x:
        return b"nan"
    if x == float("inf"):
        return b"inf"
    if x == float("-inf"):
        return b"-inf"
    return b"%.17g" % x


class Proto:
    """What differs between RESP2 and RESP3 for one client.

    Handlers use ``c.r.null``, ``c.r.map_header(n)`` ... so that the same code
    answers both protocols, as Redis's addReplyNull/addReplyMapLen do.
    """

    __slots__ = ("version", "null", "null_array", "true", "false")

    def __init__(self, version: int):
        self.version = version
        if version == 3:
            self.null = b"_\r\n"
            self.null_array = b"_\r\n"
            self.true = b"#t\r\n"
            self.false = b"#f\r\n"
        else:
            self.null = b"$-1\r\n"
            self.null_array = b"*-1\r\n"
            self.true = b":1\r\n"
            self.false = b":0\r\n"

    def map_header(self, pairs: int) -> bytes:
        if self.version == 3:
            return b"%%%d\r\n" % pairs
        return array_header(pairs * 2)

    def set_header(self, n: int) -> bytes:
        if self.version == 3:
            return b"~%d\r\n" % n
        return array_header(n)

    def push_header(self, n: int) -> bytes:
        if self.version == 3:
            return b">%d\r\n" % n
        return array_header(n)

    def double(self, x: float) -> bytes:
        if self.version == 3:
            return b"," + format_double(x) + CRLF
        return bulk(format_double(x))

    def verbatim(self, text: bytes, fmt: bytes = b"txt") -> bytes:
        if self.version == 3:
            return b"=%d\r\n%s:%s\r\n" % (len(text) + 4, fmt, text)
        return bulk(text)

    def bignum(self, digits: bytes) -> bytes:
        if self.version == 3:
            return b"(" + digits + CRLF
        return bulk(digits)

    def map_from_pairs(self, pairs) -> bytes:
        """pairs: list of (encoded key, encoded value)."""
        out = [self.map_header(len(pairs))]
        for k, v in pairs:
            out.append(k)
            out.append(v)
        return b"".join(out)


RESP2 = Proto(2)
RESP3 = Proto(3)


def encode_tagged(node, proto: Proto) -> bytes:
    """Render a RESP3-typed tree ``[type, value]`` (see command_specs.json)."""
    t, v = node
    if t == "bulk":
        return bulk(v.encode())
    if t == "simple":
        return simple(v)
    if t == "int":
        return integer(v)
    if t == "array":
        return array_header(len(v)) + b"".join(encode_tagged(x, proto) for x in v)
    if t == "set":
        return proto.set_header(len(v)) + b"".join(encode_tagged(x, proto) for x in v)
    if t == "map":
        return proto.map_header(len(v) // 2) + b"".join(encode_tagged(x, proto) for x in v)
    if t == "null":
        return proto.null
    raise ValueError(t)


# A request as multibulk (how AOF and the replication stream store it) is
# the same bytes as an array of bulk strings.
encode_command = bulk_array


# ---------------------------------------------------------------------------
# Request parsing
# ---------------------------------------------------------------------------

INLINE_MAX = 64 * 1024  # PROTO_INLINE_MAX_SIZE
CHECK_PARTIAL = 64 * 1024  # re-check a partial request's headers past this size
UNAUTH_MAX_ARGS = 10
UNAUTH_MAX_BULK = 16384


def split_args(line: bytes) -> list[bytes] | None:
    """Redis's sdssplitargs: shell-like splitting with quotes and escapes.

    Returns None on unbalanced quotes (a closing quote must be followed by a
    space or the end of the line).
    """
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \n\r\t\v\f":
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    return None
                ch = line[i]
                if ch == 0x5C and i + 3 < n and line[i + 1] == 0x78 and _ishex(line[i + 2]) and _ishex(line[i + 3]):
                    cur.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif ch == 0x5C and i + 1 < n:
                    i += 1
                    c = line[i]
                    cur.append({0x6E: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7}.get(c, c))
                elif ch == 0x22:
                    if i + 1 < n and line[i + 1] not in b" \n\r\t\v\f":
                        return None
                    inq = False
                    i += 1
                    break
                else:
                    cur.append(ch)
            elif insq:
                if i >= n:
                    return None
                ch = line[i]
                if ch == 0x5C and i + 1 < n and line[i + 1] == 0x27:
                    i += 1
                    cur.append(0x27)
                elif ch == 0x27:
                    if i + 1 < n and line[i + 1] not in b" \n\r\t\v\f":
                        return None
                    insq = False
                    i += 1
                    break
                else:
                    cur.append(ch)
            else:
                if i >= n:
                    break
                ch = line[i]
                if ch in b" \n\r\t\v\f":
                    break
                if ch == 0x22:
                    inq = True
                elif ch == 0x27:
                    insq = True
                else:
                    cur.append(ch)
            i += 1
        args.append(bytes(cur))


def _ishex(c: int) -> bool:
    return c in b"0123456789abcdefABCDEF"


def _strict_int(b: bytes) -> int:
    """Redis's string2ll: optional '-', no '+', spaces or leading zeros."""
    if not b or len(b) > 20:
        raise ValueError
    neg = b[0] == 0x2D
    digits = b[1:] if neg else b
    if not digits.isdigit() or (digits[0] == 0x30 and len(digits) > 1) or (neg and digits == b"0"):
        raise ValueError
    return int(b)


def check_multibulk(buf: bytes, max_bulk: int, authenticated: bool = True, exempt: bool = False):
    """Walk complete multibulk requests in ``buf`` and raise Redis's error for
    the first malformed one (ProtocolError(msg) where msg follows
    'Protocol error: ').  Returns normally if everything seen is valid so far
    (the tail may be incomplete)."""
    pos, n = 0, len(buf)
    while pos < n:
        if buf[pos] != 0x2A:  # '*'
            return  # inline request: handled by the inline parser
        nl = buf.find(b"\r\n", pos)
        if nl < 0:
            if n - pos > INLINE_MAX:
                raise ProtocolError("too big mbulk count string")
            return
        try:
            count = _strict_int(buf[pos + 1 : nl])
        except ValueError:
            raise ProtocolError("invalid multibulk length") from None
        if count > 1024 * 1024 * 1024 * 2 - 1 or (count > UNAUTH_MAX_ARGS and not authenticated):
            if not authenticated and count <= 2**31 - 1:
                raise ProtocolError("unauthenticated multibulk length")
            raise ProtocolError("invalid multibulk length")
        pos = nl + 2
        for _ in range(max(count, 0)):
            if pos >= n:
                return
            nl = buf.find(b"\r\n", pos)
            if nl < 0:
                if n - pos > INLINE_MAX:
                    raise ProtocolError("too big bulk count string")
                if buf[pos] != 0x24:
                    raise ProtocolError("expected '$', got '%s'" % chr(buf[pos]))
                return
            if buf[pos] != 0x24:  # '$'
                raise ProtocolError("expected '$', got '%s'" % chr(buf[pos]))
            try:
                blen = _strict_int(buf[pos + 1 : nl])
            except ValueError:
                raise ProtocolError("invalid bulk length") from None
            if blen < 0 or (blen > max_bulk and not exempt):
                raise ProtocolError("invalid bulk length")
            if blen > UNAUTH_MAX_BULK and not authenticated:
                raise ProtocolError("unauthenticated bulk length")
            pos = nl + 2 + blen + 2
            if pos > n:
                return


class RequestParser:
    """Feed bytes, get argv lists.  Raises ProtocolError with Redis's text."""

    __slots__ = ("reader", "pending", "max_bulk", "authenticated", "exempt", "inline_buf", "next_check", "held")

    def __init__(self, max_bulk: int = 512 * 1024 * 1024):
        self.reader = hiredis.Reader()
        self.pending = bytearray()  # bytes given to hiredis since the last boundary
        self.inline_buf = b""
        self.max_bulk = max_bulk
        self.authenticated = True
        self.exempt = False  # masters are exempt from proto-max-bulk-len
        self.next_check = CHECK_PARTIAL
        self.held = False  # input held back after AUTH/HELLO: feed(b"") again once it ran

    def buffered(self) -> int:
        """Bytes of an incomplete request held (for client-query-buffer-limit)."""
        return len(self.pending) + len(self.inline_buf)

    def feed(self, data: bytes, out: list) -> None:
        """Parse ``data``; append each complete request's argv to ``out``
        (``None`` for an empty inline line, a keepalive that gets no reply).

        Requests before a protocol error are appended before it is raised, so
        the caller can run them first, as Redis does.
        """
        if self.inline_buf:
            data = self.inline_buf + data
            self.inline_buf = b""
        if not self.authenticated:
            self._feed_unauthenticated(data, out)
            return
        while data:
            if not self.pending and data[0] != 0x2A:
                data = self._inline(data, out)
                continue
            data = self._multibulk(data, out)

    def _feed_unauthenticated(self, data: bytes, out: list) -> None:
        """Before authentication, requests are taken one at a time, and what
        follows an AUTH or HELLO is held (``held``) until the caller has run
        it and feeds again: Redis applies the unauthenticated limits to a
        pipelined request only if the AUTH before it failed."""
        while data:
            n = len(out)
            if self.pending or data[0] == 0x2A:
                done = len(self.pending)
                end = _complete_request_end(bytes(self.pending) + data if done else data, 0)
                if end is not None and end - done < len(data):
                    self._multibulk(data[:end - done], out)
                    data = data[end - done:]
                else:
                    data = self._multibulk(data, out)
            else:
                data = self._inline(data, out)
            if data and len(out) > n and out[-1] and out[-1][0].lower() in (b"auth", b"hello"):
                self.inline_buf = data
                self.held = True
                return

    def _inline(self, data: bytes, out: list) -> bytes:
        nl = data.find(b"\n")
        nul = data.find(b"\x00", 0, nl if nl >= 0 else len(data))
        if nul >= 0:
            # Redis looks for the newline with strchr(), which stops at a NUL:
            # such a line never completes and only the size limit ends it.
            nl = -1
        if nl < 0:
            if len(data) > INLINE_MAX:
                raise ProtocolError("too big inline request")
            self.inline_buf = data
            return b""
        if nl > INLINE_MAX:
            raise ProtocolError("too big inline request")
        line = data[:nl]
        if line.endswith(b"\r"):
            line = line[:-1]
        args = split_args(line)
        if args is None:
            raise ProtocolError("unbalanced quotes in request")
        # No unauthenticated limits here: Redis applies them to multibulk only.
        out.append(args or None)
        return data[nl + 1 :]

    def _multibulk(self, data: bytes, out: list) -> bytes:
        """Multibulk requests: hiredis parses them, this checks what it
        returns as Redis would.  Returns what follows an error that turned
        out to be an inline request (see _recover), else b"".

        ``pending`` keeps the bytes since the last request boundary, for
        _recover and the partial-request checks.  hiredis is fed all of
        ``data``, so a boundary (nothing left after a request) can only be
        at its end: the bytes are kept only when a read ends inside a
        request, not copied on every read (-P 1 traffic is one read per
        request)."""
        reader = self.reader
        reader.feed(data)
        gets = reader.gets
        append = out.append
        while True:
            try:
                req = gets()
            except hiredis.ProtocolError:
                break
            if type(req) is list:
                for a in req:
                    if type(a) is not bytes:
                        break
                else:
                    if not self.authenticated:
                        _check_unauthenticated(req)
                    if req:
                        append(req)
                    req = None
            if req is None:  # a request, or "*-1\r\n" (ignored as Redis does)
                # Right after hiredis returns a request it has not looked at
                # the next one: nothing buffered means a boundary.  (Not
                # after gets() says False: it may hold a type byte it took.)
                if reader.has_data():
                    continue
                if self.pending:
                    self.pending.clear()
                if self.next_check != CHECK_PARTIAL:
                    self.next_check = CHECK_PARTIAL
                return b""
            if req is False:  # the read ends inside a request
                self.pending += data
                self._check_partial()
                return b""
            break  # not a request of bulk strings
        self.pending += data
        return self._recover()

    def _check_partial(self) -> None:
        """A partial request is buffered: check its headers now, so that a
        bogus length is refused at once (Redis does it as the header
        arrives) and a huge one before we buffer the data it announces."""
        pending = self.pending
        if len(pending) < CHECK_PARTIAL or len(pending) > self.next_check:
            self._skip_complete()
            if len(pending) >= CHECK_PARTIAL:
                self.next_check = len(pending) * 2
            check_multibulk(bytes(pending), self.max_bulk, self.authenticated, self.exempt)

    def _recover(self) -> bytes:
        """hiredis refused the stream (or parsed a non-request): find the
        offending request ourselves.  If it is an inline request that simply
        follows multibulk ones, restart there; else raise Redis's error."""
        self._skip_complete()
        rest = bytes(self.pending)
        self.reader = hiredis.Reader()
        self.pending = bytearray()
        if rest and rest[0] != 0x2A:
            return rest
        check_multibulk(rest, self.max_bulk, self.authenticated, self.exempt)
        raise ProtocolError("invalid multibulk length")

    def _skip_complete(self) -> None:
        """Drop valid complete requests (already returned) from ``pending``."""
        buf = self.pending
        pos = 0
        n = len(buf)
        while pos < n and buf[pos] == 0x2A:
            end = _complete_request_end(buf, pos)
            if end is None:
                break
            pos = end
        if pos:
            del buf[:pos]


def _check_unauthenticated(req: list) -> None:
    """Redis's limits on a multibulk request before authentication."""
    if len(req) > UNAUTH_MAX_ARGS:
        raise ProtocolError("unauthenticated multibulk length")
    for a in req:
        if len(a) > UNAUTH_MAX_BULK:
            raise ProtocolError("unauthenticated bulk length")


def _complete_request_end(buf: bytes, pos: int):
    """End offset of a *valid* complete multibulk request at ``pos``, else None."""
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        return None
    try:
        count = _strict_int(buf[pos + 1 : nl])
    except ValueError:
        return None
    pos = nl + 2
    for _ in range(max(count, 0)):
        if pos >= len(buf) or buf[pos] != 0x24:
            return None
        nl = buf.find(b"\r\n", pos)
        if nl < 0:
            return None
        try:
            blen = _strict_int(buf[pos + 1 : nl])
        except ValueError:
            return None
        if blen < 0:
            return None
        pos = nl + 2 + blen
        if buf[pos : pos + 2] != b"\r\n":
            return None
        pos += 2
    return pos
