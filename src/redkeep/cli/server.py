"""``redkeep-server [/path/to/redis.conf] [--directive value ...]``

Same command-line forms as redis-server: an optional config file first (``-``
reads it from stdin), then ``--name args...`` options, each appended to the
configuration as a line ``name args`` so that it wins over the file.
"""

from __future__ import annotations

import asyncio
import os
import sys

from .. import REDIS_VERSION, __version__

USAGE = """Usage: ./redkeep-server [/path/to/redis.conf] [options] [-]
       ./redkeep-server - (read config from stdin)
       ./redkeep-server -v or --version
       ./redkeep-server -h or --help

Examples:
       ./redkeep-server (run the server with default conf)
       ./redkeep-server /etc/redis/6379.conf
       ./redkeep-server --port 7777
       ./redkeep-server --port 7777 --replicaof 127.0.0.1 8888
       ./redkeep-server /etc/myredis.conf --loglevel verbose -
       ./redkeep-server /etc/myredis.conf --loglevel verbose

Sentinel mode:
       ./redkeep-server /etc/sentinel.conf --sentinel
"""


def _quote(arg: str) -> str:
    """Quote an argv word so that the config parser reads it back as one."""
    if arg and not any(ch in arg for ch in " \t\r\n\"'\\"):
        return arg
    out = '"'
    for ch in arg:
        if ch in '"\\':
            out += "\\" + ch
        elif ch == "\n":
            out += "\\n"
        elif ch == "\r":
            out += "\\r"
        elif ch == "\t":
            out += "\\t"
        else:
            out += ch
    return out + '"'


def argv_to_config_text(args: list[str]) -> str:
    """``--port 6380 --save ""`` -> 'port 6380\\nsave ""\\n' (Redis's main())."""
    lines = []
    cur = None
    for a in args:
        if a.startswith("--") and len(a) > 2 and not (cur is not None and cur[0] in ("save",) and False):
            if cur is not None:
                lines.append(cur)
            cur = [a[2:]]
        else:
            if cur is None:
                raise SystemExit(f"Invalid option '{a}'")
            cur.append(a)
    if cur is not None:
        lines.append(cur)
    text = ""
    for words in lines:
        name = words[0]
        vals = words[1:]
        if name in ("save",) and not vals:
            vals = [""]
        text += " ".join([name] + [_quote(v) for v in vals]) + "\n"
    return text


def parse_command_line(argv: list[str]):
    """-> (config_file or None, options text, read_stdin, sentinel)"""
    if argv and argv[0] in ("-v", "--version"):
        print(f"Redis server v={REDIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=redkeep-{__version__}")
        raise SystemExit(0)
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        raise SystemExit(0)
    config_file = None
    rest = argv
    if rest and not rest[0].startswith("-"):
        config_file = rest[0]
        rest = rest[1:]
    read_stdin = False
    if rest and rest[-1] == "-":
        read_stdin = True
        rest = rest[:-1]
    sentinel = False
    if "--sentinel" in rest:
        sentinel = True
        rest = [a for a in rest if a != "--sentinel"]
    return config_file, argv_to_config_text(rest), read_stdin, sentinel


def build_config(argv: list[str]):
    from ..config import Config
    from ..config_table import TABLE
    from ..confparse import ConfigFileError

    config_file, options, read_stdin, sentinel = parse_command_line(argv)
    config = Config(TABLE)
    try:
        if config_file:
            try:
                config.load_file(config_file)
            except FileNotFoundError:
                sys.stderr.write(f"Fatal error, can't open config file '{os.path.abspath(config_file)}': "
                                 "No such file or directory\n")
                raise SystemExit(1)
        if read_stdin:
            config.load_text(sys.stdin.read(), "(stdin)")
        if options:
            config.load_text(options, "(command line)")
    except ConfigFileError as e:
        sys.stderr.write(e.report())
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
