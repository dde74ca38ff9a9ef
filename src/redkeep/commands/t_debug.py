"""DEBUG.  Mirrors Redis's ``debug.c``.

DIGEST / DIGEST-VALUE compute Redis's own dataset digest (SHA1 mixing of
keys, types, elements and an expire marker), so the same data gives the same
40 hex digits as a real Redis, which makes digests comparable across
redkeep, Redis, replicas and reloads.

Subcommands live in ``SUBCOMMANDS`` (name -> (handler, argc check)); other
modules add theirs (RELOAD, LOADAOF) with ``register``.
"""

from __future__ import annotations

import hashlib
import struct
import time

from ..errors import CommandError, NO_SUCH_KEY
from ..keyspace import Opaque, RHash, RList, RSet, type_name
from ..resp import OK, array_header, bulk, integer, simple
from .t_client import help_reply
from .table import command

NOT_ALLOWED = ('ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can '
               'run it from a local connection, otherwise you need to set this option in the configuration '
               'file, and then restart the server.')

SUBCOMMANDS: dict = {}


def register(name: str, argc_ok=lambda n: True):
    """Add ``DEBUG <name>``; ``argc_ok(len(argv))`` gates it like Redis's
    per-subcommand argc conditions."""

    def deco(fn):
        SUBCOMMANDS[name] = (fn, argc_ok)
        return fn

    return deco


def debug_allowed(c) -> bool:
    mode = c.server.config.get("enable-debug-command", "no")
    if mode is True or mode == "yes":
        return True
    if mode == "local":
        host = c.addr.rsplit(":", 1)[0]
        return c.addr.startswith("/") or host.startswith("127.") or host in ("::1", "[::1]")
    return False


@command("debug")
def debug(c, argv):
    if not debug_allowed(c):
        raise CommandError(NOT_ALLOWED)
    entry = SUBCOMMANDS.get(argv[1].lower().decode("latin-1"))
    if entry is None or not entry[1](len(argv)):
        raise CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."
                           % argv[1].decode("utf-8", "replace"))
    return entry[0](c, argv)


# -- digest -----------------------------------------------------------------------------

_sha1 = hashlib.sha1
_ZERO = bytes(20)
_TYPE_CODE = {"string": 0, "list": 1, "set": 2, "zset": 3, "hash": 4, "module": 5, "stream": 6}


def _xor(digest: bytes, data: bytes) -> bytes:
    h = _sha1(data).digest()
    return (int.from_bytes(digest, "big") ^ int.from_bytes(h, "big")).to_bytes(20, "big")


def _mix(digest: bytes, data: bytes) -> bytes:
    return _sha1(_xor(digest, data)).digest()


def _zset_pairs(z):
    for name in ("dict", "scores", "members", "d"):
        m = getattr(z, name, None)
        if isinstance(m, dict):
            return m.items()
    return z.items()


def dataset_digest(server) -> bytes:
    """computeDatasetDigest: per db (in order) its id, then the xor of every
    key's digest, so key order does not matter."""
    final = _ZERO
    for db in server.dbs:
        if not db.data:
            continue
        final = _mix(final, struct.pack(">I", db.id))
        for key, v in db.data.items():
            final = _xor(final, object_digest(db, key, v, _mix(_ZERO, key)))
    return final


def object_digest(db, key, v, start: bytes) -> bytes:
    """xorObjectDigest: continue ``start`` with the value's type and content;
    ordered containers are mixed, unordered ones xored element-wise."""
    tname = type_name(v)
    d = _mix(start, struct.pack(">I", _TYPE_CODE.get(tname, 5)))
    t = type(v)
    if t is bytes:
        d = _mix(d, v)
    elif t is RList:
        for e in v:
            d = _mix(d, e)
    elif t is RSet:
        for e in v:
            d = _xor(d, e)
    elif t is RHash:
        for f, val in v.items():
            d = _xor(d, _mix(_mix(_ZERO, f), val))
    elif tname == "zset":
        for m, score in _zset_pairs(v):
            d = _xor(d, _mix(_mix(_ZERO, m), b"%.17g" % score))
    elif t is Opaque:
        # Types without commands yet are digested over their RDB payload:
        # stable across redkeep instances, not equal to Redis's digest.
        d = _mix(d, v.payload)
    if key in db.expires:
        d = _xor(d, b"!!expire!!")
    return d


@register("digest", lambda n: n == 2)
def debug_digest(c, argv):
    return simple(dataset_digest(c.server).hex())


@register("digest-value")
def debug_digest_value(c, argv):
    db = c.db
    out = [array_header(len(argv) - 2)]
    for key in argv[2:]:
        v = db.data.get(key)  # logically expired keys count too, as in Redis
        d = _ZERO if v is None else object_digest(db, key, v, _ZERO)
        out.append(simple(d.hex()))
    return b"".join(out)


# -- object -----------------------------------------------------------------------------

def _encoding(v) -> str:
    try:
        from .t_keys import encoding_of
        return encoding_of(v)
    except ImportError:
        return "raw"


def _int_len(n: int) -> int:
    if -(1 << 7) <= n < (1 << 7):
        return 1
    if -(1 << 15) <= n < (1 << 15):
        return 2
    return 4


def _lp_entry_size(e: bytes) -> int:
    """Bytes one element takes in a listpack (encoding header, data, backlen)."""
    from .util import is_strict_int
    if len(e) <= 20 and is_strict_int(e):
        n = int(e)
        if 0 <= n <= 127:
            body = 1
        elif -4096 <= n <= 4095:
            body = 2
        elif -(1 << 15) <= n < (1 << 15):
            body = 3
        elif -(1 << 23) <= n < (1 << 23):
            body = 4
        elif -(1 << 31) <= n < (1 << 31):
            body = 5
        else:
            body = 9
    else:
        ln = len(e)
        body = ln + (1 if ln < 64 else 2 if ln < 4096 else 5)
    backlen = 1 if body <= 127 else 2 if body < 16383 else 3 if body < 2097151 else 4 if body < 268435455 else 5
    return body + backlen


def _serialized_len(v) -> int:
    """An estimate of rdbSavedObjectLen."""
    from .util import is_strict_int
    if type(v) is bytes:
        if len(v) <= 20 and is_strict_int(v) and -(1 << 31) <= int(v) < (1 << 31):
            return 1 + _int_len(int(v))
        return len(v) + (1 if len(v) < 64 else 2 if len(v) < 16384 else 5)
    if type(v) is RList:
        return 2 + 1 + 7 + sum(_lp_entry_size(e) for e in v)
    if type(v) is Opaque:
        return len(v.payload)
    total = 0
    if isinstance(v, dict):
        for f, val in v.items():
            total += len(f) + len(val) + 2
    elif isinstance(v, (set, frozenset)):
        total = sum(len(e) + 1 for e in v)
    else:
        total = sum(len(m) + 9 for m, _ in _zset_pairs(v))
    return total + 1


@register("object", lambda n: n == 3)
def debug_object(c, argv):
    v = c.db.data.get(argv[2])
    if v is None:
        raise CommandError(NO_SUCH_KEY)
    server = c.server
    from .util import is_strict_int
    refcount = 1
    if type(v) is bytes and len(v) <= 5 and is_strict_int(v) and 0 <= int(v) < 10000:
        refcount = 2147483647  # a shared integer object
    extra = ""
    if type(v) is RList:
        fill = server.config.get("list-max-listpack-size", -2)
        size = 7 + sum(_lp_entry_size(e) for e in v)
        node_bytes = 4096 << (-fill - 1) if fill < 0 else None
        if node_bytes:
            nodes = max(1, -(-size // node_bytes))
        else:
            nodes = max(1, -(-len(v) // max(fill, 1)))
        extra = " ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d ql_uncompressed_size:%d" % (
            nodes, len(v) / nodes, fill, 1 if server.config.get("list-compress-depth", 0) else 0, size)
    line = "Value at:0x%x refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:0%s" % (
        id(v), refcount, _encoding(v), _serialized_len(v), int(time.time()) & 0xFFFFFF, extra)
    return simple(line)


# -- small switches -------------------------------------------------------------------

def _atoi(b: bytes) -> int:
    """C atoi: leading digits, else 0."""
    s = b.strip().decode("latin-1")
    i = 1 if s[:1] in "+-" else 0
    while i < len(s) and s[i].isdigit():
        i += 1
    try:
        return int(s[:i])
    except ValueError:
        return 0


def _strtod(b: bytes) -> float:
    import re
    m = re.match(rb"\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)", b)
    return float(m.group(0)) if m else 0.0


@register("sleep", lambda n: n == 3)
def debug_sleep(c, argv):
    # DEBUG SLEEP stops the whole server in Redis: blocking the loop is the point.
    secs = _strtod(argv[2])
    if secs > 0:
        time.sleep(secs)
    return OK


@register("set-active-expire", lambda n: n == 3)
def debug_set_active_expire(c, argv):
    c.server.active_expire_enabled = bool(_atoi(argv[2]))
    return OK


@register("set-skip-checksum-validation", lambda n: n == 3)
def debug_skip_checksum(c, argv):
    c.server.skip_checksum_validation = bool(_atoi(argv[2]))
    return OK


@register("aof-flush-sleep", lambda n: n == 3)
def debug_aof_flush_sleep(c, argv):
    c.server.aof_flush_sleep = _atoi(argv[2])
    return OK


@register("quicklist-packed-threshold", lambda n: n == 3)
def debug_quicklist_threshold(c, argv):
    from ..config import memtoull
    size = memtoull(argv[2].decode("latin-1"))
    if size is None or size > (1 << 32) - (1 << 20):
        raise CommandError("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
    c.server.quicklist_packed_threshold = size or (1 << 30)
    return OK


@register("change-repl-id", lambda n: n == 2)
def debug_change_repl_id(c, argv):
    import os
    server = c.server
    server.replid = os.urandom(20).hex()
    server.replid2 = "0" * 40
    server.second_repl_offset = -1
    c.server.log.notice("Changing replication IDs after receiving DEBUG change-repl-id")
    return OK


@register("log", lambda n: n == 3)
def debug_log(c, argv):
    c.server.log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
    return OK


@register("error", lambda n: n == 3)
def debug_error(c, argv):
    raise CommandError(argv[2].decode("utf-8", "replace"))


@register("populate", lambda n: 3 <= n <= 5)
def debug_populate(c, argv):
    from .util import is_strict_int
    for a in argv[2:3] + argv[4:5]:
        if not is_strict_int(a) or int(a) < 0:
            raise CommandError("ERR value is out of range, must be positive")
    count = int(argv[2])
    prefix = argv[3] if len(argv) >= 4 else b"key"
    valsize = int(argv[4]) if len(argv) == 5 else 0
    db = c.db
    for j in range(count):
        key = b"%s:%d" % (prefix, j)
        if db.lookup(key) is not None:
            continue
        val = b"value:%d" % j
        if valsize:
            val = val[:valsize].ljust(valsize, b"\0")
        db.add(key, val)
    return OK


_PROTOCOL = {
    b"string": lambda r: bulk(b"Hello World"),
    b"integer": lambda r: integer(12345),
    b"double": lambda r: r.double(3.141),
    b"bignum": lambda r: r.bignum(b"1234567999999999999999999999999999999"),
    b"null": lambda r: r.null,
    b"array": lambda r: b"*3\r\n:0\r\n:1\r\n:2\r\n",
    b"set": lambda r: r.set_header(3) + b":0\r\n:1\r\n:2\r\n",
    b"map": lambda r: r.map_header(3) + b":0\r\n" + r.false + b":1\r\n" + r.true + b":2\r\n" + r.false,
    b"attrib": lambda r: ((b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n" if r.version == 3 else b"")
                          + bulk(b"Some real reply following the attribute")),
    b"true": lambda r: r.true,
    b"false": lambda r: r.false,
    b"verbatim": lambda r: r.verbatim(b"This is a verbatim\nstring"),
}


@register("protocol", lambda n: n == 3)
def debug_protocol(c, argv):
    name = argv[2].lower()
    if name == b"push":
        if c.resp_ver < 3:
            raise CommandError("ERR RESP2 is not supported by this command")
        return b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n" + bulk(b"Some real reply following the push reply")
    fn = _PROTOCOL.get(name)
    if fn is None:
        raise CommandError("ERR Wrong protocol type name. Please use one of the following: "
                           "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
    return fn(c.r)


_HELP_LINES = [
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
    "HELP",
    "    Prints this help.",
]
_HELP = help_reply(_HELP_LINES)


@register("help", lambda n: n == 2)
def debug_help(c, argv):
    return _HELP
