"""RDB constants (Redis's ``rdb.h``), the error type, and the small value
holders the codec shares with its callers."""

from __future__ import annotations

from dataclasses import dataclass

RDB_VERSION = 10

# Object types (rdb.h RDB_TYPE_*).
T_STRING = 0
T_LIST = 1
T_SET = 2
T_ZSET = 3
T_HASH = 4
T_ZSET_2 = 5
T_MODULE = 6
T_MODULE_2 = 7
T_HASH_ZIPMAP = 9
T_LIST_ZIPLIST = 10
T_SET_INTSET = 11
T_ZSET_ZIPLIST = 12
T_HASH_ZIPLIST = 13
T_LIST_QUICKLIST = 14
T_STREAM_LISTPACKS = 15
T_HASH_LISTPACK = 16
T_ZSET_LISTPACK = 17
T_LIST_QUICKLIST_2 = 18
T_STREAM_LISTPACKS_2 = 19
T_SET_LISTPACK = 20  # RDB 11 (Redis 7.2) only

TYPE_NAMES = {
    0: "string", 1: "list-linked", 2: "set-hashtable", 3: "zset-v1", 4: "hash-hashtable",
    5: "zset-v2", 6: "module-pre-release", 7: "module-value", 9: "hash-zipmap",
    10: "list-ziplist", 11: "set-intset", 12: "zset-ziplist", 13: "hash-ziplist",
    14: "quicklist", 15: "stream", 16: "hash-listpack", 17: "zset-listpack",
    18: "quicklist-v2", 19: "stream-v2", 20: "set-listpack",
}

# Opcodes (rdb.h RDB_OPCODE_*).
OP_FUNCTION2 = 245
OP_FUNCTION = 246
OP_MODULE_AUX = 247
OP_IDLE = 248
OP_FREQ = 249
OP_AUX = 250
OP_RESIZEDB = 251
OP_EXPIRETIME_MS = 252
OP_EXPIRETIME = 253
OP_SELECTDB = 254
OP_EOF = 255

# Quicklist node containers.
QL_PLAIN = 1
QL_PACKED = 2

MODULE_CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def module_type_name(module_id: int) -> str:
    """The 9-char type name packed in a module id (moduleTypeNameByID)."""
    bits = module_id >> 10
    return "".join(MODULE_CHARSET[(bits >> (6 * (8 - i))) & 63] for i in range(9))


class RdbError(Exception):
    """The RDB stream is malformed.  ``reason`` is redis-check-rdb's text,
    ``offset`` the number of bytes consumed successfully when it was found,
    ``detail`` the server-log wording where it differs, ``doing`` the
    check-rdb phase and ``rdb_type`` the object type being read."""

    def __init__(self, reason: str, offset: int, detail: str | None = None,
                 doing: str = "", rdb_type: int | None = None, key: bytes | None = None):
        self.reason = reason
        self.offset = offset
        self.detail = detail
        self.doing = doing
        self.rdb_type = rdb_type
        self.key = key
        text = f"{reason} (offset {offset})"
        if detail:
            text += f": {detail}"
        super().__init__(text)


@dataclass
class LoadLimits:
    """The encoding thresholds that decide, on load, whether a small value
    stays compact (``big`` False) — Redis's *-max-listpack-* directives."""

    hash_max_listpack_entries: int = 512
    hash_max_listpack_value: int = 64
    set_max_intset_entries: int = 512
    zset_max_listpack_entries: int = 128
    zset_max_listpack_value: int = 64


class ZSetData:
    """A minimal sorted set as the codec sees one: the default result of
    loading a zset when the caller passes no factory, and the interface the
    encoder reads (``len``, ``items_by_score()`` ascending, ``big``)."""

    __slots__ = ("pairs", "big")

    def __init__(self, pairs, big: bool = False):
        self.pairs = sorted(pairs, key=lambda p: (p[1], p[0]))
        self.big = big

    def __len__(self) -> int:
        return len(self.pairs)

    def items_by_score(self):
        return self.pairs

    def __eq__(self, other) -> bool:
        return isinstance(other, ZSetData) and self.pairs == other.pairs

    def __repr__(self) -> str:
        return f"ZSetData({self.pairs!r}, big={self.big})"
