"""Logging in Redis's format: ``pid:R dd Mon yyyy hh:mm:ss.mmm <lvl> message``.

Mirrors ``serverLog``/``serverLogFromHandler`` of Redis's server.c.  R is the
role (M master, S replica, C child or not yet initialised, X sentinel); <lvl>
is '.' debug, '-' verbose, '*' notice, '#' warning — log parsers and
operators rely on it.
"""

from __future__ import annotations

import logging
import os
import sys
import time

VERBOSE = 15
NOTICE = 25
logging.addLevelName(VERBOSE, "VERBOSE")
logging.addLevelName(NOTICE, "NOTICE")

_LEVEL_CHAR = {logging.DEBUG: ".", VERBOSE: "-", logging.INFO: "*", NOTICE: "*", logging.WARNING: "#",
               logging.ERROR: "#", logging.CRITICAL: "#"}
_LEVELS = {"debug": logging.DEBUG, "verbose": VERBOSE, "notice": NOTICE, "warning": logging.WARNING,
           "nothing": logging.CRITICAL + 10}


def _verbose(self, msg, *args, **kw):
    if self.isEnabledFor(VERBOSE):
        self._log(VERBOSE, msg, args, **kw)


def _notice(self, msg, *args, **kw):
    if self.isEnabledFor(NOTICE):
        self._log(NOTICE, msg, args, **kw)


logging.Logger.verbose = _verbose
logging.Logger.notice = _notice


def timestamp(t: float) -> str:
    return time.strftime("%d %b %Y %H:%M:%S", time.localtime(t)) + ".%03d" % int((t % 1) * 1000)


class RedisFormatter(logging.Formatter):
    role = "M"

    def format(self, record):
        msg = record.getMessage()
        if record.exc_info:
            msg += "\n" + self.formatException(record.exc_info)
        return "%d:%s %s %s %s" % (os.getpid(), self.role, timestamp(record.created),
                                   _LEVEL_CHAR.get(record.levelno, "*"), msg)


class RedisLogHandler(logging.Handler):
    """Append each line to ``logfile`` (opened and closed per line, as Redis
    does, so that a rotated log file is picked up without a signal), or to
    stdout when ``logfile`` is empty.  A line that cannot be written is lost
    silently, as in Redis."""

    def __init__(self, logfile: str = ""):
        super().__init__()
        self.logfile = logfile

    def write_line(self, line: str) -> None:
        self.acquire()
        try:
            if self.logfile:
                with open(self.logfile, "a", encoding="utf-8", errors="backslashreplace") as f:
                    f.write(line)
            else:
                sys.stdout.write(line)
                sys.stdout.flush()
        except (OSError, ValueError):
            pass
        finally:
            self.release()

    def emit(self, record) -> None:
        try:
            line = self.format(record) + "\n"
        except Exception:  # noqa: BLE001 - a bad format argument must not kill the caller
            line = "%d:%s %s # (unformattable log record: %r)\n" % (
                os.getpid(), _formatter.role, timestamp(record.created), record.msg)
        self.write_line(line)


_formatter = RedisFormatter()
_handler = RedisLogHandler()
_handler.setFormatter(_formatter)


def set_role(role: str) -> None:
    _formatter.role = role


def setup_logging(loglevel: str = "notice", logfile: str = "") -> None:
    log = logging.getLogger("redkeep")
    for h in list(log.handlers):
        log.removeHandler(h)
    _handler.logfile = logfile
    log.addHandler(_handler)
    log.setLevel(_LEVELS.get(loglevel, NOTICE))
    log.propagate = False


def log_from_handler(msg: str) -> None:
    """serverLogFromHandler: the line Redis writes from a signal handler,
    ``pid:signal-handler (unixtime) msg``, at warning level."""
    if logging.getLogger("redkeep").isEnabledFor(logging.WARNING):
        _handler.write_line("%d:signal-handler (%d) %s\n" % (os.getpid(), int(time.time()), msg))
