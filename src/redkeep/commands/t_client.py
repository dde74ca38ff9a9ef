"""CLIENT subcommands.  Mirrors the CLIENT part of Redis's ``networking.c``
(clientCommand, catClientInfoString) and the pause machinery of ``server.c``.

``client_info_line`` renders one CLIENT LIST line with Redis 7.0.15's exact
field set and order; the memory figures are estimates of this process's own
buffers (there is no jemalloc to ask).
"""

from __future__ import annotations

import time

from ..errors import CommandError, SYNTAX
from ..networking import REPLY_OFF, REPLY_ON, REPLY_SKIP_NEXT
from ..resp import OK, ONE, ZERO, bulk, error, integer
from .t_connection import CLIENT_NAME_ERROR, valid_client_name
from .table import command
from .util import is_strict_int

CLIENT_TYPES = {b"normal": "normal", b"slave": "replica", b"replica": "replica",
                b"pubsub": "pubsub", b"master": "master"}

# Redis's initial reply buffer (PROTO_REPLY_CHUNK_BYTES): rbs/rbp of an idle client.
_REPLY_BUF = 16384
# A fixed per-connection footprint (client struct, parser, transport): an estimate.
_CLIENT_BASE_MEM = 20480


def client_type(c) -> str:
    """getClientType: the class used by TYPE filters and output limits."""
    if c.is_master:
        return "master"
    if c.is_replica and c not in c.server.monitors:
        return "replica"
    if c.channels or c.patterns or c.shard_channels:
        return "pubsub"
    return "normal"


def _flags(c) -> str:
    f = ""
    server = c.server
    if c in server.monitors:
        f += "O"
    elif c.is_replica:
        f += "S"
    if c.is_master:
        f += "M"
    if c.channels or c.patterns or c.shard_channels:
        f += "P"
    if c.multi is not None:
        f += "x"
    if c.blocked is not None:
        f += "b"
    if c.dirty_cas:
        f += "d"
    if c.closing:
        f += "c"
    if is_unix(c):
        f += "U"
    if c.no_evict:
        f += "e"
    return f or "N"


def _argv_mem(argvs) -> int:
    return sum(len(a) for argv in argvs for a in argv)


def client_info_line(server, c) -> str:
    now = time.monotonic()
    qbuf = c.parser.buffered()
    multi_mem = _argv_mem(a for _, a in c.multi) if c.multi else 0
    argv_mem = getattr(c, "argv_mem", 0)
    omem = c.output_size()
    tot = _CLIENT_BASE_MEM + qbuf + argv_mem + multi_mem + omem
    return (
        f"id={c.id} addr={peer_id(c)} laddr={local_id(c)} fd={c.fd} "
        f"name={c.name.decode('utf-8', 'replace')} age={int(now - c.ctime)} "
        f"idle={int(now - c.last_interaction)} flags={_flags(c)} db={c.db.id} "
        f"sub={len(c.channels)} psub={len(c.patterns)} ssub={len(c.shard_channels)} "
        f"multi={len(c.multi) if c.multi is not None else -1} qbuf={qbuf} qbuf-free={0} "
        f"argv-mem={argv_mem} multi-mem={multi_mem} rbs={_REPLY_BUF} rbp={_REPLY_BUF} "
        f"obl=0 oll=0 omem={omem} tot-mem={tot} events={'' if c.paused_reading else 'r'} "
        f"cmd={c.last_cmd} user={c.user} redir=-1 resp={c.resp_ver}"
    )


def is_unix(c) -> bool:
    return c.laddr.startswith("/")


def peer_id(c) -> str:
    """getClientPeerId: a unix-socket peer has no address: "<socket path>:0"."""
    return c.laddr + ":0" if is_unix(c) else c.addr


def local_id(c) -> str:
    return c.laddr + ":0" if is_unix(c) else c.laddr


def _lines(server, c, clients) -> bytes:
    return "".join(client_info_line(server, x) + "\n" for x in clients).encode()


# -- subcommands ------------------------------------------------------------------------

@command("client|id")
def client_id(c, argv):
    return integer(c.id)


@command("client|setname")
def client_setname(c, argv):
    name = argv[2]
    if not valid_client_name(name):
        raise CommandError(CLIENT_NAME_ERROR)
    c.name = name
    return OK


@command("client|getname")
def client_getname(c, argv):
    return bulk(c.name) if c.name else c.r.null


@command("client|info")
def client_info(c, argv):
    c.last_cmd = "client|info"
    return c.r.verbatim(_lines(c.server, c, [c]))


@command("client|list")
def client_list(c, argv):
    server = c.server
    c.last_cmd = "client|list"
    n = len(argv)
    if n == 2:
        return c.r.verbatim(_lines(server, c, server.clients.values()))
    opt = argv[2].lower()
    if n == 4 and opt == b"type":
        kind = _parse_type(argv[3])
        return c.r.verbatim(_lines(server, c, [x for x in server.clients.values() if client_type(x) == kind]))
    if n > 3 and opt == b"id":
        found = []
        for a in argv[3:]:
            if not is_strict_int(a):
                raise CommandError("ERR Invalid client ID")
            x = server.clients.get(int(a))
            if x is not None:
                found.append(x)
        return c.r.verbatim(_lines(server, c, found))
    raise CommandError(SYNTAX)


def _parse_type(name: bytes) -> str:
    kind = CLIENT_TYPES.get(name.lower())
    if kind is None:
        raise CommandError("ERR Unknown client type '%s'" % name.decode("utf-8", "replace"))
    return kind


def kill_client(c, target) -> None:
    """Close ``target``; the caller itself is closed after its reply."""
    if target is c:
        c.close_after_reply()
    elif target.transport is not None:
        target.transport.close()
        target.closing = True


@command("client|kill")
def client_kill(c, argv):
    server = c.server
    n = len(argv)
    if n == 3:
        addr = argv[2].decode("utf-8", "replace")
        for x in list(server.clients.values()):
            if peer_id(x) == addr:
                kill_client(c, x)
                return OK
        raise CommandError("ERR No such client")
    cid = kind = addr = laddr = user = None
    skipme = True
    i = 2
    while i < n:
        opt = argv[i].lower()
        if i + 1 >= n:
            raise CommandError(SYNTAX)
        val = argv[i + 1]
        if opt == b"id":
            if not is_strict_int(val) or int(val) < 1:
                raise CommandError("ERR client-id should be greater than 0")
            cid = int(val)
        elif opt == b"type":
            kind = _parse_type(val)
        elif opt == b"addr":
            addr = val.decode("utf-8", "replace")
        elif opt == b"laddr":
            laddr = val.decode("utf-8", "replace")
        elif opt == b"user":
            user = val.decode("utf-8", "replace")
            if user != "default":
                raise CommandError("ERR No such user '%s'" % user)
        elif opt == b"skipme":
            v = val.lower()
            if v == b"yes":
                skipme = True
            elif v == b"no":
                skipme = False
            else:
                raise CommandError(SYNTAX)
        else:
            raise CommandError(SYNTAX)
        i += 2
    killed = 0
    for x in list(server.clients.values()):
        if addr is not None and peer_id(x) != addr:
            continue
        if laddr is not None and local_id(x) != laddr:
            continue
        if kind is not None and client_type(x) != kind:
            continue
        if cid is not None and x.id != cid:
            continue
        if user is not None and x.user != user:
            continue
        if x is c and skipme:
            continue
        kill_client(c, x)
        killed += 1
    return integer(killed)


@command("client|no-evict")
def client_no_evict(c, argv):
    v = argv[2].lower()
    if v == b"on":
        c.no_evict = True
    elif v == b"off":
        c.no_evict = False
    else:
        raise CommandError(SYNTAX)
    return OK


@command("client|reply")
def client_reply(c, argv):
    v = argv[2].lower()
    if v == b"on":
        c.reply_mode = REPLY_ON
        return OK
    if v == b"off":
        c.reply_mode = REPLY_OFF
        return None
    if v == b"skip":
        # No reply for SKIP itself; networking drops the next command's reply.
        if c.reply_mode == REPLY_ON:
            c.reply_mode = REPLY_SKIP_NEXT
        return None
    raise CommandError(SYNTAX)


def _sub_syntax(argv):
    return CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try CLIENT HELP."
                        % argv[1].decode("utf-8", "replace"))


@command("client|pause")
def client_pause(c, argv):
    n = len(argv)
    if n > 4:
        raise _sub_syntax(argv)
    kind = "all"
    if n == 4:
        m = argv[3].lower()
        if m == b"write":
            kind = "write"
        elif m != b"all":
            raise CommandError("ERR CLIENT PAUSE mode must be WRITE or ALL")
    if not is_strict_int(argv[2]):
        raise CommandError("ERR timeout is not an integer or out of range")
    ms = int(argv[2])
    if ms < 0:
        raise CommandError("ERR timeout is negative")
    pause_clients(c.server, ms / 1000.0, kind)
    return OK


def pause_clients(server, seconds: float, kind: str) -> None:
    """pauseClients: the type is replaced, the end time only ever extended."""
    end = time.monotonic() + seconds
    cp = server.client_pause
    if cp is not None and cp[1] > end:
        end = cp[1]
    server.client_pause = (kind, end)
    server.set_pause()
    if server.loop is not None:
        # Release on time rather than at the next cron tick.
        server.loop.call_later(max(server.pause_end - time.monotonic(), 0) + 0.001, _check_pause, server)


def _check_pause(server) -> None:
    if server.pause_kind is not None and time.monotonic() >= server.pause_end:
        server.unpause()


@command("client|unpause")
def client_unpause(c, argv):
    if c.server.client_pause is not None:
        c.server.unpause()
    return OK


@command("client|unblock")
def client_unblock(c, argv):
    n = len(argv)
    if n > 4:
        raise _sub_syntax(argv)
    as_error = False
    if n == 4:
        m = argv[3].lower()
        if m == b"error":
            as_error = True
        elif m != b"timeout":
            raise CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    if not is_strict_int(argv[2]):
        raise CommandError("ERR value is not an integer or out of range")
    server = c.server
    target = server.clients.get(int(argv[2]))
    if target is None or target.blocked is None:
        return ZERO
    b = target.blocked
    if as_error:
        text = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
        server.count_error(text)
        reply = error(text)
    else:
        reply = b.timeout_reply(target) if callable(b.timeout_reply) else b.timeout_reply
    server.unblock(target, reply)
    return ONE


_HELP = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
]


def help_reply(lines) -> bytes:
    """addReplyHelp: an array of status lines."""
    return b"*%d\r\n" % len(lines) + b"".join(b"+" + s.encode() + b"\r\n" for s in lines)


_HELP_REPLY = help_reply(_HELP)


@command("client|help")
def client_help(c, argv):
    return _HELP_REPLY
