"""The AOF as an operator uses it: files, fsync policies, rewrites, loading
verdicts, run-time switching, INFO, write errors.  Where Redis's behaviour
is observable (file names, manifest text, incr bytes, log lines, error
replies, INFO field names) the test runs real Redis 7.0 beside redkeep."""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import threading

import pytest

from helpers import REDIS_SERVER, RawConn, ServerProcess, encode, wait_for

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "aof")
AOF = ["--appendonly", "yes"]


def adir(s: ServerProcess) -> str:
    return os.path.join(s.dir, "appendonlydir")


def files(s: ServerProcess) -> list:
    return sorted(os.listdir(adir(s)))


def manifest(s: ServerProcess) -> str:
    with open(os.path.join(adir(s), "appendonly.aof.manifest")) as f:
        return f.read()


def read(s: ServerProcess, name: str) -> bytes:
    with open(os.path.join(adir(s), name), "rb") as f:
        return f.read()


DEBUG = ["--enable-debug-command", "yes"]


def start(args=(), dir=None, real=False) -> ServerProcess:
    return ServerProcess(list(args) + DEBUG, dir=dir, real=real).start()


def loaded(s: ServerProcess) -> ServerProcess:
    r = s.client()
    wait_for(lambda: r.info("persistence")["loading"] == 0, 20, what="loading to finish")
    r.close()
    return s


def restart(s: ServerProcess, args=None, kill=True) -> ServerProcess:
    if kill:
        s.kill()
    else:
        s.stop()
    return loaded(ServerProcess(list(args if args is not None else AOF) + DEBUG, dir=s.dir).start())


def fails_to_start(dir: str, args=AOF, real=False) -> tuple:
    """Start a server expected to exit: (exit code, log text)."""
    s = ServerProcess(list(args), dir=dir, real=real)
    s.proc = subprocess.Popen(s.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=dir)
    try:
        code = s.proc.wait(15)
    except subprocess.TimeoutExpired:
        s.kill()
        raise AssertionError("the server did not exit:\n" + s.read_log())
    return code, s.read_log()


STARTED = b"+Background append only file rewriting started\r\n"


def raw(s: ServerProcess, *args) -> bytes:
    c = RawConn(s.port)
    try:
        return c.call(*args)
    finally:
        c.close()


def digest(s: ServerProcess) -> bytes:
    r = s.client()
    try:
        return r.execute_command("DEBUG", "DIGEST")
    finally:
        r.close()


def rewrite_done(r) -> None:
    wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0
             and r.info("persistence")["aof_rewrite_scheduled"] == 0, 20, what="rewrite to finish")


def log_messages(text: str) -> list:
    """The message part of each log line."""
    return [m.group(1) for m in re.finditer(r"^\d+:[CMSX] .{24} [.\-*#] (.*)$", text, re.M)]


FIXTURE_WRITES = [
    ("SET", "k1", "v1"), ("SET", "counter", "10"), ("INCR", "counter"), ("RPUSH", "mylist", "a", "b", "c"),
    ("SELECT", "1"), ("SET", "db1key", "x"), ("SELECT", "0"),
    ("MULTI",), ("SET", "t1", "1"), ("INCRBY", "t1", "5"), ("EXEC",),
    ("SET", "ttl1", "v", "PXAT", "4102444800000"), ("EXPIREAT", "k1", "4102444800"),
    ("INCRBYFLOAT", "flt", "1.5"), ("HSET", "h", "f", "v"), ("DEL", "counter"),
    ("PUBLISH", "ch", "not logged"), ("MULTI",), ("SET", "single", "1"), ("GET", "single"), ("EXEC",),
    ("SADD", "s", "m1", "m2"), ("ZADD", "z", "1.5", "a", "-inf", "b"), ("GETDEL", "single"),
    ("SET", "gone", "1", "PXAT", "1000"), ("GET", "gone"), ("SELECT", "3"), ("FLUSHDB",),
]


def run_writes(port: int, writes=FIXTURE_WRITES) -> list:
    c = RawConn(port)
    try:
        return [c.call(*w) for w in writes]
    finally:
        c.close()


# -- files as Redis names and fills them -------------------------------------------------------


def test_fresh_start_and_incr_bytes_like_redis(tmp_path):
    rk = start(AOF)
    real = start(AOF, real=True)
    try:
        assert files(rk) == files(real) == ["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof",
                                            "appendonly.aof.manifest"]
        assert manifest(rk) == manifest(real)
        assert len(read(rk, "appendonly.aof.1.base.rdb")) == len(read(real, "appendonly.aof.1.base.rdb")) == 89
        assert run_writes(rk.port) == run_writes(real.port)
        assert read(rk, "appendonly.aof.1.incr.aof") == read(real, "appendonly.aof.1.incr.aof")
    finally:
        rk.kill()
        real.kill()


def test_timestamp_annotations(tmp_path):
    s = start(AOF + ["--aof-timestamp-enabled", "yes", "--aof-use-rdb-preamble", "no"])
    try:
        base = read(s, "appendonly.aof.1.base.aof")
        assert re.fullmatch(rb"#TS:\d{10}\r\n", base)
        r = s.client()
        r.set("a", "1")
        r.execute_command("MULTI")
        r.execute_command("SET", "b", "2")
        r.execute_command("INCR", "c")
        r.execute_command("EXEC")
        incr = read(s, "appendonly.aof.1.incr.aof")
        assert re.match(rb"#TS:\d{10}\r\n\*2\r\n\$6\r\nSELECT\r\n", incr)
        assert b"#TS:" not in incr[incr.index(b"MULTI"):incr.index(b"EXEC")]
        raw(s, "BGREWRITEAOF")
        rewrite_done(r)
        base = read(s, "appendonly.aof.2.base.aof")
        assert re.match(rb"#TS:\d{10}\r\n\*2\r\n\$6\r\nSELECT\r\n\$1\r\n0\r\n", base)
        r.close()
        s = restart(s, AOF + ["--aof-timestamp-enabled", "yes"])
        assert s.client().mget("a", "b", "c") == [b"1", b"2", b"1"]
    finally:
        s.kill()


# -- restart, rewrite ---------------------------------------------------------------------------


def _fill(r) -> None:
    r.set("str", "hello")
    r.set("int", 12345)
    r.set("exp", "v", px=100000)
    r.rpush("list", *[f"e{i}" for i in range(150)])
    r.sadd("set", *[f"m{i}" for i in range(150)])
    r.sadd("iset", 1, 2, 3)
    r.zadd("zset", {f"z{i}": i / 3 for i in range(150)} | {"inf": float("inf"), "ninf": float("-inf")})
    r.hset("hash", mapping={f"f{i}": f"v{i}" for i in range(150)})
    r.hset("small", "a", "b")
    r.execute_command("SELECT", 5)
    r.set("db5", "x")
    r.execute_command("SELECT", 0)


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_restart_and_rewrite_keep_the_dataset(tmp_path, preamble):
    args = AOF + ["--aof-use-rdb-preamble", preamble]
    s = start(args)
    try:
        r = s.client(single_connection_client=True)
        _fill(r)
        before = digest(s)
        size = len(read(s, "appendonly.aof.1.incr.aof"))
        s = restart(s, args)
        assert digest(s) == before
        assert len(read(s, "appendonly.aof.1.incr.aof")) == size  # replay is not logged again
        r = s.client()
        assert raw(s, "BGREWRITEAOF") == STARTED
        rewrite_done(r)
        ext = "rdb" if preamble == "yes" else "aof"
        # History files are deleted in the background: poll for it.
        want = [f"appendonly.aof.2.base.{ext}", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]
        wait_for(lambda: files(s) == want, what="history files deleted")
        assert manifest(s) == (f"file appendonly.aof.2.base.{ext} seq 2 type b\n"
                               "file appendonly.aof.2.incr.aof seq 2 type i\n")
        assert read(s, "appendonly.aof.2.incr.aof") == b""
        r.lpush("list", "after")
        r.delete("hash")
        before = digest(s)
        info = r.info("persistence")
        assert info["aof_rewrites"] == 1 and info["aof_last_bgrewrite_status"] == "ok"
        assert info["aof_base_size"] > 0 and info["aof_current_size"] > info["aof_base_size"]
        s = restart(s, args)
        assert digest(s) == before
        msgs = log_messages(s.read_log())
        assert f"DB loaded from base file appendonly.aof.2.base.{ext}" in " ".join(msgs)
    finally:
        s.kill()


def test_rewrite_under_write_load_loses_nothing(tmp_path):
    s = start(AOF + ["--appendfsync", "no"])
    stop = threading.Event()
    errors = []

    def writer(i):
        c = RawConn(s.port)
        n = 0
        try:
            while not stop.is_set():
                c.call("RPUSH", f"l{i}", n)
                c.call("INCR", f"c{i}")
                c.call("HSET", f"h{i % 2}", f"f{n % 50}", n)
                n += 1
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            c.close()

    try:
        r = s.client()
        r.execute_command("DEBUG", "POPULATE", "30000")
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for _ in range(3):
            wait_for(lambda: raw(s, "BGREWRITEAOF") == STARTED,
                     10, what="a rewrite to start")
            assert r.info("persistence")["aof_rewrite_in_progress"] == 1
            rewrite_done(r)
        stop.set()
        for t in threads:
            t.join(10)
        assert not errors
        before = digest(s)
        assert r.info("persistence")["aof_rewrites"] == 3
        s = restart(s, AOF)
        assert digest(s) == before
    finally:
        stop.set()
        s.kill()


def test_bgrewriteaof_replies_like_redis(tmp_path):
    s = start(AOF)
    real = start(AOF, real=True)
    try:
        for srv in (s, real):
            srv.client().execute_command("DEBUG", "POPULATE", "300000")
        replies = []
        for srv in (s, real):
            c = RawConn(srv.port)
            replies.append([c.call("BGREWRITEAOF"), c.call("BGREWRITEAOF"), c.call("BGSAVE", "SCHEDULE")])
            c.close()
        assert replies[0] == replies[1] == [
            b"+Background append only file rewriting started\r\n",
            b"-ERR Background append only file rewriting already in progress\r\n",
            b"+Background saving scheduled\r\n"]
        rewrite_done(s.client())
        c = RawConn(s.port)
        assert c.call("MULTI") == b"+OK\r\n" and c.call("BGREWRITEAOF") == b"+QUEUED\r\n"
        assert c.call("EXEC") == b"*1\r\n+Background append only file rewriting scheduled\r\n"
        c.close()
        rewrite_done(s.client())
        assert s.client().info("persistence")["aof_rewrites"] == 2
    finally:
        s.kill()
        real.kill()


def test_bgrewriteaof_with_aof_off_writes_a_base(tmp_path):
    s = start()
    try:
        r = s.client()
        r.set("a", "1")
        assert raw(s, "BGREWRITEAOF") == STARTED
        rewrite_done(r)
        assert files(s) == ["appendonly.aof.1.base.rdb", "appendonly.aof.manifest"]
        s = restart(s, AOF)
        assert s.client().get("a") == b"1"
    finally:
        s.kill()


def test_auto_rewrite_and_failure_backoff(tmp_path):
    s = start(AOF + ["--auto-aof-rewrite-min-size", "2kb", "--auto-aof-rewrite-percentage", "100"])
    try:
        r = s.client()
        for i in range(100):
            r.set(f"k{i}", "x" * 20)
        wait_for(lambda: r.info("persistence")["aof_rewrites"] >= 1, 10, what="automatic rewrite")
        rewrite_done(r)
        assert "Starting automatic rewriting of AOF on" in s.read_log()
        # A rewrite that cannot create its temp file fails after the reply, leaves the
        # files in place, and automatic retries back off after 3 failures.
        pid = r.info("server")["process_id"]
        os.mkdir(os.path.join(s.dir, f"temp-rewriteaof-bg-{pid}.aof"))
        man = manifest(s)
        assert raw(s, "BGREWRITEAOF") == STARTED
        wait_for(lambda: r.info("persistence")["aof_last_bgrewrite_status"] == "err", 10, what="failure")
        assert manifest(s) != man and len(manifest(s).splitlines()) == 3  # base + old incr + the new incr
        for i in range(300):
            r.set(f"k{i}", "y" * 40)
        wait_for(lambda: "triggered the limit, will retry in 1 minutes" in s.read_log(), 15, what="back-off")
        assert r.info("persistence")["aof_rewrites_consecutive_failures"] == 3
        before = digest(s)
        os.rmdir(os.path.join(s.dir, f"temp-rewriteaof-bg-{pid}.aof"))
        assert raw(s, "BGREWRITEAOF") == STARTED
        rewrite_done(r)
        info = r.info("persistence")
        assert info["aof_last_bgrewrite_status"] == "ok" and info["aof_rewrites_consecutive_failures"] == 0
        assert len(manifest(s).splitlines()) == 2
        s = restart(s, AOF)
        assert digest(s) == before
    finally:
        s.kill()


# -- run-time switching -----------------------------------------------------------------------


def test_config_set_appendonly(tmp_path):
    s = start(["--appendfsync", "always"])
    try:
        r = s.client()
        _fill(r)
        assert r.config_set("appendonly", "yes")
        rewrite_done(r)
        assert files(s) == ["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]
        assert r.info("persistence")["aof_enabled"] == 1
        r.set("after", "on")
        before = digest(s)
        s = restart(s, AOF)
        assert digest(s) == before
        r = s.client()
        assert r.config_set("appendfsync", "always")
        r.set("after", "always")
        assert r.config_set("appendfsync", "everysec")
        r.incr("counter")
        before = digest(s)
        assert r.config_set("appendonly", "no")
        r.set("unlogged", "1")
        assert r.info("persistence")["aof_enabled"] == 0
        s = restart(s, AOF)
        assert digest(s) == before
    finally:
        s.kill()


# -- loading verdicts -----------------------------------------------------------------------


def _kill_and_path(s: ServerProcess, name="appendonly.aof.1.incr.aof") -> str:
    s.kill()
    return os.path.join(adir(s), name)


def test_truncated_tail_is_cut_with_file_and_offset(tmp_path):
    s = start(AOF)
    r = s.client()
    r.set("a", "1")
    r.set("b", "2")
    path = _kill_and_path(s)
    size = os.path.getsize(path)
    os.truncate(path, size - 5)
    ok_up_to = size - len(encode("SET", "b", "2"))
    s2 = loaded(ServerProcess(AOF + DEBUG, dir=s.dir).start())
    try:
        msgs = log_messages(s2.read_log())
        assert "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!" in msgs
        assert f"!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {ok_up_to} !!!" in msgs
        assert "AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled" in msgs
        assert os.path.getsize(path) == ok_up_to
        r = s2.client()
        assert r.get("a") == b"1" and r.get("b") is None
        r.set("c", "3")  # appended after the cut, loads again
        s2 = restart(s2)
        assert s2.client().mget("a", "b", "c") == [b"1", None, b"3"]
    finally:
        s2.kill()


def test_truncated_tail_with_load_truncated_no_stops(tmp_path):
    s = start(AOF)
    s.client().set("a", "1")
    path = _kill_and_path(s)
    os.truncate(path, os.path.getsize(path) - 3)
    code, text = fails_to_start(s.dir, AOF + ["--aof-load-truncated", "no"])
    assert code == 1
    assert ("Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. You can: 1) Make a "
            "backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>.") in text


def test_tail_inside_multi_rolls_back_to_before_multi(tmp_path):
    s = start(AOF)
    r = s.client()
    r.set("a", "1")
    path = _kill_and_path(s)
    good = os.path.getsize(path)
    with open(path, "ab") as f:
        f.write(encode("MULTI") + encode("SET", "a", "2") + encode("SET", "b", "2"))
    s2 = loaded(ServerProcess(AOF + DEBUG, dir=s.dir).start())
    try:
        msgs = log_messages(s2.read_log())
        assert "Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof" in msgs
        assert f"!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {good} !!!" in msgs
        assert s2.client().mget("a", "b") == [b"1", None]
        assert os.path.getsize(path) == good
    finally:
        s2.kill()


@pytest.mark.parametrize("damage,expect", [
    (lambda data: data.replace(b"*3\r\n$3\r\nSET\r\n$1\r\nb", b"X3\r\n$3\r\nSET\r\n$1\r\nb"),
     "Bad file format reading the append only file appendonly.aof.1.incr.aof"),
    (lambda data: data.replace(b"$1\r\nb\r\n", b"#1\r\nb\r\n"),
     "Bad file format reading the append only file appendonly.aof.1.incr.aof"),
    (lambda data: data + encode("NOSUCHCMD", "x"),
     "Unknown command 'NOSUCHCMD' reading the append only file appendonly.aof.1.incr.aof"),
])
def test_corrupt_middle_stops_startup(tmp_path, damage, expect):
    s = start(AOF)
    r = s.client()
    r.set("a", "1")
    r.set("b", "2")
    r.set("c", "3")
    path = _kill_and_path(s)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(damage(data))
    code, text = fails_to_start(s.dir)
    assert code == 1 and expect in text
    assert re.search(r"AOF appendonly\.aof\.1\.incr\.aof: .* (near )?offset \d+", text)  # file, offset, reason
    with open(path, "rb") as f:
        assert f.read() == damage(data)  # nothing was "repaired"


def test_truncated_file_that_is_not_the_last_stops(tmp_path):
    s = start(AOF + ["--aof-use-rdb-preamble", "no"])
    r = s.client()
    r.set("a", "1")
    raw(s, "BGREWRITEAOF")
    rewrite_done(r)
    r.set("b", "2")
    base = _kill_and_path(s, "appendonly.aof.2.base.aof")
    os.truncate(base, os.path.getsize(base) - 2)
    code, text = fails_to_start(s.dir)
    assert code == 1
    assert "Fatal error: the truncated file is not the last file" in text


def test_missing_file_named_by_manifest_stops(tmp_path):
    s = start(AOF)
    s.client().set("a", "1")
    os.unlink(_kill_and_path(s))
    code, text = fails_to_start(s.dir)
    assert code == 1
    assert ("Unable to obtain the AOF file appendonly.aof.1.incr.aof length. stat: No such file or directory"
            in text)


BAD_MANIFESTS = [
    "",
    "file appendonly.aof.1.base.rdb seq 1 type b\n\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    "file appendonly.aof.1.base.rdb seq 1\n",
    "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.base.rdb seq 2 type b\n",
    "file appendonly.aof.1.incr.aof seq 2 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
    "file appendonly.aof.1.incr.aof seq 1 type x\n",
    "file ../appendonly.aof.1.incr.aof seq 1 type i\n",
    "file appendonly.aof.1.incr.aof seq 0 type i\n",
    "file \"unbalanced seq 1 type i\n",
    "file appendonly.aof.1.incr.aof seq 1 type i",
    "file " + "x" * 1100 + " seq 1 type i\n",
]


def _manifest_error(log: str) -> list:
    """The lines Redis logs from '*** FATAL AOF MANIFEST FILE ERROR ***' on."""
    text = log[log.index("*** FATAL AOF MANIFEST FILE ERROR ***"):]
    text = re.sub(r"\d+:[CMSX] .{24} [.\-*#] ", "", text)
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("text", BAD_MANIFESTS)
def test_bad_manifest_lines_like_redis(tmp_path, text):
    """Both servers refuse to start and log the same reason."""
    out = []
    for real in (False, True):
        d = tmp_path / ("real" if real else "rk")
        (d / "appendonlydir").mkdir(parents=True)
        (d / "appendonlydir" / "appendonly.aof.manifest").write_text(text)
        for name in ("appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof"):
            shutil.copy(os.path.join(FIXTURES, "aof_rdb_preamble", "0_fresh_start", name), d / "appendonlydir")
        code, log = fails_to_start(str(d), real=real)
        out.append((code, _manifest_error(log)))
    assert out[0] == out[1]
    assert out[0][0] == 1 and len(out[0][1]) >= 2


# -- upgrade, INFO, DEBUG LOADAOF ----------------------------------------------------------------


def test_legacy_single_file_is_upgraded_like_redis(tmp_path):
    results = []
    for real in (False, True):
        d = tmp_path / ("real" if real else "rk")
        d.mkdir()
        shutil.copy(os.path.join(FIXTURES, "aof_upgraded_from_single_file", "appendonly.aof"), d)
        s = start(AOF, dir=str(d), real=real)
        try:
            r = s.client()
            r.set("new", "1")
            results.append((r.get("old"), files(s), manifest(s), read(s, "appendonly.aof.1.incr.aof")))
            assert ("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory "
                    "(appendonlydir).") in s.read_log()
        finally:
            s.kill()
    assert results[0] == results[1]
    assert results[0][0] == b"style"


def _persistence_fields(s: ServerProcess) -> list:
    c = RawConn(s.port)
    try:
        text = c.call("INFO", "persistence").decode()
    finally:
        c.close()
    return [line.split(":")[0] for line in text.split("\r\n")[1:] if ":" in line]


def test_info_persistence_fields_like_redis(tmp_path):
    for args in (AOF, []):
        rk = start(args)
        real = start(args, real=True)
        try:
            assert _persistence_fields(rk) == _persistence_fields(real)
        finally:
            rk.kill()
            real.kill()


def test_debug_loadaof(tmp_path):
    s = start(AOF)
    try:
        r = s.client()
        _fill(r)
        before = digest(s)
        assert r.execute_command("DEBUG", "LOADAOF") == b"OK"
        assert digest(s) == before
        assert "Append Only File loaded by DEBUG LOADAOF" in s.read_log()
        r.set("more", "1")
        s = restart(s)
        assert s.client().get("more") == b"1"
    finally:
        s.kill()


# -- write errors ---------------------------------------------------------------------------------


def _start_limited(args, real: bool) -> ServerProcess:
    """A server whose file writes can be made to fail: SIGXFSZ ignored, so an
    RLIMIT_FSIZE set later makes write(2) fail with EFBIG."""
    s = ServerProcess(list(args) + DEBUG, real=real)
    s.proc = subprocess.Popen(s.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=s.dir,
                              restore_signals=False,
                              preexec_fn=lambda: signal.signal(signal.SIGXFSZ, signal.SIG_IGN))
    wait_for(lambda: socket.create_connection(("127.0.0.1", s.port), timeout=0.5).close() or True, 15,
             what="server")
    return s


def _probe(port: int, *args) -> bytes:
    c = RawConn(port, timeout=0.3)
    try:
        return c.call(*args)
    except OSError:
        return b""
    finally:
        c.close()


@pytest.mark.skipif(REDIS_SERVER is None and not os.environ.get("CI"), reason="needs redis-server")
def test_write_error_gives_misconf_until_the_disk_recovers(tmp_path):
    args = AOF + ["--appendfsync", "everysec"]
    results = []
    for real in (False, True):
        s = _start_limited(args, real)
        try:
            c1, c2 = RawConn(s.port), RawConn(s.port)
            c1.call("SET", "before", "1")
            incr = os.path.join(adir(s), "appendonly.aof.1.incr.aof")
            size = os.path.getsize(incr)
            resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE, (size + 10, resource.RLIM_INFINITY))
            c1.send(encode("SET", "big", "x" * 100))  # cannot be logged
            # A connection that talks in the same loop turn as the failed write may have
            # observed it and is held with it: probe with fresh, short-lived connections.
            wait_for(lambda: _probe(s.port, "SET", "other", "1").startswith(b"-MISCONF"), 15, what="MISCONF")
            misconf = c2.call("SET", "other", "1")
            ping = c2.call("PING")
            read_reply = c2.call("GET", "before")
            info = s.client().info("persistence")
            assert info["aof_last_write_status"] == "err"
            resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            big = c1.read_reply()  # redkeep holds it until logged; Redis already sent it
            wait_for(lambda: c2.call("SET", "other", "2") == b"+OK\r\n", 15, what="recovery")
            assert "AOF write error looks solved, Redis can write again." in s.read_log()
            results.append((misconf, ping, read_reply, big))
            c1.close()
            c2.close()
            s.kill()
            s2 = ServerProcess(AOF, dir=s.dir, real=real).start()
            assert s2.client().mget("before", "big", "other") == [b"1", b"x" * 100, b"2"]
            s2.kill()
        finally:
            s.kill()
    assert results[0] == results[1]
    assert results[0][0].startswith(b"-MISCONF Errors writing to the AOF file: ")


# -- appendfsync always: replies the C writer sends itself -------------------------------------


def _pipeline(port: int, n: int, tag: str) -> list:
    """Pipeline n writes interleaved with reads of them; return the raw replies."""
    c = RawConn(port)
    try:
        reqs = []
        for i in range(n):
            reqs.append(encode("INCR", f"{tag}:ctr"))
            reqs.append(encode("GET", f"{tag}:ctr"))
        c.send(b"".join(reqs))
        return [c.read_reply() for _ in range(2 * n)]
    finally:
        c.close()


def test_always_replies_in_order_across_clients(tmp_path):
    s = start(AOF + ["--appendfsync", "always"])
    try:
        out = {}

        def run(t):
            out[t] = _pipeline(s.port, 300, f"t{t}")

        threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for t in range(8):
            want = []
            for i in range(1, 301):
                want += [b":%d\r\n" % i, b"$%d\r\n%d\r\n" % (len(str(i)), i)]
            assert out[t] == want
        info = s.client().info("persistence")
        assert info["aof_last_write_status"] == "ok"
    finally:
        s.kill()


def test_always_full_socket_keeps_order_and_loses_nothing(tmp_path):
    """A client that writes, asks for a big value and stops reading: the rest of
    the big reply and every later reply arrive whole and in order once it reads."""
    s = start(AOF + ["--appendfsync", "always"])
    try:
        r = s.client()
        big = os.urandom(8 << 20)  # two of them: more than both socket buffers hold
        r.set("big", big)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)  # before connect: a sane window
        sock.connect(("127.0.0.1", s.port))
        reqs = b"".join([encode("INCR", "n"), encode("GET", "big"), encode("INCR", "n"), encode("GET", "big"),
                         encode("SET", "after", "1"), encode("INCR", "n")])
        sock.sendall(reqs)
        # meanwhile other clients are served (the loop is not blocked by the full socket)
        for i in range(20):
            assert r.incr("other") == i + 1
        want = (b":1\r\n" + b"$%d\r\n" % len(big) + big + b"\r\n" + b":2\r\n" + b"$%d\r\n" % len(big) + big
                + b"\r\n+OK\r\n:3\r\n")
        got = b""
        sock.settimeout(10)
        while len(got) < len(want):
            d = sock.recv(1 << 20)
            if not d:
                break
            got += d
        assert got == want
        sock.close()
    finally:
        s.kill()


def test_always_disconnect_with_held_replies_leaks_nothing(tmp_path):
    """Clients that vanish while their replies wait for the fsync: the server
    stays up and no reply reaches another connection (the fd is reused)."""
    s = start(AOF + ["--appendfsync", "always"])
    try:
        for round_ in range(30):
            socks = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(5)]
            for k in socks:
                k.sendall(encode("SET", f"gone:{round_}", "secret") * 20)
            for k in socks:
                k.close()
            c = RawConn(s.port)
            assert c.call("PING") == b"+PONG\r\n"  # not a stranger's +OK
            assert c.call("SET", "mine", round_) == b"+OK\r\n"
            assert c.call("GET", "mine") == b"$%d\r\n%d\r\n" % (len(str(round_)), round_)
            c.close()
        wait_for(lambda: s.client().info("clients")["connected_clients"] == 1, 10, what="clients gone")
    finally:
        s.kill()


def test_always_quit_after_writes_and_policy_switch(tmp_path):
    s = start(AOF + ["--appendfsync", "always"])
    try:
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        sock.sendall(encode("SET", "a", "1") + encode("INCR", "c") + encode("QUIT") + encode("SET", "never", "1"))
        got = b""
        while True:
            d = sock.recv(4096)
            if not d:
                break
            got += d
        assert got == b"+OK\r\n:1\r\n+OK\r\n"
        sock.close()
        # switching policy while clients write: no reply is lost or stuck
        results = []

        def writer():
            results.append(_pipeline(s.port, 500, "sw"))

        t = threading.Thread(target=writer)
        t.start()
        r = s.client()
        r.config_set("appendfsync", "everysec")
        r.config_set("appendfsync", "always")
        r.config_set("appendfsync", "no")
        t.join(60)
        assert len(results) == 1 and len(results[0]) == 1000
        assert r.get("never") is None
        s2 = restart(s, kill=False)
        assert s2.client().get("sw:ctr") == b"500"
        s2.kill()
    finally:
        s.kill()
