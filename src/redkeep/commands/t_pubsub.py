"""Pub/Sub: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.
Mirrors Redis's ``pubsub.c`` in a non-cluster server.

Registries live on the server: ``pubsub_channels`` / ``pubsub_patterns`` /
``pubsub_shard_channels`` map a name to a dict of subscribed clients (a dict
is an ordered set: delivery follows subscription order).  Each client keeps
its own ``channels`` (set), ``patterns`` (dict, ordered like Redis's list) and
``shard_channels`` (set).

A RESP2 client gets plain arrays; a RESP3 client gets push (``>``) frames, for
confirmations as well as messages.  Subscription counts in confirmations are
channels + patterns for the classic kind and shard channels alone for the
shard kind.  While any subscription exists the dispatcher runs its slow-path
checks (``server.refresh_checks``), which enforce the RESP2 subscribed context.
"""

from __future__ import annotations

from ..errors import CommandError
from ..resp import array_header, bulk, integer
from ..server import Server
from .glob import compile_pattern
from .table import command

_MESSAGE = b"$7\r\nmessage\r\n"
_PMESSAGE = b"$8\r\npmessage\r\n"
_SMESSAGE = b"$8\r\nsmessage\r\n"
_SUBSCRIBE = b"$9\r\nsubscribe\r\n"
_UNSUBSCRIBE = b"$11\r\nunsubscribe\r\n"
_PSUBSCRIBE = b"$10\r\npsubscribe\r\n"
_PUNSUBSCRIBE = b"$12\r\npunsubscribe\r\n"
_SSUBSCRIBE = b"$10\r\nssubscribe\r\n"
_SUNSUBSCRIBE = b"$12\r\nsunsubscribe\r\n"

_PUSH3 = b">3\r\n"
_PUSH4 = b">4\r\n"
_ARR3 = b"*3\r\n"
_ARR4 = b"*4\r\n"


def _count(c) -> int:
    return len(c.channels) + len(c.patterns)


def _notice(c, kind: bytes, name, count: int) -> bytes:
    head = _PUSH3 if c.resp_ver == 3 else _ARR3
    return head + kind + (bulk(name) if name is not None else c.r.null) + integer(count)


def _set_mode(c) -> None:
    """Pub/sub clients get the 'pubsub' output-buffer class while subscribed."""
    if c.channels or c.patterns or c.shard_channels:
        if c.kind == "normal":
            c.kind = "pubsub"
    elif c.kind == "pubsub":
        c.kind = "normal"


# ---------------------------------------------------------------------------
# subscribe / unsubscribe primitives
# ---------------------------------------------------------------------------


def _subscribe(c, registry, mine, names, kind, shard: bool) -> bytes:
    out = []
    for ch in names:
        if ch not in mine:
            mine.add(ch)
            subs = registry.get(ch)
            if subs is None:
                registry[ch] = subs = {}
            subs[c] = None
        out.append(_notice(c, kind, ch, len(c.shard_channels) if shard else _count(c)))
    return b"".join(out)


def _unsubscribe_one(c, registry, mine, ch) -> bool:
    if ch not in mine:
        return False
    if type(mine) is dict:
        del mine[ch]
    else:
        mine.discard(ch)
    subs = registry.get(ch)
    if subs is not None:
        subs.pop(c, None)
        if not subs:
            del registry[ch]
    return True


def _unsubscribe(c, registry, mine, names, kind, shard: bool, notify: bool = True) -> bytes:
    out = []
    if names is None:
        names = list(mine)
        if not names and notify:
            out.append(_notice(c, kind, None, len(c.shard_channels) if shard else _count(c)))
    for ch in names:
        _unsubscribe_one(c, registry, mine, ch)
        if notify:
            out.append(_notice(c, kind, ch, len(c.shard_channels) if shard else _count(c)))
    return b"".join(out)


def unsubscribe_all(c, notify: bool = False) -> bytes:
    """Drop every subscription of ``c`` (RESET, disconnect)."""
    server = c.server
    out = b""
    if c.channels:
        out += _unsubscribe(c, server.pubsub_channels, c.channels, None, _UNSUBSCRIBE, False, notify)
    if c.patterns:
        out += _unsubscribe(c, server.pubsub_patterns, c.patterns, None, _PUNSUBSCRIBE, False, notify)
    if c.shard_channels:
        out += _unsubscribe(c, server.pubsub_shard_channels, c.shard_channels, None, _SUNSUBSCRIBE, True, notify)
    _set_mode(c)
    server.refresh_checks()
    return out


def _on_disconnect(c) -> None:
    if c.channels or c.patterns or c.shard_channels:
        unsubscribe_all(c)


Server.disconnect_hooks.append(_on_disconnect)


def _changed(c, reply: bytes) -> bytes:
    """Subscription set changed: refresh the client's mode and the server's
    checks; ``reply`` holds one confirmation frame per name."""
    _set_mode(c)
    c.server.refresh_checks()
    return reply


@command("subscribe")
def subscribe(c, argv):
    return _changed(c, _subscribe(c, c.server.pubsub_channels, c.channels, argv[1:], _SUBSCRIBE, False))


@command("ssubscribe")
def ssubscribe(c, argv):
    return _changed(c, _subscribe(c, c.server.pubsub_shard_channels, c.shard_channels, argv[1:], _SSUBSCRIBE, True))


@command("psubscribe")
def psubscribe(c, argv):
    server = c.server
    registry = server.pubsub_patterns
    mine = c.patterns
    out = []
    for pat in argv[1:]:
        if pat not in mine:
            mine[pat] = None
            subs = registry.get(pat)
            if subs is None:
                registry[pat] = subs = {}
            subs[c] = None
        out.append(_notice(c, _PSUBSCRIBE, pat, _count(c)))
    return _changed(c, b"".join(out))


@command("unsubscribe")
def unsubscribe(c, argv):
    names = argv[1:] if len(argv) > 1 else None
    return _changed(c, _unsubscribe(c, c.server.pubsub_channels, c.channels, names, _UNSUBSCRIBE, False))


@command("sunsubscribe")
def sunsubscribe(c, argv):
    names = argv[1:] if len(argv) > 1 else None
    return _changed(c, _unsubscribe(c, c.server.pubsub_shard_channels, c.shard_channels, names, _SUNSUBSCRIBE, True))


@command("punsubscribe")
def punsubscribe(c, argv):
    names = argv[1:] if len(argv) > 1 else None
    return _changed(c, _unsubscribe(c, c.server.pubsub_patterns, c.patterns, names, _PUNSUBSCRIBE, False))


# ---------------------------------------------------------------------------
# PUBLISH
# ---------------------------------------------------------------------------


def publish_message(server, channel: bytes, message: bytes, shard: bool = False) -> int:
    """Deliver to channel subscribers, then (classic kind) to matching
    patterns; returns the number of deliveries."""
    n = 0
    subs = (server.pubsub_shard_channels if shard else server.pubsub_channels).get(channel)
    if subs:
        tail = (_SMESSAGE if shard else _MESSAGE) + bulk(channel) + bulk(message)
        msg2 = msg3 = None
        for r in list(subs):
            if r.resp_ver == 3:
                if msg3 is None:
                    msg3 = _PUSH3 + tail
                r.write(msg3)
            else:
                if msg2 is None:
                    msg2 = _ARR3 + tail
                r.write(msg2)
            n += 1
    if not shard and server.pubsub_patterns:
        chan_msg = bulk(channel) + bulk(message)
        for pat, psubs in list(server.pubsub_patterns.items()):
            if not compile_pattern(pat)(channel):
                continue
            tail = _PMESSAGE + bulk(pat) + chan_msg
            for r in list(psubs):
                r.write((_PUSH4 if r.resp_ver == 3 else _ARR4) + tail)
                n += 1
    return n


@command("publish")
def publish(c, argv):
    server = c.server
    n = publish_message(server, argv[1], argv[2])
    # Redis propagates PUBLISH (to replicas) even though no key changed.
    c.prop = [argv]
    return integer(n)


@command("spublish")
def spublish(c, argv):
    n = publish_message(c.server, argv[1], argv[2], shard=True)
    c.prop = [argv]
    return integer(n)


# ---------------------------------------------------------------------------
# PUBSUB introspection
# ---------------------------------------------------------------------------


def subcommand_syntax_error(argv) -> CommandError:
    """addReplySubcommandSyntaxError."""
    return CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP." % (
        argv[1][:128].decode("utf-8", "replace"), argv[0].decode("utf-8", "replace").upper()))


def _channel_list(registry, argv) -> bytes:
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    names = list(registry)
    if len(argv) == 3:
        match = compile_pattern(argv[2])
        names = [n for n in names if match(n)]
    return array_header(len(names)) + b"".join(bulk(n) for n in names)


def _numsub(registry, argv) -> bytes:
    out = [array_header((len(argv) - 2) * 2)]
    for ch in argv[2:]:
        subs = registry.get(ch)
        out.append(bulk(ch))
        out.append(integer(len(subs) if subs else 0))
    return b"".join(out)


@command("pubsub|channels")
def pubsub_channels(c, argv):
    return _channel_list(c.server.pubsub_channels, argv)


@command("pubsub|shardchannels")
def pubsub_shardchannels(c, argv):
    return _channel_list(c.server.pubsub_shard_channels, argv)


@command("pubsub|numsub")
def pubsub_numsub(c, argv):
    return _numsub(c.server.pubsub_channels, argv)


@command("pubsub|shardnumsub")
def pubsub_shardnumsub(c, argv):
    return _numsub(c.server.pubsub_shard_channels, argv)


@command("pubsub|numpat")
def pubsub_numpat(c, argv):
    return integer(len(c.server.pubsub_patterns))


_HELP_LINES = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]
_HELP = array_header(len(_HELP_LINES)) + b"".join(b"+" + s.encode() + b"\r\n" for s in _HELP_LINES)


@command("pubsub|help")
def pubsub_help(c, argv):
    return _HELP
