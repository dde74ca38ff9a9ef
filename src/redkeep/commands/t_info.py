"""INFO.  Mirrors Redis 7.0's ``genRedisInfoString`` (server.c): the same
sections, in the same order, with the same field names and layout.

Each section is a renderer over server attributes.  Subsystems that are not
always present (persistence, replication) publish their figures as attributes
of the Server, read here with Redis's idle defaults, and may also:

* ``register_section(name, fn)``: replace a section's lines (fn(server) -> [str]),
  e.g. the replica form of ``# Replication``;
* ``register_extra(name, fn)``: append lines to a section, e.g. the ``aof_*``
  fields that appear only while AOF is on.

Figures are honest: used_memory is what the allocators hold beyond the
interpreter's own start-up footprint (zmalloc.py), RSS is RSS, CPU is
getrusage, counters are the server's own.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time

from .. import REDIS_VERSION, __version__, boot
from .table import command

DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                    "modules", "errorstats", "cluster", "keyspace")
ALL_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace")
_TITLES = {"server": "Server", "clients": "Clients", "memory": "Memory", "persistence": "Persistence",
           "stats": "Stats", "replication": "Replication", "cpu": "CPU", "modules": "Modules",
           "commandstats": "Commandstats", "errorstats": "Errorstats", "latencystats": "Latencystats",
           "cluster": "Cluster", "keyspace": "Keyspace"}

_overrides: dict = {}
_extras: dict = {}


def _record_startup_memory(server) -> None:
    if not getattr(server, "mem_startup", 0):  # boot records it before the dataset loads
        server.mem_startup = used_memory(server)


# First of the start-up hooks: the footprint before any dataset is loaded.
if _record_startup_memory not in boot.startup_hooks:
    boot.startup_hooks.insert(0, _record_startup_memory)


def register_section(name: str, fn) -> None:
    _overrides[name] = fn


def register_extra(name: str, fn) -> None:
    _extras.setdefault(name, []).append(fn)


def bytes_to_human(n: int) -> str:
    """Redis's bytesToHuman."""
    for unit, size in (("B", 1), ("K", 1024), ("M", 1024 ** 2), ("G", 1024 ** 3), ("T", 1024 ** 4),
                       ("P", 1024 ** 5)):
        if n < size * 1024:
            return "%dB" % n if unit == "B" else "%.2f%s" % (n / size, unit)
    return "%dB" % n


def _a(server, name, default):
    return getattr(server, name, default)


# -- memory figures shared with MEMORY STATS ----------------------------------------

def used_memory(server) -> int:
    fn = getattr(server, "used_memory", None)
    if callable(fn):
        return fn()
    return server.rss()


def memory_figures(server) -> dict:
    used = used_memory(server)
    rss = server.rss()
    peak = max(_a(server, "stat_peak_memory", 0), used)
    server.stat_peak_memory = peak
    startup = _a(server, "mem_startup", 0) or used
    overhead = startup + sum(len(d.data) + len(d.expires) for d in server.dbs) * 16
    overhead = min(overhead, used)
    return {"used": used, "rss": rss, "peak": peak, "startup": startup, "overhead": overhead,
            "dataset": used - overhead}


def total_system_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


# -- sections -------------------------------------------------------------------------

def _server(server):
    cfg = server.config
    now = time.time()
    uptime = int(time.monotonic() - server.start_mono)
    u = os.uname()
    cc = platform.python_compiler()
    gcc = cc.split()[1] if cc.startswith("GCC ") and len(cc.split()) > 1 else "0.0.0"
    return [
        "redis_version:" + REDIS_VERSION,
        "redis_git_sha1:00000000",
        "redis_git_dirty:0",
        "redis_build_id:" + _build_id(),
        "redis_mode:standalone",
        "os:%s %s %s" % (u.sysname, u.release, u.machine),
        "arch_bits:64",
        "monotonic_clock:POSIX clock_gettime",
        "multiplexing_api:epoll",
        "atomicvar_api:c11-builtin",
        "gcc_version:" + gcc,
        "process_id:%d" % os.getpid(),
        "process_supervised:" + str(cfg.get("supervised", "no") or "no"),
        "run_id:" + server.run_id,
        "tcp_port:%d" % cfg["port"],
        "server_time_usec:%d" % (time.time_ns() // 1000),
        "uptime_in_seconds:%d" % uptime,
        "uptime_in_days:%d" % (uptime // 86400),
        "hz:%d" % _a(server, "hz", cfg["hz"]),
        "configured_hz:%d" % cfg["hz"],
        "lru_clock:%d" % (int(now) & 0xFFFFFF),
        "executable:" + _a(server, "executable", os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""),
        "config_file:" + (cfg.config_file or ""),
        "io_threads_active:0",
    ]


def _build_id() -> str:
    import hashlib
    return hashlib.sha1(("redkeep " + __version__).encode()).hexdigest()[:15]


def _clients(server):
    clients = server.clients.values()
    replicas = sum(1 for c in clients if c.is_replica and c not in server.monitors)
    blocked = sum(1 for c in clients if c.blocked is not None)
    in_timeout = sum(1 for c in clients if c.blocked is not None and c.blocked.deadline)
    max_in = max((c.parser.buffered() for c in clients), default=0)
    max_out = max((c.output_size() for c in clients), default=0)
    return [
        "connected_clients:%d" % (len(server.clients) - replicas),
        "cluster_connections:0",
        "maxclients:%d" % server.config["maxclients"],
        "client_recent_max_input_buffer:%d" % max_in,
        "client_recent_max_output_buffer:%d" % max_out,
        "blocked_clients:%d" % blocked,
        "tracking_clients:%d" % _a(server, "tracking_clients", 0),
        "clients_in_timeout_table:%d" % in_timeout,
    ]


def _ratio(a, b):
    return a / b if b else 0.0


def _memory(server):
    m = memory_figures(server)
    cfg = server.config
    used, rss, peak = m["used"], m["rss"], m["peak"]
    maxmem = cfg.get("maxmemory", 0) or 0
    sysmem = total_system_memory()
    scripts = _a(server, "scripts", None) or {}
    lua = _a(server, "used_memory_lua", 0)
    functions = _a(server, "used_memory_functions", 0)
    vm_functions = _a(server, "used_memory_vm_functions", 0)
    scripts_mem = _a(server, "used_memory_scripts", 0)
    return [
        "used_memory:%d" % used,
        "used_memory_human:" + bytes_to_human(used),
        "used_memory_rss:%d" % rss,
        "used_memory_rss_human:" + bytes_to_human(rss),
        "used_memory_peak:%d" % peak,
        "used_memory_peak_human:" + bytes_to_human(peak),
        "used_memory_peak_perc:%.2f%%" % (_ratio(used, peak) * 100),
        "used_memory_overhead:%d" % m["overhead"],
        "used_memory_startup:%d" % m["startup"],
        "used_memory_dataset:%d" % m["dataset"],
        "used_memory_dataset_perc:%.2f%%" % (_ratio(m["dataset"], used - m["startup"]) * 100
                                            if used > m["startup"] else 0.0),
        "allocator_allocated:%d" % used,
        "allocator_active:%d" % rss,
        "allocator_resident:%d" % rss,
        "total_system_memory:%d" % sysmem,
        "total_system_memory_human:" + bytes_to_human(sysmem),
        "used_memory_lua:%d" % lua,
        "used_memory_vm_eval:%d" % lua,
        "used_memory_lua_human:" + bytes_to_human(lua),
        "used_memory_scripts_eval:%d" % _a(server, "used_memory_scripts_eval", 0),
        "number_of_cached_scripts:%d" % len(scripts),
        "number_of_functions:%d" % _a(server, "number_of_functions", 0),
        "number_of_libraries:%d" % _a(server, "number_of_libraries", 0),
        "used_memory_vm_functions:%d" % vm_functions,
        "used_memory_vm_total:%d" % (lua + vm_functions),
        "used_memory_vm_total_human:" + bytes_to_human(lua + vm_functions),
        "used_memory_functions:%d" % functions,
        "used_memory_scripts:%d" % scripts_mem,
        "used_memory_scripts_human:" + bytes_to_human(scripts_mem),
        "maxmemory:%d" % maxmem,
        "maxmemory_human:" + bytes_to_human(maxmem),
        "maxmemory_policy:" + str(cfg.get("maxmemory-policy", "noeviction") or "noeviction"),
        "allocator_frag_ratio:%.2f" % _ratio(rss, used),
        "allocator_frag_bytes:%d" % (rss - used),
        "allocator_rss_ratio:1.00",
        "allocator_rss_bytes:0",
        "rss_overhead_ratio:1.00",
        "rss_overhead_bytes:0",
        "mem_fragmentation_ratio:%.2f" % _ratio(rss, used),
        "mem_fragmentation_bytes:%d" % (rss - used),
        "mem_not_counted_for_evict:%d" % _a(server, "mem_not_counted_for_evict", 0),
        "mem_replication_backlog:%d" % _a(server, "mem_replication_backlog", 0),
        "mem_total_replication_buffers:%d" % _a(server, "mem_total_replication_buffers", 0),
        "mem_clients_slaves:%d" % _a(server, "mem_clients_slaves", 0),
        "mem_clients_normal:%d" % sum(c.output_size() + c.parser.buffered() for c in server.clients.values()),
        "mem_cluster_links:0",
        "mem_aof_buffer:%d" % _a(server, "mem_aof_buffer", 0),
        "mem_allocator:libc",
        "active_defrag_running:0",
        "lazyfree_pending_objects:0",
        "lazyfreed_objects:%d" % _a(server, "stat_lazyfreed_objects", 0),
    ]


# (field, server attribute, default): filled in by the persistence modules.
_PERSISTENCE = [
    ("async_loading", "async_loading", 0),
    ("current_cow_peak", "current_cow_peak", 0),
    ("current_cow_size", "current_cow_size", 0),
    ("current_cow_size_age", "current_cow_size_age", 0),
    ("current_fork_perc", "current_fork_perc", 0.0),
    ("current_save_keys_processed", "current_save_keys_processed", 0),
    ("current_save_keys_total", "current_save_keys_total", 0),
    ("rdb_changes_since_last_save", None, None),
    ("rdb_bgsave_in_progress", "rdb_bgsave_in_progress", 0),
    ("rdb_last_save_time", "lastsave", 0),
    ("rdb_last_bgsave_status", "rdb_last_bgsave_status", "ok"),
    ("rdb_last_bgsave_time_sec", "rdb_last_bgsave_time_sec", -1),
    ("rdb_current_bgsave_time_sec", "rdb_current_bgsave_time_sec", -1),
    ("rdb_saves", "stat_rdb_saves", 0),
    ("rdb_last_cow_size", "rdb_last_cow_size", 0),
    ("rdb_last_load_keys_expired", "rdb_last_load_keys_expired", 0),
    ("rdb_last_load_keys_loaded", "rdb_last_load_keys_loaded", 0),
    ("aof_enabled", "aof_enabled", 0),
    ("aof_rewrite_in_progress", "aof_rewrite_in_progress", 0),
    ("aof_rewrite_scheduled", "aof_rewrite_scheduled", 0),
    ("aof_last_rewrite_time_sec", "aof_last_rewrite_time_sec", -1),
    ("aof_current_rewrite_time_sec", "aof_current_rewrite_time_sec", -1),
    ("aof_last_bgrewrite_status", "aof_last_bgrewrite_status", "ok"),
    ("aof_rewrites", "stat_aof_rewrites", 0),
    ("aof_rewrites_consecutive_failures", "aof_rewrites_consecutive_failures", 0),
    ("aof_last_write_status", "aof_last_write_status", "ok"),
    ("aof_last_cow_size", "aof_last_cow_size", 0),
    ("module_fork_in_progress", None, 0),
    ("module_fork_last_cow_size", None, 0),
]


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return "%.2f" % v
    return str(v)


def _persistence(server):
    out = ["loading:%d" % (1 if server.loading else 0)]
    # Persistence subsystems expose their numbers once, as a dict of INFO
    # fields (persistence/rdb.py, persistence/aof.py); the rest are defaults.
    live = {}
    for sub in ("rdb", "aof"):
        obj = getattr(server, sub, None)
        if obj is not None and hasattr(obj, "info_fields"):
            live.update(obj.info_fields())
    for field, attr, default in _PERSISTENCE:
        if field in live:
            v = live[field]
        elif field == "rdb_changes_since_last_save":
            v = server.dirty - _a(server, "dirty_at_last_save", 0)
        else:
            v = _a(server, attr, default) if attr else default
        out.append("%s:%s" % (field, _fmt(v)))
    if server.loading and "loading_fields" in live:
        out.extend(live["loading_fields"])  # at the section's end, as Redis prints them
    return out


def _instantaneous(server, i: int) -> float:
    s = server.ops_samples
    return sum(x[i] for x in s) / len(s) if s else 0.0


def _commands_processed(server) -> int:
    total = 0
    for cmd in server.commands.all_commands():
        total += cmd.calls
        if cmd.subcommands:
            total += sum(sub.calls for sub in set(cmd.subcommands.values()))
    return total


def _stats(server):
    return [
        "total_connections_received:%d" % server.stat_numconnections,
        "total_commands_processed:%d" % _commands_processed(server),
        "instantaneous_ops_per_sec:%d" % int(_instantaneous(server, 0)),
        "total_net_input_bytes:%d" % server.stat_net_input_bytes,
        "total_net_output_bytes:%d" % server.stat_net_output_bytes,
        "total_net_repl_input_bytes:%d" % _a(server, "stat_net_repl_input_bytes", 0),
        "total_net_repl_output_bytes:%d" % _a(server, "stat_net_repl_output_bytes", 0),
        "instantaneous_input_kbps:%.2f" % (_instantaneous(server, 1) / 1024),
        "instantaneous_output_kbps:%.2f" % (_instantaneous(server, 2) / 1024),
        "instantaneous_input_repl_kbps:0.00",
        "instantaneous_output_repl_kbps:0.00",
        "rejected_connections:%d" % server.stat_rejected_conn,
        "sync_full:%d" % _a(server, "stat_sync_full", 0),
        "sync_partial_ok:%d" % _a(server, "stat_sync_partial_ok", 0),
        "sync_partial_err:%d" % _a(server, "stat_sync_partial_err", 0),
        "expired_keys:%d" % server.stat_expiredkeys,
        "expired_stale_perc:%.2f" % (server.stat_expired_stale_perc * 100),
        "expired_time_cap_reached_count:%d" % _a(server, "stat_expired_time_cap_reached_count", 0),
        "expire_cycle_cpu_milliseconds:%d" % _a(server, "stat_expire_cycle_time_used", 0),
        "evicted_keys:%d" % server.stat_evictedkeys,
        "evicted_clients:%d" % _a(server, "stat_evictedclients", 0),
        "total_eviction_exceeded_time:%d" % _a(server, "stat_total_eviction_exceeded_time", 0),
        "current_eviction_exceeded_time:%d" % _a(server, "stat_current_eviction_exceeded_time", 0),
        "keyspace_hits:%d" % server.stat_keyspace_hits,
        "keyspace_misses:%d" % server.stat_keyspace_misses,
        "pubsub_channels:%d" % len(server.pubsub_channels),
        "pubsub_patterns:%d" % len(server.pubsub_patterns),
        "pubsubshard_channels:%d" % len(_a(server, "pubsub_shard_channels", None) or ()),
        "latest_fork_usec:%d" % _a(server, "stat_fork_time", 0),
        "total_forks:%d" % _a(server, "stat_total_forks", 0),
        "migrate_cached_sockets:0",
        "slave_expires_tracked_keys:0",
        "active_defrag_hits:0",
        "active_defrag_misses:0",
        "active_defrag_key_hits:0",
        "active_defrag_key_misses:0",
        "total_active_defrag_time:0",
        "current_active_defrag_time:0",
        "tracking_total_keys:0",
        "tracking_total_items:0",
        "tracking_total_prefixes:0",
        "unexpected_error_replies:%d" % server.stat_unexpected_error_replies,
        "total_error_replies:%d" % server.stat_total_error_replies,
        "dump_payload_sanitizations:%d" % _a(server, "stat_dump_payload_sanitizations", 0),
        "total_reads_processed:%d" % server.stat_io_reads,
        "total_writes_processed:%d" % _a(server, "stat_io_writes", 0),
        "io_threaded_reads_processed:0",
        "io_threaded_writes_processed:0",
        "reply_buffer_shrinks:0",
        "reply_buffer_expands:0",
    ]


def _replication(server):
    """The master form; a replication module replaces it via register_section."""
    replid = _a(server, "replid", None) or server.run_id
    return [
        "role:master",
        "connected_slaves:0",
        "master_failover_state:no-failover",
        "master_replid:" + replid,
        "master_replid2:" + _a(server, "replid2", "0" * 40),
        "master_repl_offset:%d" % _a(server, "master_repl_offset", 0),
        "second_repl_offset:%d" % _a(server, "second_repl_offset", -1),
        "repl_backlog_active:0",
        "repl_backlog_size:%d" % (server.config.get("repl-backlog-size", 1048576) or 1048576),
        "repl_backlog_first_byte_offset:0",
        "repl_backlog_histlen:0",
    ]


def _cpu(server):
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    th = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    return [
        "used_cpu_sys:%.6f" % me.ru_stime,
        "used_cpu_user:%.6f" % me.ru_utime,
        "used_cpu_sys_children:%.6f" % ch.ru_stime,
        "used_cpu_user_children:%.6f" % ch.ru_utime,
        "used_cpu_sys_main_thread:%.6f" % th.ru_stime,
        "used_cpu_user_main_thread:%.6f" % th.ru_utime,
    ]


def _modules(server):
    return []


def commands_with_stats(server):
    """Commands (and subcommands) that were called, failed or rejected, in
    table order, parent before its subcommands, as genRedisInfoStringCommandStats."""
    out = []
    for cmd in server.commands.all_commands():
        if cmd.calls or cmd.failed_calls or cmd.rejected_calls:
            out.append(cmd)
        if cmd.subcommands:
            seen = set()
            for sub in cmd.subcommands.values():
                if sub in seen:
                    continue
                seen.add(sub)
                if sub.calls or sub.failed_calls or sub.rejected_calls:
                    out.append(sub)
    return out


def _commandstats(server):
    return ["cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d" % (
        cmd.fullname, cmd.calls, cmd.usec, cmd.usec / cmd.calls if cmd.calls else 0.0,
        cmd.rejected_calls, cmd.failed_calls) for cmd in commands_with_stats(server)]


def _errorstats(server):
    return ["errorstat_%s:count=%d" % (code, n) for code, n in sorted(server.errorstats.items())]


def latency_percentiles(server) -> list[float]:
    raw = server.config.get("latency-tracking-info-percentiles", None)
    if raw is None:
        return [50.0, 99.0, 99.9]
    if isinstance(raw, str):
        raw = raw.split()
    return [float(x) for x in raw]


def _pct_label(p: float) -> str:
    return ("%f" % p).rstrip("0").rstrip(".")


def _latencystats(server):
    # Per-call latencies are not recorded on the hot path; every percentile
    # reports the mean, the one figure the dispatcher keeps.
    if not server.config.get("latency-tracking", True):
        return []
    pcts = latency_percentiles(server)
    out = []
    for cmd in commands_with_stats(server):
        if not cmd.calls:
            continue
        mean = cmd.usec / cmd.calls
        out.append("latency_percentiles_usec_%s:%s" % (
            cmd.fullname, ",".join("p%s=%.3f" % (_pct_label(p), mean) for p in pcts)))
    return out


def _cluster(server):
    return ["cluster_enabled:0"]


def _keyspace(server):
    return ["db%d:keys=%d,expires=%d,avg_ttl=%d" % (db.id, len(db.data), len(db.expires), db.avg_ttl)
            for db in server.dbs if db.data]


_RENDER = {"server": _server, "clients": _clients, "memory": _memory, "persistence": _persistence,
           "stats": _stats, "replication": _replication, "cpu": _cpu, "modules": _modules,
           "commandstats": _commandstats, "errorstats": _errorstats, "latencystats": _latencystats,
           "cluster": _cluster, "keyspace": _keyspace}


def section_lines(server, name: str) -> list[str]:
    fn = _overrides.get(name) or _RENDER[name]
    lines = fn(server)
    for extra in _extras.get(name, ()):
        lines = lines + extra(server)
    return lines


def select_sections(args) -> set:
    if not args:
        return set(DEFAULT_SECTIONS)
    wanted = set()
    for a in args:
        s = a.decode("utf-8", "replace").lower()
        if s == "default":
            wanted.update(DEFAULT_SECTIONS)
        elif s in ("all", "everything"):
            wanted.update(ALL_SECTIONS)
        else:
            wanted.add(s)
    return wanted


def info_text(server, args=()) -> str:
    wanted = select_sections(args)
    parts = []
    for name in ALL_SECTIONS:
        if name not in wanted:
            continue
        lines = section_lines(server, name)
        parts.append("# %s\r\n%s" % (_TITLES[name], "".join(x + "\r\n" for x in lines)))
    return "\r\n".join(parts)


@command("info")
def info(c, argv):
    return c.r.verbatim(info_text(c.server, argv[1:]).encode())
