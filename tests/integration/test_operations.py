"""Operating the server as a Redis operator does: the program's options,
start-up and shutdown log lines, config file + overrides + stdin, daemonize
with pidfile and logfile, loglevel, signals, a port already in use.  Each case
runs real redkeep and real redis-server processes and compares what an
operator sees (exit codes, streams, log lines)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

import pytest

from helpers import REDIS_SERVER, RawConn, ServerProcess, free_port, server_pair, wait_for

RK = [sys.executable, "-m", "redkeep"]
LINE = re.compile(r"^(\d+):([CMS]) (\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3}) ([.\-*#]) (.*)$")
SIG_LINE = re.compile(r"^(\d+):signal-handler \((\d+)\) (.*)$")


def messages(log: str, port: int | None = None) -> list[str]:
    """The log as '<level char> message' lines; every line must be in one of
    Redis's two formats.  Redis's memory-overcommit warning is dropped (redkeep
    does not fork), and redkeep's version suffix."""
    out = []
    for line in log.splitlines():
        m = LINE.match(line)
        if m:
            text = m.group(4) + " " + m.group(5)
        else:
            m = SIG_LINE.match(line)
            assert m, f"not a Redis log line: {line!r}"
            text = "signal-handler " + m.group(3)
        if "WARNING Memory overcommit" in text:
            continue
        text = re.sub(r"pid=\d+, just started( \(redkeep [^)]*\))?$", "pid=PID, just started", text)
        if port is not None:
            text = text.replace(str(port), "PORT")
        out.append(text)
    return out


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, timeout=30, **kw)


# -- the program --------------------------------------------------------------------------

@pytest.mark.parametrize("opt", ["-v", "--version"])
def test_version(opt):
    mine, real = run(RK + [opt]), run([REDIS_SERVER, opt])
    assert (mine.returncode, mine.stderr) == (real.returncode, real.stderr) == (0, b"")
    shape = rb"Redis server v=7\.0\.15 sha=00000000:0 malloc=\S+ bits=64 build=\S+\n"
    assert re.fullmatch(shape, real.stdout) and re.fullmatch(shape, mine.stdout)


@pytest.mark.parametrize("opt", ["-h", "--help"])
def test_help(opt):
    mine, real = run(RK + [opt]), run([REDIS_SERVER, opt])
    assert (mine.returncode, mine.stdout) == (real.returncode, real.stdout) == (1, b"")
    # Redis's usage, with our program's name and without its memory tester.
    expected = [ln.replace(b"redis-server", b"redkeep-server") for ln in real.stderr.splitlines()
                if b"--test-memory" not in ln and b"--check-system" not in ln]
    assert mine.stderr.splitlines() == expected


def test_console_script():
    exe = shutil.which("redkeep-server")
    assert exe, "the redkeep-server console script is installed"
    assert run([exe, "--version"]).stdout.startswith(b"Redis server v=7.0.15 ")


# -- start-up and shutdown --------------------------------------------------------------------

@pytest.mark.parametrize("sig,name", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")])
def test_startup_lines_and_clean_shutdown(sig, name):
    with server_pair() as servers:
        codes = [s.stop(sig) for s in servers]
        logs = [messages(s.read_log(), s.port) for s in servers]
    assert codes == [0, 0]
    assert logs[0] == logs[1] == [
        "# oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
        "# Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=PID, just started",
        "# Configuration loaded",
        "* monotonic clock: POSIX clock_gettime",
        "* Running mode=standalone, port=PORT.",
        "# Server initialized",
        "* Ready to accept connections",
        f"signal-handler Received {name} scheduling shutdown...",
        "# User requested shutdown...",
        "# Redis is now ready to exit, bye bye...",
    ]


def test_sigterm_right_after_start_up_is_never_lost():
    """A signal that came while the loop was between two of its start-up
    runs used to be lost (about 1 time in 30): the server then ran on."""
    for _ in range(15):
        s = ServerProcess().start()
        try:
            assert s.stop(signal.SIGTERM) == 0
        finally:
            s.kill()


def test_sigterm_during_loading_shuts_down(tmp_path):
    """SIGTERM while the dataset loads: Redis's line, then a clean exit (it
    used to leave the server serving forever)."""
    results = []
    for real in (False, True):
        if real and REDIS_SERVER is None:
            continue
        d = tempfile.mkdtemp(prefix="rk-loadsig-", dir=tmp_path)
        s = ServerProcess(["--enable-debug-command", "yes"], dir=d, real=real).start()
        try:
            c = s.client()
            c.execute_command("DEBUG", "POPULATE", 1500000, "key", 20)
            c.save()
        finally:
            s.kill()
        s = ServerProcess(dir=d, real=real)
        s.proc = subprocess.Popen(s.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
        try:
            def loading():
                try:
                    return b"loading:1" in RawConn(s.port, timeout=1).call("INFO", "persistence")
                except OSError:
                    return False
            wait_for(loading, 30, interval=0.005, what="loading")
            s.proc.send_signal(signal.SIGTERM)
            code = s.proc.wait(timeout=30)
        finally:
            s.kill()
        results.append((code, "Received shutdown signal during loading, scheduling shutdown." in s.read_log()))
    assert results and all(r == (0, True) for r in results), results


def test_shutdown_signal_flags(tmp_path):
    """shutdown-on-sigterm nosave skips the final save a save point asks for."""
    results = []
    for extra in ([], ["--shutdown-on-sigterm", "nosave"]):
        s = ServerProcess(["--save", "3600 1", *extra]).start()
        try:
            s.client().set("k", "v")
            results.append((s.stop(signal.SIGTERM), os.path.exists(os.path.join(s.dir, "dump.rdb"))))
        finally:
            s.kill()
    assert results == [(0, True), (0, False)]


def test_port_in_use():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        results = []
        for real in (False, True):
            s = ServerProcess(port=port, real=real)
            s.proc = subprocess.Popen(s.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=s.dir)
            results.append((s.proc.wait(timeout=20), messages(s.read_log(), port)[-2:]))
    finally:
        holder.close()
    assert results[0] == results[1] == (1, [
        "# Warning: Could not create server TCP listening socket 127.0.0.1:PORT: bind: Address already in use",
        "# Failed listening on port PORT (TCP), aborting."])


@pytest.mark.parametrize("real", [False, True], ids=["redkeep", "redis"])
def test_daemonize_pidfile_logfile(real):
    d = tempfile.mkdtemp(prefix="rk-daemon-")
    port = free_port()
    pidfile, logfile = os.path.join(d, "server.pid"), os.path.join(d, "server.log")
    cmd = ([REDIS_SERVER] if real else RK) + [
        "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", d,
        "--daemonize", "yes", "--pidfile", pidfile, "--logfile", logfile]
    done = run(cmd, cwd=d)
    pid = None
    try:
        assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
        pid = int(wait_for(lambda: open(pidfile).read().strip(), what="pid file"))
        conn = wait_for(lambda: RawConn(port), what="daemon listening")
        assert b"process_id:%d\r\n" % pid in conn.call("INFO", "server")
        conn.close()
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not os.path.exists(pidfile), what="pid file removed")
        wait_for(lambda: _gone(pid), what="daemon exited")
        pid = None
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
    log = messages(open(logfile).read(), port)
    assert log[-3:] == ["# User requested shutdown...", "* Removing the pid file.",
                        "# Redis is now ready to exit, bye bye..."]
    assert "* Ready to accept connections" in log


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith("Z")  # a zombie has exited
    except FileNotFoundError:
        return True


def test_config_from_stdin():
    d = tempfile.mkdtemp(prefix="rk-stdin-")
    port = free_port()
    logfile = os.path.join(d, "server.log")
    proc = subprocess.Popen(RK + ["-", "--bind", "127.0.0.1", "--logfile", logfile, "--dir", d],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=d)
    try:
        proc.stdin.write(b'port %d\nsave ""\ntimeout 42\n' % port)
        proc.stdin.close()
        conn = wait_for(lambda: RawConn(port), what="server from stdin config")
        assert conn.call("CONFIG", "GET", "timeout") == b"*2\r\n$7\r\ntimeout\r\n$2\r\n42\r\n"
        conn.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert messages(proc.stdout.read().decode()) == ["# Reading config from stdin"]
    assert "# Configuration loaded" in messages(open(logfile).read())


def test_config_file_overrides_not_implemented_and_loglevel():
    """A redis.conf with later --options winning; the one warning for the
    directives redkeep accepts without implementing; loglevel warning hides
    notice lines, and CONFIG SET loglevel takes effect at once."""
    conf = "port 1\ntimeout 30\nmaxmemory-policy allkeys-lru\nio-threads 2\nloglevel warning\n"
    s = ServerProcess(["--timeout", "7", "--enable-debug-command", "yes"], config_text=conf).start()
    try:
        r = s.client()
        assert r.config_get("timeout") == {"timeout": "7"}
        assert r.config_get("port") == {"port": str(s.port)}
        log = messages(s.read_log())
        assert log[:4] == ["# oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
                           "# Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=PID, just started",
                           "# Configuration loaded",
                           "# Directives accepted but not implemented by redkeep yet: io-threads, maxmemory-policy"]
        assert "# Server initialized" in log and not [ln for ln in log if ln[0] != "#"]

        r.config_set("loglevel", "verbose")
        c = RawConn(s.port)
        c.call("PING")
        me = "%s:%d" % c.sock.getsockname()
        wait_for(lambda: f"- Accepted {me}" in messages(s.read_log()), what="verbose Accepted line")
        r.config_set("loglevel", "notice")
        c2 = RawConn(s.port)
        c2.call("DEBUG", "LOG", "marker")
        wait_for(lambda: "# DEBUG LOG: marker" in messages(s.read_log()), what="marker")
        other = "%s:%d" % c2.sock.getsockname()
        assert not [ln for ln in messages(s.read_log()) if other in ln]
        c.close()
        c2.close()
    finally:
        s.kill()


def test_loglevel_debug_shows_all_levels():
    s = ServerProcess(["--loglevel", "debug"]).start()
    try:
        wait_for(lambda: any(re.fullmatch(r"\. \d+ clients connected \(0 replicas\), \d+ bytes in use", ln)
                             for ln in messages(s.read_log())), what="debug line of the cron")
        kinds = {ln[0] for ln in messages(s.read_log())}
        assert {".", "*", "#"} <= kinds
        c = RawConn(s.port)
        c.call("PING")
        wait_for(lambda: "- Accepted %s:%d" % c.sock.getsockname() in messages(s.read_log()), what="Accepted")
        c.close()
    finally:
        s.kill()


def test_second_sigint_exits_at_once():
    """Ctrl+C twice: the final save is abandoned, status 1, no temp file left."""
    s = ServerProcess(["--save", "3600 1", "--enable-debug-command", "yes"]).start()
    try:
        s.client().execute_command("DEBUG", "POPULATE", "500000")
        s.proc.send_signal(signal.SIGINT)
        wait_for(lambda: "Saving the final RDB snapshot before exiting." in s.read_log(), what="final save")
        s.proc.send_signal(signal.SIGINT)
        assert s.proc.wait(timeout=20) == 1
    finally:
        s.kill()
    assert messages(s.read_log())[-1] == "signal-handler You insist... exiting now."
    assert not [f for f in os.listdir(s.dir) if f.startswith("temp-")]


def test_used_memory_is_what_the_data_holds():
    s = ServerProcess(["--enable-debug-command", "yes"]).start()
    try:
        r = s.client()
        start = r.info("memory")
        # The interpreter and its code are not counted, as Redis does not count its binary.
        assert start["used_memory"] < 2 * 1024 * 1024 < start["used_memory_rss"]
        assert 0 < start["used_memory_startup"] <= start["used_memory"]
        r.execute_command("DEBUG", "POPULATE", "100000", "key", "100")
        full = r.info("memory")["used_memory"]
        assert full - start["used_memory"] > 100_000 * 100
        assert full < r.info("memory")["used_memory_rss"]
        size = r.memory_usage("key:1")
        assert 100 < size < 400
        r.set("big", "x" * 1_000_000)
        assert 1_000_000 <= r.memory_usage("big") < 1_001_000
        assert r.memory_usage("missing") is None
        r.flushall()
        after = r.info("memory")["used_memory"]
        assert after - start["used_memory"] < (full - start["used_memory"]) // 10
    finally:
        s.kill()
