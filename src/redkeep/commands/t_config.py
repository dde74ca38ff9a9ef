"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP.  Mirrors the command half of
Redis's config.c (configGetCommand, configSetCommand, ...); the directive
table and its machinery are in config.py / config_table.py.

Run-time effects of a CONFIG SET go through ``config.hooks[name](old, new)``.
The hooks this module installs (with ``setdefault``, so the server's own win)
cover what only the command layer does: re-listening on a new ``port`` /
``bind``, and the log level.
"""

from __future__ import annotations

import logging
import socket

from ..config import ConfigError
from ..errors import CommandError
from ..resp import OK, array_header, bulk, simple
from .table import command

_HELP = [
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
]
_HELP_REPLY = array_header(len(_HELP)) + b"".join(simple(x) for x in _HELP)


def _enc(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _dec(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


@command("config|get")
def config_get(c, argv):
    cfg = c.server.config
    matches: dict[str, tuple[str, object]] = {}
    for raw in argv[2:]:
        pattern = _dec(raw)
        for name, d in cfg.match(pattern):
            key = name.lower()
            if key not in matches:
                matches[key] = (name, d)
    out = [c.r.map_header(len(matches))]
    for name, d in matches.values():
        out.append(bulk(_enc(name)))
        out.append(bulk(_enc(cfg.format(name))))
    return b"".join(out)


@command("config|set")
def config_set(c, argv):
    if len(argv) % 2:
        raise CommandError("ERR syntax error")
    server = c.server
    install_hooks(server)
    pairs = [(_dec(argv[i]), _dec(argv[i + 1])) for i in range(2, len(argv), 2)]
    try:
        server.config.set_many(pairs, local=_is_local(c), loading=bool(getattr(server, "loading", False)))
    except ConfigError as e:
        raise CommandError(str(e)) from None
    return OK


@command("config|resetstat")
def config_resetstat(c, argv):
    server = c.server
    server.stat_reset()
    for cmd in server.commands.all_commands():
        cmd.reset_stats()
    return OK


@command("config|rewrite")
def config_rewrite(c, argv):
    server = c.server
    cfg = server.config
    if not cfg.config_file:
        raise CommandError("ERR The server is running without a config file")
    try:
        cfg.rewrite()
    except OSError as e:
        reason = e.strerror or str(e)
        server.log.warning("CONFIG REWRITE failed: %s", reason)
        raise CommandError("ERR Rewriting config file: %s" % reason) from None
    server.log.warning("CONFIG REWRITE executed with success.")
    return OK


@command("config|help")
def config_help(c, argv):
    return _HELP_REPLY


def _is_local(c) -> bool:
    """islocalClient: a unix socket, 127.0.0.1 or ::1."""
    sock = c.transport.get_extra_info("socket") if c.transport is not None else None
    if sock is not None and sock.family == socket.AF_UNIX:
        return True
    return c.addr.rsplit(":", 1)[0] in ("127.0.0.1", "::1")


# -- hooks ---------------------------------------------------------------------------

def install_hooks(server) -> None:
    cfg = server.config
    if getattr(cfg, "_t_config_hooks", False):
        return
    cfg._t_config_hooks = True
    cfg.hooks.setdefault("port", lambda old, new: _change_port(server, new))
    cfg.hooks.setdefault("bind", lambda old, new: _change_bind(server, old, new))
    cfg.hooks.setdefault("loglevel", lambda old, new: _set_loglevel(new))


def _set_loglevel(level: str) -> None:
    from ..logsetup import _LEVELS
    logging.getLogger("redkeep").setLevel(_LEVELS[level])


_SKIPPABLE = (97, 99, 22)  # EAFNOSUPPORT, EADDRNOTAVAIL, EINVAL: optional ('-') addresses


def _change_port(server, port: int) -> None:
    """changeListenPort: the new port is bound before the old one closes."""
    socks = _bind_all(server, port, server.config["bind"])
    if socks is None:
        raise ConfigError("Unable to listen on this port. Check server logs.")
    _close_tcp_listeners(server)
    _serve(server, socks)


def _change_bind(server, old: list[str], new: list[str]) -> None:
    """changeBindAddr: same port, so the old addresses close first; on a
    failure they are bound again."""
    port = server.config["port"]
    _close_tcp_listeners(server)
    socks = _bind_all(server, port, new)
    if socks is None:
        _serve(server, _bind_all(server, port, old) or [])
        raise ConfigError("Failed to bind to specified addresses.")
    _serve(server, socks)


def _bind_all(server, port: int, binds: list[str]):
    """Listening sockets for every address, or None (all closed) on a failure."""
    socks = []
    if not port:
        return socks
    for addr in binds:
        optional = addr.startswith("-")
        host = addr[1:] if optional else addr
        host = {"*": "0.0.0.0", "::*": "::"}.get(host, host)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((host, port))
            s.listen(server.config["tcp-backlog"])
            s.setblocking(False)
        except OSError as e:
            s.close()
            if optional and e.errno in _SKIPPABLE:
                continue
            server.log.warning("Could not create server TCP listening socket %s:%d: %s",
                               host, port, e.strerror or e)
            for x in socks:
                x.close()
            return None
        socks.append(s)
    return socks


def _close_tcp_listeners(server) -> None:
    keep = []
    for srv in server.listeners:
        if {s.family for s in (srv.sockets or ())} & {socket.AF_INET, socket.AF_INET6}:
            srv.close()
        else:
            keep.append(srv)
    server.listeners[:] = keep


def _serve(server, socks) -> None:
    from ..networking import Client
    loop = server.loop
    for s in socks:
        task = loop.create_task(loop.create_server(lambda: Client(server), sock=s))
        task.add_done_callback(lambda t: t.exception() is None and server.listeners.append(t.result()))
