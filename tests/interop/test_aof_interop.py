"""The AOF against real Redis 7.0.15: redis-check-aof accepts redkeep's
appendonlydir, redis-server loads it to the same dataset, redkeep loads the
Redis-made fixture dirs to exactly their listed contents, and
redkeep-check-aof reports what redis-check-aof reports, line for line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from helpers import RawConn, ServerProcess, wait_for

pytestmark = pytest.mark.interop

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "aof")
DEBUG = ["--enable-debug-command", "yes"]
NEVER = 4102444800000  # 2100-01-01, the fixtures' expire time
CHECK_AOF = shutil.which("redis-check-aof")


def _start(dir: str, args=(), real=False) -> ServerProcess:
    s = ServerProcess(["--appendonly", "yes", *args, *DEBUG], dir=dir, real=real).start()
    r = s.client()
    wait_for(lambda: r.info("persistence")["loading"] == 0, 20, what="loading")
    r.close()
    return s


def _digest(s: ServerProcess) -> bytes:
    return s.client().execute_command("DEBUG", "DIGEST")


def _dataset(s: ServerProcess) -> dict:
    """db -> {key: (type, value, pexpiretime)} read through commands."""
    out = {}
    r = s.client()
    for db in range(16):
        r.execute_command("SELECT", db)
        keys = r.keys("*")
        if not keys:
            continue
        d = out[db] = {}
        for k in keys:
            t = r.type(k).decode()
            if t == "string":
                v = r.get(k)
            elif t == "list":
                v = r.lrange(k, 0, -1)
            elif t == "set":
                v = sorted(r.smembers(k))
            elif t == "zset":
                v = r.zrange(k, 0, -1, withscores=True)
            elif t == "hash":
                v = sorted(r.hgetall(k).items())
            else:
                v = None
            pttl = r.pttl(k)
            d[k] = (t, v, pttl > 0)
    r.close()
    return out


def _copy_fixture(tmp_path, name: str, snap: str | None) -> str:
    d = tmp_path / "srv"
    src = os.path.join(FIXTURES, name, snap) if snap else os.path.join(FIXTURES, name)
    shutil.copytree(src, d / "appendonlydir")
    return str(d)


BASE_DATASET = {
    0: {b"k1": ("string", b"v1", True), b"mylist": ("list", [b"a", b"b", b"c"], False),
        b"t1": ("string", b"6", False), b"ttl1": ("string", b"v", True), b"flt": ("string", b"1.5", False),
        b"h": ("hash", [(b"f", b"v")], False)},
    1: {b"db1key": ("string", b"x", False)},
}
AFTER_MORE = {0: dict(BASE_DATASET[0], after=("string", b"rewrite", False)), 1: BASE_DATASET[1]}
AFTER_MORE[0][b"mylist"] = ("list", [b"z", b"a", b"b", b"c"], False)
AFTER_MORE[0] = {(k.encode() if isinstance(k, str) else k): v for k, v in AFTER_MORE[0].items()}


@pytest.mark.parametrize("name", ["aof_rdb_preamble", "aof_resp_base_ts"])
@pytest.mark.parametrize("snap,expected", [
    ("0_fresh_start", {}),
    ("1_after_writes", BASE_DATASET),
    ("2_after_bgrewriteaof", BASE_DATASET),
    ("3_after_more_writes", AFTER_MORE),
])
def test_redkeep_loads_redis_fixture_dirs(tmp_path, name, snap, expected):
    d = _copy_fixture(tmp_path, name, snap)
    s = _start(d)
    try:
        assert _dataset(s) == expected
        ttl = s.client().pexpiretime("k1") if expected else -2
        assert ttl in (NEVER, -2)
        before = _digest(s)
    finally:
        s.kill()
    real = _start(_copy_fixture(tmp_path / "r", name, snap), real=True)
    try:
        assert _digest(real) == before
    finally:
        real.kill()


def test_redkeep_upgrades_the_single_file_fixture(tmp_path):
    d = tmp_path / "srv"
    d.mkdir()
    src = os.path.join(FIXTURES, "aof_upgraded_from_single_file")
    shutil.copy(os.path.join(src, "appendonly.aof"), d)
    s = _start(str(d))
    try:
        assert _dataset(s) == {0: {b"old": ("string", b"style", False)}}
    finally:
        s.kill()
    with open(d / "appendonlydir" / "appendonly.aof.manifest") as f, \
            open(os.path.join(src, "appendonly.aof.manifest")) as g:
        assert f.read() == g.read()
    shutil.copytree(src, tmp_path / "fx" / "appendonlydir")  # Redis's own upgraded dir, with SET new 1
    s = _start(str(tmp_path / "fx"))
    try:
        assert _dataset(s) == {0: {b"old": ("string", b"style", False), b"new": ("string", b"1", False)}}
    finally:
        s.kill()


def _workload(s: ServerProcess) -> None:
    r = s.client()
    r.execute_command("DEBUG", "POPULATE", "2000", "pop", "12")
    r.rpush("list", *range(300))
    r.sadd("set", *[f"m{i}" for i in range(100)])
    r.sadd("iset", *range(20))
    r.zadd("zset", {f"z{i}": i * 0.1 for i in range(100)} | {"ninf": float("-inf")})
    r.hset("hash", mapping={f"f{i}": i for i in range(100)})
    r.set("ttl", "v", pxat=NEVER)
    r.execute_command("SELECT", 3)
    r.set("db3", "x")
    r.close()


@pytest.mark.parametrize("args", [[], ["--aof-use-rdb-preamble", "no", "--aof-timestamp-enabled", "yes"]])
def test_redis_reads_redkeeps_appendonlydir(tmp_path, args):
    d = str(tmp_path / "srv")
    os.mkdir(d)
    s = _start(d, args)
    try:
        _workload(s)
        assert RawConn(s.port).call("BGREWRITEAOF").startswith(b"+Background")
        r = s.client()
        wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, 20, what="rewrite")
        r.lpush("list", "after")
        r.hdel("hash", "f1")
        r.execute_command("MULTI")
        r.execute_command("INCR", "counter")
        r.execute_command("SET", "tx", "1")
        r.execute_command("EXEC")
        expected = _digest(s)
        data = _dataset(s)
    finally:
        s.kill()
    manifest = os.path.join(d, "appendonlydir", "appendonly.aof.manifest")
    out = subprocess.run([CHECK_AOF, manifest], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
    assert "All AOF files and manifest are valid" in out.stdout
    real = _start(d, args, real=True)
    try:
        assert _digest(real) == expected
        assert _dataset(real) == data
        real.client().set("from-redis", "1")
        expected = _digest(real)
    finally:
        real.kill()
    s = _start(d, args)  # and back: redkeep continues Redis's files
    try:
        assert _digest(s) == expected
    finally:
        s.kill()


# -- redkeep-check-aof == redis-check-aof ----------------------------------------------------


def _damage(path: str, at: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(data)


CASES = [
    ("aof_rdb_preamble/3_after_more_writes", None, [], "appendonly.aof.manifest"),
    ("aof_resp_base_ts/3_after_more_writes", None, [], "appendonly.aof.manifest"),
    ("aof_resp_base_ts/1_after_writes", None, [], "appendonly.aof.manifest"),
    ("aof_rdb_preamble/3_after_more_writes", ("truncate", "appendonly.aof.2.incr.aof", 5), [],
     "appendonly.aof.manifest"),
    ("aof_rdb_preamble/3_after_more_writes", ("truncate", "appendonly.aof.2.incr.aof", 5), ["--fix"],
     "appendonly.aof.manifest"),
    ("aof_rdb_preamble/1_after_writes", ("truncate", "appendonly.aof.1.incr.aof", 30), [],
     "appendonly.aof.manifest"),
    ("aof_rdb_preamble/3_after_more_writes", ("write", "appendonly.aof.2.incr.aof", 30, b"xx"), [],
     "appendonly.aof.manifest"),
    ("aof_rdb_preamble/3_after_more_writes", ("write", "appendonly.aof.2.incr.aof", 38, b"\xe9"), [],
     "appendonly.aof.manifest"),
    ("aof_rdb_preamble/3_after_more_writes", ("write", "appendonly.aof.2.incr.aof", 37, b"MULTI"), [],
     "appendonly.aof.manifest"),
    ("aof_rdb_preamble/3_after_more_writes", ("write", "appendonly.aof.2.base.rdb", 100, b"X"), [],
     "appendonly.aof.manifest"),
    ("aof_rdb_preamble/3_after_more_writes", ("unlink", "appendonly.aof.2.incr.aof"), [],
     "appendonly.aof.manifest"),
    ("aof_rdb_preamble/3_after_more_writes", ("unlink", "appendonly.aof.2.base.rdb"), [],
     "appendonly.aof.manifest"),
    ("aof_rdb_preamble/3_after_more_writes", ("append", "appendonly.aof.manifest", b"file x seq 1 type q\n"), [],
     "appendonly.aof.manifest"),
    ("aof_rdb_preamble/1_after_writes", ("append", "appendonly.aof.1.incr.aof", b"*2\r\n$5\r\nMULTI\r\n"), [],
     "appendonly.aof.manifest"),
    ("aof_upgraded_from_single_file", None, [], "appendonly.aof"),
    ("aof_upgraded_from_single_file", None, [], "appendonly.aof.manifest"),
    ("aof_upgraded_from_single_file", ("truncate", "appendonly.aof", 4), ["--fix"], "appendonly.aof"),
    ("aof_resp_base_ts/3_after_more_writes", None, ["--truncate-to-timestamp", "1"], "appendonly.aof.manifest"),
    ("aof_resp_base_ts/1_after_writes", None, ["--truncate-to-timestamp", "1795755928"],
     "appendonly.aof.manifest"),
    ("aof_resp_base_ts/1_after_writes", None, ["--truncate-to-timestamp", "9999999999"],
     "appendonly.aof.manifest"),
    ("aof_resp_base_ts/1_after_writes", None, ["--truncate-to-timestamp", "x1"], "appendonly.aof.manifest"),
    ("aof_rdb_preamble/1_after_writes", None, ["--bogus"], "appendonly.aof.manifest"),
]


def _run_check(tool: list, d: str, case) -> tuple:
    src, damage, opts, target = case
    shutil.copytree(os.path.join(FIXTURES, src), d)
    if damage:
        kind, name = damage[0], os.path.join(d, damage[1])
        if kind == "truncate":
            os.truncate(name, os.path.getsize(name) - damage[2])
        elif kind == "write":
            _damage(name, damage[2], damage[3])
        elif kind == "append":
            with open(name, "ab") as f:
                f.write(damage[2])
        else:
            os.unlink(name)
    p = subprocess.run(tool + opts + [os.path.join(d, target)], input="y\n", capture_output=True, text=True,
                       errors="replace")
    out = p.stdout.replace("Continue? [y/N]: ", "")  # redkeep does not ask when stdin is not a terminal
    out = re.sub(r"\d+:C \d+ \w+ \d+ [\d:.]+ # ", "<log> ", out).replace(d, "<dir>")
    files = {n: os.path.getsize(os.path.join(d, n)) for n in sorted(os.listdir(d))}
    return p.returncode, out, files


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0].split('/')[0]}-{c[1][0] if c[1] else 'ok'}-{c[2]}"
                                             for c in CASES])
def test_check_aof_reports_like_redis(tmp_path, case):
    mine = _run_check([sys.executable, "-m", "redkeep.tools.check_aof"], str(tmp_path / "a"), case)
    theirs = _run_check([CHECK_AOF], str(tmp_path / "b"), case)
    theirs = (theirs[0], theirs[1].replace(CHECK_AOF, "redkeep-check-aof"), theirs[2])
    assert mine == theirs
