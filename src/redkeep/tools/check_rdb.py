"""``redkeep-check-rdb FILE``: Redis's ``redis-check-rdb`` for redkeep (and
Redis) dump files: same report lines on stdout, exit code 0 when the file
is sound and 1 otherwise.  The checking itself is ``redkeep.rdb.check``."""

from __future__ import annotations

import os
import sys

from ..rdb.check import main as check_main


def main(argv: list[str] | None = None) -> int:
    prog = os.path.basename(sys.argv[0]) if argv is None and sys.argv and sys.argv[0] else "redkeep-check-rdb"
    if prog.endswith(".py") or prog == "__main__.py":
        prog = "redkeep-check-rdb"
    try:
        return check_main(argv, prog)
    except BrokenPipeError:  # `redkeep-check-rdb dump.rdb | head`
        return 1


if __name__ == "__main__":
    sys.exit(main())
