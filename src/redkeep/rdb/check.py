"""redkeep-check-rdb: verify an RDB file the way ``redis-check-rdb`` does
and print the same report.  Mirrors Redis's ``redis-check-rdb.c``.

Output (offsets count the bytes consumed when the line is printed)::

    [offset 0] Checking RDB file dump.rdb
    [offset 27] AUX FIELD redis-ver = '7.0.15'
    [offset 82] Selecting DB ID 0
    [offset 116] Checksum OK
    [offset 116] \\o/ RDB looks OK! \\o/
    [info] 1 keys read
    [info] 1 expires
    [info] 0 already expired

On error the report shows ``--- RDB ERROR DETECTED ---``, the reason with
its offset, the phase, the key and the type being read; the exit code is 1.
Module values are skipped (the tool needs no modules), as in Redis.
"""

from __future__ import annotations

import io
import sys
import time

from .decoder import RdbReader
from .types import TYPE_NAMES, RdbError


def check_file(path: str, out=print, now_ms: int | None = None, err=None) -> int:
    """Check ``path``; print the report through ``out`` (and an open failure
    through ``err``, stderr by default); return the exit code."""
    if err is None:
        err = lambda text: print(text, file=sys.stderr)  # noqa: E731
    now = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    stats = {"keys": 0, "expires": 0, "expired": 0}
    out(f"[offset 0] Checking RDB file {path}")
    try:
        f = open(path, "rb")
    except IsADirectoryError:
        # redis-check-rdb reads a directory as an empty file
        f = io.BytesIO()
    except OSError as e:
        # redis-check-rdb prints nothing more on stdout; say why on stderr
        err(f"Cannot open RDB file {path}: {e.strerror}")
        return 1
    with f:
        reader = RdbReader(f, make_zset=lambda pairs, big: pairs, skip_module_values=True)

        def on_aux(k: bytes, v: bytes) -> None:
            out(f"[offset {reader.offset}] AUX FIELD {k.decode(errors='replace')} = "
                f"'{v.decode(errors='replace')}'")

        def on_select(dbid: int) -> None:
            out(f"[offset {reader.offset}] Selecting DB ID {dbid}")

        def on_key(dbid, key, value, expire, idle, freq) -> None:
            stats["keys"] += 1
            if expire is not None:
                stats["expires"] += 1
                if expire < now:
                    stats["expired"] += 1

        try:
            reader.load(on_aux=on_aux, on_select=on_select, on_key=on_key)
        except RdbError as e:
            if e.doing == "read-object-value":
                stats["keys"] += 1  # redis-check-rdb counts a key once its name is read
            out("--- RDB ERROR DETECTED ---")
            out(f"[offset {e.offset}] {e.reason}")
            out(f"[additional info] While doing: {e.doing}")
            if e.key is not None and e.doing == "read-object-value":
                out(f"[additional info] Reading key '{e.key.decode(errors='replace')}'")
            if e.rdb_type is not None:
                out(f"[additional info] Reading type {e.rdb_type} ({TYPE_NAMES.get(e.rdb_type, 'unknown')})")
            _info(out, stats)
            return 1
    if reader.checksum == "disabled":
        out(f"[offset {reader.offset}] RDB file was saved with checksum disabled: no check performed.")
    elif reader.checksum == "ok":
        out(f"[offset {reader.offset}] Checksum OK")
    out(f"[offset {reader.offset}] \\o/ RDB looks OK! \\o/")
    _info(out, stats)
    return 0


def _info(out, stats) -> None:
    out(f"[info] {stats['keys']} keys read")
    out(f"[info] {stats['expires']} expires")
    out(f"[info] {stats['expired']} already expired")


def main(argv: list[str] | None = None, prog: str = "redkeep-check-rdb") -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("Usage: %s <rdb-file-name>" % prog, file=sys.stderr)
        return 1
    return check_file(args[0])


if __name__ == "__main__":
    sys.exit(main())
