"""The directive table (Redis 7.0 defaults).  See config.py for the machinery.

Directives of features redkeep does not have yet are accepted (implemented=False)
where Redis accepts them, so that a user's redis.conf loads unchanged.
"""

from __future__ import annotations

from .config import ConfigError, Directive as D, parse_memory


def _parse_save(args):
    # 'save ""' (one empty arg) disables; else pairs of <seconds> <changes>.
    if len(args) == 1 and args[0] == "":
        return []
    if len(args) % 2:
        raise ConfigError("Invalid save parameters")
    out = []
    for i in range(0, len(args), 2):
        try:
            secs, changes = int(args[i]), int(args[i + 1])
        except ValueError:
            raise ConfigError("Invalid save parameters") from None
        if secs < 1 or changes < 0:
            raise ConfigError("Invalid save parameters")
        out.append((secs, changes))
    return out


def _fmt_save(v):
    return " ".join(f"{s} {c}" for s, c in v)


def _parse_bind(args):
    if not args:
        raise ConfigError("wrong number of arguments")
    return list(args)


TABLE = [
    D("port", "int", 6379, lo=0, hi=65535),
    D("bind", "special", ["127.0.0.1", "-::1"], parse=_parse_bind, fmt=" ".join),
    D("protected-mode", "bool", True),
    D("requirepass", "string", "", sensitive=True),
    D("databases", "int", 16, lo=1, mutable=False),
    D("hz", "int", 10, lo=1, hi=500),
    D("timeout", "int", 0, lo=0),
    D("tcp-keepalive", "int", 300, lo=0),
    D("tcp-backlog", "int", 511, lo=0, mutable=False),
    D("maxclients", "int", 10000, lo=1),
    D("loglevel", "enum", "notice", choices=["debug", "verbose", "notice", "warning", "nothing"]),
    D("logfile", "string", "", mutable=False),
    D("daemonize", "bool", False, mutable=False),
    D("pidfile", "string", "", mutable=False),
    D("dir", "string", "", parse=None),
    D("dbfilename", "string", "dump.rdb"),
    D("save", "special", [(3600, 1), (300, 100), (60, 10000)], parse=_parse_save, fmt=_fmt_save),
    D("proto-max-bulk-len", "memory", 512 * 1024 * 1024, lo=1024 * 1024),
    D("client-query-buffer-limit", "memory", 1024 * 1024 * 1024, lo=1024 * 1024),
    D("slowlog-log-slower-than", "int", 10000),
    D("slowlog-max-len", "int", 128, lo=0),
    D("latency-monitor-threshold", "int", 0, lo=0),
    D("hash-max-listpack-entries", "memory", 512, aliases=["hash-max-ziplist-entries"]),
    D("hash-max-listpack-value", "memory", 64, aliases=["hash-max-ziplist-value"]),
    D("set-max-intset-entries", "memory", 512),
    D("zset-max-listpack-entries", "memory", 128, aliases=["zset-max-ziplist-entries"]),
    D("zset-max-listpack-value", "memory", 64, aliases=["zset-max-ziplist-value"]),
    D("list-max-listpack-size", "int", -2, aliases=["list-max-ziplist-size"]),
    D("list-compress-depth", "int", 0, lo=0),
    D("lazyfree-lazy-expire", "bool", False),
    D("lazyfree-lazy-user-del", "bool", False),
    D("lazyfree-lazy-user-flush", "bool", False),
    D("replica-read-only", "bool", True, aliases=["slave-read-only"]),
    D("appendonly", "bool", False),
]
