"""Process start-up: daemonize, pidfile, logging, the event loop, the banner.

Mirrors the tail of Redis's ``main()``: the log lines operators and tools wait
for ("Ready to accept connections") are Redis's own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from . import REDIS_VERSION, __version__
from .logsetup import set_role, setup_logging

log = logging.getLogger("redkeep")

startup_hooks = []  # fn(server): persistence loading, replication set-up ...


def daemonize() -> None:
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    fd = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):
        os.dup2(fd, std)


def write_pidfile(path: str) -> None:
    try:
        with open(path, "w") as f:
            f.write("%d\n" % os.getpid())
    except OSError as e:
        log.warning("Failed to write PID file: %s", e.strerror)


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
    if config.config_file:
        log.warning("Configuration loaded")
    else:
        log.warning("Warning: no config file specified, using the default config. In order to specify a config "
                    "file use redkeep-server /path/to/redis.conf")
    if config["dir"]:
        try:
            os.chdir(config["dir"])
        except OSError as e:
            log.warning("Can't chdir to '%s': %s", config["dir"], e.strerror)
            raise SystemExit(1)
    if config["daemonize"] or config["pidfile"]:
        write_pidfile(config["pidfile"] or "/var/run/redis_%d.pid" % config["port"])
    set_role("M")
    from .server import Server

    loop = _new_loop()
    asyncio.set_event_loop(loop)
    server = Server(config)
    try:
        loop.run_until_complete(server.start())
    except SystemExit:
        raise
    log.notice("Running mode=standalone, port=%d.", config["port"])
    log.warning("Server initialized")
    from .persistence.rdb import RdbPersistence
    rdb = RdbPersistence(server)
    from .persistence.aof import Aof
    # The AOF, when on, takes precedence over the RDB (loadDataFromDisk).
    loop.run_until_complete(Aof(server).startup(rdb))
    for hook in startup_hooks:
        hook(server)
    log.notice("Ready to accept connections")
    try:
        loop.run_forever()
    finally:
        loop.close()
    sys.stdout.flush()
