"""COMMAND and its subcommands.  Mirrors Redis's ``server.c`` (commandCommand,
commandInfoCommand, commandDocsCommand, commandListCommand,
getKeysSubcommandImpl) and the key extraction of ``db.c``
(getKeysUsingKeySpecs).

Replies are rendered from the RESP3-typed metadata captured from Redis
7.0.15 (``command_specs.json``), restricted to what redkeep implements: a
command without a handler does not exist for clients, and a container
(CLIENT, CONFIG ...) lists only its implemented subcommands.
"""

from __future__ import annotations

from ..errors import CommandError, SYNTAX
from ..resp import array_header, bulk, bulk_array, encode_tagged, integer
from .glob import match
from .t_client import help_reply
from .table import _spec_map, command

# -- metadata restricted to implemented commands -------------------------------------


def _subs(cmd):
    return set(cmd.subcommands.values()) if cmd.subcommands else set()


def info_node(cmd):
    """cmd.info with the subcommand list cut down to implemented ones."""
    if cmd.subcommands is None:
        return cmd.info
    vals = cmd.info[1]
    names = {s.fullname for s in _subs(cmd)}
    subs = [s for s in vals[9][1] if s[1][0][1] in names]
    return ["array", vals[:9] + [["array", subs]] + vals[10:]]


def docs_node(cmd):
    docs = cmd.docs or ["map", []]
    if cmd.subcommands is None:
        return docs
    names = {s.fullname for s in _subs(cmd)}
    vals = list(docs[1])
    for i in range(0, len(vals), 2):
        if vals[i][1] == "subcommands":
            subs = vals[i + 1][1]
            kept = []
            for j in range(0, len(subs), 2):
                if subs[j][1] in names:
                    kept += subs[j:j + 2]
            vals[i + 1] = ["map", kept]
    return ["map", vals]


def lookup_by_name(server, name: bytes):
    """lookupCommandBySds: 'get' or 'config|get', any case."""
    parts = name.lower().split(b"|")
    if len(parts) > 2:
        return None
    cmd = server.commands.get(parts[0])
    if cmd is None or len(parts) == 1:
        return cmd
    if not cmd.subcommands:
        return None
    return cmd.subcommands.get(parts[1])


def lookup_by_argv(server, argv):
    """lookupCommand: the subcommand when the command is a container."""
    cmd = server.commands.get(argv[0])
    if cmd is None or not cmd.subcommands or len(argv) < 2:
        return cmd
    sub = cmd.subcommands.get(argv[1].lower())
    if sub is None and cmd.handler is None:
        return None
    return sub or cmd


def _all_infos(c) -> bytes:
    cmds = c.server.commands.all_commands()
    return array_header(len(cmds)) + b"".join(encode_tagged(info_node(x), c.r) for x in cmds)


# -- handlers -----------------------------------------------------------------------


@command("command")
def command_(c, argv):
    if len(argv) > 1:
        raise CommandError("ERR unknown subcommand '%s'. Try COMMAND HELP." % argv[1][:128].decode("utf-8", "replace"))
    return _all_infos(c)


@command("command|count")
def command_count(c, argv):
    return integer(len(c.server.commands.by_name))


@command("command|info")
def command_info(c, argv):
    if len(argv) == 2:
        return _all_infos(c)
    out = [array_header(len(argv) - 2)]
    for name in argv[2:]:
        cmd = lookup_by_name(c.server, name)
        out.append(c.r.null if cmd is None else encode_tagged(info_node(cmd), c.r))
    return b"".join(out)


@command("command|docs")
def command_docs(c, argv):
    server = c.server
    if len(argv) == 2:
        found = server.commands.all_commands()
    else:
        found = [x for x in (lookup_by_name(server, n) for n in argv[2:]) if x is not None]
    out = [c.r.map_header(len(found))]
    for cmd in found:
        out.append(bulk(cmd.fullname.encode()))
        out.append(encode_tagged(docs_node(cmd), c.r))
    return b"".join(out)


def _acl_categories(cmd) -> set:
    return {x[1][1:].lower() for x in cmd.info[1][6][1]}


@command("command|list")
def command_list(c, argv):
    n = len(argv)
    ftype = farg = None
    i = 2
    while i < n:
        if argv[i].lower() == b"filterby" and n - 1 - i == 2:
            ftype = argv[i + 1].lower()
            if ftype not in (b"module", b"aclcat", b"pattern"):
                raise CommandError(SYNTAX)
            farg = argv[i + 2]
            i += 3
        else:
            raise CommandError(SYNTAX)
    names = []
    for cmd in c.server.commands.all_commands():
        for x in [cmd] + _ordered_subs(cmd):
            if ftype is None:
                names.append(x.fullname.encode())
            elif ftype == b"aclcat":
                if farg.decode("utf-8", "replace").lower() in _acl_categories(x):
                    names.append(x.fullname.encode())
            elif ftype == b"pattern":
                if match(farg, x.fullname.encode(), nocase=True):
                    names.append(x.fullname.encode())
    return bulk_array(names)


def _ordered_subs(cmd) -> list:
    """Implemented subcommands in the captured table order."""
    if not cmd.subcommands:
        return []
    by_name = {s.fullname: s for s in _subs(cmd)}
    return [by_name[s[1][0][1]] for s in cmd.info[1][9][1] if s[1][0][1] in by_name]


# -- key extraction ----------------------------------------------------------------------


class _InvalidSpec(Exception):
    pass


def keys_with_flags(cmd, argv) -> list:
    """getKeysUsingKeySpecs: [(position, [flag, ...]), ...] in spec order.
    Raises _InvalidSpec when the arguments do not fit a spec."""
    argc = len(argv)
    out = []
    for spec in cmd.key_specs:
        m = _spec_map(spec)
        flags = [f[1] for f in m.get("flags", ["set", []])[1]]
        if "not_key" in flags:
            continue
        bs = _spec_map(m.get("begin_search"))
        bspec = _spec_map(bs.get("spec"))
        first = 0
        if bs.get("type") == "index":
            first = bspec["index"]
        elif bs.get("type") == "keyword":
            kw = bspec["keyword"].encode().lower()
            sf = bspec["startfrom"]
            start = sf if sf > 0 else argc + sf
            end = argc - 1 if sf > 0 else 0
            i = start
            while i != end:
                if i >= argc or i < 1:
                    break
                if argv[i].lower() == kw:
                    first = i + 1
                    break
                i = i + 1 if start <= end else i - 1
            if not first:
                continue
        else:
            raise _InvalidSpec
        fk = _spec_map(m.get("find_keys"))
        fspec = _spec_map(fk.get("spec"))
        if fk.get("type") == "range":
            step = fspec["keystep"]
            lastkey = fspec["lastkey"]
            if lastkey >= 0:
                last = first + lastkey
            elif not fspec["limit"]:
                last = argc + lastkey
            else:
                last = first + ((argc - first) // fspec["limit"] + lastkey)
        elif fk.get("type") == "keynum":
            idx = first + fspec["keynumidx"]
            if fspec["keynumidx"] >= argc or idx >= argc:
                raise _InvalidSpec
            try:
                numkeys = int(argv[idx])
            except ValueError:
                raise _InvalidSpec from None
            if numkeys < 0:
                raise _InvalidSpec
            first += fspec["firstkey"]
            last = first + numkeys - 1
            step = fspec["keystep"]
        else:
            raise _InvalidSpec
        if last >= argc or last < first or first >= argc:
            raise _InvalidSpec
        if "variable_flags" in flags:
            flags = _variable_flags(cmd, argv)
        for i in range(first, last + 1, step):
            out.append((i, flags))
    return out


def _variable_flags(cmd, argv) -> list:
    """setGetKeys / bitfieldGetKeys: the access the options actually ask for."""
    if cmd.fullname == "set":
        if any(a.lower() == b"get" for a in argv[3:]):
            return ["RW", "access", "update"]
        return ["OW", "update"]
    if cmd.fullname == "bitfield":
        i = 2
        readonly = True
        while i < len(argv):
            op = argv[i].lower()
            if op == b"get":
                i += 3
            elif op in (b"set", b"incrby"):
                readonly = False
                i += 4
            elif op == b"overflow":
                i += 2
            else:
                i += 1
        return ["RO", "access"] if readonly else ["RW", "access", "update"]
    return ["RW", "access", "update"]


def _sort_keys(argv) -> list:
    """sortGetKeys: the key, and the STORE destination if any."""
    out = [(1, ["RO", "access"])]
    store = None
    j = 2
    skip = {b"limit": 2, b"get": 1, b"by": 1}
    while j < len(argv):
        a = argv[j].lower()
        if a == b"store" and j + 1 < len(argv):
            store = j + 1
            j += 2
            continue
        j += 1 + skip.get(a, 0)
    if store is not None:
        out.append((store, ["OW", "update"]))
    return out


def _has_keys(cmd) -> bool:
    for spec in cmd.key_specs:
        flags = [f[1] for f in _spec_map(spec).get("flags", ["set", []])[1]]
        if "not_key" not in flags:
            return True
    return False


def _getkeys(c, argv):
    target = argv[2:]
    cmd = lookup_by_argv(c.server, target)
    if cmd is None:
        raise CommandError("ERR Invalid command specified")
    if not _has_keys(cmd):
        raise CommandError("ERR The command has no key arguments")
    n = len(target)
    if (cmd.arity > 0 and cmd.arity != n) or n < -cmd.arity:
        raise CommandError("ERR Invalid number of arguments specified for command")
    try:
        keys = keys_with_flags(cmd, target)
    except _InvalidSpec:
        keys = _sort_keys(target) if cmd.fullname == "sort" else []
    if not keys and "no_mandatory_keys" not in cmd.flags:
        raise CommandError("ERR Invalid arguments specified for command")
    return target, keys


@command("command|getkeys")
def command_getkeys(c, argv):
    target, keys = _getkeys(c, argv)
    return bulk_array([target[i] for i, _ in keys])


@command("command|getkeysandflags")
def command_getkeysandflags(c, argv):
    target, keys = _getkeys(c, argv)
    out = [array_header(len(keys))]
    for i, flags in keys:
        out.append(b"*2\r\n")
        out.append(bulk(target[i]))
        out.append(c.r.set_header(len(flags)))
        out.extend(b"+" + f.encode() + b"\r\n" for f in flags)
    return b"".join(out)


_HELP = help_reply([
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
])


@command("command|help")
def command_help(c, argv):
    return _HELP
