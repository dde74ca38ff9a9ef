"""Differential testing of redkeep against a real Redis 7.0.

Three parts, all deterministic given a seed:

* ``Generator``: a seeded stream of commands over a tiny key space (so types
  collide and WRONGTYPE happens), with valid and invalid arguments, MULTI/EXEC
  blocks with queued errors, WATCH, blocking commands with tiny timeouts.
  The stream never depends on replies, so ``(seed, focus, resp, pending)``
  reproduces it exactly.
* The comparator: each command goes to both servers over raw sockets and the
  reply bytes must be identical, except where Redis itself is not
  deterministic; such commands carry a *kind* saying how to normalise
  (sort an unordered reply, compare only the shape of a random one, allow a
  tolerance for a TTL).  After the stream both datasets are dumped
  (every key, type, value, TTL) and compared.
* ``shrink``: on a mismatch, delta-debugging over the history gives a minimal
  reproducer, printed in the failure message.

CLI: ``python tests/difftools.py --seed 7 [--focus lists] [--resp 3] [--shrink]``
starts both servers itself and reports the first difference.
"""

from __future__ import annotations

import random
import re
import socket
import time

from helpers import RawConn

# -- RESP parsing -------------------------------------------------------------

_LINE = frozenset(b"+-:_,#(")
_BLOB = frozenset(b"$=!")
_AGG = frozenset(b"*~>%|")


class Node:
    """A parsed reply: ``t`` its type byte, ``raw`` its exact bytes, ``items``
    the children of an aggregate (maps and attributes flattened k, v, ...)."""

    __slots__ = ("t", "raw", "items", "null")

    def __init__(self, t, raw, items=None, null=False):
        self.t = t
        self.raw = raw
        self.items = items
        self.null = null


def parse(buf: bytes, pos: int = 0):
    end = buf.index(b"\r\n", pos)
    t = buf[pos]
    if t in _LINE:
        return Node(t, buf[pos:end + 2]), end + 2
    n = int(buf[pos + 1:end])
    if t in _BLOB:
        if n < 0:
            return Node(t, buf[pos:end + 2], null=True), end + 2
        stop = end + 2 + n + 2
        return Node(t, buf[pos:stop]), stop
    if t in _AGG:
        if n < 0:
            return Node(t, buf[pos:end + 2], null=True), end + 2
        count = n * 2 if t in b"%|" else n
        items = []
        p = end + 2
        for _ in range(count):
            child, p = parse(buf, p)
            items.append(child)
        return Node(t, buf[pos:p], items), p
    raise ValueError("bad reply %r" % buf[pos:pos + 40])


def parse_one(buf: bytes) -> Node:
    return parse(buf, 0)[0]


def encode(args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn(RawConn):
    """``RawConn`` taking a command as one list of bytes, Nagle off (the
    harness sends many small requests and waits for each reply)."""

    def __init__(self, port: int, timeout: float = 10.0):
        super().__init__(port, timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def call(self, args) -> bytes:
        self.sock.sendall(encode(args))
        return self.read_reply()


# -- normalisation ------------------------------------------------------------
# A command's kind says how its reply may legitimately differ between two
# correct servers.  None: not at all (byte for byte).

SORT = ("sort",)          # unordered aggregate (SMEMBERS, SUNION, KEYS ...)
PAIRS = ("pairs",)        # unordered field/value pairs (flat in RESP2, map in RESP3)
SHAPE = ("shape",)        # random reply: only types and sizes are compared
HELLO = ("hello",)        # HELLO's map: everything but the connection id
OBJENC = ("objenc",)      # OBJECT ENCODING: embstr and raw are one (see canon)
SCAN = ("scan", False)    # [cursor, unordered elements]
SORT_ALPHA = ("alpha",)   # SORT ... ALPHA: ties under strcoll (NUL ends a C string) in any order
SORT_NUM = ("sortnum",)   # numeric SORT: Redis may refuse valid numbers (see _equal_under)
SCAN_PAIRS = ("scan", True)


def ttl(tolerance: int):
    """Integer replies within ``tolerance`` (both servers set the TTL a few
    ms apart); negative sentinels (-1, -2) must match exactly."""
    return ("ttl", tolerance)


def enc_order(key: bytes, pairs: bool):
    """Ordered as Redis's listpack/intset encodings order it; sorted once the
    real server says the value is a hashtable (whose order is random)."""
    return ("enc", key, pairs)


def _sorted_items(node: Node, pairs: bool):
    items = node.items
    if pairs:
        return sorted(items[i].raw + items[i + 1].raw for i in range(0, len(items) - 1, 2))
    return sorted(x.raw for x in items)


def _shape(node: Node):
    if node.t == ord("-"):
        return node.raw
    if node.items is not None:
        return (node.t, len(node.items), tuple(_shape(x) for x in node.items)
                if node.t in b"%|" or any(x.items is not None for x in node.items) else ())
    return (node.t, node.null)


_STRING_ENCODINGS = frozenset([b"$3\r\nint\r\n", b"$6\r\nembstr\r\n", b"$3\r\nraw\r\n"])


def canon(raw: bytes, kind):
    """The comparable form of a reply under ``kind``."""
    if kind is None:
        return raw
    if kind is OBJENC:
        # A string's encoding (int, embstr, raw) depends on how it was built
        # (SET tries int, APPEND/SETRANGE/INCRBYFLOAT do not), not on its
        # value; redkeep keeps values as plain bytes.  Other types' encodings
        # (listpack, intset, hashtable, skiplist, quicklist) are compared.
        return b"<string encoding>" if raw in _STRING_ENCODINGS else raw
    node = parse_one(raw)
    k = kind[0]
    if node.items is None:
        if k == "ttl" and node.t == ord(":"):
            return ("int", int(raw[1:-2]))
        if k == "shape":
            return _shape(node)
        return raw
    if k == "sort":
        return (node.t, _sorted_items(node, False))
    if k == "alpha":
        # Redis compares with strcoll, which stops at a NUL: "" and "\0x"
        # tie, and ties come out in its hash table's (randomly seeded) order.
        keys = tuple(_bulk_payload(x.raw).split(b"\0", 1)[0] for x in node.items)
        return (node.t, keys, _sorted_items(node, False))
    if k in ("pairs", "enc"):
        pairs = True if k == "pairs" else kind[2]
        if node.t in b"%|":
            pairs = True
        return (node.t, _sorted_items(node, pairs))
    if k == "scan":
        if len(node.items) == 2 and node.items[1].items is not None:
            inner = node.items[1]
            return (node.t, node.items[0].raw, inner.t, _sorted_items(inner, kind[1]))
        return raw
    if k == "shape":
        return _shape(node)
    if k == "hello":
        items = node.items
        return (node.t, tuple(b"<id>" if i > 0 and items[i - 1].raw.endswith(b"\r\nid\r\n") else x.raw
                              for i, x in enumerate(items)))
    if k == "exec":
        kinds = kind[1]
        if len(kinds) != len(node.items):
            return raw
        return (node.t, tuple(canon(x.raw, kk) for x, kk in zip(node.items, kinds)))
    return raw


def same(a, b, kind) -> bool:
    if a == b:
        return True
    return _same_canon(a, b, kind)


def _same_canon(a, b, kind):
    try:
        ca, cb = canon(a, kind), canon(b, kind)
    except (ValueError, IndexError):
        return False
    return _eq(ca, cb, kind)


def _eq(ca, cb, kind) -> bool:
    if kind is SORT_NUM:
        return ca == cb or _errno_leak(ca, cb)
    if kind is not None and kind[0] == "ttl":
        if type(ca) is tuple and type(cb) is tuple and ca[0] == cb[0] == "int":
            x, y = ca[1], cb[1]
            if x < 0 or y < 0:
                return x == y
            return abs(x - y) <= kind[1]
        return ca == cb
    if kind is not None and kind[0] == "exec" and type(ca) is tuple and type(cb) is tuple \
            and len(ca) == 2 and len(cb) == 2 and type(ca[1]) is tuple and type(cb[1]) is tuple:
        if ca[0] != cb[0] or len(ca[1]) != len(cb[1]):
            return False
        return all(_eq(x, y, k) for x, y, k in zip(ca[1], cb[1], kind[1]))
    return ca == cb


# -- the generator ------------------------------------------------------------

MAX_DB = 3  # streams use dbs 0..2; the dump covers them

INTS = [b"0", b"1", b"-1", b"2", b"3", b"7", b"10", b"42", b"-100", b"1000",
        b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808", b"007",
        b"+5", b" 5", b"1e3", b"0x10", b"", b"abc", b"-0", b"1.5"]
FLOATS = [b"0", b"1", b"-1", b"1.5", b"-0.5", b"3.0e2", b"0.1", b"0.2", b"1e-5", b"inf", b"-inf",
          b"+inf", b"nan", b"1e400", b"1.7976931348623157e308", b"abc", b"", b"0x10", b"1.", b".5",
          b"10", b"-2.25", b"5e-324", b"1_000", b" 1"]
MEMBERS = [b"a", b"b", b"c", b"d", b"1", b"2", b"3", b"10", b"-3", b"x y", b"\x00\xff", b"", b"foo\r\nbar",
           b"1.5", b"abc", b"A", b"zz"]
LONG = b"L" * 70  # longer than the listpack/intset limits (64 bytes)


def _rand_bytes(rng: random.Random, n: int) -> bytes:
    alphabet = b"ab01 \x00\xff\r\n\t-_.xyz"
    return bytes(rng.choice(alphabet) for _ in range(n))


class Cmd:
    """One command; ``other`` sends it from a second client (db 0, never in
    MULTI): a concurrent writer for WATCH and transactions."""

    __slots__ = ("args", "kind", "other")

    def __init__(self, args, kind=None, other=False):
        self.args = args
        self.kind = kind
        self.other = other

    def __repr__(self) -> str:
        return ("[other client] " if self.other else "") + " ".join(_show(a) for a in self.args)


def _show(a: bytes) -> str:
    s = repr(a)[2:-1]
    if not a or any(ch in s for ch in " '\"\\"):
        return '"%s"' % s.replace('"', '\\"')
    return s


# Each family mostly uses its own two keys (valid operations), sometimes any
# key (WRONGTYPE, conversions between families).
HOME = {"strings": [b"k0", b"k1"], "bits": [b"k0", b"k3"], "lists": [b"k1", b"k2"],
        "hashes": [b"k2", b"k3"], "sets": [b"k3", b"k{4}"], "zsets": [b"k{4}", b"k0"]}

FAMILIES = ("strings", "bits", "lists", "hashes", "sets", "zsets", "keys", "multi")


class Generator:
    """A seeded command stream.  ``focus`` picks a family to stress (plus the
    keyspace commands and transactions); None mixes everything."""

    def __init__(self, seed: int, focus: str | None = None, pending=(), resp3: bool = False):
        self.rng = random.Random(seed)
        self.focus = focus
        self.resp3 = resp3
        self.pending = frozenset(pending)
        self.keys = [b"k0", b"k1", b"k2", b"k3", b"k{4}"]
        self.home = None
        self.in_multi = False
        self.multi_left = 0
        self.queued: list = []
        self.followups: list = []
        self.table = self._table()
        names = [n for n in self.table if n.split("|")[0] not in self.pending and n not in self.pending]
        weights = []
        for n in names:
            fam, w = self.table[n][:2]
            if focus is not None and fam != focus:
                # other families stay present (types collide), quieter
                w *= 1 if fam in ("keys", "multi") else 0.15
            elif focus is not None:
                w *= 4
            weights.append(w)
        self.names = names
        self.weights = weights

    # -- argument helpers ---------------------------------------------------

    def p(self, prob: float) -> bool:
        return self.rng.random() < prob

    def pick(self, seq):
        return self.rng.choice(seq)

    def key(self) -> bytes:
        r = self.rng.random()
        if r < 0.05:
            return b"missing"
        if r < 0.6 and self.home:
            return self.rng.choice(self.home)
        return self.rng.choice(self.keys)

    def nkeys(self, lo=1, hi=3):
        return [self.key() for _ in range(self.rng.randint(lo, hi))]

    def val(self) -> bytes:
        r = self.rng.random()
        if r < 0.3:
            return self.pick(INTS)
        if r < 0.45:
            return self.pick(FLOATS)
        if r < 0.7:
            return self.pick(MEMBERS)
        if r < 0.97:
            return _rand_bytes(self.rng, self.rng.randint(0, 12))
        return LONG + _rand_bytes(self.rng, 3)

    def member(self) -> bytes:
        if self.p(0.02):
            return LONG
        return self.pick(MEMBERS)

    def zmember(self) -> bytes:
        # Sorted-set members stay under 64 bytes: listpack-encoded zsets are
        # what makes ZRANGEBYLEX on mixed scores deterministic in Redis.
        return self.pick(MEMBERS)

    def intval(self) -> bytes:
        if self.p(0.75):
            return str(self.rng.randint(-20, 20)).encode()
        return self.pick(INTS)

    def idx(self) -> bytes:
        r = self.rng.random()
        if r < 0.8:
            return str(self.rng.randint(-8, 8)).encode()
        if r < 0.9:
            return self.pick([b"9223372036854775807", b"-9223372036854775808", b"1000000", b"-1000000"])
        return self.pick([b"abc", b"1.5", b"", b"9223372036854775808", b"+1"])

    def count(self) -> bytes:
        r = self.rng.random()
        if r < 0.85:
            return str(self.rng.randint(0, 6)).encode()
        return self.pick([b"-1", b"-5", b"abc", b"9223372036854775807", b"1000"])

    def score(self) -> bytes:
        r = self.rng.random()
        if r < 0.6:
            return str(self.rng.randint(-5, 5)).encode()
        if r < 0.85:
            return self.pick([b"1.5", b"-0.5", b"0.1", b"inf", b"-inf", b"+inf", b"1e3", b"3.0", b"-0"])
        return self.pick([b"nan", b"abc", b"", b"1e400", b"(1", b"0x1"])

    def range_score(self) -> bytes:
        r = self.rng.random()
        if r < 0.5:
            return str(self.rng.randint(-5, 5)).encode()
        if r < 0.75:
            return b"(" + str(self.rng.randint(-5, 5)).encode()
        if r < 0.93:
            return self.pick([b"-inf", b"+inf", b"inf", b"(-inf", b"1.5", b"(0.5"])
        return self.pick([b"abc", b"((1", b"nan", b"", b"[1"])

    def lex(self) -> bytes:
        r = self.rng.random()
        if r < 0.8:
            return self.pick([b"[", b"("]) + self.pick(MEMBERS)
        if r < 0.93:
            return self.pick([b"-", b"+"])
        return self.pick([b"a", b"", b"*"])

    def ttl_secs(self) -> bytes:
        # Relative TTLs are long (nothing expires by the clock during a stream)
        # and spread out (GT/LT between two of them never hinges on the ms in
        # which each server ran them); some are <= 0 (deletes the key).
        r = self.rng.random()
        if r < 0.8:
            return str(self.rng.randint(1000, 10 ** 7)).encode()
        if r < 0.9:
            return self.pick([b"0", b"-1", b"-100"])
        return self.pick([b"abc", b"1.5", b"", b"9223372036854775807", b"-9223372036854775808"])

    def ttl_ms(self) -> bytes:
        r = self.rng.random()
        if r < 0.8:
            return str(self.rng.randint(10 ** 6, 10 ** 10)).encode()
        if r < 0.9:
            return self.pick([b"0", b"-1"])
        return self.pick([b"abc", b"1.5", b"9223372036854775807"])

    def unix_secs(self) -> bytes:
        # Absolute times: far future (exact), or the past (deletes the key).
        r = self.rng.random()
        if r < 0.7:
            return str(4102444800 + self.rng.randint(0, 10 ** 6) * 10).encode()
        if r < 0.9:
            return self.pick([b"1", b"1000000000", b"0"])
        return self.pick([b"abc", b"-1", b"9223372036854775807"])

    def unix_ms(self) -> bytes:
        r = self.rng.random()
        if r < 0.7:
            return str(4102444800000 + self.rng.randint(0, 10 ** 9) * 7).encode()
        if r < 0.9:
            return self.pick([b"1", b"1000000000000"])
        return self.pick([b"abc", b"-5"])

    def expire_flags(self):
        if self.p(0.6):
            return []
        opts = [[b"NX"], [b"XX"], [b"GT"], [b"LT"], [b"nx"], [b"gt"], [b"NX", b"XX"], [b"GT", b"LT"],
                [b"NX", b"GT"], [b"XX", b"GT"], [b"XX", b"LT"], [b"BOGUS"]]
        return list(self.pick(opts))

    def timeout(self) -> bytes:
        """A blocking timeout: tiny outside MULTI (a blocked stream would hang),
        anything inside MULTI (where blocking commands never block)."""
        if self.in_multi and self.p(0.5):
            return self.pick([b"0", b"1"])
        r = self.rng.random()
        if r < 0.85:
            return self.pick([b"0.01", b"0.005", b"0.02"])
        return self.pick([b"-1", b"abc", b"-0.5", b"inf"])

    def bitoffset(self) -> bytes:
        r = self.rng.random()
        if r < 0.9:
            return str(self.rng.randint(0, 300)).encode()
        return self.pick([b"-1", b"4294967296", b"abc", b"1.5"])

    def bittype(self) -> bytes:
        if self.p(0.9):
            return self.pick([b"i", b"u"]) + str(self.rng.randint(1, 16)).encode() if self.p(0.7) else \
                self.pick([b"i64", b"u63", b"i32", b"u8", b"i1", b"u1"])
        return self.pick([b"u64", b"i65", b"x8", b"i0", b"u"])

    # -- the table: name -> (family, weight, fn) ------------------------------

    def _table(self):
        t = {}

        def reg(fam, w, names):
            for n in names.split():
                t[n] = (fam, w, getattr(self, "g_" + n.replace("|", "_")))

        reg("strings", 3, "get set")
        reg("strings", 1, "setnx setex psetex getset getdel getex mget mset msetnx append strlen incr decr "
                          "incrby decrby incrbyfloat setrange getrange substr lcs")
        reg("bits", 2, "setbit getbit bitcount bitpos")
        reg("bits", 1, "bitop bitfield bitfield_ro")
        reg("lists", 3, "lpush rpush lrange")
        reg("lists", 1, "lpushx rpushx lpop rpop llen lindex lset linsert lrem ltrim lpos rpoplpush lmove lmpop")
        # A timed-out block costs up to 1/hz (100 ms) on Redis: keep them rare.
        reg("lists", 0.3, "blpop brpop blmove brpoplpush blmpop")
        reg("hashes", 3, "hset hget hgetall")
        reg("hashes", 1, "hsetnx hmset hmget hdel hlen hstrlen hexists hkeys hvals hincrby hincrbyfloat "
                         "hrandfield hscan")
        reg("sets", 3, "sadd smembers")
        reg("sets", 1, "srem sismember smismember scard spop srandmember smove sinter sinterstore sintercard "
                       "sunion sunionstore sdiff sdiffstore sscan")
        reg("zsets", 3, "zadd zrange")
        reg("zsets", 1, "zincrby zrem zcard zscore zmscore zrank zrevrank zcount zlexcount zrangebyscore "
                        "zrevrangebyscore zrangebylex zrevrangebylex zrevrange zrangestore zremrangebyrank "
                        "zremrangebyscore zremrangebylex zpopmin zpopmax zmpop "
                        "zunion zinter zdiff zunionstore zinterstore zdiffstore zintercard zrandmember zscan")
        reg("zsets", 0.3, "bzpopmin bzpopmax bzmpop")
        reg("keys", 2, "del exists type expire ttl")
        reg("keys", 1, "unlink touch rename renamenx copy move pexpire expireat pexpireat pttl expiretime "
                       "pexpiretime persist select dbsize keys scan randomkey sort sort_ro echo ping publish "
                       "object|encoding pubsub|numsub pubsub|numpat pubsub|channels unknown")
        reg("keys", 0.3, "swapdb hello")
        reg("keys", 0.15, "flushdb")
        reg("multi", 2, "multi")
        reg("multi", 1, "watch unwatch")
        reg("multi", 0.2, "exec discard")
        return t

    # -- stream ---------------------------------------------------------------

    def next(self) -> Cmd:
        if self.followups:
            return self._queue(self.followups.pop(0))
        if self.in_multi and self.multi_left <= 0:
            return self._end_multi(self.pick([b"EXEC"] * 4 + [b"DISCARD"]))
        if self.p(0.03):
            return self._other_write()
        name = self.rng.choices(self.names, self.weights)[0]
        if self.in_multi and name in ("multi", "exec", "discard", "watch") and not self.p(0.15):
            name = "get" if "get" in self.names else self.names[0]
        fam, _, fn = self.table[name]
        self.home = HOME.get(fam)
        cmd = fn()
        if isinstance(cmd, list):
            cmd = Cmd(cmd)
        if name in ("multi", "exec", "discard"):
            return self._tx(cmd)
        if name == "watch":
            return cmd  # never queued ("WATCH inside MULTI is not allowed")
        if self.p(0.03):
            cmd = self._mangle(cmd)
        if self.p(0.08):
            cmd.args = [_rand_case(self.rng, cmd.args[0])] + cmd.args[1:]
        if self.in_multi:
            self.multi_left -= 1
        return self._queue(cmd)

    def _queue(self, cmd: Cmd) -> Cmd:
        if self.in_multi:
            if cmd.kind is not None and cmd.kind[0] == "enc":
                # EXEC's replies cannot ask for the encoding of the moment.
                cmd.kind = PAIRS if cmd.kind[2] else SORT
            self.queued.append(cmd.kind)
        return cmd

    def _other_write(self) -> Cmd:
        k = self.key()
        args = self.pick([[b"SET", k, self.val()], [b"DEL", k], [b"RPUSH", k, self.member()],
                          [b"SADD", k, self.member()], [b"HSET", k, self.member(), self.val()],
                          [b"ZADD", k, self.score(), self.zmember()], [b"EXPIRE", k, self.ttl_secs()],
                          [b"PERSIST", k], [b"GET", k]])
        return Cmd(args, other=True)

    def finish(self):
        """Commands that close an open MULTI so the stream ends in a clean state."""
        out = list(self.followups)
        self.followups = []
        if self.in_multi:
            out.append(self._end_multi(b"EXEC"))
        return out

    def _mangle(self, cmd: Cmd) -> Cmd:
        args = list(cmd.args)
        if len(args) > 1 and self.p(0.5):
            args.pop()
        else:
            # no bare positive number: it could become a blocking timeout
            args.append(self.pick([b"junk", b"", b"NX", b"WITHSCORES", b"-1"]))
        # A mangled random/unordered command keeps its kind: the kind only
        # relaxes the comparison, and errors are compared exactly anyway.
        return Cmd(args, cmd.kind)

    def _tx(self, cmd: Cmd) -> Cmd:
        name = cmd.args[0].lower()
        if name == b"multi":
            if self.in_multi:
                return cmd  # "ERR MULTI calls can not be nested"
            self.in_multi = True
            self.multi_left = self.rng.randint(0, 6)
            self.queued = []
            return cmd
        if not self.in_multi:
            return cmd  # "ERR EXEC/DISCARD without MULTI"
        return self._end_multi(name.upper())

    def _end_multi(self, name: bytes) -> Cmd:
        self.in_multi = False
        kinds = tuple(self.queued)
        self.queued = []
        if name.lower() == b"exec":
            return Cmd([name], ("exec", kinds) if any(k is not None for k in kinds) else None)
        return Cmd([name])

    # -- strings --------------------------------------------------------------

    def g_get(self):
        return [b"GET", self.key()]

    def g_set(self):
        args = [b"SET", self.key(), self.val()]
        r = self.rng.random()
        if r < 0.4:
            return args
        opts = []
        if self.p(0.3):
            opts.append(self.pick([b"NX", b"XX"]))
        if self.p(0.3):
            opts.append(b"GET")
        if self.p(0.4):
            o = self.pick([b"EX", b"PX", b"EXAT", b"PXAT", b"KEEPTTL", b"ex"])
            opts.append(o)
            if o.upper() == b"EX":
                opts.append(self.ttl_secs())
            elif o == b"PX":
                opts.append(self.ttl_ms())
            elif o == b"EXAT":
                opts.append(self.unix_secs())
            elif o == b"PXAT":
                opts.append(self.unix_ms())
        if self.p(0.08):
            opts.append(self.pick([b"NX", b"XX", b"EX", b"KEEPTTL", b"PX", b"GET", b"BAD"]))
        if self.p(0.2):
            self.rng.shuffle(opts)
        return args + opts

    def g_setnx(self):
        return [b"SETNX", self.key(), self.val()]

    def g_setex(self):
        return [b"SETEX", self.key(), self.ttl_secs(), self.val()]

    def g_psetex(self):
        return [b"PSETEX", self.key(), self.ttl_ms(), self.val()]

    def g_getset(self):
        return [b"GETSET", self.key(), self.val()]

    def g_getdel(self):
        return [b"GETDEL", self.key()]

    def g_getex(self):
        args = [b"GETEX", self.key()]
        o = self.pick([None, b"EX", b"PX", b"EXAT", b"PXAT", b"PERSIST", b"KEEPTTL", b"EX"])
        if o is None:
            return args
        args.append(o)
        if o == b"EX":
            args.append(self.ttl_secs())
        elif o == b"PX":
            args.append(self.ttl_ms())
        elif o == b"EXAT":
            args.append(self.unix_secs())
        elif o == b"PXAT":
            args.append(self.unix_ms())
        if self.p(0.1):
            args.append(self.pick([b"PERSIST", b"EX", b"10"]))
        return args

    def g_mget(self):
        return [b"MGET"] + self.nkeys(1, 4)

    def g_mset(self):
        args = [b"MSET"]
        for k in self.nkeys(1, 3):
            args += [k, self.val()]
        return args

    def g_msetnx(self):
        args = [b"MSETNX"]
        for k in self.nkeys(1, 3):
            args += [k, self.val()]
        return args

    def g_append(self):
        return [b"APPEND", self.key(), self.val()]

    def g_strlen(self):
        return [b"STRLEN", self.key()]

    def g_incr(self):
        return [b"INCR", self.key()]

    def g_decr(self):
        return [b"DECR", self.key()]

    def g_incrby(self):
        return [b"INCRBY", self.key(), self.intval()]

    def g_decrby(self):
        return [b"DECRBY", self.key(), self.intval()]

    def g_incrbyfloat(self):
        return [b"INCRBYFLOAT", self.key(), self.pick(FLOATS) if self.p(0.6) else self.intval()]

    def g_setrange(self):
        off = str(self.rng.randint(0, 40)).encode() if self.p(0.9) else \
            self.pick([b"-1", b"536870912", b"abc", b"200"])
        return [b"SETRANGE", self.key(), off, self.val()]

    def g_getrange(self):
        return [b"GETRANGE", self.key(), self.idx(), self.idx()]

    def g_substr(self):
        return [b"SUBSTR", self.key(), self.idx(), self.idx()]

    def g_lcs(self):
        args = [b"LCS", self.key(), self.key()]
        if self.p(0.3):
            args.append(b"LEN")
        if self.p(0.4):
            args.append(b"IDX")
            if self.p(0.5):
                args += [b"MINMATCHLEN", self.pick([b"0", b"1", b"2", b"-1", b"abc"])]
            if self.p(0.5):
                args.append(b"WITHMATCHLEN")
        return args

    # -- bits -------------------------------------------------------------------

    def g_setbit(self):
        return [b"SETBIT", self.key(), self.bitoffset(), self.pick([b"0", b"1", b"1", b"2", b"-1", b"a"])]

    def g_getbit(self):
        return [b"GETBIT", self.key(), self.bitoffset()]

    def g_bitcount(self):
        args = [b"BITCOUNT", self.key()]
        if self.p(0.6):
            args += [self.idx(), self.idx()]
            if self.p(0.4):
                args.append(self.pick([b"BYTE", b"BIT", b"bit", b"WORD"]))
        elif self.p(0.1):
            args.append(self.idx())
        return args

    def g_bitpos(self):
        args = [b"BITPOS", self.key(), self.pick([b"0", b"1", b"2"])]
        if self.p(0.6):
            args.append(self.idx())
            if self.p(0.6):
                args.append(self.idx())
                if self.p(0.4):
                    args.append(self.pick([b"BYTE", b"BIT", b"BAD"]))
        return args

    def g_bitop(self):
        op = self.pick([b"AND", b"OR", b"XOR", b"NOT", b"and", b"NAND"])
        n = 1 if op == b"NOT" and self.p(0.8) else self.rng.randint(1, 3)
        return [b"BITOP", op, self.key()] + self.nkeys(n, n)

    def _bitfield_ops(self, ro: bool):
        args = []
        for _ in range(self.rng.randint(1, 3)):
            op = b"GET" if ro else self.pick([b"GET", b"SET", b"INCRBY", b"OVERFLOW", b"get"])
            if ro and self.p(0.1):
                op = b"SET"
            off = self.bitoffset() if self.p(0.8) else b"#" + str(self.rng.randint(0, 5)).encode()
            if op.upper() == b"GET":
                args += [op, self.bittype(), off]
            elif op == b"SET":
                args += [op, self.bittype(), off, self.intval()]
            elif op == b"INCRBY":
                args += [op, self.bittype(), off, self.intval()]
            else:
                args += [op, self.pick([b"WRAP", b"SAT", b"FAIL", b"fail", b"BAD"])]
        return args

    def g_bitfield(self):
        return [b"BITFIELD", self.key()] + self._bitfield_ops(False)

    def g_bitfield_ro(self):
        return [b"BITFIELD_RO", self.key()] + self._bitfield_ops(True)

    # -- lists ------------------------------------------------------------------

    def _vals(self, lo=1, hi=4):
        return [self.member() if self.p(0.6) else self.val() for _ in range(self.rng.randint(lo, hi))]

    def g_lpush(self):
        return [b"LPUSH", self.key()] + self._vals()

    def g_rpush(self):
        return [b"RPUSH", self.key()] + self._vals()

    def g_lpushx(self):
        return [b"LPUSHX", self.key()] + self._vals()

    def g_rpushx(self):
        return [b"RPUSHX", self.key()] + self._vals()

    def g_lpop(self):
        return [b"LPOP", self.key()] + ([self.count()] if self.p(0.4) else [])

    def g_rpop(self):
        return [b"RPOP", self.key()] + ([self.count()] if self.p(0.4) else [])

    def g_llen(self):
        return [b"LLEN", self.key()]

    def g_lrange(self):
        return [b"LRANGE", self.key(), self.idx(), self.idx()]

    def g_lindex(self):
        return [b"LINDEX", self.key(), self.idx()]

    def g_lset(self):
        return [b"LSET", self.key(), self.idx(), self.member()]

    def g_linsert(self):
        return [b"LINSERT", self.key(), self.pick([b"BEFORE", b"AFTER", b"after", b"MIDDLE"]),
                self.member(), self.member()]

    def g_lrem(self):
        return [b"LREM", self.key(), self.pick([b"0", b"1", b"-1", b"2", b"-2", b"abc"]), self.member()]

    def g_ltrim(self):
        return [b"LTRIM", self.key(), self.idx(), self.idx()]

    def g_lpos(self):
        args = [b"LPOS", self.key(), self.member()]
        for _ in range(self.rng.randint(0, 3)):
            o = self.pick([b"RANK", b"COUNT", b"MAXLEN", b"rank", b"BAD"])
            if o.upper() == b"RANK":
                args += [o, self.pick([b"1", b"-1", b"2", b"-2", b"0", b"abc", b"-9223372036854775808"])]
            elif o == b"COUNT":
                args += [o, self.pick([b"0", b"1", b"2", b"-1"])]
            elif o == b"MAXLEN":
                args += [o, self.pick([b"0", b"1", b"3", b"-1"])]
            else:
                args.append(o)
        return args

    def _dir(self):
        return self.pick([b"LEFT", b"RIGHT", b"left", b"UP"] if self.p(0.1) else [b"LEFT", b"RIGHT"])

    def g_rpoplpush(self):
        return [b"RPOPLPUSH", self.key(), self.key()]

    def g_lmove(self):
        return [b"LMOVE", self.key(), self.key(), self._dir(), self._dir()]

    def _mpop_tail(self, dirs):
        args = []
        n = self.rng.randint(1, 3)
        numkeys = str(n).encode() if self.p(0.9) else self.pick([b"0", b"-1", b"abc", b"5"])
        args += [numkeys] + self.nkeys(n, n) + [self.pick(dirs)]
        if self.p(0.4):
            args += [b"COUNT", self.pick([b"1", b"2", b"10", b"0", b"-1"])]
        return args

    def g_lmpop(self):
        return [b"LMPOP"] + self._mpop_tail([b"LEFT", b"RIGHT", b"left", b"MIDDLE"])

    def g_blpop(self):
        return [b"BLPOP"] + self.nkeys(1, 2) + [self.timeout()]

    def g_brpop(self):
        return [b"BRPOP"] + self.nkeys(1, 2) + [self.timeout()]

    def g_blmove(self):
        return [b"BLMOVE", self.key(), self.key(), self._dir(), self._dir(), self.timeout()]

    def g_brpoplpush(self):
        return [b"BRPOPLPUSH", self.key(), self.key(), self.timeout()]

    def g_blmpop(self):
        return [b"BLMPOP", self.timeout()] + self._mpop_tail([b"LEFT", b"RIGHT"])

    # -- hashes -----------------------------------------------------------------

    def _fv(self, lo=1, hi=3):
        out = []
        for _ in range(self.rng.randint(lo, hi)):
            out += [self.member(), self.val()]
        return out

    def g_hset(self):
        return [b"HSET", self.key()] + self._fv()

    def g_hmset(self):
        return [b"HMSET", self.key()] + self._fv()

    def g_hsetnx(self):
        return [b"HSETNX", self.key(), self.member(), self.val()]

    def g_hget(self):
        return [b"HGET", self.key(), self.member()]

    def g_hmget(self):
        return [b"HMGET", self.key()] + [self.member() for _ in range(self.rng.randint(1, 3))]

    def g_hdel(self):
        return [b"HDEL", self.key()] + [self.member() for _ in range(self.rng.randint(1, 3))]

    def g_hlen(self):
        return [b"HLEN", self.key()]

    def g_hstrlen(self):
        return [b"HSTRLEN", self.key(), self.member()]

    def g_hexists(self):
        return [b"HEXISTS", self.key(), self.member()]

    def g_hkeys(self):
        k = self.key()
        return Cmd([b"HKEYS", k], enc_order(k, False))

    def g_hvals(self):
        k = self.key()
        return Cmd([b"HVALS", k], enc_order(k, False))

    def g_hgetall(self):
        k = self.key()
        return Cmd([b"HGETALL", k], enc_order(k, True))

    def g_hincrby(self):
        return [b"HINCRBY", self.key(), self.member(), self.intval()]

    def g_hincrbyfloat(self):
        return [b"HINCRBYFLOAT", self.key(), self.member(), self.pick(FLOATS) if self.p(0.6) else self.intval()]

    def g_hrandfield(self):
        args = [b"HRANDFIELD", self.key()]
        if self.p(0.7):
            args.append(self.pick([b"1", b"2", b"5", b"-3", b"0", b"100", b"-100", b"abc"]))
            if self.p(0.5):
                args.append(b"WITHVALUES")
        return Cmd(args, SHAPE)

    def _scan_tail(self):
        args = []
        if self.p(0.4):
            args += [b"MATCH", self.pick([b"*", b"a*", b"?", b"[a-c]", b"*1*", b"x\\ y", b"[^a]*"])]
        args += [b"COUNT", b"1000"]
        return args

    def g_hscan(self):
        cur = b"0" if self.p(0.9) else self.pick([b"abc", b"18446744073709551616"])
        return Cmd([b"HSCAN", self.key(), cur] + self._scan_tail(), SCAN_PAIRS)

    # -- sets -------------------------------------------------------------------

    def _members(self, lo=1, hi=4):
        return [self.member() for _ in range(self.rng.randint(lo, hi))]

    def g_sadd(self):
        return [b"SADD", self.key()] + self._members()

    def g_srem(self):
        return [b"SREM", self.key()] + self._members()

    def g_smembers(self):
        return Cmd([b"SMEMBERS", self.key()], SORT)

    def g_sismember(self):
        return [b"SISMEMBER", self.key(), self.member()]

    def g_smismember(self):
        return [b"SMISMEMBER", self.key()] + self._members()

    def g_scard(self):
        return [b"SCARD", self.key()]

    def g_spop(self):
        k = self.key()
        args = [b"SPOP", k]
        if self.p(0.5):
            args.append(self.pick([b"1", b"2", b"0", b"100", b"-1", b"abc"]))
        # Which members go is random: compare the reply's shape, check the
        # cardinality left, then drop the key so both datasets agree again.
        self.followups += [Cmd([b"SCARD", k]), Cmd([b"DEL", k])]
        return Cmd(args, SHAPE)

    def g_srandmember(self):
        args = [b"SRANDMEMBER", self.key()]
        if self.p(0.7):
            args.append(self.pick([b"1", b"2", b"5", b"-3", b"0", b"100", b"-100", b"abc"]))
        return Cmd(args, SHAPE)

    def g_smove(self):
        return [b"SMOVE", self.key(), self.key(), self.member()]

    def g_sinter(self):
        return Cmd([b"SINTER"] + self.nkeys(1, 3), SORT)

    def g_sunion(self):
        return Cmd([b"SUNION"] + self.nkeys(1, 3), SORT)

    def g_sdiff(self):
        return Cmd([b"SDIFF"] + self.nkeys(1, 3), SORT)

    def g_sinterstore(self):
        return [b"SINTERSTORE", self.key()] + self.nkeys(1, 3)

    def g_sunionstore(self):
        return [b"SUNIONSTORE", self.key()] + self.nkeys(1, 3)

    def g_sdiffstore(self):
        return [b"SDIFFSTORE", self.key()] + self.nkeys(1, 3)

    def g_sintercard(self):
        n = self.rng.randint(1, 3)
        numkeys = str(n).encode() if self.p(0.9) else self.pick([b"0", b"-1", b"abc", b"5"])
        args = [b"SINTERCARD", numkeys] + self.nkeys(n, n)
        if self.p(0.4):
            args += [b"LIMIT", self.pick([b"0", b"1", b"2", b"-1", b"abc"])]
        return args

    def g_sscan(self):
        return Cmd([b"SSCAN", self.key(), b"0"] + self._scan_tail(), SCAN)

    # -- sorted sets ------------------------------------------------------------

    LEXKEY = b"zlex"  # only ever holds score-0 members: BYLEX needs equal scores

    def g_zadd(self):
        if self.p(0.25):
            args = [b"ZADD", self.LEXKEY] + ([self.pick([b"NX", b"XX"])] if self.p(0.2) else [])
            for _ in range(self.rng.randint(1, 3)):
                args += [b"0", self.zmember()]
            return args
        args = [b"ZADD", self.key()]
        if self.p(0.4):
            for o in (b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR"):
                if self.p(0.2):
                    args.append(o)
        n = 1 if b"INCR" in args and self.p(0.8) else self.rng.randint(1, 3)
        for _ in range(n):
            args += [self.score(), self.zmember()]
        return args

    def g_zincrby(self):
        return [b"ZINCRBY", self.key(), self.score(), self.zmember()]

    def g_zrem(self):
        k = self.LEXKEY if self.p(0.2) else self.key()
        return [b"ZREM", k] + [self.zmember() for _ in range(self.rng.randint(1, 3))]

    def g_zcard(self):
        return [b"ZCARD", self.key()]

    def g_zscore(self):
        return [b"ZSCORE", self.key(), self.zmember()]

    def g_zmscore(self):
        return [b"ZMSCORE", self.key()] + [self.zmember() for _ in range(self.rng.randint(1, 3))]

    def g_zrank(self):
        return [b"ZRANK", self.key(), self.zmember()]

    def g_zrevrank(self):
        return [b"ZREVRANK", self.key(), self.zmember()]

    def g_zcount(self):
        return [b"ZCOUNT", self.key(), self.range_score(), self.range_score()]

    def g_zlexcount(self):
        return [b"ZLEXCOUNT", self.LEXKEY, self.lex(), self.lex()]

    def _limit(self):
        if self.p(0.35):
            return [b"LIMIT", self.pick([b"0", b"1", b"2", b"-1", b"abc"]),
                    self.pick([b"0", b"1", b"2", b"-1", b"100", b"abc"])]
        return []

    def _withscores(self):
        return [b"WITHSCORES"] if self.p(0.4) else []

    def g_zrange(self):
        return [b"ZRANGE"] + self._zrange_args()

    def _zrange_args(self, store=False):
        mode = self.pick([None, None, b"BYSCORE", b"BYLEX"])
        rev = self.p(0.3)
        if mode == b"BYLEX":
            args = [self.LEXKEY, self.lex(), self.lex(), b"BYLEX"]
        elif mode == b"BYSCORE":
            args = [self.key(), self.range_score(), self.range_score(), b"BYSCORE"]
        else:
            args = [self.key(), self.idx(), self.idx()]
        if rev:
            args.append(b"REV")
        if mode is not None or self.p(0.1):
            args += self._limit()
        if not store:
            args += self._withscores()
        if self.p(0.05):
            args.append(self.pick([b"BYSCORE", b"BYLEX", b"WITHSCORES", b"BAD"]))
        return args

    def g_zrangestore(self):
        return [b"ZRANGESTORE", self.key()] + self._zrange_args(store=True)

    def g_zrevrange(self):
        return [b"ZREVRANGE", self.key(), self.idx(), self.idx()] + self._withscores()

    def g_zrangebyscore(self):
        return [b"ZRANGEBYSCORE", self.key(), self.range_score(), self.range_score()] + \
            self._withscores() + self._limit()

    def g_zrevrangebyscore(self):
        return [b"ZREVRANGEBYSCORE", self.key(), self.range_score(), self.range_score()] + \
            self._limit() + self._withscores()

    def g_zrangebylex(self):
        return [b"ZRANGEBYLEX", self.LEXKEY, self.lex(), self.lex()] + self._limit()

    def g_zrevrangebylex(self):
        return [b"ZREVRANGEBYLEX", self.LEXKEY, self.lex(), self.lex()] + self._limit()

    def g_zremrangebyrank(self):
        return [b"ZREMRANGEBYRANK", self.key(), self.idx(), self.idx()]

    def g_zremrangebyscore(self):
        return [b"ZREMRANGEBYSCORE", self.key(), self.range_score(), self.range_score()]

    def g_zremrangebylex(self):
        return [b"ZREMRANGEBYLEX", self.LEXKEY, self.lex(), self.lex()]

    def g_zpopmin(self):
        return [b"ZPOPMIN", self.key()] + ([self.count()] if self.p(0.4) else [])

    def g_zpopmax(self):
        return [b"ZPOPMAX", self.key()] + ([self.count()] if self.p(0.4) else [])

    def g_zmpop(self):
        return [b"ZMPOP"] + self._mpop_tail([b"MIN", b"MAX", b"min", b"LEFT"])

    def g_bzpopmin(self):
        return [b"BZPOPMIN"] + self.nkeys(1, 2) + [self.timeout()]

    def g_bzpopmax(self):
        return [b"BZPOPMAX"] + self.nkeys(1, 2) + [self.timeout()]

    def g_bzmpop(self):
        return [b"BZMPOP", self.timeout()] + self._mpop_tail([b"MIN", b"MAX"])

    def _zsetop_args(self, weights=True):
        n = self.rng.randint(1, 3)
        numkeys = str(n).encode() if self.p(0.92) else self.pick([b"0", b"-1", b"abc", b"5"])
        args = [numkeys] + [self.key() for _ in range(n)]
        if weights and self.p(0.3):
            args.append(b"WEIGHTS")
            args += [self.pick([b"1", b"2", b"-1", b"0", b"1.5", b"inf", b"abc"]) for _ in range(n)]
        if weights and self.p(0.3):
            args += [b"AGGREGATE", self.pick([b"SUM", b"MIN", b"MAX", b"max", b"AVG"])]
        return args

    def g_zunion(self):
        return [b"ZUNION"] + self._zsetop_args() + self._withscores()

    def g_zinter(self):
        return [b"ZINTER"] + self._zsetop_args() + self._withscores()

    def g_zdiff(self):
        return [b"ZDIFF"] + self._zsetop_args(False) + self._withscores()

    def g_zunionstore(self):
        return [b"ZUNIONSTORE", self.key()] + self._zsetop_args()

    def g_zinterstore(self):
        return [b"ZINTERSTORE", self.key()] + self._zsetop_args()

    def g_zdiffstore(self):
        return [b"ZDIFFSTORE", self.key()] + self._zsetop_args(False)

    def g_zintercard(self):
        args = [b"ZINTERCARD"] + self._zsetop_args(False)
        if self.p(0.4):
            args += [b"LIMIT", self.pick([b"0", b"1", b"2", b"-1", b"abc"])]
        return args

    def g_zrandmember(self):
        args = [b"ZRANDMEMBER", self.key()]
        if self.p(0.7):
            args.append(self.pick([b"1", b"2", b"5", b"-3", b"0", b"100", b"-100", b"abc"]))
            if self.p(0.5):
                args.append(b"WITHSCORES")
        return Cmd(args, SHAPE)

    def g_zscan(self):
        return Cmd([b"ZSCAN", self.key(), b"0"] + self._scan_tail(), SCAN_PAIRS)

    # -- keyspace ---------------------------------------------------------------

    def g_del(self):
        return [b"DEL"] + self.nkeys(1, 3)

    def g_unlink(self):
        return [b"UNLINK"] + self.nkeys(1, 3)

    def g_exists(self):
        return [b"EXISTS"] + self.nkeys(1, 4)

    def g_touch(self):
        return [b"TOUCH"] + self.nkeys(1, 3)

    def g_type(self):
        k = self.LEXKEY if self.p(0.1) else self.key()
        return [b"TYPE", k]

    def g_rename(self):
        return [b"RENAME", self.key(), self.key()]

    def g_renamenx(self):
        return [b"RENAMENX", self.key(), self.key()]

    def _db(self):
        if self.p(0.9):
            return str(self.rng.randint(0, MAX_DB - 1)).encode()
        return self.pick([b"16", b"-1", b"abc", b"", b"1.0"])

    def g_copy(self):
        args = [b"COPY", self.key(), self.key()]
        if self.p(0.3):
            args += [b"DB", self._db()]
        if self.p(0.3):
            args.append(b"REPLACE")
        return args

    def g_move(self):
        return [b"MOVE", self.key(), self._db()]

    def g_expire(self):
        return [b"EXPIRE", self.key(), self.ttl_secs()] + self.expire_flags()

    def g_pexpire(self):
        return [b"PEXPIRE", self.key(), self.ttl_ms()] + self.expire_flags()

    def g_expireat(self):
        return [b"EXPIREAT", self.key(), self.unix_secs()] + self.expire_flags()

    def g_pexpireat(self):
        return [b"PEXPIREAT", self.key(), self.unix_ms()] + self.expire_flags()

    def g_ttl(self):
        return Cmd([b"TTL", self.key()], ttl(1))

    def g_pttl(self):
        return Cmd([b"PTTL", self.key()], ttl(1000))

    def g_expiretime(self):
        return Cmd([b"EXPIRETIME", self.key()], ttl(1))

    def g_pexpiretime(self):
        return Cmd([b"PEXPIRETIME", self.key()], ttl(1000))

    def g_object_encoding(self):
        return Cmd([b"OBJECT", b"ENCODING", self.LEXKEY if self.p(0.1) else self.key()], OBJENC)

    def g_persist(self):
        return [b"PERSIST", self.key()]

    def g_select(self):
        return [b"SELECT", self._db()]

    def g_dbsize(self):
        return [b"DBSIZE"]

    def g_keys(self):
        return Cmd([b"KEYS", self.pick([b"*", b"k*", b"k[0-2]", b"?1", b"*{*", b"k\\{*", b"[^k]*", b"z*",
                                        b"missing"])], SORT)

    def g_scan(self):
        cur = b"0" if self.p(0.92) else self.pick([b"abc", b"18446744073709551616"])
        args = [b"SCAN", cur] + self._scan_tail()
        if self.p(0.3):
            args += [b"TYPE", self.pick([b"string", b"list", b"hash", b"set", b"zset", b"nosuch"])]
        return Cmd(args, SCAN)

    def g_randomkey(self):
        return Cmd([b"RANDOMKEY"], SHAPE)

    def g_swapdb(self):
        return [b"SWAPDB", self._db(), self._db()]

    def g_flushdb(self):
        return [b"FLUSHDB"] + ([self.pick([b"ASYNC", b"SYNC", b"BAD"])] if self.p(0.3) else [])

    def g_sort(self):
        return self._sort_cmd([b"SORT"] + self._sort_args(store=True))

    def g_sort_ro(self):
        return self._sort_cmd([b"SORT_RO"] + self._sort_args(store=False))

    @staticmethod
    def _sort_cmd(args):
        if b"STORE" in args:
            return args  # a count, and the stored list: compared exactly
        return Cmd(args, SORT_ALPHA if b"ALPHA" in args else SORT_NUM)

    def _sort_args(self, store):
        args = [self.key()]
        if self.p(0.2):
            args += [b"LIMIT", self.pick([b"0", b"1", b"-1"]), self.pick([b"0", b"2", b"10", b"-1"])]
        if self.p(0.3):
            args.append(self.pick([b"ASC", b"DESC"]))
        if self.p(0.5):
            args.append(b"ALPHA")
        if store and self.p(0.3) and b"ALPHA" in args:
            # not with a numeric sort: its count cannot show whether Redis
            # refused it for the errno leak (_errno_leak)
            args += [b"STORE", self.key()]
        return args

    def g_echo(self):
        return [b"ECHO", self.val()]

    def g_ping(self):
        return [b"PING"] + ([self.val()] if self.p(0.5) else [])

    def g_publish(self):
        return [b"PUBLISH", self.pick([b"ch", b"news"]), self.val()]

    def g_pubsub_numsub(self):
        return [b"PUBSUB", b"NUMSUB"] + self.pick([[], [b"ch"], [b"ch", b"x"]])

    def g_pubsub_numpat(self):
        return [b"PUBSUB", b"NUMPAT"]

    def g_pubsub_channels(self):
        return Cmd([b"PUBSUB", b"CHANNELS"] + ([b"*"] if self.p(0.5) else []), SORT)

    def g_hello(self):
        # switching protocol mid-stream changes the encoding of what follows
        v = self.pick([b"2", b"3", b"3", b"4", b"abc"])
        return Cmd([b"HELLO", v] if self.p(0.9) else [b"HELLO"], HELLO)

    def g_unknown(self):
        return [self.pick([b"NOSUCHCMD", b"GETT", b"x"])] + [self.val() for _ in range(self.rng.randint(0, 2))]

    # -- transactions -----------------------------------------------------------

    def g_multi(self):
        return [b"MULTI"]

    def g_exec(self):
        return [b"EXEC"]

    def g_discard(self):
        return [b"DISCARD"]

    def g_watch(self):
        return [b"WATCH"] + self.nkeys(1, 2)

    def g_unwatch(self):
        return [b"UNWATCH"]


def _rand_case(rng: random.Random, name: bytes) -> bytes:
    return bytes(c ^ 0x20 if 0x61 <= (c | 0x20) <= 0x7A and rng.random() < 0.5 else c for c in name)


# -- dataset dump -------------------------------------------------------------

def _items(conn: Conn, args):
    node = parse_one(conn.call(args))
    if node.items is None:
        raise AssertionError("%r: %r" % (args, node.raw))
    return node.items


def dump(port: int, dbs=range(MAX_DB)) -> dict:
    """Every key of ``dbs``: (db, key) -> (type, value, pexpiretime).  Values
    are order-normalised where Redis's own order is unspecified."""
    conn = Conn(port)
    out = {}
    try:
        for db in dbs:
            conn.call([b"SELECT", str(db).encode()])
            keys = [parse_bulk(x.raw) for x in _items(conn, [b"KEYS", b"*"])]
            for k in sorted(keys):
                t = conn.call([b"TYPE", k])[1:-2]
                if t == b"string":
                    v = conn.call([b"GET", k])
                elif t == b"list":
                    v = conn.call([b"LRANGE", k, b"0", b"-1"])
                elif t == b"hash":
                    v = tuple(_sorted_items(parse_one(conn.call([b"HGETALL", k])), True))
                elif t == b"set":
                    v = tuple(_sorted_items(parse_one(conn.call([b"SMEMBERS", k])), False))
                elif t == b"zset":
                    v = conn.call([b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"])
                else:
                    v = None
                when = int(conn.call([b"PEXPIRETIME", k])[1:-2])
                out[(db, k)] = (t, v, when)
    finally:
        conn.close()
    return out


def parse_bulk(raw: bytes) -> bytes:
    end = raw.index(b"\r\n")
    return raw[end + 2:-2]


def diff_dumps(a: dict, b: dict, tolerance_ms: int = 1000) -> list[str]:
    out = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if x is None or y is None:
            out.append("db %d key %r: redkeep %r, redis %r" % (key[0], key[1], x, y))
            continue
        if x[:2] != y[:2]:
            out.append("db %d key %r: redkeep %r, redis %r" % (key[0], key[1], x[:2], y[:2]))
        elif (x[2] < 0 or y[2] < 0) and x[2] != y[2] or abs(x[2] - y[2]) > tolerance_ms:
            out.append("db %d key %r: expire time redkeep %d, redis %d" % (key[0], key[1], x[2], y[2]))
    return out


# -- running a stream ---------------------------------------------------------

class Mismatch(Exception):
    def __init__(self, index: int, history: list, a: bytes | None, b: bytes | None, note: str = ""):
        self.index = index
        self.history = history
        self.a = a
        self.b = b
        self.note = note
        super().__init__(note)


def replay(port_a: int, port_b: int, cmds, resp3: bool = False, check_dump: bool = True,
           timeout: float = 10.0) -> None:
    """Run ``cmds`` on flushed servers; raise Mismatch at the first difference."""
    ca, cb = Conn(port_a, timeout), Conn(port_b, timeout)
    oa = ob = None
    history = []
    try:
        for c in (ca, cb):
            c.call([b"FLUSHALL"])
        if resp3:
            ra, rb = ca.call([b"HELLO", b"3"]), cb.call([b"HELLO", b"3"])
            if not same(ra, rb, HELLO):
                raise Mismatch(-1, [], ra, rb, "HELLO 3")
        for i, cmd in enumerate(cmds):
            args = cmd.args
            if cmd.other:
                if oa is None:
                    oa, ob = Conn(port_a, timeout), Conn(port_b, timeout)
                ra, rb = oa.call(args), ob.call(args)
            else:
                ra = ca.call(args)
                rb = cb.call(args)
            history.append((cmd, rb))
            if ra != rb and not _equal_under(ra, rb, cmd.kind, cb):
                raise Mismatch(i, history, ra, rb)
        if check_dump:
            problems = diff_dumps(dump(port_a), dump(port_b))
            if problems:
                raise Mismatch(len(cmds), history, None, None, "datasets differ after the stream:\n  "
                               + "\n  ".join(problems[:20]))
    finally:
        for c in (ca, cb, oa, ob):
            if c is not None:
                c.close()


_SORT_NOT_DOUBLE = b"-ERR One or more scores can't be converted into double\r\n"
# What strtod takes whole (leading C whitespace, decimal, hex, inf, or nothing)
_C_DOUBLE = re.compile(rb"[ \t\n\v\f\r]*(?:[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
                       rb"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?"
                       rb"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?))?")


def _sorts_in_redis(v: bytes) -> bool:
    """Would Redis's SORT take ``v`` as a number with errno clear: all of it
    read by strtod, not NaN, no overflow or underflow (ERANGE).  strtod
    reads a C string: a NUL ends it."""
    v = v.split(b"\0", 1)[0]
    if not _C_DOUBLE.fullmatch(v):
        return False
    t = v.strip(b" \t\n\v\f\r").lower().lstrip(b"+-")
    if not t or t.startswith(b"inf"):
        return True
    if t.startswith(b"0x"):
        mant, f = t[2:].split(b"p")[0], float.fromhex(t.decode())
        nonzero = re.search(rb"[1-9a-f]", mant)
    else:
        mant, f = t.split(b"e")[0], float(t)
        nonzero = re.search(rb"[1-9]", mant)
    return f != float("inf") and not (f == 0 and nonzero)


def _bulk_payload(raw: bytes) -> bytes:
    return raw[raw.index(b"\r\n") + 2:-2] if raw[:1] == b"$" else raw


def _errno_leak(ra: bytes, rb: bytes) -> bool:
    """Redis refused a numeric SORT of numbers it takes: its sort checks
    errno after strtod without clearing it, so an overflow parsed by any
    earlier command (ZADD k 1e400 ...) fails later sorts until some call
    resets errno.  That is Redis's bug and depends on its syscall history;
    redkeep sorts such numbers."""
    if rb != _SORT_NOT_DOUBLE or ra[:1] not in (b"*", b"~"):
        return False
    node = parse_one(ra)
    return all(_sorts_in_redis(_bulk_payload(x.raw)) for x in node.items or ())


def _equal_under(ra, rb, kind, real_conn) -> bool:
    if kind is None:
        return False
    if kind[0] == "enc":
        # Listpack order must match exactly; only a hashtable may differ.
        enc = real_conn.call([b"OBJECT", b"ENCODING", kind[1]])
        if b"hashtable" not in enc:
            return False
    return _same_canon(ra, rb, kind)


def stream(seed: int, n: int, focus=None, pending=(), resp3=False) -> list:
    g = Generator(seed, focus, pending, resp3)
    cmds = [g.next() for _ in range(n)]
    return cmds + g.finish()


def report(seed, focus, resp3, n, m: Mismatch, minimal=None, pending=()) -> str:
    lines = ["differential mismatch: seed=%d focus=%s resp=%d" % (seed, focus, 3 if resp3 else 2)]
    if m.a is not None or m.b is not None:
        lines.append("at command #%d: %r" % (m.index, m.history[-1][0]))
        lines.append("  redkeep: %r" % (m.a,))
        lines.append("  redis:   %r" % (m.b,))
    if m.note:
        lines.append(m.note)
    if minimal is not None:
        lines.append("minimal reproducer (%d commands, each with real Redis's reply):" % len(minimal))
        for cmd, reply in minimal:
            lines.append("    %r  -> %r" % (cmd, reply[:120]))
    lines.append("history (%d commands, with real Redis's replies):" % len(m.history))
    for i, (cmd, reply) in enumerate(m.history):
        lines.append("  %4d %r  -> %r" % (i, cmd, reply[:100]))
    lines.append("reproduce: python tests/difftools.py --seed %d --n %d%s%s%s --shrink"
                 % (seed, n, " --focus %s" % focus if focus else "", " --resp 3" if resp3 else "",
                    " --pending '%s'" % ",".join(pending) if pending else ""))
    return "\n".join(lines)


def shrink(port_a, port_b, cmds, resp3, m: Mismatch, budget_s: float = 15.0):
    """Delta debugging: the smallest prefix-free subsequence of ``cmds`` that
    still shows a difference (at the same command when one was found)."""
    deadline = time.monotonic() + budget_s
    if m.a is None and m.b is None:
        cur = list(cmds)

        def fails(sub):
            try:
                replay(port_a, port_b, sub, resp3, timeout=2)
            except Mismatch:
                return True
            except OSError:
                return False  # e.g. a MULTI removed: a blocking command with timeout 0 blocked
            return False
    else:
        target = cmds[m.index]
        cur = list(cmds[:m.index])

        def fails(sub):
            try:
                replay(port_a, port_b, sub + [target], resp3, check_dump=False, timeout=2)
            except Mismatch as e:
                return e.index == len(sub)
            except OSError:
                return False
            return False

    chunk = max(1, len(cur) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        i = 0
        removed = False
        while i < len(cur) and time.monotonic() < deadline:
            trial = cur[:i] + cur[i + chunk:]
            if fails(trial):
                cur = trial
                removed = True
            else:
                i += chunk
        if not removed:
            chunk //= 2
    final = cur if m.a is None and m.b is None else cur + [cmds[m.index]]
    out = []
    cb = Conn(port_b)
    try:
        cb.call([b"FLUSHALL"])
        if resp3:
            cb.call([b"HELLO", b"3"])
        for c in final:
            out.append((c, cb.call(c.args)))
    finally:
        cb.close()
    return out


def run(port_a: int, port_b: int, seed: int, n: int, focus=None, pending=(), resp3=False,
        do_shrink=True, budget_s: float = 15.0):
    """One stream; returns None, or the failure report (with a minimal reproducer)."""
    cmds = stream(seed, n, focus, pending, resp3)
    try:
        replay(port_a, port_b, cmds, resp3)
    except Mismatch as m:
        minimal = shrink(port_a, port_b, cmds, resp3, m, budget_s) if do_shrink else None
        return report(seed, focus, resp3, n, m, minimal, pending)
    return None


def probe_missing(port: int, names) -> list[str]:
    """Commands of ``names`` (table names, 'parent|sub') that ``port`` does not know."""
    conn = Conn(port)
    missing = []
    try:
        for name in names:
            if name == "unknown":
                continue
            parts = [p.encode() for p in name.split("|")]
            r = conn.call(parts + [b"k"] if len(parts) == 1 else parts)
            if r.startswith((b"-ERR unknown command", b"-ERR unknown subcommand")):
                missing.append(name)
            if name == "multi" and r.startswith(b"+OK"):
                conn.call([b"DISCARD"])
            if name in ("hello", "select"):
                conn.call([b"SELECT", b"0"])
        conn.call([b"FLUSHALL"])
    finally:
        conn.close()
    return missing


def main(argv=None) -> int:
    import argparse
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from helpers import ServerProcess

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--seeds", type=int, default=1, help="run this many seeds from --seed")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--focus", default=None)
    ap.add_argument("--resp", type=int, default=2)
    ap.add_argument("--shrink", action="store_true")
    ap.add_argument("--probe", action="store_true", help="list commands redkeep does not implement")
    ap.add_argument("--ignore-pending", action="store_true", help="generate PENDING_COMMANDS too")
    ap.add_argument("--pending", default=None, help="comma-separated commands to skip (instead of PENDING_COMMANDS)")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds for --shrink")
    ap.add_argument("--cmd", action="append", default=[],
                    help="compare these commands instead of a stream (shell words, \\x escapes)")
    ap.add_argument("--port-a", type=int, help="use a running redkeep")
    ap.add_argument("--port-b", type=int, help="use a running redis")
    args = ap.parse_args(argv)
    procs = []
    try:
        pa, pb = args.port_a, args.port_b
        if pa is None:
            procs.append(ServerProcess().start())
            pa = procs[-1].port
        if pb is None:
            procs.append(ServerProcess(real=True).start())
            pb = procs[-1].port
        pending = () if args.ignore_pending else _pending()
        if args.pending is not None:
            pending = tuple(x for x in args.pending.split(",") if x)
        if args.probe:
            names = list(Generator(0).table)
            print("missing:", " ".join(probe_missing(pa, names)))
            return 0
        if args.cmd:
            import shlex
            cmds = [Cmd([w.encode("latin-1").decode("unicode_escape").encode("latin-1")
                         for w in shlex.split(line)]) for line in args.cmd]
            ca, cb = Conn(pa), Conn(pb)
            for c in (ca, cb):
                c.call([b"FLUSHALL"])
                if args.resp == 3:
                    c.call([b"HELLO", b"3"])
            for c in cmds:
                ra, rb = ca.call(c.args), cb.call(c.args)
                print("%s %r\n    redkeep: %r\n    redis:   %r" % ("  " if ra == rb else "!!", c, ra, rb))
            return 0
        seed0 = args.seed if args.seed is not None else 1
        bad = 0
        for seed in range(seed0, seed0 + args.seeds):
            rep = run(pa, pb, seed, args.n, args.focus, pending, args.resp == 3, args.shrink, args.budget)
            if rep:
                bad += 1
                print(rep if args.seeds == 1 else rep.split("\nhistory")[0])
                print()
        print("%d/%d streams differ" % (bad, args.seeds))
        return 1 if bad else 0
    finally:
        for p in procs:
            p.kill()


def _pending():
    try:
        from integration.test_differential import PENDING_COMMANDS
    except ImportError:
        return ()
    return PENDING_COMMANDS


if __name__ == "__main__":
    raise SystemExit(main())
