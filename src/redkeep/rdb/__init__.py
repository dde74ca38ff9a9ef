"""The RDB codec: Redis's snapshot/DUMP format, sans I/O.

Mirrors Redis's ``rdb.c`` with its blob formats split out like Redis's
sources: ``listpack``, ``ziplist``, ``intset``, ``zipmap``, ``lzf_crc``
(lzf_*.c, crc64.c).  ``encoder`` writes RDB 10 as Redis 7.0.15 does;
``decoder`` reads RDB 1..10; ``check`` is redis-check-rdb.

Public API::

    RdbWriter(write_fn, RdbOptions(...)).begin(aux, functions)
        .select_db(id, size, expires) .write_key(key, value, expire_ms) .end()
    RdbReader(stream_or_bytes, make_zset=..., limits=LoadLimits(...))
        .load(on_aux, on_select, on_key(dbid, key, value, expire_ms, lru_idle, lfu_freq))
    dump_payload(value) -> bytes;  restore_payload(bytes) -> value
"""

from .decoder import RdbReader, load_bytes, restore_payload
from .encoder import (
    RdbOptions, RdbWriter, dump_payload, dump_rdb, enc_string, encode_value, standard_aux,
)
from .types import RDB_VERSION, LoadLimits, RdbError, ZSetData

__all__ = [
    "RDB_VERSION", "LoadLimits", "RdbError", "RdbOptions", "RdbReader", "RdbWriter",
    "ZSetData", "dump_payload", "dump_rdb", "enc_string", "encode_value", "load_bytes",
    "restore_payload", "standard_aux",
]
