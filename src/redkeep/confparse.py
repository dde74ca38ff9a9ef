"""redis.conf text -> directives (Redis's loadServerConfigFromString)."""

from __future__ import annotations

from .config import ConfigError
from .resp import split_args


class ConfigFileError(Exception):
    """Start-up stops with Redis's '*** FATAL CONFIG FILE ERROR ***' report."""

    def __init__(self, lineno: int, line: str, reason: str):
        self.lineno = lineno
        self.line = line
        self.reason = reason
        super().__init__(reason)

    def report(self) -> str:
        return (
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
            f"Reading the configuration file, at line {self.lineno}\n"
            f">>> '{self.line}'\n"
            f"{self.reason}\n"
        )


def apply_config_text(config, text: str, source: str) -> None:
    lines = text.split("\n")
    for i, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        args = split_args(line.encode("utf-8", "surrogateescape"))
        if args is None:
            raise ConfigFileError(i, line, "Unbalanced quotes in configuration line")
        if not args:
            continue
        argv = [a.decode("utf-8", "surrogateescape") for a in args]
        name = argv[0].lower()
        try:
            if name == "include":
                if len(argv) != 2:
                    raise ConfigError("Bad directive or wrong number of arguments")
                config.load_file(argv[1])
                continue
            if name == "rename-command":
                if len(argv) != 3:
                    raise ConfigError("Bad directive or wrong number of arguments")
                config.renames.append((argv[1], argv[2]))
                continue
            config.set_from_strings(name, argv[1:], startup=True)
            config.seen.add(config.directive(name).name)
        except ConfigError as e:
            raise ConfigFileError(i, line, str(e)) from None
