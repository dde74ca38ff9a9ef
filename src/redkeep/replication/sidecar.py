"""Replication id and offset across AOF-only restarts (beyond Redis).

Redis keeps a restarted instance's replication id and offset only in the
RDB AUX fields, so an instance persisted by AOF alone comes back with a new
id and must fully resync (or, as a primary, makes all its replicas do so).

On a clean shutdown with ``appendonly yes`` we write ``<appendfilename>.repl``
in ``dir``: the id, offset and stream db, plus a fingerprint of the AOF
directory (every file's name and size).  At start-up the state is taken back
only if the AOF directory still has exactly that fingerprint, i.e. the data
loaded is the data the offset describes; after a crash, or any write since,
the fingerprint differs and the file is ignored (a full resync, as Redis).
"""

from __future__ import annotations

import json
import os


def _paths(server):
    cfg = server.config
    name = cfg.get("appendfilename") or "appendonly.aof"
    adir = cfg.get("appenddirname") or "appendonlydir"
    return os.path.abspath(name + ".repl"), os.path.abspath(adir)


def fingerprint(adir: str) -> list:
    try:
        names = sorted(os.listdir(adir))
    except OSError:
        return []
    out = []
    for n in names:
        try:
            out.append([n, os.path.getsize(os.path.join(adir, n))])
        except OSError:
            pass
    return out


def save(server) -> None:
    cfg = server.config
    if not cfg.get("appendonly"):
        return
    info = server.repl.rdb_repl_info()
    if info is None:
        return
    path, adir = _paths(server)
    fp = fingerprint(adir)
    if not fp:
        return
    state = {"repl_stream_db": info[0], "replid": info[1], "offset": info[2], "aof": fp}
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        server.log.warning("Could not save the replication state next to the AOF: %s", e.strerror)


def load(server) -> dict | None:
    """The saved state as RDB-style AUX fields, if it matches the AOF on disk."""
    if not server.config.get("appendonly"):
        return None
    path, adir = _paths(server)
    try:
        with open(path) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return None
    if state.get("aof") != fingerprint(adir):
        server.log.notice("Replication state file %s does not match the AOF: ignored", os.path.basename(path))
        return None
    return {b"repl-id": str(state["replid"]).encode(), b"repl-offset": b"%d" % int(state["offset"]),
            b"repl-stream-db": b"%d" % int(state["repl_stream_db"])}
