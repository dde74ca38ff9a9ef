"""The directive table: every directive of Redis 7.0.15 (config.c's
``static_configs``, TLS build), with its default, type, bounds, aliases and
flags.  See config.py for the machinery.

Directives of features redkeep does not have yet are accepted (implemented=False)
where Redis accepts them, so that a user's redis.conf loads unchanged.

Value shapes of the special directives:
  save                         [(seconds, changes), ...]
  bind                         ['127.0.0.1', '-::1']
  client-output-buffer-limit   {'normal': (hard, soft, secs), 'replica': ..., 'pubsub': ...}
  notify-keyspace-events       int of NOTIFY_* flags
  oom-score-adj-values         (master, replica, bgchild)
  replicaof                    None | (host, port)
  latency-tracking-info-percentiles  [50.0, 99.0, 99.9]
  dir                          '' (start-up cwd) | absolute path (chdir done)
  maxmemory-clients            bytes, or -percent
  enum directives              the canonical name ('noeviction'; 'now force')
"""

from __future__ import annotations

import math
import os

from .config import (INT_MAX, INT_MIN, LLONG_MAX, ULLONG_MAX, UINT_MAX, ConfigError, Directive,
                     format_memory, memtoull, sds_repr)

LONG_MAX = LLONG_MAX
SSIZE_MAX = LLONG_MAX
MB = 1024 * 1024

# -- notify-keyspace-events (notify.c) ----------------------------------------------

NOTIFY_KEYSPACE = 1 << 0
NOTIFY_KEYEVENT = 1 << 1
NOTIFY_GENERIC = 1 << 2
NOTIFY_STRING = 1 << 3
NOTIFY_LIST = 1 << 4
NOTIFY_SET = 1 << 5
NOTIFY_HASH = 1 << 6
NOTIFY_ZSET = 1 << 7
NOTIFY_EXPIRED = 1 << 8
NOTIFY_EVICTED = 1 << 9
NOTIFY_STREAM = 1 << 10
NOTIFY_KEY_MISS = 1 << 11
NOTIFY_LOADED = 1 << 12
NOTIFY_MODULE = 1 << 13
NOTIFY_NEW = 1 << 14
NOTIFY_ALL = (NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET
              | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE)

_NOTIFY_CHARS = {"A": NOTIFY_ALL, "g": NOTIFY_GENERIC, "$": NOTIFY_STRING, "l": NOTIFY_LIST,
                 "s": NOTIFY_SET, "h": NOTIFY_HASH, "z": NOTIFY_ZSET, "x": NOTIFY_EXPIRED,
                 "e": NOTIFY_EVICTED, "K": NOTIFY_KEYSPACE, "E": NOTIFY_KEYEVENT, "t": NOTIFY_STREAM,
                 "m": NOTIFY_KEY_MISS, "d": NOTIFY_MODULE, "n": NOTIFY_NEW}
_NOTIFY_ORDER = [("g", NOTIFY_GENERIC), ("$", NOTIFY_STRING), ("l", NOTIFY_LIST), ("s", NOTIFY_SET),
                 ("h", NOTIFY_HASH), ("z", NOTIFY_ZSET), ("x", NOTIFY_EXPIRED), ("e", NOTIFY_EVICTED),
                 ("t", NOTIFY_STREAM), ("d", NOTIFY_MODULE), ("n", NOTIFY_NEW)]


def notify_flags_from_string(s: str) -> int:
    """keyspaceEventsStringToFlags; -1 on an unknown class character."""
    flags = 0
    for ch in s:
        f = _NOTIFY_CHARS.get(ch)
        if f is None:
            return -1
        flags |= f
    return flags


def notify_flags_to_string(flags: int) -> str:
    """keyspaceEventsFlagsToString."""
    out = []
    if flags & NOTIFY_ALL == NOTIFY_ALL:
        out.append("A")
    else:
        out.extend(ch for ch, f in _NOTIFY_ORDER if flags & f)
    if flags & NOTIFY_KEYSPACE:
        out.append("K")
    if flags & NOTIFY_KEYEVENT:
        out.append("E")
    if flags & NOTIFY_KEY_MISS:
        out.append("m")
    return "".join(out)


# -- special directives: parse(cfg, args, old) / fmt(value) / rewrite(cfg, d, state) ----

def _parse_save(cfg, args, old):
    empty = len(args) == 1 and args[0] == ""
    if empty:
        args = []
    if len(args) % 2:
        raise ConfigError("Invalid save parameters")
    pairs = []
    for j in range(0, len(args), 2):
        secs, changes = _strtol_full(args[j]), _strtol_full(args[j + 1])
        if secs is None or changes is None or secs < 1 or changes < 0:
            raise ConfigError("Invalid save parameters")
        pairs.append((secs, changes))
    # Within a redis.conf, save lines add up; the first one replaces the
    # defaults (Redis's save_loaded).  CONFIG SET always replaces.
    if cfg.reading:
        first = not cfg._save_loaded
        cfg._save_loaded = True
        if not first and not empty:
            return list(old) + pairs
    return pairs


def _strtol_full(s: str) -> int | None:
    """strtoll(s, &end, 10) with *end == '\\0' (leading blanks and a sign allowed;
    "" reads as 0), saturating like the C library."""
    if s == "":
        return 0
    t = s.lstrip(" \t\n\v\f\r")
    body = t[1:] if t[:1] in ("+", "-") else t
    if not body or not body.isascii() or not body.isdigit():
        return None
    return max(min(int(t), LLONG_MAX), -LLONG_MAX - 1)


def _fmt_save(v):
    return " ".join("%d %d" % p for p in v)


def _rewrite_save(cfg, d, state):
    if cfg.sentinel_mode:
        state.mark(d.name)
        return
    v = cfg.values[d.name]
    if not v:
        state.line(d.name, 'save ""', True)
    for secs, changes in v:
        state.line(d.name, "save %d %d" % (secs, changes), True)
    state.mark(d.name)


# Safe by default: Redis's compiled default is "* -::*" (all interfaces,
# guarded only by protected mode); redkeep binds loopback unless told
# otherwise, as the redis.conf Redis ships does.
DEFAULT_BIND = ["127.0.0.1", "-::1"]


def _parse_bind(cfg, args, old):
    if len(args) > 16:
        raise ConfigError("Too many bind addresses specified.")
    if len(args) == 1 and args[0] == "":
        return []
    return list(args)


def _rewrite_bind(cfg, d, state):
    v = cfg.values[d.name]
    if v == DEFAULT_BIND:
        state.mark(d.name)
        return
    state.line(d.name, "bind " + (" ".join(v) if v else '""'), True)


OBUF_CLASSES = ("normal", "replica", "pubsub")
_OBUF_NAMES = {"normal": "normal", "slave": "replica", "replica": "replica", "pubsub": "pubsub"}
DEFAULT_OBUF = {"normal": (0, 0, 0), "replica": (256 * MB, 64 * MB, 60), "pubsub": (32 * MB, 8 * MB, 60)}


def _parse_obuf(cfg, args, old):
    if len(args) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    new = dict(old)
    staged = {}
    for j in range(0, len(args), 4):
        cls = _OBUF_NAMES.get(args[j].lower())
        if cls is None:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        hard, soft = memtoull(args[j + 1]), memtoull(args[j + 2])
        secs = _strtol_full(args[j + 3]) if args[j + 3] else 0
        if hard is None or soft is None or secs is None or secs < 0:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        staged[cls] = (hard, soft, secs)
    new.update(staged)
    return new


def _fmt_obuf(v):
    return " ".join("%s %d %d %d" % ("slave" if c == "replica" else c, *v[c]) for c in OBUF_CLASSES)


def _rewrite_obuf(cfg, d, state):
    v = cfg.values[d.name]
    for c in OBUF_CLASSES:
        hard, soft, secs = v[c]
        line = "%s %s %s %s %d" % (d.name, c, format_memory(hard), format_memory(soft), secs)
        state.line(d.name, line, v[c] != DEFAULT_OBUF[c])


def _parse_oom_values(cfg, args, old):
    if len(args) != 3:
        raise ConfigError("wrong number of arguments")
    vals = []
    for a in args:
        x = _strtol_full(a)
        if x is None or x < -2000 or x > 2000:
            raise ConfigError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
        vals.append(x)
    return tuple(vals)


def _rewrite_oom_values(cfg, d, state):
    v = cfg.values[d.name]
    state.line(d.name, "%s %d %d %d" % (d.name, *v), v != d.default)


def _parse_notify(cfg, args, old):
    if len(args) != 1:
        raise ConfigError("wrong number of arguments")
    flags = notify_flags_from_string(args[0])
    if flags == -1:
        raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    return flags


def _rewrite_notify(cfg, d, state):
    v = cfg.values[d.name]
    state.line(d.name, "%s %s" % (d.name, sds_repr(notify_flags_to_string(v))), v != 0)


def _parse_replicaof(cfg, args, old):
    if len(args) != 2:
        raise ConfigError("wrong number of arguments")
    if args[0].lower() == "no" and args[1].lower() == "one":
        return None
    port = _strtol_full(args[1]) if args[1] else 0
    if port is None or port < 0 or port > 65535:
        raise ConfigError("Invalid master port")
    return (args[0], port)


def _fmt_replicaof(v):
    return "" if v is None else "%s %d" % v


def _rewrite_replicaof(cfg, d, state):
    v = cfg.values[d.name]
    if v is None or cfg.values["cluster-enabled"]:
        state.mark(d.name)
        return
    state.line(d.name, "%s %s %d" % (d.name, v[0], v[1]), True)


def _parse_dir(cfg, args, old):
    if len(args) != 1:
        raise ConfigError("wrong number of arguments")
    try:
        os.chdir(args[0])
    except OSError as e:
        raise ConfigError(os.strerror(e.errno)) from None
    return os.getcwd()


def _restore_dir(cfg, old):
    if old:
        try:
            os.chdir(old)
        except OSError:
            pass


def _fmt_dir(v):
    try:
        return os.getcwd()
    except OSError:
        return ""


def _rewrite_dir(cfg, d, state):
    try:
        cwd = os.getcwd()
    except OSError:
        state.mark(d.name)
        return
    state.line(d.name, "%s %s" % (d.name, sds_repr(cwd)), True)


def _parse_percentiles(cfg, args, old):
    if len(args) == 1 and args[0] == "":
        return []
    out = []
    for a in args:
        p = _string2d(a)
        if p is None:
            raise ConfigError("Invalid latency-tracking-info-percentiles parameters")
        if p > 100.0 or p < 0.0:
            raise ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
        out.append(p)
    return out


def _string2d(s: str) -> float | None:
    """Redis's string2d: strtod over the whole string, no leading space, no nan."""
    if not s or s[0].isspace():
        return None
    try:
        v = float(s)
    except ValueError:
        return None
    if math.isnan(v) or "_" in s:
        return None
    return v


def _fmt_percentile(p: float) -> str:
    s = "%f" % p
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _fmt_percentiles(v):
    return " ".join(_fmt_percentile(p) for p in v)


def _rewrite_percentiles(cfg, d, state):
    v = cfg.values[d.name]
    line = d.name + (" " + _fmt_percentiles(v) if v else ' ""')
    state.line(d.name, line, True)


# -- validators (config.c's is_valid functions) ------------------------------------------

def _basename_only(what: str, noun: str, allow_empty: bool):
    def check(v):
        if not allow_empty and v == "":
            return f"{what} can't be empty"
        if "/" in v:
            return f"{what} can't be a path, just a {noun}"
        return None
    return check


def _valid_hostname(v):
    if len(v) >= 46:  # NET_HOST_STR_LEN
        return "Hostnames must be less than 46 characters"
    for ch in v:
        if not (ch.isascii() and (ch.isalnum() or ch in "-.")):
            return "Hostnames may only contain alphanumeric characters, hyphens or dots"
    return None


_TITLE_VARS = {"title": "", "listen-addr": "*:6379", "server-mode": "", "config-file": "-",
               "port": "6379", "tls-port": "0", "unixsocket": ""}


def _valid_proc_title(v):
    """sdstemplate expansion must succeed and not be blank."""
    out = []
    i = 0
    while i < len(v):
        j = v.find("{", i)
        if j < 0:
            out.append(v[i:])
            break
        out.append(v[i:j])
        if j + 1 >= len(v):
            return "template format is invalid or contains unknown variables"
        if v[j + 1] == "{":
            out.append("{")
            i = j + 2
            continue
        k = v.find("}", j + 1)
        if k < 0 or v[j + 1:k] not in _TITLE_VARS:
            return "template format is invalid or contains unknown variables"
        out.append(_TITLE_VARS[v[j + 1:k]])
        i = k + 1
    if not "".join(out).strip(" "):
        return "template format is invalid or contains unknown variables"
    return None


def _no_active_defrag(v):
    if v:
        return ("Active defragmentation cannot be enabled: it requires a Redis server compiled with a "
                "modified Jemalloc like the one shipped by default with the Redis source distribution")
    return None


_SHUTDOWN_SAVE, _SHUTDOWN_NOSAVE, _SHUTDOWN_NOW, _SHUTDOWN_FORCE = 1, 2, 4, 8


def _valid_shutdown_flags(v):
    if v & _SHUTDOWN_SAVE and v & _SHUTDOWN_NOSAVE:
        return "shutdown options SAVE and NOSAVE can't be used simultaneously"
    return None


def _clamp_hz(v):
    return min(max(v, 1), 500)  # CONFIG_MIN_HZ..CONFIG_MAX_HZ, a hint more than a bound


# -- enums --------------------------------------------------------------------------------

def _enum(*names):
    return [(n, i) for i, n in enumerate(names)]


LOGLEVELS = [("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)]
MAXMEMORY_POLICIES = [("volatile-lru", 1), ("volatile-lfu", 2), ("volatile-random", 3), ("volatile-ttl", 4),
                      ("allkeys-lru", 5), ("allkeys-lfu", 6), ("allkeys-random", 7), ("noeviction", 8)]
SHUTDOWN_ON_SIG = [("default", 0), ("save", _SHUTDOWN_SAVE), ("nosave", _SHUTDOWN_NOSAVE),
                   ("now", _SHUTDOWN_NOW), ("force", _SHUTDOWN_FORCE)]
SYSLOG_FACILITIES = _enum("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")
PROTECTED_ACTION = _enum("no", "yes", "local")


# -- table builders ---------------------------------------------------------------------

def B(name, default, alias=None, imm=False, **kw):
    return Directive(name, "bool", default, aliases=[alias] if alias else (), mutable=not imm, **kw)


def N(name, lo, hi, default, alias=None, imm=False, **kw):
    return Directive(name, "int", default, aliases=[alias] if alias else (), mutable=not imm, lo=lo, hi=hi, **kw)


def U(name, lo, hi, default, alias=None, imm=False, **kw):
    """Unsigned C types (unsigned int, size_t, unsigned long long): bounds checked unsigned."""
    return N(name, lo, hi, default, alias, imm, unsigned=True, **kw)


def S(name, default, alias=None, imm=False, null=True, **kw):
    """String; ``null``: an empty value means unset (EMPTY_STRING_IS_NULL)."""
    return Directive(name, "string", "" if default is None else default, aliases=[alias] if alias else (),
                     mutable=not imm, null_empty=null, **kw)


def E(name, choices, default, alias=None, imm=False, **kw):
    return Directive(name, "enum", default, aliases=[alias] if alias else (), mutable=not imm,
                     choices=choices, **kw)


def X(name, default, parse, fmt, rewrite, alias=None, imm=False, multi=True, **kw):
    return Directive(name, "special", default, aliases=[alias] if alias else (), mutable=not imm,
                     parse=parse, fmt=fmt, rewrite=rewrite, multi=multi, **kw)


TABLE = [
    # bool
    B("rdbchecksum", True, imm=True),
    B("daemonize", False, imm=True),
    B("io-threads-do-reads", False, imm=True),
    B("always-show-logo", False, imm=True),
    B("protected-mode", True),
    B("rdbcompression", True),
    B("rdb-del-sync-files", False),
    B("activerehashing", True),
    B("stop-writes-on-bgsave-error", True),
    B("set-proc-title", True, imm=True),
    B("dynamic-hz", True),
    B("lazyfree-lazy-eviction", False),
    B("lazyfree-lazy-expire", False),
    B("lazyfree-lazy-server-del", False),
    B("lazyfree-lazy-user-del", False),
    B("lazyfree-lazy-user-flush", False),
    B("repl-disable-tcp-nodelay", False),
    B("repl-diskless-sync", True),
    B("aof-rewrite-incremental-fsync", True),
    B("no-appendfsync-on-rewrite", False),
    B("cluster-require-full-coverage", True),
    B("rdb-save-incremental-fsync", True),
    B("aof-load-truncated", True),
    B("aof-use-rdb-preamble", True),
    B("aof-timestamp-enabled", False),
    B("cluster-replica-no-failover", False, "cluster-slave-no-failover"),
    B("replica-lazy-flush", False, "slave-lazy-flush"),
    B("replica-serve-stale-data", True, "slave-serve-stale-data"),
    B("replica-read-only", True, "slave-read-only"),
    B("replica-ignore-maxmemory", True, "slave-ignore-maxmemory"),
    B("jemalloc-bg-thread", True),
    B("activedefrag", False, validate=_no_active_defrag),
    B("syslog-enabled", False, imm=True),
    B("cluster-enabled", False, imm=True),
    B("appendonly", False, deny_loading=True),
    B("cluster-allow-reads-when-down", False),
    B("cluster-allow-pubsubshard-when-down", True),
    B("crash-log-enabled", True),
    B("crash-memcheck-enabled", True),
    B("use-exit-on-panic", False, hidden=True),
    B("disable-thp", True, imm=True),
    B("cluster-allow-replica-migration", True),
    B("replica-announced", True),
    # redkeep only: a replica holding keys refuses a full resync that would
    # replace them with the empty dataset of a primary that restarted without
    # its data (redis#2087); REPLICAOF again or "no" here accepts it.
    B("replica-refuse-empty-master-sync", True, hidden=True),
    B("latency-tracking", True),
    B("aof-disable-auto-gc", False),
    B("replica-ignore-disk-write-errors", False),
    # strings
    S("aclfile", "", imm=True, null=False),
    S("unixsocket", None, imm=True),
    S("pidfile", None, imm=True),
    S("replica-announce-ip", None, "slave-announce-ip"),
    S("masteruser", None, sensitive=True),
    S("cluster-announce-ip", None),
    S("cluster-config-file", "nodes.conf", imm=True, null=False),
    S("cluster-announce-hostname", None, validate=_valid_hostname),
    S("syslog-ident", "redis", imm=True, null=False),
    S("dbfilename", "dump.rdb", null=False, protected=True,
      validate=_basename_only("dbfilename", "filename", True)),
    S("appendfilename", "appendonly.aof", imm=True, null=False,
      validate=_basename_only("appendfilename", "filename", False)),
    S("appenddirname", "appendonlydir", imm=True, null=False,
      validate=_basename_only("appenddirname", "dirname", False)),
    S("server_cpulist", None, imm=True),
    S("bio_cpulist", None, imm=True),
    S("aof_rewrite_cpulist", None, imm=True),
    S("bgsave_cpulist", None, imm=True),
    S("ignore-warnings", "", null=False),
    S("proc-title-template", "{title} {listen-addr} {server-mode}", null=False, validate=_valid_proc_title),
    S("bind-source-addr", None),
    S("logfile", "", imm=True, null=False),
    S("masterauth", None, sensitive=True),
    S("requirepass", None, sensitive=True),
    # enums
    E("supervised", [("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)], "no", imm=True),
    E("syslog-facility", SYSLOG_FACILITIES, "local0", imm=True),
    E("repl-diskless-load", _enum("disabled", "on-empty-db", "swapdb"), "disabled", deny_loading=True),
    E("loglevel", LOGLEVELS, "notice"),
    E("maxmemory-policy", MAXMEMORY_POLICIES, "noeviction"),
    E("appendfsync", [("everysec", 2), ("always", 1), ("no", 0)], "everysec"),
    E("oom-score-adj", [("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)], "no"),
    E("acl-pubsub-default", [("allchannels", 1), ("resetchannels", 0)], "resetchannels"),
    E("sanitize-dump-payload", _enum("no", "yes", "clients"), "no"),
    E("enable-protected-configs", PROTECTED_ACTION, "no", imm=True),
    E("enable-debug-command", PROTECTED_ACTION, "no", imm=True),
    E("enable-module-command", PROTECTED_ACTION, "no", imm=True),
    E("cluster-preferred-endpoint-type", _enum("ip", "hostname", "unknown-endpoint"), "ip"),
    E("propagation-error-behavior", _enum("ignore", "panic", "panic-on-replicas"), "ignore"),
    E("shutdown-on-sigint", SHUTDOWN_ON_SIG, "default", multi=True, validate=_valid_shutdown_flags),
    E("shutdown-on-sigterm", SHUTDOWN_ON_SIG, "default", multi=True, validate=_valid_shutdown_flags),
    # int
    N("databases", 1, INT_MAX, 16, imm=True),
    N("port", 0, 65535, 6379),
    N("io-threads", 1, 128, 1, imm=True),
    N("auto-aof-rewrite-percentage", 0, INT_MAX, 100),
    N("cluster-replica-validity-factor", 0, INT_MAX, 10, "cluster-slave-validity-factor"),
    N("list-max-listpack-size", INT_MIN, INT_MAX, -2, "list-max-ziplist-size"),
    N("tcp-keepalive", 0, INT_MAX, 300),
    N("cluster-migration-barrier", 0, INT_MAX, 1),
    N("active-defrag-cycle-min", 1, 99, 1),
    N("active-defrag-cycle-max", 1, 99, 25),
    N("active-defrag-threshold-lower", 0, 1000, 10),
    N("active-defrag-threshold-upper", 0, 1000, 100),
    N("lfu-log-factor", 0, INT_MAX, 10),
    N("lfu-decay-time", 0, INT_MAX, 1),
    N("replica-priority", 0, INT_MAX, 100, "slave-priority"),
    N("repl-diskless-sync-delay", 0, INT_MAX, 5),
    N("maxmemory-samples", 1, INT_MAX, 5),
    N("maxmemory-eviction-tenacity", 0, 100, 10),
    N("timeout", 0, INT_MAX, 0),
    N("replica-announce-port", 0, 65535, 0, "slave-announce-port"),
    N("tcp-backlog", 0, INT_MAX, 511, imm=True),
    N("cluster-port", 0, 65535, 0, imm=True),
    N("cluster-announce-bus-port", 0, 65535, 0),
    N("cluster-announce-port", 0, 65535, 0),
    N("cluster-announce-tls-port", 0, 65535, 0),
    N("repl-timeout", 1, INT_MAX, 60),
    N("repl-ping-replica-period", 1, INT_MAX, 10, "repl-ping-slave-period"),
    N("list-compress-depth", 0, INT_MAX, 0),
    N("rdb-key-save-delay", INT_MIN, INT_MAX, 0, hidden=True),
    N("key-load-delay", INT_MIN, INT_MAX, 0, hidden=True),
    N("active-expire-effort", 1, 10, 1),
    N("hz", 0, INT_MAX, 10, normalize=_clamp_hz),
    N("min-replicas-to-write", 0, INT_MAX, 0, "min-slaves-to-write"),
    N("min-replicas-max-lag", 0, INT_MAX, 10, "min-slaves-max-lag"),
    N("watchdog-period", 0, INT_MAX, 0, hidden=True),
    N("shutdown-timeout", 0, INT_MAX, 10),
    N("repl-diskless-sync-max-replicas", 0, INT_MAX, 0),
    U("maxclients", 1, UINT_MAX, 10000),
    U("unixsocketperm", 0, 0o777, 0, imm=True, octal=True),
    U("socket-mark-id", 0, UINT_MAX, 0, imm=True),
    N("active-defrag-max-scan-fields", 1, LONG_MAX, 1000),
    N("slowlog-max-len", 0, LONG_MAX, 128),
    N("acllog-max-len", 0, LONG_MAX, 128),
    N("busy-reply-threshold", 0, LONG_MAX, 5000, "lua-time-limit"),
    N("cluster-node-timeout", 0, LLONG_MAX, 15000),
    N("slowlog-log-slower-than", -1, LLONG_MAX, 10000),
    N("latency-monitor-threshold", 0, LLONG_MAX, 0),
    N("proto-max-bulk-len", MB, LONG_MAX, 512 * MB, memory=True),
    N("stream-node-max-entries", 0, LLONG_MAX, 100),
    N("repl-backlog-size", 1, LLONG_MAX, MB, memory=True),
    U("maxmemory", 0, ULLONG_MAX, 0, memory=True),
    U("cluster-link-sendbuf-limit", 0, ULLONG_MAX, 0, memory=True),
    U("hash-max-listpack-entries", 0, LONG_MAX, 512, "hash-max-ziplist-entries"),
    U("set-max-intset-entries", 0, LONG_MAX, 512),
    U("zset-max-listpack-entries", 0, LONG_MAX, 128, "zset-max-ziplist-entries"),
    U("active-defrag-ignore-bytes", 1, LLONG_MAX, 100 * MB, memory=True),
    U("hash-max-listpack-value", 0, LONG_MAX, 64, "hash-max-ziplist-value", memory=True),
    U("stream-node-max-bytes", 0, LONG_MAX, 4096, memory=True),
    U("zset-max-listpack-value", 0, LONG_MAX, 64, "zset-max-ziplist-value", memory=True),
    U("hll-sparse-max-bytes", 0, LONG_MAX, 3000, memory=True),
    U("tracking-table-max-keys", 0, LONG_MAX, 1000000),
    U("client-query-buffer-limit", MB, LONG_MAX, 1024 * MB, memory=True),
    N("maxmemory-clients", -100, SSIZE_MAX, 0, memory=True, percent=True),
    N("repl-backlog-ttl", 0, LONG_MAX, 3600),
    N("auto-aof-rewrite-min-size", 0, LLONG_MAX, 64 * MB, memory=True),
    N("loading-process-events-interval-bytes", 1024, INT_MAX, 2 * MB, hidden=True),
    # TLS (Redis built with USE_OPENSSL, as the reference binary is)
    N("tls-port", 0, 65535, 0),
    N("tls-session-cache-size", 0, INT_MAX, 20 * 1024),
    N("tls-session-cache-timeout", 0, INT_MAX, 300),
    B("tls-cluster", False),
    B("tls-replication", False),
    E("tls-auth-clients", [("no", 0), ("yes", 1), ("optional", 2)], "yes"),
    B("tls-prefer-server-ciphers", False),
    B("tls-session-caching", True),
    S("tls-cert-file", None),
    S("tls-key-file", None),
    S("tls-key-file-pass", None),
    S("tls-client-cert-file", None),
    S("tls-client-key-file", None),
    S("tls-client-key-file-pass", None),
    S("tls-dh-params-file", None),
    S("tls-ca-cert-file", None),
    S("tls-ca-cert-dir", None),
    S("tls-protocols", None),
    S("tls-ciphers", None),
    S("tls-ciphersuites", None),
    # special
    X("dir", "", _parse_dir, _fmt_dir, _rewrite_dir, multi=False, protected=True, deny_loading=True,
      restore=_restore_dir),
    X("save", [(3600, 1), (300, 100), (60, 10000)], _parse_save, _fmt_save, _rewrite_save),
    X("client-output-buffer-limit", DEFAULT_OBUF, _parse_obuf, _fmt_obuf, _rewrite_obuf),
    X("oom-score-adj-values", (0, 200, 800), _parse_oom_values, lambda v: "%d %d %d" % v, _rewrite_oom_values),
    X("notify-keyspace-events", 0, _parse_notify, notify_flags_to_string, _rewrite_notify, multi=False),
    X("bind", DEFAULT_BIND, _parse_bind, " ".join, _rewrite_bind),
    X("replicaof", None, _parse_replicaof, _fmt_replicaof, _rewrite_replicaof, alias="slaveof", imm=True),
    X("latency-tracking-info-percentiles", [50.0, 99.0, 99.9], _parse_percentiles, _fmt_percentiles,
      _rewrite_percentiles),
]

# What redkeep does not do (yet): accepted, shown by CONFIG GET, no effect.
NOT_IMPLEMENTED = frozenset([
    "io-threads", "io-threads-do-reads", "always-show-logo", "set-proc-title", "proc-title-template",
    "jemalloc-bg-thread", "activedefrag", "active-defrag-cycle-min", "active-defrag-cycle-max",
    "active-defrag-threshold-lower", "active-defrag-threshold-upper", "active-defrag-max-scan-fields",
    "active-defrag-ignore-bytes", "syslog-enabled", "syslog-ident", "syslog-facility", "supervised",
    "server_cpulist", "bio_cpulist", "aof_rewrite_cpulist", "bgsave_cpulist", "disable-thp",
    "crash-log-enabled", "crash-memcheck-enabled", "use-exit-on-panic", "oom-score-adj", "oom-score-adj-values",
    "socket-mark-id", "bind-source-addr", "enable-module-command", "ignore-warnings", "tracking-table-max-keys",
    "latency-tracking", "latency-tracking-info-percentiles", "maxmemory-clients", "lfu-log-factor",
    "lfu-decay-time", "watchdog-period", "key-load-delay", "rdb-key-save-delay",
    "loading-process-events-interval-bytes", "cluster-link-sendbuf-limit", "unixsocketperm",
] + [d.name for d in TABLE if d.name.startswith(("cluster-", "tls-"))])

for _d in TABLE:
    if _d.name in NOT_IMPLEMENTED:
        _d.implemented = False

# Deprecated directives Redis 7.0 still swallows in a redis.conf: name -> (min argc, max argc).
DEPRECATED = {"list-max-ziplist-entries": (2, 2), "list-max-ziplist-value": (2, 2),
              "lua-replicate-commands": (2, 2)}

__all__ = ["TABLE", "DEPRECATED", "NOT_IMPLEMENTED", "DEFAULT_BIND", "DEFAULT_OBUF", "OBUF_CLASSES",
           "notify_flags_from_string", "notify_flags_to_string"]
