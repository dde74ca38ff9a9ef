"""Sans-I/O parts of start-up and operations: the program's special options,
the banner's decisions, the not-implemented directives, protected mode's
decision, log line formats, the open-files limit, the memory figure and the
parser's unauthenticated mode."""

from __future__ import annotations

import logging
import os
import re
import resource
from pathlib import Path

import pytest

from redkeep import REDIS_VERSION, boot, logsetup, zmalloc
from redkeep.cli.server import USAGE, build_config, main, program_name
from redkeep.errors import ProtocolError
from redkeep.networking import unparsed_query
from redkeep.resp import RequestParser
from redkeep.server import PROTECTED_MODE_DENIED, protected_mode_denies

README = Path(__file__).resolve().parents[2] / "README.md"
LINE = re.compile(r"^\d+:[CMSX] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] ")


# -- program options -------------------------------------------------------------------

@pytest.mark.parametrize("opt", ["-v", "--version"])
def test_version_on_stdout_exit_0(opt, capsys):
    with pytest.raises(SystemExit) as e:
        main([opt])
    assert e.value.code == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(r"Redis server v=%s sha=00000000:0 malloc=\S+ bits=64 build=\S+\n" % re.escape(REDIS_VERSION),
                        out)
    assert err == ""


@pytest.mark.parametrize("opt", ["-h", "--help"])
def test_help_on_stderr_exit_1(opt, capsys):
    with pytest.raises(SystemExit) as e:
        main([opt, "--port", "1"])
    assert e.value.code == 1
    out, err = capsys.readouterr()
    assert out == "" and err == USAGE
    assert err.startswith("Usage: ./redkeep-server [/path/to/redis.conf] [options] [-]\n")


def test_banner_decision_follows_argc():
    # Redis prints "Configuration loaded" whenever it got any argument.
    assert build_config([])[0].args_given is False
    assert build_config(["--port", "7001"])[0].args_given is True


def test_program_name(monkeypatch):
    monkeypatch.setattr("sys.argv", ["/usr/local/bin/redkeep-server"])
    assert program_name() == "/usr/local/bin/redkeep-server"
    monkeypatch.setattr("sys.argv", ["/x/redkeep/__main__.py"])
    assert program_name() == "python -m redkeep"


# -- not implemented directives -----------------------------------------------------------

class _Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append((record.levelno, record.getMessage()))


@pytest.fixture
def captured():
    log = logging.getLogger("redkeep")
    h = _Capture()
    old_level = log.level
    log.addHandler(h)
    log.setLevel(logging.DEBUG)
    yield h.lines
    log.removeHandler(h)
    log.setLevel(old_level)


def test_warning_lists_only_what_the_user_set(captured):
    cfg, _ = build_config(["--io-threads", "4", "--maxmemory-policy", "allkeys-lru", "--port", "7001",
                           "--notify-keyspace-events", "KEA"])
    boot.warn_not_implemented(cfg)
    assert captured == [(logging.WARNING, "Directives accepted but not implemented by redkeep yet: "
                                          "io-threads, maxmemory-policy, notify-keyspace-events")]


def test_no_warning_without_such_directives(captured):
    cfg, _ = build_config(["--port", "7001", "--timeout", "5"])
    boot.warn_not_implemented(cfg)
    assert captured == []


def test_alias_counts_under_its_directive(captured):
    cfg, _ = build_config(["--lua-time-limit", "100"])
    boot.warn_not_implemented(cfg)
    assert captured == [(logging.WARNING, "Directives accepted but not implemented by redkeep yet: "
                                          "busy-reply-threshold")]


def test_readme_lists_every_not_implemented_directive():
    text = README.read_text()
    cfg, _ = build_config([])
    section = text[text.index("## Not implemented yet"):]
    missing = [n for n in boot.not_implemented(cfg)
               if f"`{n}`" not in section and not n.startswith(("cluster-", "tls-"))]
    assert missing == []
    assert "`cluster-*`" in section and "`tls-*`" in section


# -- protected mode --------------------------------------------------------------------------

@pytest.mark.parametrize("protected,password,host,unix,denied", [
    (True, False, "127.0.0.1", False, False),
    (True, False, "::1", False, False),
    (True, False, "10.1.2.3", False, True),
    (True, False, "192.168.0.7", False, True),
    (True, False, "2001:db8::1", False, True),
    # Redis 7.0 compares the text: other loopback addresses are refused.
    (True, False, "127.0.0.2", False, True),
    (True, False, "::ffff:127.0.0.1", False, True),
    (True, False, "/tmp/redis.sock", True, False),
    (True, True, "10.1.2.3", False, False),
    (False, False, "10.1.2.3", False, False),
])
def test_protected_mode_decision(protected, password, host, unix, denied):
    assert protected_mode_denies(protected, password, host, unix) is denied


def test_protected_mode_text():
    assert PROTECTED_MODE_DENIED.startswith("DENIED Redis is running in protected mode because protected mode is "
                                            "enabled and no password is set for the default user.")
    assert PROTECTED_MODE_DENIED.endswith("in order for the server to start accepting connections from the outside.")


# -- log lines ----------------------------------------------------------------------------

@pytest.fixture
def restore_logging():
    log = logging.getLogger("redkeep")
    saved = (list(log.handlers), log.level, log.propagate, logsetup._handler.logfile)
    yield
    log.handlers[:] = saved[0]
    log.setLevel(saved[1])
    log.propagate = saved[2]
    logsetup._handler.logfile = saved[3]


def test_log_line_format_and_levels(tmp_path, restore_logging):
    path = tmp_path / "log"
    logsetup.setup_logging("verbose", str(path))
    log = logging.getLogger("redkeep")
    log.debug("d")
    log.verbose("v")
    log.notice("n")
    log.warning("w")
    logsetup.log_from_handler("Received SIGTERM scheduling shutdown...")
    logsetup.setup_logging("warning", str(path))
    log.notice("hidden")
    log.warning("shown")
    lines = path.read_text().splitlines()
    assert [ln[LINE.match(ln).end() - 2:] for ln in lines if LINE.match(ln)] == ["- v", "* n", "# w", "# shown"]
    assert re.fullmatch(r"%d:signal-handler \(\d+\) Received SIGTERM scheduling shutdown\.\.\." % os.getpid(), lines[3])


def test_log_file_reopened_per_line(tmp_path, restore_logging):
    # A rotated log (renamed away) is picked up by the next line, as with Redis.
    path = tmp_path / "log"
    logsetup.setup_logging("notice", str(path))
    log = logging.getLogger("redkeep")
    log.warning("one")
    path.rename(tmp_path / "log.1")
    log.warning("two")
    assert (tmp_path / "log.1").read_text().endswith(" # one\n")
    assert path.read_text().endswith(" # two\n")


def test_unwritable_log_file_loses_the_line_silently(tmp_path, capsys, restore_logging):
    logsetup.setup_logging("notice", str(tmp_path / "missing-dir" / "log"))
    logging.getLogger("redkeep").warning("lost")
    assert capsys.readouterr() == ("", "")


# -- open files limit --------------------------------------------------------------------

def test_low_ulimit_reduces_maxclients(monkeypatch, captured):
    cfg, _ = build_config([])

    def refuse(which, limits):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, 1024))
    monkeypatch.setattr(resource, "setrlimit", refuse)
    boot.adjust_open_files_limit(cfg)
    assert cfg["maxclients"] == 992
    assert [m for _, m in captured] == [
        "You requested maxclients of 10000 requiring at least 10032 max file descriptors.",
        "Server can't set maximum open files to 10032 because of OS error: Operation not permitted.",
        "Current maximum open files is 1024. maxclients has been reduced to 992 to compensate for low ulimit. "
        "If you need higher maxclients increase 'ulimit -n'."]


def test_raised_ulimit_keeps_maxclients(monkeypatch, captured):
    cfg, _ = build_config(["--maxclients", "100"])
    calls = []
    monkeypatch.setattr(resource, "getrlimit", lambda which: (64, 4096))
    monkeypatch.setattr(resource, "setrlimit", lambda which, limits: calls.append(limits))
    boot.adjust_open_files_limit(cfg)
    assert cfg["maxclients"] == 100 and calls == [(132, 132)]
    assert captured == [(logsetup.NOTICE, "Increased maximum number of open files to 132 (it was originally set to 64).")]


def test_enough_ulimit_changes_nothing(monkeypatch, captured):
    cfg, _ = build_config([])
    monkeypatch.setattr(resource, "getrlimit", lambda which: (65536, 65536))
    monkeypatch.setattr(resource, "setrlimit", lambda which, limits: pytest.fail("no change expected"))
    boot.adjust_open_files_limit(cfg)
    assert cfg["maxclients"] == 10000 and captured == []


# -- memory ------------------------------------------------------------------------------------

def test_heap_in_use_follows_allocations():
    before = zmalloc.heap_in_use()
    data = [b"%d" % i * 3 for i in range(200_000)]
    grown = zmalloc.heap_in_use()
    assert grown - before > 200_000 * 30
    del data
    assert zmalloc.heap_in_use() - before < (grown - before) // 4


# -- query buffer, unauthenticated parsing ---------------------------------------------------

def test_unparsed_query_is_what_redis_keeps():
    p = RequestParser()
    p.feed(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc", [])
    assert unparsed_query(p) == b"abc"
    p = RequestParser()
    p.feed(b"*3\r\n$3\r\nSET\r\n$1", [])
    assert unparsed_query(p) == b"$1"
    p = RequestParser()
    p.feed(b"GET aaa", [])
    assert unparsed_query(p) == b"GET aaa"


def _unauth():
    p = RequestParser()
    p.authenticated = False
    return p


def test_unauthenticated_complete_big_bulk_is_refused():
    out = []
    with pytest.raises(ProtocolError, match="unauthenticated bulk length"):
        _unauth().feed(b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$16385\r\n" + b"x" * 16385 + b"\r\n", out)
    assert out == [[b"PING"]]


def test_unauthenticated_inline_has_no_argument_limit():
    out = []
    _unauth().feed(b"PING" + b" x" * 20 + b"\r\n", out)
    assert len(out[0]) == 21


def test_input_after_auth_waits_for_it_to_run():
    p = _unauth()
    out = []
    rest = b"*11\r\n" + b"$1\r\nx\r\n" * 11
    p.feed(b"*2\r\n$4\r\nAUTH\r\n$1\r\np\r\n" + rest, out)
    assert out == [[b"AUTH", b"p"]] and p.held
    p.held = False
    p.authenticated = True  # the AUTH succeeded
    p.feed(b"", out)
    assert out[1] == [b"x"] * 11
    p = _unauth()
    out = []
    p.feed(b"AUTH p\r\n" + rest, out)
    assert out == [[b"AUTH", b"p"]] and p.held
    with pytest.raises(ProtocolError, match="unauthenticated multibulk length"):
        p.feed(b"", out)  # the AUTH failed
