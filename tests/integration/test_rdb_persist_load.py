"""Loading at start-up and surviving crashes: -LOADING and INFO loading_*
during a long load, corrupt / truncated / wrong-version / bad-checksum files
stopping start-up with file, offset and reason (the file left byte for
byte), and kill -9 during BGSAVE leaving the previous dump intact."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from helpers import RawConn, ServerProcess, wait_for
from redkeep.keyspace import RHash, RList
from redkeep.rdb import RdbWriter, load_bytes, standard_aux

DEBUG = ["--enable-debug-command", "yes"]


def write_dump(path, nkeys: int, value=b"v" * 40) -> None:
    with open(path, "wb") as f:
        w = RdbWriter(f.write)
        w.begin(standard_aux(int(time.time()), 1 << 20))
        w.select_db(0, nkeys, 0)
        for i in range(nkeys):
            if i % 10 == 0:
                w.write_key(b"h:%d" % i, RHash({b"a": b"1", b"b": value}))
            elif i % 10 == 1:
                w.write_key(b"l:%d" % i, RList([b"x", value]))
            else:
                w.write_key(b"k:%d" % i, value)
        w.end()


def test_clients_get_loading_during_a_long_load(tmp_path):
    write_dump(tmp_path / "dump.rdb", 300_000)
    s = ServerProcess(dir=str(tmp_path)).start()  # returns at the first PONG or -LOADING
    try:
        conn = RawConn(s.port)
        reply = conn.call("GET", "k:2")
        assert reply == b"-LOADING Redis is loading the dataset in memory\r\n"
        info = conn.call("INFO", "persistence").decode()
        assert "loading:1\r\n" in info
        lines = info.split("\r\n")
        tail = [x.split(":")[0] for x in lines if x.startswith("loading_")]
        assert tail == ["loading_start_time", "loading_total_bytes", "loading_rdb_used_mem", "loading_loaded_bytes",
                        "loading_loaded_perc", "loading_eta_seconds"]
        assert lines[lines.index([x for x in lines if x.startswith("loading_start_time")][0]) - 1].startswith(
            "module_fork_last_cow_size")  # Redis prints them at the section's end
        total = int([x for x in lines if x.startswith("loading_total_bytes")][0].split(":")[1])
        assert total == os.path.getsize(tmp_path / "dump.rdb")
        wait_for(lambda: conn.call("GET", "k:2") == b"$40\r\n" + b"v" * 40 + b"\r\n", timeout=60, what="loaded")
        assert conn.call("DBSIZE") == b":300000\r\n"
        assert b"loading:0" in conn.call("INFO", "persistence")
        assert b"rdb_last_load_keys_loaded:300000" in conn.call("INFO", "persistence")
        conn.close()
        assert "Done loading RDB, keys loaded: 300000, keys expired: 0." in s.read_log()
    finally:
        s.kill()


def _good_dump(tmp_path) -> bytes:
    path = tmp_path / "good.rdb"
    write_dump(path, 50)
    return path.read_bytes()


def _variants(good: bytes) -> dict:
    mid = len(good) // 2
    return {
        # a flipped byte is caught where it breaks the structure, else by the CRC
        "flipped": (good[:mid] + bytes([good[mid] ^ 0x5A]) + good[mid + 1:], ""),
        "truncated": (good[: len(good) - 30], "Unexpected EOF reading RDB file"),
        "version": (b"REDIS0012" + good[9:], "Can't handle RDB format version 12"),
        "checksum": (good[:-8] + bytes([good[-8] ^ 1]) + good[-7:], "RDB CRC error"),
        "not-rdb": (b"HELLO" + good[5:], "Wrong signature trying to load DB from file"),
    }


@pytest.mark.parametrize("name", ["flipped", "truncated", "version", "checksum", "not-rdb"])
def test_corrupt_file_stops_startup_and_is_left_alone(tmp_path, name):
    data, reason = _variants(_good_dump(tmp_path))[name]
    d = tmp_path / "d"
    d.mkdir()
    (d / "dump.rdb").write_bytes(data)
    s = ServerProcess(dir=str(d))
    proc = subprocess.run(s.cmd, cwd=str(d), capture_output=True, timeout=60)
    assert proc.returncode == 1
    log = s.read_log()
    path = str(d / "dump.rdb")
    line = [x for x in log.splitlines() if "Fatal error loading the DB" in x]
    assert line, log
    assert path in line[0] and " at offset " in line[0] and reason in line[0], line[0]
    assert (d / "dump.rdb").read_bytes() == data
    assert sorted(os.listdir(d)) == ["dump.rdb", "server.log"]


def test_kill9_during_bgsave_leaves_previous_dump(tmp_path):
    s = ServerProcess(DEBUG, dir=str(tmp_path)).start()
    try:
        c = s.client()
        c.execute_command("DEBUG", "POPULATE", 200000)
        c.save()
        before = (tmp_path / "dump.rdb").read_bytes()
        for attempt, progress in enumerate((0, 50000, 150000)):
            if attempt:
                s = ServerProcess(DEBUG, dir=str(tmp_path)).start()
                c = s.client()
                wait_for(lambda: c.dbsize() == 200000, timeout=60, what="reload")
            c.set("new", "x" * attempt)
            c.delete("key:1")
            c.bgsave()
            wait_for(lambda: c.info("persistence")["current_save_keys_processed"] >= progress,
                     timeout=30, what="bgsave progress")
            assert c.info("persistence")["rdb_bgsave_in_progress"] == 1
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait(timeout=10)
            assert (tmp_path / "dump.rdb").read_bytes() == before, attempt
        dbs, reader = load_bytes(before)
        assert reader.checksum == "ok" and len(dbs[0]) == 200000
        s = ServerProcess(DEBUG, dir=str(tmp_path)).start()
        c = s.client()
        wait_for(lambda: c.dbsize() == 200000, timeout=60, what="reload")
        assert c.get("key:1") == b"value:1" and c.get("new") is None
    finally:
        s.kill()
