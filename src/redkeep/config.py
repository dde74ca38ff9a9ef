"""Configuration: ONE table of directives drives redis.conf parsing, command-line
overrides, CONFIG GET/SET/REWRITE.  Mirrors Redis's ``config.c``.

Each ``Directive`` knows its type (how to parse and print a value), its Redis
7.0 default, its aliases, whether CONFIG SET may change it at run time, and an
optional ``apply`` hook the server registers to act on a change.  Values are
stored parsed (bool, int, str, list ...) in ``Config.values``.

The table itself lives in ``config_table.py``; this module is the machinery.
"""

from __future__ import annotations

import fnmatch
import os


class ConfigError(Exception):
    """A bad value or directive; the text is Redis's reason."""


class Directive:
    __slots__ = ("name", "kind", "default", "aliases", "mutable", "choices", "lo", "hi",
                 "parse", "fmt", "implemented", "multi", "sensitive")

    def __init__(self, name, kind, default, *, aliases=(), mutable=True, choices=None,
                 lo=None, hi=None, parse=None, fmt=None, implemented=True, multi=False,
                 sensitive=False):
        self.name = name
        self.kind = kind
        self.default = default
        self.aliases = tuple(aliases)
        self.mutable = mutable
        self.choices = choices
        self.lo = lo
        self.hi = hi
        self.parse = parse
        self.fmt = fmt
        self.implemented = implemented
        self.multi = multi  # may appear several times in a file (save, bind?...)
        self.sensitive = sensitive


# -- value types ---------------------------------------------------------------

def parse_bool(s: str) -> bool:
    s = s.lower()
    if s == "yes":
        return True
    if s == "no":
        return False
    raise ConfigError("argument must be 'yes' or 'no'")


_MEM_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 ** 2, "mb": 1024 ** 2,
              "g": 1000 ** 3, "gb": 1024 ** 3}


def parse_memory(s: str) -> int:
    """Redis's memtoull: '1gb', '100mb', '5k', plain bytes."""
    t = s.lower()
    i = len(t)
    while i > 0 and t[i - 1].isalpha():
        i -= 1
    num, unit = t[:i], t[i:]
    if unit not in _MEM_UNITS or not num or not (num.isdigit() or (num[0] == "-" and num[1:].isdigit())):
        raise ConfigError("argument must be a memory value")
    return int(num) * _MEM_UNITS[unit]


def parse_int(s: str) -> int:
    try:
        if s.strip() != s or s.startswith("+"):
            raise ValueError
        return int(s)
    except ValueError:
        raise ConfigError("argument couldn't be parsed into an integer") from None


class Config:
    def __init__(self, table):
        self.table = table
        self.by_name: dict[str, Directive] = {}
        for d in table:
            self.by_name[d.name] = d
            for a in d.aliases:
                self.by_name[a] = d
        self.values = {d.name: d.default for d in table}
        self.hooks: dict[str, object] = {}
        self.config_file: str | None = None
        self.renames: list[tuple[str, str]] = []
        self.includes: list[str] = []
        self.seen: set[str] = set()  # directives given in file/args

    def __getitem__(self, name: str):
        return self.values[name]

    def get(self, name: str, default=None):
        return self.values.get(name, default)

    def directive(self, name: str) -> Directive | None:
        return self.by_name.get(name.lower())

    def set_from_strings(self, name: str, args: list[str], *, startup: bool) -> None:
        """Set a directive from its textual arguments (file, argv, CONFIG SET)."""
        d = self.directive(name)
        if d is None:
            raise ConfigError("Bad directive or wrong number of arguments")
        if not startup and not d.mutable:
            raise ConfigError("can't set immutable config")
        value = self.parse_value(d, args)
        old = self.values[d.name]
        self.values[d.name] = value
        hook = self.hooks.get(d.name)
        if hook is not None and old != value:
            try:
                hook(old, value)
            except ConfigError:
                self.values[d.name] = old
                raise

    def parse_value(self, d: Directive, args: list[str]):
        if d.parse is not None:
            return d.parse(args)
        if len(args) != 1:
            raise ConfigError("wrong number of arguments")
        s = args[0]
        k = d.kind
        if k == "bool":
            return parse_bool(s)
        if k == "int":
            v = parse_int(s)
        elif k == "memory":
            v = parse_memory(s)
        elif k == "enum":
            s2 = s.lower()
            if s2 not in d.choices:
                raise ConfigError("argument(s) must be one of the following: " + ", ".join(d.choices))
            return s2
        else:
            return s
        if (d.lo is not None and v < d.lo) or (d.hi is not None and v > d.hi):
            raise ConfigError(f"argument must be between {d.lo} and {d.hi} inclusive")
        return v

    def format(self, name: str) -> str:
        d = self.by_name[name]
        v = self.values[d.name]
        if d.fmt is not None:
            return d.fmt(v)
        if d.kind == "bool":
            return "yes" if v else "no"
        return str(v)

    def match(self, pattern: str) -> list[str]:
        """Names (and aliases) matching a CONFIG GET glob."""
        out = []
        seen = set()
        for name, d in self.by_name.items():
            if fnmatch.fnmatchcase(name, pattern.lower()) and name not in seen:
                out.append(name)
                seen.add(name)
        return out

    # -- files and argv --------------------------------------------------------

    def load_text(self, text: str, source: str = "(config)") -> None:
        from .confparse import apply_config_text
        apply_config_text(self, text, source)

    def load_file(self, path: str) -> None:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        self.config_file = os.path.abspath(path)
        self.load_text(text, path)
