"""Replication (Redis's ``replication.c``): PSYNC2 primaries and replicas.

``core.Replication`` is the per-server state (``server.repl``); ``primary``
serves replicas, ``replica`` follows a master, ``handshake`` is the replica's
protocol as a sans-I/O state machine, ``backlog`` the stream history, and
``sidecar`` keeps ids and offsets across AOF-only restarts.
"""

from .core import Replication, get_repl

__all__ = ["Replication", "get_repl", "startup"]


def startup(server) -> None:
    """Start-up hook (after the dataset is loaded): restore the replication
    id/offset the RDB (or the AOF sidecar) recorded, then follow the
    ``replicaof`` directive."""
    from . import sidecar
    repl = get_repl(server)
    # Run last at shutdown, after the AOF's final flush (see sidecar.py).
    hooks = server.shutdown_hooks
    if repl.on_shutdown in hooks:
        hooks.remove(repl.on_shutdown)
    hooks.append(repl.on_shutdown)
    target = server.config["replicaof"]
    if target:
        server.replica_of = (target[0], int(target[1]))
        server.master_link_up = False
        server.refresh_checks()
        from ..logsetup import set_role
        set_role("S")
    if server.config.get("appendonly"):
        # The AOF was loaded, not the RDB (an AOF base's AUX fields are as
        # old as the last rewrite): only a matching sidecar tells the offset.
        aux = sidecar.load(server)
        if aux:
            server.log.notice("Replication ID and offset restored from the AOF's replication state file")
    else:
        aux = getattr(server, "loaded_aux", None)
    if aux:
        repl.restore_from_aux(aux)
    if target:
        repl.replica.state = "connect"
        repl.replica.connect_soon(0)
