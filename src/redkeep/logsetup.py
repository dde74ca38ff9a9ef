"""Logging in Redis's format: ``pid:R dd Mon yyyy hh:mm:ss.mmm <lvl> message``.

R is the role (M master, S replica, C child, X sentinel); <lvl> is '.' debug,
'-' verbose, '*' notice, '#' warning — log parsers and operators rely on it.
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


class RedisFormatter(logging.Formatter):
    role = "M"

    def format(self, record):
        t = record.created
        lt = time.localtime(t)
        stamp = time.strftime("%d %b %Y %H:%M:%S", lt) + ".%03d" % int((t % 1) * 1000)
        msg = record.getMessage()
        if record.exc_info:
            msg += "\n" + self.formatException(record.exc_info)
        return "%d:%s %s %s %s" % (os.getpid(), self.role, stamp, _LEVEL_CHAR.get(record.levelno, "*"), msg)


_formatter = RedisFormatter()


def set_role(role: str) -> None:
    _formatter.role = role


def setup_logging(loglevel: str = "notice", logfile: str = "") -> None:
    log = logging.getLogger("redkeep")
    for h in list(log.handlers):
        log.removeHandler(h)
    if logfile:
        handler = logging.FileHandler(logfile)
    else:
        handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_formatter)
    log.addHandler(handler)
    log.setLevel(_LEVELS.get(loglevel, NOTICE))
    log.propagate = False
