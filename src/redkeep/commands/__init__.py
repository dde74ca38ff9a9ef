"""Command families, one module per Redis source file (t_string.c -> t_string.py)."""

import importlib

FAMILIES = [
    "t_string", "t_bitops", "t_keys", "t_list", "t_hash", "t_set", "t_zset", "t_pubsub", "t_multi",
    "t_connection", "t_server", "t_client", "t_config", "t_info", "t_command", "t_debug", "t_rdb", "t_aof",
    "t_replication",
]

_loaded = False


def load_all() -> None:
    """Import every family so their @command handlers register."""
    global _loaded
    if _loaded:
        return
    for name in FAMILIES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    _loaded = True
