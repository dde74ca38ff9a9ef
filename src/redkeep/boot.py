"""Process start-up: daemonize, pidfile, logging, the event loop, the banner.

Mirrors the tail of Redis's ``main()`` and ``initServer()``: the log lines
operators and tools wait for ("Ready to accept connections") are Redis's own,
in Redis's order.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import sys

from . import REDIS_VERSION, __version__
from .logsetup import set_role, setup_logging

log = logging.getLogger("redkeep")

startup_hooks = []  # fn(server): persistence loading, replication set-up ...

DEFAULT_PID_FILE = "/var/run/redis.pid"  # CONFIG_DEFAULT_PID_FILE
MIN_RESERVED_FDS = 32  # CONFIG_MIN_RESERVED_FDS: listeners, files, the loop's own

# Directives of features this issue leaves out (eviction, keyspace
# notifications, Lua, ACL files, streams, HyperLogLog).  config_table flags
# only directives nothing reads; these are read (INFO shows maxmemory, OBJECT
# FREQ looks at the policy) yet change no behaviour, so they are listed too.
NOT_BUILT = frozenset([
    "maxmemory", "maxmemory-policy", "maxmemory-samples", "maxmemory-eviction-tenacity",
    "lazyfree-lazy-eviction", "replica-ignore-maxmemory", "notify-keyspace-events", "busy-reply-threshold",
    "aclfile", "acllog-max-len", "acl-pubsub-default", "stream-node-max-entries", "stream-node-max-bytes",
    "hll-sparse-max-bytes",
])


def not_implemented(config) -> list[str]:
    """Names of the directives accepted without effect."""
    return [d.name for d in config.table if not d.implemented or d.name in NOT_BUILT]


def warn_not_implemented(config) -> None:
    """One warning listing the not-implemented directives the user set, so
    that a redis.conf relying on them does not go unnoticed."""
    names = sorted(n for n in not_implemented(config) if n in config.seen)
    if names:
        log.warning("Directives accepted but not implemented by redkeep yet: %s", ", ".join(names))


def daemonize() -> None:
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:  # the session leader exits: the daemon can never get a terminal back
        os._exit(0)
    fd = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):
        os.dup2(fd, std)
    if fd > 2:
        os.close(fd)


def write_pidfile(path: str) -> None:
    try:
        with open(path, "w") as f:
            f.write("%d\n" % os.getpid())
    except OSError as e:
        log.warning("Failed to write PID file: %s", e.strerror)


def adjust_open_files_limit(config) -> None:
    """adjustOpenFilesLimit: raise RLIMIT_NOFILE to maxclients + 32, or lower
    maxclients to what the limit allows, with Redis's log lines."""
    maxclients = config["maxclients"]
    maxfiles = maxclients + MIN_RESERVED_FDS
    try:
        oldlimit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (OSError, ValueError) as e:
        log.warning("Unable to obtain the current NOFILE limit (%s), assuming 1024 and setting the max clients "
                    "configuration accordingly.", getattr(e, "strerror", None) or e)
        config.values["maxclients"] = 1024 - MIN_RESERVED_FDS
        return
    if oldlimit == resource.RLIM_INFINITY or oldlimit >= maxfiles:
        return
    best = maxfiles
    error = ""
    while best > oldlimit:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (best, best))
            break
        except (OSError, ValueError) as e:
            error = getattr(e, "strerror", None) or os.strerror(1)
        if best < 16:
            best = oldlimit
            break
        best -= 16
    best = max(best, oldlimit)
    if best >= maxfiles:
        log.notice("Increased maximum number of open files to %d (it was originally set to %d).", maxfiles, oldlimit)
        return
    if best <= MIN_RESERVED_FDS:
        log.warning("Your current 'ulimit -n' of %d is not enough for the server to start. Please increase your "
                    "open file limit to at least %d. Exiting.", oldlimit, maxfiles)
        raise SystemExit(1)
    config.values["maxclients"] = best - MIN_RESERVED_FDS
    log.warning("You requested maxclients of %d requiring at least %d max file descriptors.", maxclients, maxfiles)
    log.warning("Server can't set maximum open files to %d because of OS error: %s.", maxfiles, error)
    log.warning("Current maximum open files is %d. maxclients has been reduced to %d to compensate for low ulimit. "
                "If you need higher maxclients increase 'ulimit -n'.", best, best - MIN_RESERVED_FDS)


def _new_loop():
    try:
        import uvloop
        return uvloop.new_event_loop()
    except ImportError:  # uvloop is a declared dependency; fall back anyway
        return asyncio.new_event_loop()


def run_server(config) -> None:
    if config["daemonize"]:
        daemonize()
    setup_logging(config["loglevel"], config["logfile"])
    set_role("C")
    log.warning("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    log.warning("Redis version=%s, bits=64, commit=00000000, modified=0, pid=%d, just started "
                "(redkeep %s)", REDIS_VERSION, os.getpid(), __version__)
    if getattr(config, "args_given", bool(config.config_file)):
        log.warning("Configuration loaded")
    else:
        log.warning("Warning: no config file specified, using the default config. In order to specify a config "
                    "file use %s /path/to/redis.conf", getattr(config, "program", "redkeep-server"))
    warn_not_implemented(config)
    if config["dir"]:
        try:
            os.chdir(config["dir"])
        except OSError as e:
            log.warning("Can't chdir to '%s': %s", config["dir"], e.strerror)
            raise SystemExit(1)
    set_role("M")
    adjust_open_files_limit(config)
    log.notice("monotonic clock: POSIX clock_gettime")
    from . import zmalloc
    from .persistence.aof import Aof
    from .persistence.rdb import RdbPersistence
    from .server import Server

    loop = _new_loop()
    asyncio.set_event_loop(loop)
    server = Server(config)
    # The memory baseline: the interpreter, the code, and the command table
    # with its docs (Redis has those in its binary) are not used_memory.
    server.mem_baseline = zmalloc.heap_in_use()
    _run_phase(loop, server, server.start())
    if server.exited:  # a signal's shutdown already ran
        loop.close()
        return
    if config["daemonize"] or config["pidfile"]:
        # After listening, as Redis: a server that failed to start leaves no pid file.
        server.pidfile_path = config["pidfile"] or DEFAULT_PID_FILE
        write_pidfile(server.pidfile_path)
    log.notice("Running mode=standalone, port=%d.", config["port"])
    log.warning("Server initialized")
    server.mem_startup = server.used_memory()
    rdb = RdbPersistence(server)
    # The AOF, when on, takes precedence over the RDB (loadDataFromDisk).
    _run_phase(loop, server, Aof(server).startup(rdb))
    try:
        if not server.exited:
            for hook in startup_hooks:
                hook(server)
            log.notice("Ready to accept connections")
            loop.run_forever()
    finally:
        loop.close()
    sys.stdout.flush()


def _run_phase(loop, server, coro) -> None:
    """Run one start-up phase of the loop.  SIGTERM/SIGINT can shut the
    server down in the middle of one (during loading, as in Redis): the loop
    is then stopped before the phase's coroutine is done, which asyncio
    reports as a RuntimeError, and no later phase may start (a run_forever
    after that would never end)."""
    task = loop.create_task(coro)
    try:
        loop.run_until_complete(task)
    except RuntimeError:
        if not server.exited:
            raise
        task.cancel()
