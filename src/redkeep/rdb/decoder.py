"""RDB reader: RDB versions 1..10 -> keyspace values, with every legacy
encoding Redis 7.0 still loads.  Mirrors Redis's ``rdb.c`` load side
(rdbLoadRio, rdbLoadObject, rdbGenericLoadStringObject) and
``cluster.c``'s verifyDumpPayload.

Theory
------
The reader pulls the file through a buffer of about 256 KB from any object
with ``read(n)`` (or from bytes), so a file is never held twice and a socket
can feed it.  The CRC64 runs over the consumed part of each buffer when it
is refilled and up to the ``FF`` opcode at the end; offsets in errors count
the bytes consumed successfully before the failing read, as
redis-check-rdb reports them.

Per key the caller receives ``on_key(dbid, key, value, expire_ms, lru_idle,
lfu_freq)`` with values already in their keyspace types, and the encoding
Redis would pick after loading recorded in ``big`` (the *-max-listpack-*
thresholds in ``LoadLimits``).  Streams are not decoded: they become
``Opaque("stream", type, raw value bytes)`` and re-emit byte-exact.  Empty
keys are skipped, as Redis does.  Expired keys, duplicate keys and db
limits are the caller's policy.
"""

from __future__ import annotations

import gc
import struct

from ..errors import CommandError
from ..keyspace import Opaque, RHash, RList, RSet
from . import intset, listpack, ziplist, zipmap
from .lzf_crc import crc64, lzf_decompress
from .types import (
    OP_AUX, OP_EOF, OP_EXPIRETIME, OP_EXPIRETIME_MS, OP_FREQ, OP_FUNCTION, OP_FUNCTION2,
    OP_IDLE, OP_MODULE_AUX, OP_RESIZEDB, OP_SELECTDB, QL_PACKED, QL_PLAIN, RDB_VERSION,
    LoadLimits, RdbError, ZSetData, module_type_name,
)

_CHUNK = 1 << 18
_MAX_READ = 1 << 26
_unpack_double = struct.Struct("<d").unpack
_INT_STR = {0: 1, 1: 2, 2: 4}
_EMPTY = object()


def _default_zset(pairs, big):
    return ZSetData(pairs, big)


class RdbReader:
    """Reads one RDB from ``source`` (bytes or an object with ``read(n)``).

    After ``load`` the reader holds ``version``, ``aux`` (dict of bytes),
    ``functions`` (FUNCTION2 library sources, in file order, to re-emit),
    ``keys``, ``expires``, ``empty_keys_skipped``, ``module_aux_skipped``
    (module names) and ``checksum`` ("ok", "disabled" or "unchecked").
    """

    def __init__(self, source, *, make_zset=None, limits: LoadLimits | None = None,
                 verify_checksum: bool = True, skip_module_values: bool = False,
                 accept_version_11: bool = False):
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._buf = bytes(source)
            self._src = None
        else:
            self._buf = b""
            self._src = source
        self._pos = 0
        self._base = 0
        self._crc = 0
        self._crc_from = 0
        self._verify = verify_checksum
        self.make_zset = make_zset or _default_zset
        self.limits = limits or LoadLimits()
        self.skip_module_values = skip_module_values
        self.max_version = 11 if accept_version_11 else RDB_VERSION
        self.version = 0
        self.aux: dict = {}
        self.functions: list = []
        self.keys = 0
        self.expires = 0
        self.empty_keys_skipped = 0
        self.module_aux_skipped: list = []
        self.checksum = "unchecked"
        self.doing = "start"
        # The object type being read, None between keys; it starts at 0 like
        # redis-check-rdb's state, whose reports show it.
        self.cur_type: int | None = 0
        self.cur_key: bytes | None = None
        self._readers = {
            0: self._string, 1: self._list_plain, 2: self._set, 3: self._zset_text,
            4: self._hash, 5: self._zset_binary, 6: self._module_v1, 7: self._module,
            9: self._hash_zipmap, 10: self._list_ziplist, 11: self._set_intset,
            12: self._zset_ziplist, 13: self._hash_ziplist, 14: self._list_quicklist,
            15: self._stream, 16: self._hash_listpack, 17: self._zset_listpack,
            18: self._list_quicklist2, 19: self._stream,
        }
        if accept_version_11:
            self._readers[20] = self._set_listpack

    # -- byte source ----------------------------------------------------------

    @property
    def offset(self) -> int:
        """Bytes consumed so far."""
        return self._base + self._pos

    def leftover(self) -> bytes:
        """Bytes read from the source but not consumed (after the RDB end)."""
        return self._buf[self._pos:]

    def error(self, reason: str, detail: str | None = None) -> RdbError:
        return RdbError(reason, self._base + self._pos, detail, self.doing, self.cur_type, self.cur_key)

    def _fill(self, n: int) -> None:
        """Make ``n`` bytes available at ``_pos`` or raise the EOF error."""
        buf = self._buf
        pos = self._pos
        if self._verify and pos > self._crc_from:
            self._crc = crc64(memoryview(buf)[self._crc_from:pos], self._crc)
        rest = buf[pos:]
        self._base += pos
        self._pos = 0
        self._crc_from = 0
        parts = [rest]
        have = len(rest)
        src = self._src
        while have < n and src is not None:
            # Bounded reads: a corrupt length must not become one huge allocation.
            chunk = src.read(min(max(_CHUNK, n - have), _MAX_READ))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        self._buf = b"".join(parts) if len(parts) > 1 else rest
        if have < n:
            raise self.error("Unexpected EOF reading RDB file")

    def _read(self, n: int) -> bytes:
        pos = self._pos
        end = pos + n
        if end > len(self._buf):
            self._fill(n)
            pos = 0
            end = n
        self._pos = end
        return self._buf[pos:end]

    def _byte(self) -> int:
        pos = self._pos
        if pos >= len(self._buf):
            self._fill(1)
            pos = 0
        self._pos = pos + 1
        return self._buf[pos]

    def _len(self) -> int:
        """rdbLoadLen.  A special-encoding byte yields its low 6 bits, as
        Redis does when the caller does not ask for the flag."""
        b = self._byte()
        top = b >> 6
        if top == 0:
            return b
        if top == 1:
            return ((b & 0x3F) << 8) | self._byte()
        if b == 0x80:
            return int.from_bytes(self._read(4), "big")
        if b == 0x81:
            return int.from_bytes(self._read(8), "big")
        if top == 3:
            return b & 0x3F
        raise self.error(f"Unknown length encoding {b} in rdbLoadLen()")

    def _string(self, _type=None) -> bytes:
        """rdbGenericLoadStringObject: raw, integer or LZF forms.  (Also the
        reader of type-0 values, hence the ignored argument.)"""
        buf = self._buf
        pos = self._pos
        if pos < len(buf):
            b = buf[pos]
            if b < 0x40:
                end = pos + 1 + b
                if end <= len(buf):
                    self._pos = end
                    return buf[pos + 1:end]
        b = self._byte()
        top = b >> 6
        if top == 3:
            enc = b & 0x3F
            w = _INT_STR.get(enc)
            if w is not None:
                return b"%d" % int.from_bytes(self._read(w), "little", signed=True)
            if enc == 3:
                clen = self._len()
                ulen = self._len()
                data = self._read(clen)
                out = lzf_decompress(data, ulen)
                if out is None:
                    raise self.error("Invalid LZF compressed string")
                return out
            raise self.error(f"Unknown RDB string encoding type {enc}")
        self._pos -= 1
        return self._read(self._len())

    def _raw_len(self) -> tuple[int, bytes]:
        b = self._byte()
        top = b >> 6
        if top == 0:
            return b, bytes((b,))
        if top == 1:
            b2 = self._byte()
            return ((b & 0x3F) << 8) | b2, bytes((b, b2))
        if b == 0x80 or b == 0x81:
            rest = self._read(4 if b == 0x80 else 8)
            return int.from_bytes(rest, "big"), bytes((b,)) + rest
        raise self.error(f"Unknown length encoding {b} in rdbLoadLen()")

    def _raw_string(self) -> bytes:
        """The exact bytes of one RDB string, undecoded."""
        b = self._byte()
        if b >> 6 != 3:
            self._pos -= 1
            n, head = self._raw_len()
            return head + self._read(n)
        enc = b & 0x3F
        w = _INT_STR.get(enc)
        if w is not None:
            return bytes((b,)) + self._read(w)
        if enc == 3:
            clen, h1 = self._raw_len()
            _, h2 = self._raw_len()
            return bytes((b,)) + h1 + h2 + self._read(clen)
        raise self.error(f"Unknown RDB string encoding type {enc}")

    # -- the file -------------------------------------------------------------

    def load(self, on_aux=None, on_select=None, on_key=None, on_resize=None, on_function=None):
        """Read the whole RDB, calling the callbacks as records arrive:
        ``on_aux(key, value)``, ``on_select(dbid)``, ``on_resize(dbid, size,
        expires)``, ``on_function(source)`` and ``on_key(dbid, key, value,
        expire_ms, lru_idle, lfu_freq)``.  Returns self."""
        self.doing = "start"
        head = self._read(9)
        if head[:5] != b"REDIS":
            raise self.error("Wrong signature trying to load DB from file")
        try:
            version = int(head[5:9])
        except ValueError:
            version = 0
        if version < 1 or version > self.max_version:
            raise self.error(f"Can't handle RDB format version {version}")
        self.version = version
        readers = self._readers
        read_byte = self._byte
        read_string = self._string
        dbid = 0
        expire = idle = freq = None
        nkeys = nexpires = 0
        # Loading creates millions of long-lived objects and no cycles; a
        # cyclic-GC pass every few thousand allocations would walk them all
        # again and again (measured: ~30% of a 1M-key load).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            while True:
                # Fast path: a string key whose key and value are short raw or
                # small-int strings lying whole in the buffer (most keys of a
                # cache-like dataset).  It cannot fail, so it skips the
                # bookkeeping the general path keeps for error reports.
                buf = self._buf
                pos = self._pos
                blen = len(buf)
                if pos + 3 < blen and buf[pos] == 0 and buf[pos + 1] < 64:
                    ve = pos + 2 + buf[pos + 1]
                    if ve + 1 < blen:
                        vb = buf[ve]
                        end = 0
                        if vb < 64:
                            end = ve + 1 + vb
                            if end <= blen:
                                value = buf[ve + 1:end]
                            else:
                                end = 0
                        elif vb == 0xC0:
                            v = buf[ve + 1]
                            value = b"%d" % (v - 256 if v > 127 else v)
                            end = ve + 2
                        if end:
                            self._pos = end
                            nkeys += 1
                            if expire is not None:
                                nexpires += 1
                            if on_key is not None:
                                on_key(dbid, buf[pos + 2:ve], value, expire, idle, freq)
                            expire = idle = freq = None
                            self.cur_type = None
                            continue
                self.doing = "read-type"
                t = read_byte()
                if t < 32:
                    reader = readers.get(t)
                    if reader is None:
                        raise self.error(f"Invalid object type: {t}", f"Unknown RDB encoding type {t}")
                    self.cur_type = t
                    self.doing = "read-key"
                    key = read_string()
                    self.cur_key = key
                    self.doing = "read-object-value"
                    value = reader(t)
                    if value is _EMPTY:
                        self.empty_keys_skipped += 1
                    else:
                        nkeys += 1
                        if expire is not None:
                            nexpires += 1
                        if on_key is not None:
                            on_key(dbid, key, value, expire, idle, freq)
                    expire = idle = freq = None
                    self.cur_type = self.cur_key = None
                    continue
                if t == OP_EXPIRETIME_MS:
                    self.doing = "read-expire"
                    expire = int.from_bytes(self._read(8), "little", signed=True)
                elif t == OP_EXPIRETIME:
                    self.doing = "read-expire"
                    expire = int.from_bytes(self._read(4), "little", signed=True) * 1000
                elif t == OP_IDLE:
                    idle = self._len()
                elif t == OP_FREQ:
                    freq = read_byte()
                elif t == OP_AUX:
                    self.doing = "read-aux"
                    k = read_string()
                    v = read_string()
                    self.aux[k] = v
                    if on_aux is not None:
                        on_aux(k, v)
                elif t == OP_SELECTDB:
                    self.doing = "read-len"
                    dbid = self._len()
                    if on_select is not None:
                        on_select(dbid)
                elif t == OP_RESIZEDB:
                    self.doing = "read-len"
                    size = self._len()
                    exp = self._len()
                    if on_resize is not None:
                        on_resize(dbid, size, exp)
                elif t == OP_FUNCTION2:
                    self.doing = "read-functions"
                    code = read_string()
                    self.functions.append(code)
                    if on_function is not None:
                        on_function(code)
                elif t == OP_FUNCTION:
                    self.doing = "read-functions"
                    code = self._old_function()
                    self.functions.append(code)
                    if on_function is not None:
                        on_function(code)
                elif t == OP_MODULE_AUX:
                    self.doing = "read-module-aux"
                    self._module_aux()
                elif t == OP_EOF:
                    break
                else:
                    raise self.error(f"Invalid object type: {t}", f"Unknown RDB encoding type {t}")
        finally:
            if gc_was_enabled:
                gc.enable()
            self.keys += nkeys
            self.expires += nexpires
        self._finish()
        return self

    def _finish(self) -> None:
        self.doing = "check-sum"
        if self.version < 5:
            return
        if self._verify:
            self._crc = crc64(memoryview(self._buf)[self._crc_from:self._pos], self._crc)
            self._crc_from = self._pos
        stored = int.from_bytes(self._read(8), "little")
        self._crc_from = self._pos
        if stored == 0:
            self.checksum = "disabled"
        elif self._verify:
            if stored != self._crc:
                raise self.error("RDB CRC error",
                                 f"Wrong RDB checksum expected: ({self._crc:x}) got ({stored:x})")
            self.checksum = "ok"

    def _old_function(self) -> bytes:
        """RDB_OPCODE_FUNCTION (7.0-rc1/rc2): name, engine, optional
        description, body -> the FUNCTION2 source text."""
        name = self._string()
        engine = self._string()
        if self._len():
            self._string()
        body = self._string()
        return b"#!" + engine + b" name=" + name + b"\n" + body

    def _module_aux(self) -> None:
        module_id = self._len()
        when_opcode = self._len()
        self._len()
        if when_opcode != 2:
            raise self.error("bad when_opcode")
        self.module_aux_skipped.append(module_type_name(module_id))
        self._skip_module_opcodes()

    def _skip_module_opcodes(self) -> None:
        while True:
            op = self._len()
            if op == 0:
                return
            if op in (1, 2):
                self._len()
            elif op == 3:
                self._read(4)
            elif op == 4:
                self._read(8)
            elif op == 5:
                self._string()
            else:
                raise self.error(f"Unknown module opcode {op}")

    # -- values ---------------------------------------------------------------

    def _blob(self, decode, what: str, *args):
        blob = self._string()
        try:
            return decode(blob, *args)
        except ValueError:
            raise self.error(f"{what} integrity check failed.") from None

    def _list_plain(self, t):
        n = self._len()
        if n == 0:
            return _EMPTY
        read_string = self._string
        return RList([read_string() for _ in range(n)])

    def _list_ziplist(self, t):
        items = self._blob(ziplist.decode, "List ziplist")
        return RList(items) if items else _EMPTY

    def _list_quicklist(self, t):
        out = RList()
        for _ in range(self._len()):
            out.extend(self._blob(ziplist.decode, "Ziplist"))
        return out if out else _EMPTY

    def _list_quicklist2(self, t):
        out = RList()
        decode = listpack.decode
        for _ in range(self._len()):
            container = self._len()
            if container == QL_PACKED:
                blob = self._string()
                try:
                    out.extend(decode(blob))
                except ValueError:
                    raise self.error("Listpack integrity check failed.") from None
            elif container == QL_PLAIN:
                out.append(self._string())
            else:
                raise self.error("Quicklist integrity check failed.",
                                 f"unknown quicklist container {container}")
        return out if out else _EMPTY

    def _set(self, t):
        n = self._len()
        if n == 0:
            return _EMPTY
        read_string = self._string
        members = [read_string() for _ in range(n)]
        s = RSet(members)
        if len(s) != n:
            raise self.error("Duplicate set members detected")
        if n > self.limits.set_max_intset_entries:
            s.big = True
        else:
            strict_int = listpack.strict_int
            for m in members:
                if strict_int(m) is None:
                    s.big = True
                    break
        return s

    def _set_intset(self, t):
        values = self._blob(intset.decode, "Intset")
        if not values:
            return _EMPTY
        s = RSet([b"%d" % v for v in values])
        s.big = len(s) > self.limits.set_max_intset_entries
        return s

    def _set_listpack(self, t):
        members = self._blob(listpack.decode, "Set listpack")
        if not members:
            return _EMPTY
        s = RSet(members)
        if len(s) != len(members):
            raise self.error("Duplicate set members detected")
        s.big = True
        if len(s) <= self.limits.set_max_intset_entries:
            strict_int = listpack.strict_int
            s.big = any(strict_int(m) is None for m in members)
        return s

    def _hash(self, t):
        n = self._len()
        if n == 0:
            return _EMPTY
        read_string = self._string
        h = RHash()
        maxlen = 0
        for _ in range(n):
            f = read_string()
            v = read_string()
            h[f] = v
            lf = len(f)
            lv = len(v)
            if lf > maxlen or lv > maxlen:
                maxlen = lf if lf > lv else lv
        if len(h) != n:
            raise self.error("Duplicate hash fields detected")
        lim = self.limits
        h.big = n > lim.hash_max_listpack_entries or maxlen > lim.hash_max_listpack_value
        return h

    def _pairs_to_hash(self, items, check_len: bool):
        n = len(items)
        if n & 1:
            raise self.error("Hash listpack integrity check failed.", "odd number of elements")
        if n == 0:
            return _EMPTY
        it = iter(items)
        h = RHash(zip(it, it))
        if len(h) * 2 != n:
            raise self.error("Duplicate hash fields detected")
        lim = self.limits
        h.big = len(h) > lim.hash_max_listpack_entries or (
            check_len and max(map(len, items)) > lim.hash_max_listpack_value)
        return h

    def _hash_listpack(self, t):
        return self._pairs_to_hash(self._blob(listpack.decode, "Hash listpack"), False)

    def _hash_ziplist(self, t):
        return self._pairs_to_hash(self._blob(ziplist.decode, "Hash ziplist"), True)

    def _hash_zipmap(self, t):
        pairs = self._blob(zipmap.decode, "Hash zipmap")
        if not pairs:
            return _EMPTY
        h = RHash(pairs)
        if len(h) != len(pairs):
            raise self.error("Duplicate hash fields detected")
        lim = self.limits
        h.big = len(h) > lim.hash_max_listpack_entries or any(
            len(k) > lim.hash_max_listpack_value or len(v) > lim.hash_max_listpack_value
            for k, v in pairs)
        return h

    def _zset_from_pairs(self, pairs, by_length: bool):
        n = len(pairs)
        if n == 0:
            return _EMPTY
        if len({m for m, _ in pairs}) != n:
            raise self.error("Duplicate zset fields detected")
        lim = self.limits
        big = n > lim.zset_max_listpack_entries
        if by_length and not big:
            big = max(len(m) for m, _ in pairs) > lim.zset_max_listpack_value
        return self.make_zset(pairs, big)

    def _zset_binary(self, t):
        n = self._len()
        read_string = self._string
        read = self._read
        pairs = []
        for _ in range(n):
            m = read_string()
            score = _unpack_double(read(8))[0]
            if score != score:
                raise self.error("Zset with NAN score detected")
            pairs.append((m, score))
        return self._zset_from_pairs(pairs, True)

    def _zset_text(self, t):
        n = self._len()
        read_string = self._string
        pairs = []
        for _ in range(n):
            m = read_string()
            k = self._byte()
            if k == 255:
                score = float("-inf")
            elif k == 254:
                score = float("inf")
            elif k == 253:
                raise self.error("Zset with NAN score detected")
            else:
                try:
                    score = float(self._read(k))
                except ValueError:
                    raise self.error("Invalid double value") from None
                if score != score:
                    raise self.error("Zset with NAN score detected")
            pairs.append((m, score))
        return self._zset_from_pairs(pairs, True)

    def _packed_zset(self, items):
        n = len(items)
        if n & 1:
            raise self.error("Zset listpack integrity check failed.", "odd number of elements")
        pairs = []
        for i in range(0, n, 2):
            m = items[i]
            s = items[i + 1]
            if type(m) is int:
                m = b"%d" % m
            if type(s) is int:
                score = float(s)
            else:
                try:
                    score = float(s)
                except ValueError:
                    raise self.error("Zset listpack integrity check failed.",
                                     "score is not a number") from None
            pairs.append((m, score))
        return self._zset_from_pairs(pairs, False)

    def _zset_listpack(self, t):
        return self._packed_zset(self._blob(listpack.decode, "Zset listpack", False))

    def _zset_ziplist(self, t):
        return self._packed_zset(self._blob(ziplist.decode, "Zset ziplist", False))

    def _stream(self, t):
        """Walk a stream value (types 15 and 19), keeping its raw bytes."""
        parts = []
        raw_len = self._raw_len
        raw_string = self._raw_string
        read = self._read
        n, h = raw_len()
        parts.append(h)
        for _ in range(n):
            node_key = raw_string()
            if len(node_key) != 17 or node_key[0] != 16:
                raise self.error("Stream node key entry is not the size of a stream ID")
            parts.append(node_key)
            parts.append(raw_string())
        fields = 3 if t == 15 else 8  # length, last_id; v2: first_id, max_deleted, entries_added
        for _ in range(fields):
            parts.append(raw_len()[1])
        ngroups, h = raw_len()
        parts.append(h)
        for _ in range(ngroups):
            parts.append(raw_string())
            for _ in range(2 if t == 15 else 3):
                parts.append(raw_len()[1])
            npel, h = raw_len()
            parts.append(h)
            for _ in range(npel):
                parts.append(read(24))
                parts.append(raw_len()[1])
            ncons, h = raw_len()
            parts.append(h)
            for _ in range(ncons):
                parts.append(raw_string())
                parts.append(read(8))
                npel, h = raw_len()
                parts.append(h)
                for _ in range(npel):
                    parts.append(read(16))
        return Opaque("stream", t, b"".join(parts))

    def _module(self, t):
        module_id = self._len()
        name = module_type_name(module_id)
        if self.skip_module_values:
            self._skip_module_opcodes()
            return _EMPTY
        raise self.error(f"The RDB file contains module data I can't load: "
                         f"no matching module type '{name}'")

    def _module_v1(self, t):
        raise self.error("Unknown RDB encoding type 6",
                         "module values of RDB type 6 cannot be loaded without their module")


def load_bytes(data: bytes, **kw):
    """Convenience: decode a whole RDB held in memory into
    {dbid: {key: (value, expire_ms)}} plus the reader (aux, functions...)."""
    dbs: dict = {}

    def on_key(dbid, key, value, expire, idle, freq):
        dbs.setdefault(dbid, {})[key] = (value, expire)

    reader = RdbReader(data, **kw).load(on_key=on_key)
    return dbs, reader


def restore_payload(payload: bytes, **kw):
    """verifyDumpPayload + rdbLoadObject: the value inside a DUMP payload.
    Raises CommandError with Redis's RESTORE error texts."""
    if len(payload) < 10:
        raise CommandError("ERR DUMP payload version or checksum are wrong")
    footer = payload[-10:]
    version = footer[0] | (footer[1] << 8)
    if version > RDB_VERSION or crc64(payload[:-8]) != int.from_bytes(footer[2:], "little"):
        raise CommandError("ERR DUMP payload version or checksum are wrong")
    reader = RdbReader(payload[:-10], verify_checksum=False, **kw)
    try:
        t = reader._byte()
        fn = reader._readers.get(t)
        if fn is None:
            raise CommandError("ERR Bad data format")
        value = fn(t)
    except RdbError:
        raise CommandError("ERR Bad data format") from None
    if value is _EMPTY:
        raise CommandError("ERR Bad data format")
    return value
