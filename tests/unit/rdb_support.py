"""Shared helpers for the RDB codec tests: fixture paths and a re-encoder
that replays a decoded file through RdbWriter in the same record order."""

from __future__ import annotations

import os

from redkeep.rdb import RdbOptions, RdbReader, RdbWriter

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "rdb")


def fixture(name: str) -> bytes:
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def records(data: bytes, **kw):
    """The file as an ordered list of events: ('aux', k, v), ('function', code),
    ('select', dbid), ('resize', dbid, size, expires), ('key', dbid, key, value,
    expire, idle, freq)."""
    events = []
    reader = RdbReader(data, **kw)
    reader.load(
        on_aux=lambda k, v: events.append(("aux", k, v)),
        on_select=lambda d: events.append(("select", d)),
        on_resize=lambda d, s, e: events.append(("resize", d, s, e)),
        on_function=lambda c: events.append(("function", c)),
        on_key=lambda *a: events.append(("key",) + a),
    )
    return events, reader


def reencode(data: bytes, options: RdbOptions | None = None, **kw) -> bytes:
    events, _ = records(data, **kw)
    out = bytearray()
    w = RdbWriter(out.extend, options)
    w.begin([(e[1], e[2]) for e in events if e[0] == "aux"],
            [e[1] for e in events if e[0] == "function"])
    for e in events:
        if e[0] == "resize":
            w.select_db(e[1], e[2], e[3])
        elif e[0] == "key":
            _, dbid, key, value, expire, idle, freq = e
            w.write_key(key, value, expire, idle, freq)
    w.end()
    return bytes(out)
