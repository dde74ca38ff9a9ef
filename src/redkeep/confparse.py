"""redis.conf text -> directives.  Mirrors config.c's loadServerConfig and
loadServerConfigFromString, including their quirks:

* lines are trimmed of `` \\t\\r\\n``, split with sdssplitargs (resp.split_args);
  '#' starts a comment only at the beginning of a line;
* directive names are case-insensitive, the last occurrence wins, except
  ``save`` lines which add up (the first one replaces the defaults);
* a multi-word directive given as ONE quoted word is split again
  (``--save "900 1"`` works);
* ``include`` reads a file (relative to the current directory, which a prior
  ``dir`` may have changed; globs allowed) through a nested, independent parse
  whose errors report the included file's line numbers;
* ``rename-command``, ``user``, ``loadmodule``, module ``name.option`` and
  ``sentinel`` lines are collected for their subsystems;
* the first bad line stops start-up with Redis's '*** FATAL CONFIG FILE ERROR'.
"""

from __future__ import annotations

import glob as _glob
import os

from .config import ConfigError
from .resp import split_args


class ConfigFileError(Exception):
    """Start-up stops with Redis's '*** FATAL CONFIG FILE ERROR ***' report."""

    def __init__(self, lineno: int | None, line: str | None, reason: str):
        self.lineno = lineno
        self.line = line
        self.reason = reason
        super().__init__(reason)

    def report(self) -> str:
        out = "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
        if self.lineno is not None:
            out += f"Reading the configuration file, at line {self.lineno}\n>>> '{self.line}'\n"
        return out + f"{self.reason}\n"


class ConfigOpenError(Exception):
    """A config file (or include) cannot be opened: Redis logs and exits 1."""

    def __init__(self, path: str, strerror: str):
        self.path = path
        self.strerror = strerror
        super().__init__(path)

    def message(self) -> str:
        return f"Fatal error, can't open config file '{self.path}': {self.strerror}"


def _words(raw: bytes) -> list[str] | None:
    argv = split_args(raw)
    if argv is None:
        return None
    return [a.decode("utf-8", "surrogateescape") for a in argv]


def read_config_file(path: str) -> str:
    """The text of a config file, or of every file a glob names (Redis's
    loadServerConfig: a glob with no match reads as nothing)."""
    if any(ch in path for ch in "*?["):
        parts = []
        for p in sorted(_glob.glob(path)):
            parts.append(_read(p))
        return "".join(parts)
    return _read(path)


def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ConfigOpenError(path, os.strerror(e.errno or 0)) from None
    return data.decode("utf-8", "surrogateescape")


def apply_config_text(config, text: str, source: str = "(config)") -> None:
    """loadServerConfigFromString."""
    from .config_table import DEPRECATED

    by_name = config.by_name
    config.reading = True
    lines = text.split("\n")
    for i, raw in enumerate(lines):
        lineno = i + 1
        line = raw.strip(" \t\r\n")
        if not line or line[0] == "#":
            continue
        argv = _words(line.encode("utf-8", "surrogateescape"))
        if argv is None:
            raise ConfigFileError(lineno, line, "Unbalanced quotes in configuration line")
        if not argv:
            continue
        name = argv[0].lower()
        argc = len(argv)
        try:
            d = by_name.get(name)
            if d is not None:
                if not d.multi and argc != 2:
                    raise ConfigError("wrong number of arguments")
                if d.multi and argc == 2 and argv[1]:
                    args = _words(argv[1].encode("utf-8", "surrogateescape")) or []
                else:
                    args = argv[1:]
                config.values[d.name] = config.parse_value(d, args)
                config.seen.add(d.name)
                continue
            dep = DEPRECATED.get(name)
            if dep is not None and dep[0] <= argc <= dep[1]:
                continue
            if name == "include" and argc == 2:
                config.includes.append(argv[1])
                apply_config_text(config, read_config_file(argv[1]), argv[1])
            elif name == "rename-command" and argc == 3:
                config.rename_command(argv[1], argv[2])
            elif name == "user" and argc >= 2:
                _add_user(config, argv)
            elif name == "loadmodule" and argc >= 2:
                config.loadmodules.append(argv[1:])
            elif "." in name:
                if argc < 2:
                    raise ConfigError("Module config specified without value")
                config.module_configs[name] = " ".join(argv[1:])
            elif name == "sentinel":
                # A bare 'sentinel' line comes from --sentinel (main() enters the mode).
                if argc != 1:
                    if not config.sentinel_mode:
                        raise ConfigError("sentinel directive while not in sentinel mode")
                    config.sentinel_lines.append(argv[1:])
            else:
                raise ConfigError("Bad directive or wrong number of arguments")
        except ConfigError as e:
            raise ConfigFileError(lineno, line, str(e)) from None

    logfile = config.values.get("logfile")
    if logfile:
        try:
            with open(logfile, "a"):
                pass
        except OSError as e:
            raise ConfigFileError(None, None, "Can't open the log file: %s" % os.strerror(e.errno or 0)) from None
    if config.values.get("cluster-enabled") and config.values.get("replicaof") is not None:
        raise ConfigFileError(None, None, "replicaof directive not allowed in cluster mode")
    # Redis clears its "reading a file" flag at the end of every parse, even a
    # nested include: later save lines of the outer file then replace.
    config.reading = False


_ACL_ERRORS = {
    "EINVAL": "Syntax error",
    "EALREADY": "Duplicate user found. A user can only be defined once in config files",
    "EBADMSG": "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
    "EEXIST": "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any "
              "effect. Try 'resetkeys' to start with an empty list of patterns",
    "EISDIR": "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have "
              "any effect. Try 'resetchannels' to start with an empty list of channels",
}


def _add_user(config, argv: list[str]) -> None:
    """ACLAppendUserForLoading: check the rules, refuse a second definition."""
    name = argv[1]
    if any(u[0] == name for u in config.users):
        raise ConfigError("Error in user declaration '%s': %s" % (name, _ACL_ERRORS["EALREADY"]))
    rules = _merge_selectors(argv[2:])
    if rules is None:
        raise ConfigError("Error in user declaration '%s': Wrong format" % argv[1])
    checker = config.user_checker or check_acl_rules
    bad = checker(name, rules)
    if bad is not None:
        idx, reason = bad
        # Redis names argv[idx] where idx counts the merged rules: the
        # reported word is often the user name.  Kept as is.
        raise ConfigError("Error in user declaration '%s': %s" % (argv[idx] if idx < len(argv) else "", reason))
    config.users.append([name] + rules)


def _merge_selectors(args: list[str]) -> list[str] | None:
    out = []
    sel = None
    for op in args:
        if sel is None and op[:1] == "(" and op[-1:] != ")":
            sel = op
            continue
        if sel is not None:
            sel += " " + op
            if op[-1:] == ")":
                out.append(sel)
                sel = None
            continue
        out.append(op)
    return None if sel is not None else out


def check_acl_rules(name: str, rules: list[str]):
    """A syntax check of ACL SETUSER rules (unknown commands/categories are
    accepted at load time, as Redis does).  -> None | (index, reason)."""
    allkeys = allchannels = False
    for j, op in enumerate(rules):
        low = op.lower()
        if not op or low in ("on", "off", "skip-sanitize-payload", "sanitize-payload", "nopass", "resetpass",
                             "reset", "clearselectors", "resetkeys", "resetchannels", "allcommands",
                             "nocommands", "+@all", "-@all"):
            if low in ("reset", "resetkeys"):
                allkeys = False
            if low in ("reset", "resetchannels"):
                allchannels = False
            continue
        if low in ("allkeys", "~*"):
            allkeys = True
            continue
        if low in ("allchannels", "&*"):
            allchannels = True
            continue
        c = op[0]
        if c in ">":
            continue
        if c in "<":
            continue
        if c in "#!":
            h = op[1:]
            if len(h) != 64 or any(ch not in "0123456789abcdef" for ch in h):
                return j, _ACL_ERRORS["EBADMSG"]
            continue
        if c == "(" and op[-1] == ")":
            continue
        if c == "~" or c == "%":
            if allkeys:
                return j, _ACL_ERRORS["EEXIST"]
            if c == "%":
                k = op.find("~")
                perms = op[1:k] if k > 0 else None
                if not perms or any(ch not in "rwRW" for ch in perms) or len(set(perms.upper())) != len(perms):
                    return j, _ACL_ERRORS["EINVAL"]
            continue
        if c == "&":
            if allchannels:
                return j, _ACL_ERRORS["EISDIR"]
            continue
        if c in "+-" and len(op) > 1:
            continue
        return j, _ACL_ERRORS["EINVAL"]
    return None
