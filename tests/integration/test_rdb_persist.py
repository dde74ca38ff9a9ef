"""RDB persistence as a user drives it: SAVE, BGSAVE (SCHEDULE), LASTSAVE,
INFO persistence, restart with every key and TTL back, save points, the
final save on SHUTDOWN/SIGTERM, MISCONF and recovery, rdbcompression /
rdbchecksum off, DEBUG RELOAD, DUMP/RESTORE — compared with real Redis 7.0
wherever a reply can be compared byte for byte."""

from __future__ import annotations

import os
import shutil
import signal

import pytest

from helpers import RawConn, ServerProcess, wait_for
from rdb_persist_support import populate, view
from redkeep.persistence.rdb import MISCONF_RDB
from redkeep.rdb import load_bytes

DEBUG = ["--enable-debug-command", "yes"]


def start(path, *args, real=False) -> ServerProcess:
    return ServerProcess(list(args), dir=str(path), real=real).start()


def persistence(c) -> dict:
    return c.info("persistence")


def test_info_persistence_fields_are_redis_names(server, real):
    def names(port):
        conn = RawConn(port)
        try:
            text = conn.call("INFO", "persistence").split(b"\r\n", 1)[1].decode()
        finally:
            conn.close()
        return [line.split(":")[0] for line in text.split("\r\n") if line and not line.startswith("#")]

    assert names(server.port) == names(real.port)


def test_save_lastsave_and_info(tmp_path):
    s = start(tmp_path, "--save", "3600 1")
    try:
        c = s.client()
        before = c.lastsave()
        info = persistence(c)
        assert info["rdb_saves"] == 0 and info["rdb_last_bgsave_status"] == "ok"
        c.set("a", "1")
        c.set("b", "2")
        assert persistence(c)["rdb_changes_since_last_save"] == 2
        assert c.save() is True
        info = persistence(c)
        assert info["rdb_changes_since_last_save"] == 0 and info["rdb_saves"] == 1
        assert info["rdb_last_bgsave_time_sec"] == -1  # SAVE is not a background save
        assert c.lastsave() >= before
        dbs, reader = load_bytes((tmp_path / "dump.rdb").read_bytes())
        assert reader.checksum == "ok" and dbs == {0: {b"a": (b"1", None), b"b": (b"2", None)}}
        assert not [f for f in os.listdir(tmp_path) if f.startswith("temp-")]
    finally:
        s.kill()


def test_bgsave_in_progress_schedule_and_info(tmp_path):
    s = start(tmp_path, *DEBUG)
    try:
        c = s.client()
        c.execute_command("DEBUG", "POPULATE", 200000)
        assert c.bgsave() is True
        # while it runs (200k keys take a while in slices)
        r = RawConn(s.port)
        assert r.call("BGSAVE") == b"-ERR Background save already in progress\r\n"
        assert r.call("SAVE") == b"-ERR Background save already in progress\r\n"
        info = persistence(c)
        assert info["rdb_bgsave_in_progress"] == 1 and info["current_save_keys_total"] == 200000
        assert info["rdb_current_bgsave_time_sec"] >= 0
        assert r.call("BGSAVE", "SCHEDULE") == b"+Background saving scheduled\r\n"
        assert r.call("BGSAVE", "foo") == b"-ERR syntax error\r\n"
        r.close()
        wait_for(lambda: persistence(c)["rdb_saves"] == 2 and persistence(c)["rdb_bgsave_in_progress"] == 0,
                 timeout=30, what="the scheduled BGSAVE")
        info = persistence(c)
        assert info["rdb_last_bgsave_status"] == "ok" and info["rdb_current_bgsave_time_sec"] == -1
        assert info["rdb_last_bgsave_time_sec"] >= 0 and info["rdb_last_cow_size"] > 0
        dbs, _ = load_bytes((tmp_path / "dump.rdb").read_bytes())
        assert len(dbs[0]) == 200000 and dbs[0][b"key:123"] == (b"value:123", None)
        log = s.read_log()
        assert "Background saving started" in log and "Background saving terminated with success" in log
    finally:
        s.kill()


def test_restart_brings_back_every_key_and_ttl(tmp_path):
    s = start(tmp_path, "--save", "3600 1", *DEBUG)
    try:
        c = s.client()
        populate(c)
        want = view(c)
        digest = c.execute_command("DEBUG", "DIGEST")
        assert s.stop() == 0  # SIGTERM: the final save
    finally:
        s.kill()
    s = start(tmp_path, "--save", "3600 1", *DEBUG)
    try:
        c = s.client()
        assert view(c) == want
        assert c.execute_command("DEBUG", "DIGEST") == digest
        info = persistence(c)
        assert info["rdb_last_load_keys_loaded"] == sum(len(d) for d in want.values())
        assert "DB loaded from disk" in s.read_log()
    finally:
        s.kill()


def test_save_point_triggers_bgsave(tmp_path):
    s = start(tmp_path, "--save", "1 1")
    try:
        c = s.client()
        assert c.config_get("save") == {"save": "1 1"}
        c.set("k", "v")
        wait_for(lambda: persistence(c)["rdb_saves"] >= 1, timeout=30, what="save point")
        assert persistence(c)["rdb_changes_since_last_save"] == 0
        assert "1 changes in 1 seconds. Saving..." in s.read_log()
        assert load_bytes((tmp_path / "dump.rdb").read_bytes())[0] == {0: {b"k": (b"v", None)}}
        c.config_set("save", "")
        c.set("k2", "v")
        c.config_set("save", "3600 1 300 100 60 10000")
        assert c.config_get("save") == {"save": "3600 1 300 100 60 10000"}
    finally:
        s.kill()


@pytest.mark.parametrize("how", ["sigterm", "shutdown"])
def test_final_save_only_with_save_rules(tmp_path, how):
    for rules, saved in (("3600 1", True), ("", False)):
        d = tmp_path / ("with" if rules else "without")
        d.mkdir()
        s = start(d, "--save", rules)
        try:
            c = s.client()
            c.set("k", "v")
            if how == "sigterm":
                assert s.stop(signal.SIGTERM) == 0
            else:
                try:
                    c.shutdown()
                except Exception:  # noqa: BLE001 - the connection closes
                    pass
                s.proc.wait(timeout=30)
        finally:
            s.kill()
        assert (d / "dump.rdb").exists() is saved, (rules, how)
        if saved:
            assert "Saving the final RDB snapshot before exiting." in s.read_log()
    # SHUTDOWN SAVE saves even without rules; SHUTDOWN NOSAVE never does
    for opt, saved in (("SAVE", True), ("NOSAVE", False)):
        d = tmp_path / opt
        d.mkdir()
        s = start(d, "--save", "" if opt == "SAVE" else "3600 1")
        try:
            conn = RawConn(s.port)
            conn.call("SET", "k", "v")
            conn.send(b"SHUTDOWN " + opt.encode() + b"\r\n")
            s.proc.wait(timeout=30)
            conn.close()
        finally:
            s.kill()
        assert (d / "dump.rdb").exists() is saved, opt


def test_misconf_when_the_disk_fails_and_recovery(tmp_path):
    """The server's directory disappears (a full or broken disk as root
    cannot be faked with chmod): BGSAVE fails, writes and PING get
    Redis's exact -MISCONF, reads still work; a good dir brings writes back."""
    conns = []
    procs = []
    for name, real in (("rk", False), ("real", True)):
        d = tmp_path / name / "data"
        d.mkdir(parents=True)
        p = start(d, "--save", "3600 1", "--enable-protected-configs", "yes", real=real)
        procs.append(p)
        conns.append(RawConn(p.port))
        shutil.rmtree(d)

    def both(*args):
        a, b = (conn.call(*args) for conn in conns)
        assert a == b, (args, a, b)
        return a

    try:
        both("SET", "k", "v")
        assert both("SAVE") == b"-ERR\r\n"
        both("SET", "k", "v2")  # a failed SAVE does not stop writes
        assert both("BGSAVE") == b"+Background saving started\r\n"
        for conn in conns:
            wait_for(lambda: b"rdb_last_bgsave_status:err" in conn.call("INFO", "persistence"), what="bgsave err")
        assert both("SET", "k", "v3") == b"-" + MISCONF_RDB.encode() + b"\r\n"
        both("PING")
        assert both("GET", "k") == b"$2\r\nv2\r\n"
        both("CONFIG", "SET", "save", "")
        assert both("SET", "k", "v4") == b"+OK\r\n"
        both("CONFIG", "SET", "save", "3600 1")
        both("INCR", "n")
        both("CONFIG", "SET", "stop-writes-on-bgsave-error", "no")
        assert both("SET", "k", "v5") == b"+OK\r\n"
        both("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes")
        both("DEL", "k")
        good = tmp_path / "good"
        good.mkdir()
        for conn, name in zip(conns, ("rk", "real")):
            (good / name).mkdir()
            assert conn.call("CONFIG", "SET", "dir", str(good / name)) == b"+OK\r\n"
        assert both("BGSAVE") == b"+Background saving started\r\n"
        for conn in conns:
            wait_for(lambda: b"rdb_last_bgsave_status:ok" in conn.call("INFO", "persistence"), what="bgsave ok")
        assert both("SET", "k", "back") == b"+OK\r\n"
        assert (good / "rk" / "dump.rdb").exists()
    finally:
        for conn in conns:
            conn.close()
        for p in procs:
            p.kill()


def test_compression_and_checksum_off_and_sync_files_directive(tmp_path):
    s = start(tmp_path, "--rdbcompression", "no", "--rdbchecksum", "no")
    try:
        c = s.client()
        c.set("long", "abc" * 100)
        c.config_set("rdb-del-sync-files", "yes")  # accepted; acts with replication only
        assert c.config_get("rdb-del-sync-files") == {"rdb-del-sync-files": "yes"}
        c.save()
        data = (tmp_path / "dump.rdb").read_bytes()
        assert data[-8:] == bytes(8) and b"abc" * 100 in data
        dbs, reader = load_bytes(data)
        assert reader.checksum == "disabled" and dbs[0][b"long"] == (b"abc" * 100, None)
        c.config_set("rdbcompression", "yes")
        c.save()
        data = (tmp_path / "dump.rdb").read_bytes()
        assert b"abc" * 100 not in data and data[-8:] == bytes(8)
    finally:
        s.kill()


def test_debug_reload(tmp_path):
    s = start(tmp_path, *DEBUG)
    (tmp_path / "real").mkdir()
    real = start(tmp_path / "real", *DEBUG, real=True)
    a, b = RawConn(s.port), RawConn(real.port)

    def both(*args):
        ra, rb = a.call(*args), b.call(*args)
        assert ra == rb, (args, ra, rb)
        return ra

    try:
        assert both("DEBUG", "RELOAD", "NOSAVE") == b"-ERR Error trying to load the RDB dump\r\n"
        both("DEBUG", "RELOAD", "FOO")
        populate(s.client())
        populate(real.client())
        want = view(s.client())
        digest = both("DEBUG", "DIGEST")
        assert both("DEBUG", "RELOAD") == b"+OK\r\n"
        assert both("DEBUG", "DIGEST") == digest and view(s.client()) == want
        assert (tmp_path / "dump.rdb").exists()
        both("SET", "extra", "1")
        both("DEL", "s:raw")
        both("DEBUG", "RELOAD", "NOSAVE")  # back to the file
        assert both("DEBUG", "DIGEST") == digest
        both("SET", "extra", "1")
        both("SET", "s:raw", "changed")
        both("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE")  # file wins, extra stays
        assert both("GET", "s:raw") == b"$11\r\nhello world\r\n"
        assert both("GET", "extra") == b"$1\r\n1\r\n"
        for db in (0, 3, 15):
            both("SELECT", db)
            both("DBSIZE")
        assert "DB reloaded by DEBUG RELOAD" in s.read_log()
    finally:
        a.close()
        b.close()
        s.kill()
        real.kill()


def test_flushall_saves_when_rules_exist(tmp_path):
    s = start(tmp_path, "--save", "3600 1")
    try:
        c = s.client()
        c.set("k", "v")
        c.save()
        c.set("k2", "v")
        c.flushall()
        # the empty dataset is on disk at once: a restart cannot resurrect keys
        assert load_bytes((tmp_path / "dump.rdb").read_bytes())[0] == {}
        assert persistence(c)["rdb_changes_since_last_save"] == 0
    finally:
        s.kill()


# -- DUMP / RESTORE against real Redis ---------------------------------------------


def _fill(d):
    d.check("SET", "s", "hello")
    d.check("SET", "i", "123456")
    d.check("SET", "lz", "x" * 200)
    d.check("RPUSH", "l", "a", "b", "1", "-300", "z" * 100)
    d.check("HSET", "h", "f", "v", "n", "5")
    d.check("SADD", "si", "1", "2", "3")
    d.check("SADD", "ss", "a")
    d.check("ZADD", "z", "1.5", "a", "-inf", "b", "3", "c")
    d.check("ZADD", "zb", "1", "x" * 80)


def test_dump_payloads_byte_identical(differ):
    _fill(differ)
    for key in ("s", "i", "lz", "l", "h", "si", "ss", "z", "zb", "missing"):
        differ.check("DUMP", key)


def test_restore_options_and_errors(differ):
    _fill(differ)
    payload = differ.a.call("DUMP", "l").split(b"\r\n", 1)[1][:-2]
    d = differ
    d.check("RESTORE", "l", "0", payload)  # BUSYKEY
    d.check("RESTORE", "l2", "-1", payload)
    d.check("RESTORE", "l2", "abc", payload)
    d.check("RESTORE", "l2", "0", payload[:-1] + b"\x00")
    d.check("RESTORE", "l2", "0", b"garbage")
    d.check("RESTORE", "l2", "0", b"")
    d.check("RESTORE", "l2", "0", payload, "IDLETIME", "-1")
    d.check("RESTORE", "l2", "0", payload, "FREQ", "256")
    d.check("RESTORE", "l2", "0", payload, "FREQ", "-1")
    d.check("RESTORE", "l2", "0", payload, "IDLETIME", "10", "FREQ", "5")
    d.check("RESTORE", "l2", "0", payload, "BOGUS")
    d.check("RESTORE", "l2", "0", payload, "IDLETIME")
    d.check("RESTORE", "l", "0", payload, "REPLACE")
    d.check("LRANGE", "l", "0", "-1")
    d.check("RESTORE", "l3", "0", payload, "IDLETIME", "1000")  # accepted (redkeep tracks no access times)
    d.check("RESTORE", "l7", "0", payload, "FREQ", "100")
    d.check("RESTORE", "l4", "5000", payload)
    assert 4000 < int(d.a.call("PTTL", "l4")[1:-2]) <= 5000
    d.check("RESTORE", "l5", "1", payload, "ABSTTL")  # in the past: not created
    d.check("EXISTS", "l5")
    d.check("RESTORE", "l", "1", payload, "ABSTTL", "REPLACE")  # replaced by nothing
    d.check("EXISTS", "l")
    d.check("RESTORE", "l6", "4102444800000", payload, "ABSTTL")
    d.check("PEXPIRETIME", "l6")
    d.check("SET", "str", "x")
    d.check("RESTORE", "str", "0", payload, "REPLACE")
    d.check("TYPE", "str")


def test_dump_crosses_both_ways(server, real):
    rk, rd = server.client(), real.client()
    rk.flushall()
    rd.flushall()
    populate(rd)
    populate(rk)
    for k in rd.keys("*"):
        payload = rd.dump(k)
        rk.restore(b"x:" + k, 0, payload)
        assert rk.dump(b"x:" + k) == payload or rk.type(k) in (b"hash", b"set"), k
        payload = rk.dump(k)
        rd.restore(b"y:" + k, 0, payload)
    for k in rd.keys("s:*") + rd.keys("l:*") + rd.keys("z:*"):
        assert rk.dump(b"x:" + k) == rd.dump(b"y:" + k) == rd.dump(k), k
    assert len(rk.keys("x:*")) == len(rd.keys("y:*")) == len(rk.keys("*")) // 2
    for k in rd.keys("h:*") + rd.keys("st:*"):
        if rd.type(k) == b"hash":
            assert rk.hgetall(b"x:" + k) == rd.hgetall(b"y:" + k) == rd.hgetall(k)
        else:
            assert rk.smembers(b"x:" + k) == rd.smembers(b"y:" + k) == rd.smembers(k)


def test_flushall_during_bgsave_stops_it_and_saves_empty(tmp_path):
    s = start(tmp_path, "--save", "3600 1", *DEBUG)
    try:
        c = s.client()
        c.execute_command("DEBUG", "POPULATE", 200000)
        c.bgsave()
        assert persistence(c)["rdb_bgsave_in_progress"] == 1
        c.flushall()
        info = persistence(c)
        assert info["rdb_bgsave_in_progress"] == 0 and info["rdb_last_bgsave_status"] == "ok"
        assert load_bytes((tmp_path / "dump.rdb").read_bytes())[0] == {}
        c.set("after", "1")
        c.bgsave()
        wait_for(lambda: persistence(c)["rdb_bgsave_in_progress"] == 0, what="second bgsave")
        assert load_bytes((tmp_path / "dump.rdb").read_bytes())[0] == {0: {b"after": (b"1", None)}}
        assert not [f for f in os.listdir(tmp_path) if f.startswith("temp-")]
        assert "Traceback" not in s.read_log()
    finally:
        s.kill()
