"""The command table: name -> Command(handler, arity, flags, key positions).

Mirrors Redis's ``commands.c``/``server.c`` command table.  The metadata of
every command (arity, flags, key specs, ACL categories, docs) comes from
``command_specs.json``, captured from a real Redis 7.0.15 by
``tools/gen_command_table.py``: clients read it through COMMAND, so it must be
Redis's, byte for byte.  Handlers are attached by the ``@command`` decorator in
the family modules (t_string.py, t_list.py, ...).  Only commands with a handler
exist for clients: the rest answer Redis's unknown-command error.

A handler is ``handler(c, argv) -> bytes | None``: it returns the encoded reply
(see resp.py), raises ``CommandError``, or returns None when it has blocked the
client or answers later.
"""

from __future__ import annotations

import json
import os

_SPECS_PATH = os.path.join(os.path.dirname(__file__), "command_specs.json")

_handlers: dict[str, object] = {}


def command(name: str):
    """Register ``fn`` as the handler of ``name`` ('get', 'config|get')."""

    def deco(fn):
        _handlers[name] = fn
        return fn

    return deco


class Command:
    __slots__ = (
        "name", "fullname", "handler", "arity", "flags", "first_key", "last_key", "key_step",
        "write", "readonly", "denyoom", "admin", "pubsub", "noscript", "loading", "stale",
        "no_auth", "no_multi", "fast", "may_replicate", "skip_monitor", "skip_slowlog",
        "blocking", "allow_busy", "subcommands", "parent", "info", "docs",
        "calls", "ns", "rejected_calls", "failed_calls", "key_specs", "inline_ok",
    )

    def __init__(self, fullname: str, info, docs, handler, parent=None):
        self.fullname = fullname
        self.name = fullname.split("|")[-1]
        self.handler = handler
        self.parent = parent
        self.info = info
        self.docs = docs
        vals = info[1]
        self.arity = vals[1][1]
        self.flags = frozenset(x[1] for x in vals[2][1])
        self.first_key = vals[3][1]
        self.last_key = vals[4][1]
        self.key_step = vals[5][1]
        self.key_specs = vals[8][1] if len(vals) > 8 else []
        f = self.flags
        self.write = "write" in f
        self.readonly = "readonly" in f
        self.denyoom = "denyoom" in f
        self.admin = "admin" in f
        self.pubsub = "pubsub" in f
        self.noscript = "noscript" in f
        self.loading = "loading" in f
        self.stale = "stale" in f
        self.no_auth = "no_auth" in f
        self.no_multi = "no_multi" in f
        self.fast = "fast" in f
        self.may_replicate = "may_replicate" in f
        self.skip_monitor = "skip_monitor" in f
        self.skip_slowlog = "skip_slowlog" in f
        self.blocking = "blocking" in f
        self.allow_busy = "allow_busy" in f
        self.subcommands: dict[bytes, Command] | None = None
        # A data command (reads or writes keys, never blocks): it cannot
        # change what process_batch hoists out of its loop (MULTI state,
        # authentication, pause, snapshot, MONITOR, the precheck conditions),
        # so a read batch may run it inline.  Everything else goes through
        # process() and makes the batch look at that state again.
        # FLUSHALL is not: its save (save rules) may fail and set MISCONF.
        self.inline_ok = (self.write or self.readonly) and not self.blocking and fullname != "flushall"
        self.calls = 0
        self.ns = 0  # time spent, summed in ns on the hot path; see usec
        self.rejected_calls = 0
        self.failed_calls = 0

    @property
    def usec(self) -> int:
        return self.ns // 1000

    def reset_stats(self) -> None:
        self.calls = self.ns = self.rejected_calls = self.failed_calls = 0
        if self.subcommands:
            for sub in set(self.subcommands.values()):
                sub.reset_stats()

    def __repr__(self) -> str:
        return f"<Command {self.fullname}>"


class CommandTable:
    """Lookup by the bytes a client sends, in any case."""

    def __init__(self):
        with open(_SPECS_PATH) as f:
            specs = json.load(f)
        self.specs = specs
        self.by_name: dict[str, Command] = {}
        self.lookup: dict[bytes, Command] = {}
        for name, info in specs["info"].items():
            handler = _handlers.get(name)
            subinfos = info[1][9][1] if len(info[1]) > 9 else []
            subs = {}
            for sub in subinfos:
                subname = sub[1][0][1]  # 'config|get'
                h = _handlers.get(subname)
                if h is None:
                    continue
                subs[subname] = sub
            if handler is None and not subs:
                continue
            docs = specs["docs"].get(name)
            cmd = Command(name, info, docs, handler)
            if subinfos:
                cmd.inline_ok = False
                cmd.subcommands = {}
                for subname, sub in subs.items():
                    sc = Command(subname, sub, _sub_docs(docs, subname), _handlers[subname], parent=cmd)
                    short = subname.split("|")[1].encode()
                    cmd.subcommands[short] = sc
                    cmd.subcommands[short.upper()] = sc
            self.by_name[name] = cmd
        self._index()

    def _index(self) -> None:
        self.lookup = {}
        for name, cmd in self.by_name.items():
            b = name.encode()
            self.lookup[b] = cmd
            self.lookup[b.upper()] = cmd

    def get(self, name: bytes):
        cmd = self.lookup.get(name)
        if cmd is None:
            cmd = self.lookup.get(name.lower())
        return cmd

    def rename(self, old: str, new: str) -> bool:
        """rename-command: '' removes the command."""
        cmd = self.by_name.pop(old.lower(), None)
        if cmd is None:
            return False
        if new:
            self.by_name[new.lower()] = cmd
        self._index()
        return True

    def all_commands(self):
        return list(self.by_name.values())


def _sub_docs(docs, subname):
    if not docs:
        return None
    vals = docs[1]
    for i in range(0, len(vals), 2):
        if vals[i][1] == "subcommands":
            subs = vals[i + 1][1]
            for j in range(0, len(subs), 2):
                if subs[j][1] == subname:
                    return subs[j + 1]
    return None


def get_keys(cmd: Command, argv: list) -> list[int]:
    """Positions of key arguments (COMMAND GETKEYS, WATCH hooks ...), from
    first/last/step like Redis's legacy key range, extended by key specs for
    commands whose keys are counted by an argument (ZUNION numkeys ...)."""
    positions: list[int] = []
    argc = len(argv)
    for spec in cmd.key_specs:
        m = _spec_map(spec)
        bs = _spec_map(m.get("begin_search"))
        fk = _spec_map(m.get("find_keys"))
        bspec = _spec_map(bs.get("spec"))
        if bs.get("type") == "index":
            start = bspec["index"]
        elif bs.get("type") == "keyword":
            kw = bspec["keyword"].encode().lower()
            start = None
            startfrom = bspec["startfrom"]
            rng = range(startfrom, argc) if startfrom > 0 else range(argc + startfrom, 0, -1)
            for i in rng:
                if argv[i].lower() == kw:
                    start = i + 1
                    break
            if start is None:
                continue
        else:
            continue
        fspec = _spec_map(fk.get("spec"))
        if fk.get("type") == "range":
            last = fspec["lastkey"]
            step = fspec["keystep"]
            limit = fspec["limit"]
            if last >= 0:
                end = start + last
            else:
                if limit <= 1:
                    end = argc + last
                else:
                    end = start + (argc - start) // limit - 1
            positions.extend(range(start, min(end, argc - 1) + 1, step))
        elif fk.get("type") == "keynum":
            ki = start + fspec["keynumidx"]
            if ki >= argc:
                continue
            try:
                n = int(argv[ki])
            except ValueError:
                continue
            first = start + fspec["firstkey"]
            step = fspec["keystep"]
            positions.extend(i for i in range(first, min(first + n * step, argc), step))
    return sorted(set(positions))


def _spec_map(node) -> dict:
    if not node:
        return {}
    vals = node[1]
    out = {}
    for i in range(0, len(vals), 2):
        k = vals[i][1]
        v = vals[i + 1]
        out[k] = v[1] if v[0] in ("bulk", "int", "simple") else v
    return out
