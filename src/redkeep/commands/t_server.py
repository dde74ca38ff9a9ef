"""Server administration: TIME, LASTSAVE, SHUTDOWN, MONITOR, SLOWLOG, LATENCY,
MEMORY, ROLE.  Mirrors the corresponding parts of Redis's ``server.c``,
``replication.c`` (MONITOR feed, ROLE), ``slowlog.c``, ``latency.c`` and
``object.c`` (MEMORY).

The latency monitor records no events (redkeep has no latency sampling), so
LATENCY answers like an idle Redis; MEMORY figures are estimates of Python
object sizes, not allocator counts.
"""

from __future__ import annotations

import sys
import time

from ..config import sds_repr_bytes
from ..errors import CommandError, SYNTAX
from ..keyspace import RHash, RList, RSet
from ..resp import EMPTY_ARRAY, OK, array_header, bulk, bulk_array, integer
from .t_client import help_reply
from .table import command
from .util import is_strict_int


@command("time")
def time_(c, argv):
    us = time.time_ns() // 1000
    return bulk_array([b"%d" % (us // 1_000_000), b"%d" % (us % 1_000_000)])


@command("lastsave")
def lastsave(c, argv):
    return integer(c.server.lastsave)


# -- SHUTDOWN -----------------------------------------------------------------------

@command("shutdown")
def shutdown(c, argv):
    nosave = save = now = force = abort = False
    for a in argv[1:]:
        o = a.lower()
        if o == b"nosave":
            nosave = True
        elif o == b"save":
            save = True
        elif o == b"now":
            now = True
        elif o == b"force":
            force = True
        elif o == b"abort":
            abort = True
        else:
            raise CommandError(SYNTAX)
    if (abort and (nosave or save or now or force)) or (nosave and save):
        raise CommandError(SYNTAX)
    server = c.server
    if abort:
        # Shutdown never waits for lagging replicas here, so none is pending.
        raise CommandError("ERR No shutdown in progress.")
    if not server.prepare_shutdown(nosave, save) and not force:
        raise CommandError("ERR Errors trying to SHUTDOWN. Check logs.")
    server.finish_shutdown()
    return None


# -- MONITOR ------------------------------------------------------------------------

@command("monitor")
def monitor(c, argv):
    server = c.server
    if c in server.monitors or c.is_replica:
        return None  # already a monitor or a replica: ignored, no reply
    c.monitor = True
    server.monitors.append(c)
    return OK


def _redacted(argv) -> list:
    """AUTH and HELLO ... AUTH passwords never reach MONITOR output."""
    name = argv[0].lower()
    if name == b"auth":
        return argv[:1] + [b"(redacted)"] * (len(argv) - 1)
    if name == b"hello":
        argv = list(argv)
        for i in range(2, len(argv)):
            if argv[i].lower() == b"auth" and i + 2 < len(argv):
                argv[i + 1] = argv[i + 2] = b"(redacted)"
        return argv
    return argv


def monitor_line(server, c, argv) -> bytes:
    """replicationFeedMonitors: '+<sec>.<usec> [<db> <peer>] "arg" ...\\r\\n'."""
    us = time.time_ns() // 1000
    if c.laddr.startswith("/"):
        who = "unix:" + c.laddr
    elif getattr(c, "is_script", False):
        who = "lua"
    else:
        who = c.addr
    head = b"+%d.%06d [%d %s] " % (us // 1_000_000, us % 1_000_000, c.db.id, who.encode())
    return head + b" ".join(sds_repr_bytes(a) for a in _redacted(argv)) + b"\r\n"


# -- SLOWLOG --------------------------------------------------------------------------

@command("slowlog|get")
def slowlog_get(c, argv):
    server = c.server
    count = 10
    if len(argv) == 3:
        a = argv[2]
        if not is_strict_int(a) or int(a) < -1:
            raise CommandError("ERR count should be greater than or equal to -1")
        count = int(a)
        if count == -1:
            count = len(server.slowlog)
    elif len(argv) > 3:
        raise CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try SLOWLOG HELP."
                           % argv[1].decode("utf-8", "replace"))
    entries = list(server.slowlog)[:count]
    out = [array_header(len(entries))]
    for eid, ts, usec, args, addr, name in entries:
        out.append(b"*6\r\n")
        out.append(integer(eid))
        out.append(integer(ts))
        out.append(integer(usec))
        out.append(bulk_array(args))
        out.append(bulk(addr))
        out.append(bulk(name))
    return b"".join(out)


@command("slowlog|len")
def slowlog_len(c, argv):
    return integer(len(c.server.slowlog))


@command("slowlog|reset")
def slowlog_reset(c, argv):
    c.server.slowlog.clear()
    return OK


_SLOWLOG_HELP = help_reply([
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
])


@command("slowlog|help")
def slowlog_help(c, argv):
    return _SLOWLOG_HELP


# -- LATENCY --------------------------------------------------------------------------

@command("latency|latest")
def latency_latest(c, argv):
    return EMPTY_ARRAY


@command("latency|history")
def latency_history(c, argv):
    return EMPTY_ARRAY


@command("latency|reset")
def latency_reset(c, argv):
    return integer(0)


@command("latency|graph")
def latency_graph(c, argv):
    raise CommandError("ERR No samples available for event '%s'" % argv[2].decode("utf-8", "replace"))


_DOCTOR_DISABLED = (
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may "
    "use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't "
    "in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
).encode()
_DOCTOR_IDLE = (
    "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the "
    "slightest bit. I honestly think you ought to sleep tonight.\n"
).encode()


@command("latency|doctor")
def latency_doctor(c, argv):
    threshold = c.server.config.get("latency-monitor-threshold", 0)
    return c.r.verbatim(_DOCTOR_IDLE if threshold else _DOCTOR_DISABLED)


@command("latency|histogram")
def latency_histogram(c, argv):
    """Per command: calls and a one-bucket histogram at the mean latency
    (the dispatcher keeps totals, not per-call samples)."""
    from .t_command import lookup_by_name
    from .t_info import commands_with_stats
    server = c.server
    if len(argv) == 2:
        cmds = [x for x in commands_with_stats(server) if x.calls]
    else:
        cmds = []
        for name in argv[2:]:
            x = lookup_by_name(server, name)
            if x is not None and x.calls and x not in cmds:
                cmds.append(x)
    r = c.r
    out = [r.map_header(len(cmds))]
    for x in cmds:
        mean = max(x.usec // x.calls, 1)
        bucket = 1 << (mean - 1).bit_length()
        out.append(bulk(x.fullname.encode()))
        out.append(r.map_header(2))
        out.append(b"$5\r\ncalls\r\n" + integer(x.calls))
        out.append(b"$14\r\nhistogram_usec\r\n" + r.map_header(1) + integer(bucket) + integer(x.calls))
    return b"".join(out)


_LATENCY_HELP = help_reply([
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
])


@command("latency|help")
def latency_help(c, argv):
    return _LATENCY_HELP


# -- MEMORY ---------------------------------------------------------------------------

_getsizeof = sys.getsizeof
_DICT_ENTRY = 24  # a key's slot in the keyspace dict (hash, key, value pointers)


def value_size(v, samples: int) -> int:
    """objectComputeSize: the container plus its elements, sampling the first
    ``samples`` elements and extrapolating to the rest (0 = all)."""
    size = _getsizeof(v)
    if type(v) is bytes:
        return size
    n = len(v) if hasattr(v, "__len__") else 0
    if not n:
        return size
    limit = n if samples <= 0 else min(samples, n)
    elems = 0
    taken = 0
    if isinstance(v, RHash) or isinstance(v, dict):
        for k, val in v.items():
            elems += _getsizeof(k) + _getsizeof(val)
            taken += 1
            if taken >= limit:
                break
    elif isinstance(v, (RList, RSet)):
        for e in v:
            elems += _getsizeof(e)
            taken += 1
            if taken >= limit:
                break
    else:
        members = getattr(v, "dict", None)
        if isinstance(members, dict):
            # the member dict's table and the ordered index (ZIndex reports
            # its nodes), then per element the member and its score float
            size += _getsizeof(members) + _getsizeof(v.sl)
            for k, score in members.items():
                elems += _getsizeof(k) + _getsizeof(score)
                taken += 1
                if taken >= limit:
                    break
        else:
            payload = getattr(v, "payload", None)
            return size + (len(payload) if payload is not None else 0)
    if taken:
        size += elems * n // taken
    return size


@command("memory|usage")
def memory_usage(c, argv):
    samples = 5
    j = 3
    n = len(argv)
    while j < n:
        if argv[j].lower() == b"samples" and j + 1 < n:
            if not is_strict_int(argv[j + 1]):
                raise CommandError("ERR value is not an integer or out of range")
            samples = int(argv[j + 1])
            if samples < 0:
                raise CommandError(SYNTAX)
            j += 2
        else:
            raise CommandError(SYNTAX)
    key = argv[2]
    v = c.db.data.get(key)
    if v is None:
        return c.r.null
    return integer(value_size(v, samples) + _getsizeof(key) + _DICT_ENTRY)


@command("memory|stats")
def memory_stats(c, argv):
    from .t_info import memory_figures
    server = c.server
    m = memory_figures(server)
    r = c.r
    used, rss, startup = m["used"], m["rss"], m["startup"]
    pairs = [
        ("peak.allocated", integer(m["peak"])),
        ("total.allocated", integer(used)),
        ("startup.allocated", integer(startup)),
        ("replication.backlog", integer(getattr(server, "mem_replication_backlog", 0))),
        ("clients.slaves", integer(getattr(server, "mem_clients_slaves", 0))),
        ("clients.normal", integer(sum(x.output_size() + x.parser.buffered() for x in server.clients.values()))),
        ("cluster.links", integer(0)),
        ("aof.buffer", integer(getattr(server, "mem_aof_buffer", 0))),
        ("lua.caches", integer(0)),
        ("functions.caches", integer(0)),
    ]
    keys = 0
    for db in server.dbs:
        if not db.data:
            continue
        keys += len(db.data)
        sub = (r.map_header(3)
               + bulk(b"overhead.hashtable.main") + integer(_getsizeof(db.data))
               + bulk(b"overhead.hashtable.expires") + integer(_getsizeof(db.expires) if db.expires else 0)
               + bulk(b"overhead.hashtable.slot-to-keys") + integer(0))
        pairs.append(("db.%d" % db.id, sub))
    overhead = m["overhead"]
    dataset = m["dataset"]
    net = used - startup
    pairs += [
        ("overhead.total", integer(overhead)),
        ("keys.count", integer(keys)),
        ("keys.bytes-per-key", integer(net // keys if keys else 0)),
        ("dataset.bytes", integer(dataset)),
        ("dataset.percentage", r.double(dataset * 100.0 / net if net > 0 else 0.0)),
        ("peak.percentage", r.double(used * 100.0 / m["peak"] if m["peak"] else 0.0)),
        ("allocator.allocated", integer(used)),
        ("allocator.active", integer(rss)),
        ("allocator.resident", integer(rss)),
        ("allocator-fragmentation.ratio", r.double(rss / used if used else 0.0)),
        ("allocator-fragmentation.bytes", integer(rss - used)),
        ("allocator-rss.ratio", r.double(1.0)),
        ("allocator-rss.bytes", integer(0)),
        ("rss-overhead.ratio", r.double(1.0)),
        ("rss-overhead.bytes", integer(0)),
        ("fragmentation", r.double(rss / used if used else 0.0)),
        ("fragmentation.bytes", integer(rss - used)),
    ]
    return r.map_header(len(pairs)) + b"".join(bulk(k.encode()) + v for k, v in pairs)


_MEMORY_EMPTY = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in "
    "these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I "
    "will be back to our programming as soon as I finished rebooting.\n").encode()
_MEMORY_FINE = (
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this "
    "base.\n").encode()


@command("memory|doctor")
def memory_doctor(c, argv):
    empty = not any(db.data for db in c.server.dbs)
    return c.r.verbatim(_MEMORY_EMPTY if empty else _MEMORY_FINE)


@command("memory|malloc-stats")
def memory_malloc_stats(c, argv):
    return c.r.verbatim(b"Stats not supported for the current allocator")


@command("memory|purge")
def memory_purge(c, argv):
    import gc
    gc.collect()
    return OK


_MEMORY_HELP = help_reply([
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
])


@command("memory|help")
def memory_help(c, argv):
    return _MEMORY_HELP


# -- ROLE -----------------------------------------------------------------------------

@command("role")
def role(c, argv):
    """The master form until replication publishes its state on the server:
    ``replica_of`` (host, port), ``repl_state`` and ``repl_offset`` for a
    replica; ``online_replicas`` [(ip, port, offset)] for a master."""
    server = c.server
    repl = getattr(server, "repl", None)
    if repl is not None:
        return repl.role_reply(c)
    if server.replica_of is not None:
        host, port = server.replica_of
        state = getattr(server, "repl_state", "connect")
        offset = getattr(server, "repl_offset", -1) if state == "connected" else -1
        return (b"*5\r\n$5\r\nslave\r\n" + bulk(str(host).encode()) + integer(int(port))
                + bulk(state.encode()) + integer(offset))
    replicas = getattr(server, "online_replicas", None)
    replicas = replicas() if callable(replicas) else (replicas or [])
    out = [b"*3\r\n$6\r\nmaster\r\n", integer(getattr(server, "master_repl_offset", 0)), array_header(len(replicas))]
    for ip, port, offset in replicas:
        out.append(bulk_array([str(ip).encode(), b"%d" % port, b"%d" % offset]))
    return b"".join(out)
