"""``redkeep-server [/path/to/redis.conf] [options] [-]``

The command line of redis-server's main(): an optional config file first
(any first word not starting with '-'), ``-`` (first or last) reads more
configuration from stdin, and every ``--name args...`` becomes a line
``name "arg" ...`` appended after the file and stdin, so that it wins.
``--save`` with no value means ``save ""``.  The whole text is then parsed
as one configuration (line numbers in errors count from the file's start).
"""

from __future__ import annotations

import os
import sys

from .. import REDIS_VERSION, __version__

USAGE = """Usage: ./redkeep-server [/path/to/redis.conf] [options] [-]
       ./redkeep-server - (read config from stdin)
       ./redkeep-server -v or --version
       ./redkeep-server -h or --help

Examples:
       ./redkeep-server (run the server with default conf)
       echo 'maxmemory 128mb' | ./redkeep-server -
       ./redkeep-server /etc/redis/6379.conf
       ./redkeep-server --port 7777
       ./redkeep-server --port 7777 --replicaof 127.0.0.1 8888
       ./redkeep-server /etc/myredis.conf --loglevel verbose -
       ./redkeep-server /etc/myredis.conf --loglevel verbose

Sentinel mode:
       ./redkeep-server /etc/sentinel.conf --sentinel
"""


def get_absolute_path(filename: str) -> str:
    """Redis's getAbsolutePath: cwd + name, leading '../' climbing up."""
    rel = filename.strip(" \r\n\t")
    if rel.startswith("/"):
        return rel
    absp = os.getcwd()
    if not absp.endswith("/"):
        absp += "/"
    while rel.startswith("../"):
        rel = rel[3:]
        if len(absp) > 1:
            absp = absp[: absp[:-1].rfind("/") + 1]
    return absp + rel


def parse_command_line(argv: list[str]):
    """-> (config_file or None, options text, read_stdin, sentinel).

    ``argv`` excludes the program name."""
    from ..config import sds_repr
    from ..resp import split_args

    sentinel = "--sentinel" in argv
    config_file = None
    j = 0
    if argv and not argv[0].startswith("-"):
        config_file = get_absolute_path(argv[0])
        j = 1
    n = len(argv)
    options = ""
    read_stdin = False
    handled_last = True
    while j < n:
        a = argv[j]
        if a == "-" and (j == 0 or j == n - 1):
            read_stdin = True
        elif handled_last and a.startswith("--"):
            if options:
                options += "\n"
            options += a[2:] + " "
            words = split_args(os.fsencode(a))
            if words is not None and len(words) == 1:
                # A bare name: its value is the next word(s), unless it is
                # --save / --sentinel followed by another option or nothing.
                handled_last = False
                nxt_is_opt = j != n - 1 and argv[j + 1].startswith("--")
                low = a.lower()
                if low == "--save" and nxt_is_opt:
                    options += '""'
                    handled_last = True
                elif low == "--save" and j == n - 1:
                    options += '""'
                elif low == "--sentinel" and nxt_is_opt:
                    handled_last = True
            else:
                handled_last = True
        else:
            options += sds_repr(a) + " "
            handled_last = True
        j += 1
    return config_file, options, read_stdin, sentinel


def program_name() -> str:
    prog = sys.argv[0] if sys.argv and sys.argv[0] else "redkeep-server"
    if os.path.basename(prog) == "__main__.py":
        return "python -m redkeep"
    return prog


def _fatal_log(config, text: str) -> None:
    """serverLog(LL_WARNING) before logging is set up: stdout, or the logfile
    a previous line configured; role 'C' as Redis prints it this early."""
    import time
    t = time.time()
    stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(t)) + ".%03d" % int((t % 1) * 1000)
    line = "%d:C %s # %s\n" % (os.getpid(), stamp, text)
    logfile = config.values.get("logfile") if config is not None else ""
    if logfile:
        try:
            with open(logfile, "a", encoding="utf-8", errors="surrogateescape") as f:
                f.write(line)
            return
        except OSError:
            pass
    sys.stdout.write(line)
    sys.stdout.flush()


def build_config(argv: list[str]):
    from ..config import Config
    from ..config_table import TABLE
    from ..confparse import ConfigFileError, ConfigOpenError, apply_config_text, read_config_file

    if argv and argv[0] in ("-v", "--version"):
        print(f"Redis server v={REDIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=redkeep-{__version__}")
        raise SystemExit(0)
    if argv and argv[0] in ("-h", "--help"):
        sys.stderr.write(USAGE)
        raise SystemExit(1)
    config_file, options, read_stdin, sentinel = parse_command_line(argv)
    config = Config(TABLE)
    config.sentinel_mode = sentinel
    config.config_file = config_file
    # For the start-up banner: Redis says "Configuration loaded" whenever it
    # got any argument at all, else it names its own argv[0].
    config.args_given = bool(argv)
    config.program = program_name()
    try:
        text = read_config_file(config_file) if config_file else ""
        if read_stdin:
            _fatal_log(config, "Reading config from stdin")
            text += sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        text += "\n" + options
        apply_config_text(config, text, config_file or "(command line)")
    except ConfigOpenError as e:
        _fatal_log(config, e.message())
        raise SystemExit(1)
    except ConfigFileError as e:
        sys.stderr.flush()
        sys.stderr.buffer.write(e.report().encode("utf-8", "surrogateescape"))
        sys.stderr.flush()
        raise SystemExit(1)
    return config, sentinel


def main(argv: list[str] | None = None) -> None:
    if argv is None:
        argv = sys.argv[1:]
    config, sentinel = build_config(argv)
    if sentinel:
        sys.stderr.write("Sentinel mode is not available yet in this redkeep version.\n")
        raise SystemExit(1)
    from ..boot import run_server
    run_server(config)


if __name__ == "__main__":
    main()
