"""Regenerate src/redkeep/commands/command_specs.json from a real Redis 7.0.

The command table's metadata (arity, flags, key specs, ACL categories, docs) is
part of Redis's outside: clients call COMMAND / COMMAND DOCS at connect time and
tools parse the answers.  Rather than retype 240 entries by hand, we ask the
reference server once and keep its answer as data, tagged with RESP3 types so
that redkeep can render it in RESP2 or RESP3 exactly as Redis does.

Usage: python tools/gen_command_table.py PORT   (a redis-server 7.0 on 127.0.0.1)
"""
import json
import socket
import sys


def read_reply(f):
    line = f.readline()
    t, rest = line[:1], line[1:-2]
    if t == b"+":
        return ["simple", rest.decode()]
    if t == b"-":
        return ["error", rest.decode()]
    if t == b":":
        return ["int", int(rest)]
    if t == b"$":
        n = int(rest)
        data = f.read(n + 2)[:-2]
        return ["bulk", data.decode()]
    if t == b"_":
        return ["null", None]
    if t in (b"*", b"~", b"%"):
        n = int(rest)
        if t == b"%":
            n *= 2
        kind = {b"*": "array", b"~": "set", b"%": "map"}[t]
        return [kind, [read_reply(f) for _ in range(n)]]
    raise ValueError(line)


def main():
    port = int(sys.argv[1])
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    s.sendall(b"HELLO 3\r\n")
    read_reply(f)
    s.sendall(b"COMMAND INFO\r\n")
    info = read_reply(f)
    s.sendall(b"COMMAND DOCS\r\n")
    docs = read_reply(f)
    out = {"info": {}, "docs": {}}
    for entry in info[1]:
        name = entry[1][0][1]
        out["info"][name] = entry
    items = docs[1]
    for i in range(0, len(items), 2):
        out["docs"][items[i][1]] = items[i + 1]
    json.dump(out, sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main()
