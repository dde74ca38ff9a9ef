"""RDB writer: keyspace values -> RDB version 10 bytes, byte-compatible with
what Redis 7.0.15 writes for the same in-memory encodings.  Mirrors Redis's
``rdb.c`` save side (rdbSaveLen, rdbSaveRawString, rdbSaveObject,
rdbSaveRio) and ``cluster.c``'s createDumpPayload.

Theory
------
A file is::

    "REDIS0010"  AUX*  FUNCTION2*  { SELECTDB RESIZEDB { [FC ms] [F8|F9] type key value }* }*  FF crc64

``RdbWriter`` produces it key by key, buffering into chunks that it hands to
``write_fn`` (so a snapshot thread can write them while the loop encodes the
next keys); the CRC runs over each chunk as it leaves.  Value encodings
follow the in-memory encoding Redis would have, taken from the value's
``big`` flag:

    bytes          0   string (int8/16/32 form, LZF if > 20 bytes and it shrinks by 4, raw)
    RList          18  quicklist of listpack nodes, split as list-max-listpack-size does
    RHash          16  listpack (not big) | 4 hashtable
    RSet           11  intset (not big, all integers) | 2 hashtable
    zset           17  listpack ascending (not big) | 5 skiplist, highest score first
    Opaque         its own type byte and payload, re-emitted verbatim

Zsets are read through ``len(z)``, ``z.items_by_score()`` (iterable of
(member, score), ascending by score then member) and ``z.big``.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from ..keyspace import Opaque, RHash, RList, RSet
from . import intset, listpack
from .lzf_crc import crc64, lzf_compress
from .types import (
    OP_AUX, OP_EOF, OP_EXPIRETIME_MS, OP_FREQ, OP_FUNCTION2, OP_IDLE, OP_RESIZEDB,
    OP_SELECTDB, QL_PACKED, QL_PLAIN, RDB_VERSION, T_HASH, T_HASH_LISTPACK,
    T_LIST_QUICKLIST_2, T_SET, T_SET_INTSET, T_STRING, T_ZSET_2, T_ZSET_LISTPACK,
)

REDIS_VERSION = "7.0.15"

# quicklist.c: an element this large gets a node of its own (PLAIN container).
PACKED_THRESHOLD = 1 << 30
# quicklist.c optimization_level for list-max-listpack-size -1..-5, the
# safety limit for positive sizes, and the per-entry size over-estimate.
_FILL_BYTES = (4096, 8192, 16384, 32768, 65536)
_SIZE_SAFETY_LIMIT = 8192
_SIZE_ESTIMATE_OVERHEAD = 8
# quicklist.c node compression (list-compress-depth > 0).
_MIN_COMPRESS_BYTES = 48
_MIN_COMPRESS_IMPROVE = 8

_CHUNK = 1 << 16
_pack_double = struct.Struct("<d").pack
_pack_i64 = struct.Struct("<q").pack
_compress = lzf_compress


@dataclass
class RdbOptions:
    """Save-time directives that change the bytes written."""

    compression: bool = True  # rdbcompression
    checksum: bool = True  # rdbchecksum
    list_max_listpack_size: int = -2
    list_compress_depth: int = 0
    packed_threshold: int = PACKED_THRESHOLD  # DEBUG QUICKLIST-PACKED-THRESHOLD


DEFAULT_OPTIONS = RdbOptions()


# -- primitives -------------------------------------------------------------


def enc_len(n: int) -> bytes:
    """rdbSaveLen: 6-bit, 14-bit BE, 32-bit BE or 64-bit BE form."""
    if n < 64:
        return bytes((n,))
    if n < 16384:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + n.to_bytes(4, "big")
    return b"\x81" + n.to_bytes(8, "big")


_LEN1 = [bytes((i,)) for i in range(64)]


def enc_string(b: bytes, compress: bool = True) -> bytes:
    """rdbSaveRawString: integer form, then LZF, then raw."""
    n = len(b)
    if n <= 11 and n:
        c = b[0]
        if 48 <= c <= 57 or c == 45:
            v = listpack.strict_int(b)
            if v is not None:
                if -128 <= v <= 127:
                    return b"\xc0" + v.to_bytes(1, "little", signed=True)
                if -32768 <= v <= 32767:
                    return b"\xc1" + v.to_bytes(2, "little", signed=True)
                if -2147483648 <= v <= 2147483647:
                    return b"\xc2" + v.to_bytes(4, "little", signed=True)
    elif n > 20 and compress:
        c = _compress(b, n - 4)
        if c:
            return b"\xc3" + enc_len(len(c)) + enc_len(n) + c
    if n < 64:
        return _LEN1[n] + b
    return enc_len(n) + b


def _lzf_blob(blob: bytes, compressed: bytes) -> bytes:
    return b"\xc3" + enc_len(len(compressed)) + enc_len(len(blob)) + compressed


def zset_score_entry(score: float) -> bytes:
    """The listpack entry for a zset score, as 7.0.15's zzlInsertAt stores
    it: an integer entry when double2ll accepts the score (integral and
    within [-2^62, 2^62], so -0.0 becomes 0), else the text "inf", "-inf",
    "nan" or %.17g."""
    if -4611686018427387904.0 <= score <= 4611686018427387904.0:
        i = int(score)
        if i == score:
            return listpack.int_entry(i)
    elif score == math.inf:
        return _INF
    elif score == -math.inf:
        return _NEG_INF
    elif score != score:
        return _NAN
    return listpack.str_entry(b"%.17g" % score)


_INF = listpack.str_entry(b"inf")
_NEG_INF = listpack.str_entry(b"-inf")
_NAN = listpack.str_entry(b"nan")


# -- values -----------------------------------------------------------------


def _list_nodes(items, opts: RdbOptions) -> list:
    """Split a list into quicklist nodes the way RPUSH fills them:
    [(container, blob)], blob a listpack for PACKED nodes."""
    fill = opts.list_max_listpack_size
    plain_from = opts.packed_threshold
    size_limit = _FILL_BYTES[-fill - 1] if -5 <= fill < 0 else None
    nodes = []
    cur: list = []
    cur_sz = 7
    entry = listpack.entry
    pack = listpack.pack
    for e in items:
        n = len(e)
        if n >= plain_from:
            if cur:
                nodes.append((QL_PACKED, pack(cur)))
                cur = []
                cur_sz = 7
            nodes.append((QL_PLAIN, e))
            continue
        if cur:
            new_sz = cur_sz + n + _SIZE_ESTIMATE_OVERHEAD
            if size_limit is not None:
                full = new_sz > size_limit
            else:
                full = new_sz > _SIZE_SAFETY_LIMIT or len(cur) >= fill
            if full:
                nodes.append((QL_PACKED, pack(cur)))
                cur = []
                cur_sz = 7
        ent = entry(e)
        cur.append(ent)
        cur_sz += len(ent)
    if cur:
        nodes.append((QL_PACKED, pack(cur)))
    return nodes


def _encode_list(value, opts: RdbOptions) -> bytes:
    nodes = _list_nodes(value, opts)
    compress = opts.compression
    depth = opts.list_compress_depth
    parts = [enc_len(len(nodes))]
    last = len(nodes) - depth
    for i, (container, blob) in enumerate(nodes):
        parts.append(_LEN1[container])
        # Inner nodes of a list-compress-depth list are held LZF-compressed
        # in memory and saved as that blob, whatever rdbcompression says.
        if depth and depth <= i < last and len(blob) >= _MIN_COMPRESS_BYTES:
            c = _compress(blob, len(blob))
            if c and len(c) + _MIN_COMPRESS_IMPROVE < len(blob):
                parts.append(_lzf_blob(blob, c))
                continue
        parts.append(enc_string(blob, compress))
    return b"".join(parts)


def _encode_set(value: RSet, compress: bool) -> tuple[int, bytes]:
    if not value.big:
        ints = []
        for m in value:
            v = listpack.strict_int(m)
            if v is None:
                break
            ints.append(v)
        else:
            ints.sort()
            return T_SET_INTSET, enc_string(intset.encode(ints), compress)
    parts = [enc_len(len(value))]
    parts += [enc_string(m, compress) for m in value]
    return T_SET, b"".join(parts)


def _encode_hash(value: RHash, compress: bool) -> tuple[int, bytes]:
    if not value.big:
        entry = listpack.entry
        ents = []
        for f, v in value.items():
            ents.append(entry(f))
            ents.append(entry(v))
        return T_HASH_LISTPACK, enc_string(listpack.pack(ents), compress)
    parts = [enc_len(len(value))]
    for f, v in value.items():
        parts.append(enc_string(f, compress))
        parts.append(enc_string(v, compress))
    return T_HASH, b"".join(parts)


def _encode_zset(value, compress: bool) -> tuple[int, bytes]:
    items = value.items_by_score()
    if not value.big:
        entry = listpack.entry
        ents = []
        for member, score in items:
            ents.append(entry(member))
            ents.append(zset_score_entry(score))
        return T_ZSET_LISTPACK, enc_string(listpack.pack(ents), compress)
    try:
        desc = reversed(items)
    except TypeError:
        desc = reversed(list(items))
    parts = [enc_len(len(value))]
    for member, score in desc:
        parts.append(enc_string(member, compress))
        parts.append(_pack_double(score))
    return T_ZSET_2, b"".join(parts)


def encode_value(value, opts: RdbOptions = DEFAULT_OPTIONS) -> tuple[int, bytes]:
    """(RDB type byte, encoded value) for a keyspace value."""
    t = type(value)
    if t is bytes:
        return T_STRING, enc_string(value, opts.compression)
    if t is RList:
        return T_LIST_QUICKLIST_2, _encode_list(value, opts)
    if t is RHash:
        return _encode_hash(value, opts.compression)
    if t is RSet:
        return _encode_set(value, opts.compression)
    if t is Opaque:
        return value.rdb_type, value.payload
    if hasattr(value, "items_by_score"):
        return _encode_zset(value, opts.compression)
    raise TypeError(f"cannot encode {t.__name__} in RDB")


# -- files ------------------------------------------------------------------


def standard_aux(ctime: int, used_mem: int, repl: tuple | None = None,
                 aof_base: bool = False) -> list[tuple[bytes, bytes]]:
    """rdbSaveInfoAuxFields: the AUX fields 7.0 writes, in its order.
    ``repl`` = (repl_stream_db, repl_id, repl_offset) when known."""
    aux = [(b"redis-ver", REDIS_VERSION.encode()), (b"redis-bits", b"64"),
           (b"ctime", b"%d" % ctime), (b"used-mem", b"%d" % used_mem)]
    if repl is not None:
        db, replid, offset = repl
        aux += [(b"repl-stream-db", b"%d" % db), (b"repl-id", _b(replid)),
                (b"repl-offset", b"%d" % offset)]
    aux.append((b"aof-base", b"1" if aof_base else b"0"))
    return aux


def _b(x) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode()
    return b"%d" % x


class RdbWriter:
    """Streams one RDB file into ``write_fn(chunk)``.

    Usage: ``begin(aux, functions)``, then per non-empty db
    ``select_db(id, size, expires)`` and ``write_key(...)`` for each key, then
    ``end()``.  Chunks are bytearrays handed over for good (the writer does not
    touch them again), about 64 KB each.
    """

    __slots__ = ("_write", "opts", "_buf", "_crc", "bytes_written", "keys_written")

    def __init__(self, write_fn, options: RdbOptions | None = None):
        self._write = write_fn
        self.opts = options or DEFAULT_OPTIONS
        self._buf = bytearray()
        self._crc = 0
        self.bytes_written = 0
        self.keys_written = 0

    def _flush(self) -> None:
        chunk = self._buf
        if chunk:
            self._buf = bytearray()
            if self.opts.checksum:
                self._crc = crc64(chunk, self._crc)
            self.bytes_written += len(chunk)
            self._write(chunk)

    def begin(self, aux=(), functions=()) -> None:
        """Header, AUX fields ((key, value) pairs) and FUNCTION2 records
        (library source codes)."""
        buf = self._buf
        buf += b"REDIS%04d" % RDB_VERSION
        compress = self.opts.compression
        items = aux.items() if hasattr(aux, "items") else aux
        for k, v in items:
            buf.append(OP_AUX)
            buf += enc_string(_b(k), compress)
            buf += enc_string(_b(v), compress)
        for code in functions:
            buf.append(OP_FUNCTION2)
            buf += enc_string(_b(code), compress)

    def select_db(self, dbid: int, size: int, expires: int) -> None:
        buf = self._buf
        buf.append(OP_SELECTDB)
        buf += enc_len(dbid)
        buf.append(OP_RESIZEDB)
        buf += enc_len(size)
        buf += enc_len(expires)

    def write_key(self, key: bytes, value, expire_ms: int | None = None,
                  lru_idle: int | None = None, lfu_freq: int | None = None) -> None:
        """One key record.  ``lru_idle`` (seconds) or ``lfu_freq`` (0..255)
        are written when the maxmemory policy is LRU or LFU."""
        buf = self._buf
        self._record(buf, key, value, expire_ms, lru_idle, lfu_freq)
        self.keys_written += 1
        if len(buf) >= _CHUNK:
            self._flush()

    def _record(self, buf, key, value, expire_ms, lru_idle=None, lfu_freq=None) -> None:
        if expire_ms is not None:
            buf.append(OP_EXPIRETIME_MS)
            buf += _pack_i64(expire_ms)
        if lru_idle is not None:
            buf.append(OP_IDLE)
            buf += enc_len(lru_idle)
        elif lfu_freq is not None:
            buf.append(OP_FREQ)
            buf.append(lfu_freq)
        opts = self.opts
        if type(value) is bytes:
            buf.append(T_STRING)
            buf += enc_string(key, opts.compression)
            buf += enc_string(value, opts.compression)
        else:
            t, payload = encode_value(value, opts)
            buf.append(t)
            buf += enc_string(key, opts.compression)
            buf += payload

    def encode_record(self, key: bytes, value, expire_ms: int | None = None) -> bytes:
        """One key record as bytes, for writing later with ``write_record``
        (a snapshot preserves a key's old value this way before it changes)."""
        buf = bytearray()
        self._record(buf, key, value, expire_ms)
        return bytes(buf)

    def write_record(self, record: bytes) -> None:
        self._buf += record
        self.keys_written += 1
        if len(self._buf) >= _CHUNK:
            self._flush()

    def end(self) -> None:
        """EOF opcode and CRC64 trailer (zero when rdbchecksum is off)."""
        self._buf.append(OP_EOF)
        self._flush()
        tail = self._crc.to_bytes(8, "little") if self.opts.checksum else bytes(8)
        self.bytes_written += 8
        self._write(bytearray(tail))


def dump_rdb(dbs, aux=None, functions=(), options: RdbOptions | None = None) -> bytes:
    """A whole RDB in memory.  ``dbs`` maps db id -> iterable of
    (key, value, expire_ms or None); empty dbs are skipped like Redis does."""
    out = bytearray()
    w = RdbWriter(out.extend, options)
    w.begin(aux if aux is not None else standard_aux(0, 0), functions)
    for dbid in sorted(dbs):
        entries = list(dbs[dbid])
        if not entries:
            continue
        w.select_db(dbid, len(entries), sum(1 for e in entries if e[2] is not None))
        for key, value, expire in entries:
            w.write_key(key, value, expire)
    w.end()
    return bytes(out)


def dump_payload(value, options: RdbOptions | None = None) -> bytes:
    """createDumpPayload: type, value, RDB version (u16 LE), CRC64 (LE)."""
    t, payload = encode_value(value, options or DEFAULT_OPTIONS)
    body = bytes((t,)) + payload + RDB_VERSION.to_bytes(2, "little")
    return body + crc64(body).to_bytes(8, "little")
