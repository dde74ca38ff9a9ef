"""Whole-server RDB interop with real Redis 7.0: redkeep starts on every
fixture Redis 7.0.15 made and holds exactly what Redis holds from it;
redis-check-rdb accepts redkeep's dumps (and redkeep-check-rdb prints the
same report); redis-server started on a redkeep dump and redkeep started on
a Redis dump hold the same keys, values and TTLs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from helpers import ServerProcess, wait_for
from rdb_persist_support import populate, run_check_rdb, view

pytestmark = pytest.mark.interop

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "rdb")
FIXTURE_FILES = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".rdb"))
DEBUG = ["--enable-debug-command", "yes"]


def _start_on(path, name: str, real: bool) -> ServerProcess:
    d = path / ("real" if real else "rk")
    d.mkdir(exist_ok=True)
    shutil.copy(os.path.join(FIXTURES, name) if os.sep not in name else name, d / "dump.rdb")
    return ServerProcess(DEBUG, dir=str(d), real=real).start()


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_redkeep_loads_each_redis_fixture_like_redis(tmp_path, name):
    rk = _start_on(tmp_path, name, real=False)
    rd = _start_on(tmp_path, name, real=True)
    try:
        a, b = rk.client(), rd.client()
        wait_for(lambda: a.ping() and b.ping(), what="both loaded")
        got, want = view(a), view(b)
        assert got == want
        if name == "all_types.rdb":
            manifest = json.load(open(os.path.join(FIXTURES, "generation_manifest.json")))[name]
            for db in (0, 2):
                a.execute_command("SELECT", db)
                for key, (typ, enc) in manifest["encodings_db%d" % db].items():
                    assert a.type(key).decode() == typ, key
                    if typ in ("list", "hash", "set", "zset"):
                        assert a.object("encoding", key).decode() == enc, key
            a.execute_command("SELECT", 0)
        assert (tmp_path / "rk" / "dump.rdb").read_bytes() == open(os.path.join(FIXTURES, name), "rb").read()
    finally:
        rk.kill()
        rd.kill()


def _redkeep_dump(tmp_path, bg: bool) -> tuple:
    """A redkeep dump.rdb holding every type (with streams and functions
    carried from Redis's fixture), TTLs and several dbs."""
    d = tmp_path / ("bg" if bg else "fg")
    d.mkdir()
    shutil.copy(os.path.join(FIXTURES, "all_types.rdb"), d / "dump.rdb")
    s = ServerProcess(DEBUG, dir=str(d)).start()
    try:
        c = s.client()
        wait_for(lambda: c.ping(), what="loaded")
        populate(c)
        want = view(c)
        if bg:
            c.bgsave()
            wait_for(lambda: c.info("persistence")["rdb_saves"] == 1 and
                     c.info("persistence")["rdb_bgsave_in_progress"] == 0, what="bgsave")
        else:
            c.save()
    finally:
        s.kill()
    return d / "dump.rdb", want


@pytest.mark.parametrize("bg", [False, True], ids=["SAVE", "BGSAVE"])
def test_redis_tools_and_server_accept_redkeep_dumps(tmp_path, bg):
    path, want = _redkeep_dump(tmp_path, bg)
    real = subprocess.run([shutil.which("redis-check-rdb"), str(path)], capture_output=True, text=True)
    assert real.returncode == 0 and "\\o/ RDB looks OK! \\o/" in real.stdout, real.stdout
    ours = run_check_rdb(str(path))
    assert ours.returncode == 0
    assert ours.stdout.splitlines() == real.stdout.splitlines()
    rd = _start_on(tmp_path, str(path), real=True)
    try:
        c = rd.client()
        assert view(c) == want
        assert c.fcall("myfunc", 0) == 1
    finally:
        rd.kill()


def test_redkeep_starts_on_a_redis_dump(tmp_path):
    d = tmp_path / "made-by-redis"
    d.mkdir()
    rd = ServerProcess(DEBUG, dir=str(d), real=True).start()
    try:
        c = rd.client()
        populate(c)
        want = view(c)
        digest = c.execute_command("DEBUG", "DIGEST")
        c.save()
    finally:
        rd.kill()
    rk = _start_on(tmp_path, str(d / "dump.rdb"), real=False)
    try:
        c = rk.client()
        assert view(c) == want
        assert c.execute_command("DEBUG", "DIGEST") == digest
    finally:
        rk.kill()


def test_check_tool_reports_like_redis_check_rdb_on_broken_files(tmp_path):
    good = open(os.path.join(FIXTURES, "all_types.rdb"), "rb").read()
    cases = {"cut.rdb": good[:1000], "crc.rdb": good[:-1] + bytes([good[-1] ^ 1]), "empty.rdb": b"",
             "sig.rdb": b"RODIS" + good[5:]}
    for name, data in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        real = subprocess.run([shutil.which("redis-check-rdb"), str(p)], capture_output=True, text=True)
        ours = run_check_rdb(str(p))
        want = [x for x in real.stdout.splitlines() if "Terminating server" not in x]
        assert ours.stdout.splitlines() == want, name
        assert ours.returncode == real.returncode == 1, name
    missing = run_check_rdb(str(tmp_path / "missing.rdb"))
    assert missing.returncode == 1 and missing.stdout == "[offset 0] Checking RDB file %s\n" % (tmp_path / "missing.rdb")
    assert run_check_rdb(str(tmp_path)).returncode == 1  # a directory reads as an empty file
