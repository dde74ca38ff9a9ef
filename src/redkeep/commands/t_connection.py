"""Connection commands: PING, ECHO, QUIT, RESET, AUTH, HELLO.

Mirrors the connection part of Redis's ``server.c`` (pingCommand, helloCommand,
resetCommand) and ``acl.c`` (authCommand) for the one ``default`` user that a
server without ACLs has: its password is ``requirepass`` ("nopass" when empty).
"""

from __future__ import annotations

import hmac

from .. import REDIS_VERSION
from ..errors import CommandError, WRONGPASS
from ..networking import REPLY_ON
from ..resp import CRLF, OK, PONG, bulk, integer
from .t_multi import discard_transaction
from .t_pubsub import unsubscribe_all
from .table import command

_PUBSUB_PONG = b"*2\r\n$4\r\npong\r\n"
_HELLO_NOAUTH = ("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                 "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
                 "the RESP protocol version at the same time")
_AUTH_NOPASS = ("ERR AUTH <password> called without any password configured for the default user. "
                "Are you sure your configuration is correct?")


@command("ping")
def ping(c, argv):
    n = len(argv)
    if n > 2:
        raise CommandError("ERR wrong number of arguments for 'ping' command")
    # A RESP2 subscriber can only receive pushes, so its PONG is shaped as one.
    if c.resp_ver == 2 and (c.channels or c.patterns or c.shard_channels):
        return _PUBSUB_PONG + bulk(argv[1] if n == 2 else b"")
    if n == 1:
        return PONG
    return bulk(argv[1])


@command("echo")
def echo(c, argv):
    return bulk(argv[1])


@command("quit")
def quit_(c, argv):
    c.close_after_reply()
    return OK


def check_password(server, user: bytes, password: bytes) -> bool:
    """ACLAuthenticateUser for a server whose only user is ``default``."""
    if user != b"default":
        return False
    required = server.requirepass
    if not required:
        return True  # the default user is "nopass"
    return hmac.compare_digest(password, required.encode())


def set_authenticated(c, user: str = "default") -> None:
    c.authenticated = True
    c.parser.authenticated = True
    c.user = user


@command("auth")
def auth(c, argv):
    n = len(argv)
    if n > 3:
        raise CommandError("ERR syntax error")
    if n == 2:
        if not c.server.requirepass:
            raise CommandError(_AUTH_NOPASS)
        user, password = b"default", argv[1]
    else:
        user, password = argv[1], argv[2]
    if not check_password(c.server, user, password):
        raise CommandError(WRONGPASS)
    set_authenticated(c, user.decode("utf-8", "replace"))
    return OK


def valid_client_name(name: bytes) -> bool:
    """Names are shown space-separated in CLIENT LIST: printable, no spaces."""
    for ch in name:
        if ch < 33 or ch > 126:
            return False
    return True


CLIENT_NAME_ERROR = "ERR Client names cannot contain spaces, newlines or special characters."


@command("hello")
def hello(c, argv):
    n = len(argv)
    ver = 0
    if n >= 2:
        from .util import is_strict_int
        if not is_strict_int(argv[1]):
            raise CommandError("ERR Protocol version is not an integer or out of range")
        ver = int(argv[1])
        if ver < 2 or ver > 3:
            raise CommandError("NOPROTO unsupported protocol version")
    user = password = name = None
    j = 2 if ver else 1
    while j < n:
        more = n - 1 - j
        opt = argv[j].lower()
        if opt == b"auth" and more >= 2:
            user, password = argv[j + 1], argv[j + 2]
            j += 3
        elif opt == b"setname" and more:
            name = argv[j + 1]
            j += 2
        else:
            raise CommandError("ERR Syntax error in HELLO option '%s'" % argv[j].decode("utf-8", "replace"))
    if user is not None:
        if not check_password(c.server, user, password):
            raise CommandError(WRONGPASS)
        set_authenticated(c, user.decode("utf-8", "replace"))
    if not c.authenticated:
        raise CommandError(_HELLO_NOAUTH)
    if name is not None:
        if not valid_client_name(name):
            raise CommandError(CLIENT_NAME_ERROR)
        c.name = name
    if ver:
        c.set_protocol(ver)
    return hello_reply(c)


def hello_reply(c) -> bytes:
    server = c.server
    role = b"replica" if server.replica_of is not None else b"master"
    return b"".join((
        c.r.map_header(7),
        b"$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n", bulk(REDIS_VERSION.encode()),
        b"$5\r\nproto\r\n", integer(c.resp_ver),
        b"$2\r\nid\r\n", integer(c.id),
        b"$4\r\nmode\r\n$10\r\nstandalone\r\n",
        b"$4\r\nrole\r\n", bulk(role),
        b"$7\r\nmodules\r\n*0", CRLF,
    ))


@command("reset")
def reset(c, argv):
    """clearClientConnectionState: back to a fresh connection's state."""
    if c.is_master or (c.is_replica and c not in c.server.monitors):
        raise CommandError("ERR can only reset normal client connections")
    server = c.server
    if c in server.monitors:
        server.monitors.remove(c)
        c.monitor = False
    c.db = server.dbs[0]
    c.set_protocol(2)
    c.user = "default"
    c.authenticated = not server.requirepass
    c.parser.authenticated = c.authenticated
    discard_transaction(c)
    if c.channels or c.patterns or c.shard_channels:
        unsubscribe_all(c, notify=False)
    c.name = b""
    c.reply_mode = REPLY_ON
    return b"+RESET\r\n"
