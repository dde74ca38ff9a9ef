"""Replication with redkeep on both ends: full sync (disk and diskless),
streaming, link cut and partial resync, promotion with sibling partial
resync, chained replicas, WAIT, min-replicas, READONLY, replid persistence
across restarts, demotion, and the empty-primary refusal."""

import signal

import pytest
import redis
from helpers import ServerProcess, wait_for
from repl_support import (
    assert_same_dataset,
    info,
    link_up,
    mixed_writes,
    seed_all_types,
    start,
    wait_synced,
)


@pytest.fixture
def procs():
    started = []
    yield started
    for p in started:
        p.kill()


def _start(procs, args=(), **kw):
    p = start(args, **kw)
    procs.append(p)
    return p


def _attach(replica_proc, master_proc):
    r = replica_proc.client()
    assert r.replicaof("127.0.0.1", master_proc.port)
    return r


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_full_sync_then_stream(procs, diskless):
    mp = _start(procs, ["--repl-diskless-sync", diskless])
    rp = _start(procs)
    m = mp.client()
    seed_all_types(m)
    r = _attach(rp, mp)
    wait_synced(m, r)
    assert_same_dataset(m, r)
    mixed_writes(m, 3000, seed=7)
    wait_synced(m, r)
    n = assert_same_dataset(m, r)
    assert n > 300
    st = info(m, "stats")
    assert st["sync_full"] == 1 and st["sync_partial_ok"] == 0
    assert info(m)["last_full_sync_reason"] == "replid mismatch"  # a fresh replica PSYNCs its own id
    assert "Full resync requested by replica" in mp.read_log()


def test_readonly_role_and_info_shapes(procs):
    mp = _start(procs)
    rp = _start(procs, ["--replica-priority", "42"])
    m = mp.client()
    r = _attach(rp, mp)
    wait_synced(m, r)
    with pytest.raises(redis.ResponseError, match="^You can't write against a read only replica.$"):
        r.set("x", 1)
    role = r.role()
    assert role[0] == b"slave" and role[2] == mp.port and role[3] == b"connected"
    mrole = m.role()
    assert mrole[0] == b"master" and mrole[2][0][1] == str(rp.port).encode()
    ri = info(r)
    assert ri["slave_priority"] == 42 and ri["slave_read_only"] == 1 and ri["role"] == "slave"
    mi = info(m)
    assert mi["connected_slaves"] == 1 and mi["slave0"]["state"] == "online" and mi["slave0"]["port"] == rp.port
    assert r.replicaof("127.0.0.1", mp.port) == b"OK Already connected to specified master"
    with pytest.raises(redis.ResponseError, match="Invalid master port"):
        r.replicaof("127.0.0.1", 70000)
    with pytest.raises(redis.ResponseError, match="WAIT cannot be used with replica instances"):
        r.execute_command("WAIT", 1, 0)
    r.config_set("replica-read-only", "no")
    assert r.set("local", 1)


def test_link_cut_partial_resync_and_ack(procs):
    mp = _start(procs)
    rp = _start(procs)
    m = mp.client()
    r = _attach(rp, mp)
    m.set("before", 1)
    wait_synced(m, r)
    # Cut the link from the replica side, write meanwhile, then compare.
    r.client_kill_filter(_type="master")
    mixed_writes(m, 500, seed=3)
    wait_synced(m, r)
    assert_same_dataset(m, r)
    wait_for(lambda: info(m, "stats")["sync_partial_ok"] == 1, 5)
    # Cut from the primary side too.
    m.client_kill_filter(_type="replica")
    m.set("after", 2)
    wait_synced(m, r)
    st = info(m, "stats")
    assert st["sync_full"] == 1 and st["sync_partial_ok"] == 2
    assert r.get("after") == b"2"
    # The replica acknowledges the offset it applied.
    mo = info(m)["master_repl_offset"]
    wait_for(lambda: info(m)["slave0"]["offset"] >= mo, 5)


def test_multi_exec_cut_inside_transaction_resumes_from_multi(procs):
    mp = _start(procs)
    rp = _start(procs)
    m = mp.client()
    r = _attach(rp, mp)
    wait_synced(m, r)
    for i in range(30):
        p = m.pipeline(transaction=True)
        p.incr("ctr")
        p.rpush("log", i)
        p.execute()
        if i % 10 == 5:
            r.client_kill_filter(_type="master")
    wait_synced(m, r)
    assert r.get("ctr") == b"30" and r.llen("log") == 30


def test_wait(procs):
    mp = _start(procs)
    rp = _start(procs)
    m = mp.client()
    assert m.execute_command("WAIT", 0, 0) == 0
    r = _attach(rp, mp)
    wait_synced(m, r)
    m.set("k", "v")
    assert m.execute_command("WAIT", 1, 2000) == 1
    assert m.execute_command("WAIT", 2, 200) == 1  # times out with what it has
    with pytest.raises(redis.ResponseError, match="timeout is negative"):
        m.execute_command("WAIT", 1, -1)
    with pytest.raises(redis.ResponseError, match="value is not an integer"):
        m.execute_command("WAIT", "x", 0)


def test_min_replicas(procs):
    mp = _start(procs)
    rp = _start(procs)
    m = mp.client()
    m.config_set("min-replicas-to-write", 1)
    with pytest.raises(redis.ResponseError, match="^NOREPLICAS Not enough good replicas to write.$"):
        m.set("a", 1)
    assert m.get("a") is None  # reads still work
    r = _attach(rp, mp)
    wait_synced(m, r)
    wait_for(lambda: m.set("a", 1), 5)
    assert info(m)["min_slaves_good_slaves"] == 1
    m.config_set("min-replicas-to-write", 2)
    with pytest.raises(redis.ResponseError, match="NOREPLICAS"):
        m.set("a", 2)
    m.config_set("min-replicas-to-write", 0)
    assert m.set("a", 3)


def test_promotion_siblings_partial_resync(procs):
    mp = _start(procs)
    ap = _start(procs)
    bp = _start(procs)
    m = mp.client()
    seed_all_types(m)
    a = _attach(ap, mp)
    b = _attach(bp, mp)
    mixed_writes(m, 300, seed=5)
    wait_synced(m, a, b)
    old_id = info(m)["master_replid"]
    mp.kill()
    assert a.replicaof("no", "one") == b"OK"
    ai = info(a)
    assert ai["role"] == "master" and ai["master_replid2"] == old_id
    assert ai["second_repl_offset"] == ai["master_repl_offset"] + 1
    assert b.replicaof("127.0.0.1", ap.port)
    wait_synced(a, b)
    st = info(a, "stats")
    assert st["sync_partial_ok"] == 1 and st["sync_full"] == 0
    bi = info(b)
    assert bi["master_replid"] == ai["master_replid"] and bi["master_replid2"] == old_id
    a.set("after-promotion", 1)
    wait_synced(a, b)
    assert_same_dataset(a, b)


def test_chained_replica(procs):
    mp = _start(procs)
    ap = _start(procs)
    bp = _start(procs)
    m = mp.client()
    seed_all_types(m)
    a = _attach(ap, mp)
    wait_synced(m, a)
    b = _attach(bp, ap)
    mixed_writes(m, 500, seed=11)
    wait_synced(m, a)
    wait_synced(a, b)
    assert info(b)["master_repl_offset"] == info(m)["master_repl_offset"]
    assert info(b)["master_replid"] == info(m)["master_replid"]
    assert_same_dataset(m, b)
    # The sub-replica survives its master's link cut with a partial resync.
    b.client_kill_filter(_type="master")
    m.set("more", 1)
    wait_synced(m, a)
    wait_synced(a, b)
    assert b.get("more") == b"1"
    assert info(a, "stats")["sync_partial_ok"] >= 1


def test_primary_restart_keeps_replid_and_replica_continues(procs):
    # No PINGs meanwhile: the offset saved must still cover the replica's.
    mp = _start(procs, ["--repl-ping-replica-period", "3600"])
    rp = _start(procs)
    m = mp.client()
    r = _attach(rp, mp)
    mixed_writes(m, 300, seed=2)
    wait_synced(m, r)
    old = info(m)
    m.save()  # the RDB carries repl-id / repl-offset (a SHUTDOWN SAVE would too)
    mp.kill()
    mp2 = ServerProcess(list(mp.cmd[3:]), port=mp.port, dir=mp.dir)
    mp2.cmd = mp.cmd
    mp2.start()
    procs.append(mp2)
    m2 = mp2.client()
    mi = info(m2)
    assert mi["master_replid2"] == old["master_replid"]
    assert mi["second_repl_offset"] == old["master_repl_offset"] + 1
    assert mi["repl_backlog_active"] == 1
    wait_synced(m2, r)
    st = info(m2, "stats")
    assert st["sync_partial_ok"] == 1 and st["sync_full"] == 0
    assert_same_dataset(m2, r)


def test_replica_restart_continues_partially(procs):
    mp = _start(procs)
    rp = _start(procs)
    m = mp.client()
    r = _attach(rp, mp)
    mixed_writes(m, 200, seed=4)
    wait_synced(m, r)
    r.save()
    rp.kill()
    m.set("while-down", 1)
    rp2 = ServerProcess(port=rp.port, dir=rp.dir)
    rp2.cmd = rp.cmd + ["--replicaof", "127.0.0.1 %d" % mp.port]
    rp2.start()
    procs.append(rp2)
    r2 = rp2.client()
    wait_synced(m, r2)
    st = info(m, "stats")
    assert st["sync_full"] == 1 and st["sync_partial_ok"] == 1
    assert_same_dataset(m, r2)


def test_empty_primary_is_refused_until_operator_agrees(procs):
    mp = _start(procs)
    rp = _start(procs)
    m = mp.client()
    seed_all_types(m)
    r = _attach(rp, mp)
    wait_synced(m, r)
    n = r.dbsize()
    # The primary restarts without persistence: new id, offset 0, no keys.
    mp.kill()
    mp2 = ServerProcess(port=mp.port, dir=mp.dir)
    mp2.cmd = mp.cmd
    mp2.start()
    procs.append(mp2)
    wait_for(lambda: "master_sync_refused_reason" in info(r), 10)
    ri = info(r)
    assert ri["master_link_status"] == "down" and r.dbsize() == n
    assert "offered an empty dataset" in ri["master_sync_refused_reason"]
    assert "Refusing full resynchronization" in rp.read_log()
    assert r.role()[3] == b"connect"
    # The operator agrees: REPLICAOF again.
    assert r.replicaof("127.0.0.1", mp.port) == b"OK"
    m2 = mp2.client()
    wait_synced(m2, r)
    assert r.dbsize() == 0 and "master_sync_refused_reason" not in info(r)


def test_empty_primary_protection_can_be_turned_off(procs):
    mp = _start(procs)
    rp = _start(procs, ["--replica-refuse-empty-master-sync", "no"])
    m = mp.client()
    m.set("a", 1)
    r = _attach(rp, mp)
    wait_synced(m, r)
    mp.kill()
    mp2 = ServerProcess(port=mp.port, dir=mp.dir)
    mp2.cmd = mp.cmd
    mp2.start()
    procs.append(mp2)
    wait_synced(mp2.client(), r)
    assert r.dbsize() == 0


def test_demotion_disconnects_normal_clients_and_stale_data(procs):
    mp = _start(procs)
    xp = _start(procs, ["--replica-serve-stale-data", "no"])
    x = xp.client()
    bystander = xp.client()
    assert bystander.ping()
    pid_before = bystander.client_id()
    x.replicaof("127.0.0.1", mp.port)
    # The bystander's connection was closed; redis-py reconnects transparently.
    assert bystander.client_id() != pid_before
    wait_synced(mp.client(), x)
    mp.kill()
    wait_for(lambda: not link_up(x), 10)
    with pytest.raises(redis.ResponseError, match="^Link with MASTER is down and replica-serve-stale-data is set to 'no'.$"):
        x.get("a")
    assert x.replicaof("no", "one") == b"OK"
    assert x.set("a", 1)


def test_subreplicas_resync_after_promotion(procs):
    mp = _start(procs)
    ap = _start(procs)
    m = mp.client()
    a = _attach(ap, mp)
    m.set("k", 1)
    wait_synced(m, a)
    a.replicaof("no", "one")
    # The old primary, demoted under its old replica, continues partially.
    assert m.replicaof("127.0.0.1", ap.port)
    wait_synced(a, m)
    a.set("k", 2)
    wait_synced(a, m)
    assert m.get("k") == b"2"
    assert info(a, "stats")["sync_partial_ok"] == 1


def test_aof_only_primary_restart_continues_partially(procs):
    """Beyond Redis: with appendonly yes and no RDB, a clean restart keeps the
    replication id/offset (sidecar file checked against the AOF files); a
    crash after more writes does not pretend to (full sync, as Redis)."""
    mp = _start(procs, ["--appendonly", "yes", "--repl-ping-replica-period", "3600"])
    rp = _start(procs)
    m = mp.client()
    r = _attach(rp, mp)
    mixed_writes(m, 300, seed=8)
    wait_synced(m, r)
    old = info(m)
    mp.stop()  # SIGTERM: a clean shutdown
    mp2 = ServerProcess(port=mp.port, dir=mp.dir)
    mp2.cmd = mp.cmd
    mp2.start()
    procs.append(mp2)
    m2 = mp2.client()
    assert info(m2)["master_replid2"] == old["master_replid"]
    wait_synced(m2, r)
    st = info(m2, "stats")
    assert st["sync_partial_ok"] == 1 and st["sync_full"] == 0
    assert_same_dataset(m2, r)
    # Crash after more writes: the state file no longer matches the AOF.
    m2.set("more", 1)
    mp2.kill()
    mp3 = ServerProcess(port=mp.port, dir=mp.dir)
    mp3.cmd = mp.cmd
    mp3.start()
    procs.append(mp3)
    assert info(mp3.client())["master_replid2"] == "0" * 40 or info(mp3.client())["master_replid2"] == 0
    assert "does not match the AOF" in mp3.read_log()


def test_diskless_one_snapshot_for_several_replicas_and_delay(procs):
    mp = _start(procs, ["--repl-diskless-sync-delay", "5", "--repl-diskless-sync-max-replicas", "2"])
    ap = _start(procs)
    bp = _start(procs)
    m = mp.client()
    seed_all_types(m)
    a = _attach(ap, mp)
    wait_for(lambda: "Delay next BGSAVE for diskless SYNC" in mp.read_log(), 5)
    assert info(m)["slave0"]["state"] == "wait_bgsave"
    b = _attach(bp, mp)  # the second replica ends the wait at once (max-replicas)
    wait_synced(m, a, b, timeout=4)
    log = mp.read_log()
    assert log.count("Starting BGSAVE for SYNC with target: replicas sockets") == 1
    assert "Diskless rdb transfer done, 2 replicas served" in log
    assert info(m, "stats")["sync_full"] == 2
    assert_same_dataset(m, b)


def test_wait_answers_quickly_through_getack(procs):
    import time
    mp = _start(procs, ["--repl-ping-replica-period", "3600"])
    rp = _start(procs)
    m = mp.client()
    r = _attach(rp, mp)
    wait_synced(m, r)
    for i in range(5):
        m.set("k%d" % i, i)
        t = time.monotonic()
        assert m.execute_command("WAIT", 1, 5000) == 1
        assert time.monotonic() - t < 0.5  # REPLCONF GETACK, not the 1 s periodic ACK
    assert r.get("k4") == b"4"


def test_output_buffer_limit_drops_a_stalled_replica_and_says_why(procs):
    mp = _start(procs, ["--client-output-buffer-limit", "replica 1mb 0 0", "--repl-backlog-size", "16kb"])
    rp = _start(procs)
    m = mp.client()
    r = _attach(rp, mp)
    wait_synced(m, r)
    rp.proc.send_signal(signal.SIGSTOP)
    try:
        blob = "x" * 100000
        p = m.pipeline(transaction=False)
        for i in range(300):
            p.set("big%d" % i, blob)
        p.execute()
        wait_for(lambda: info(m)["connected_slaves"] == 0, 10)
        assert "overcoming of output buffer limits" in mp.read_log()
    finally:
        rp.proc.send_signal(signal.SIGCONT)
    wait_synced(m, r, timeout=20)
    assert info(m)["last_full_sync_reason"] == "offset out of range (after output buffer overrun)"
    assert info(m, "stats")["sync_full"] == 2


def test_disk_sync_second_replica_attaches_to_running_bgsave(procs):
    mp = _start(procs, ["--repl-diskless-sync", "no", "--enable-debug-command", "yes"])
    ap = _start(procs)
    bp = _start(procs)
    m = mp.client()
    m.execute_command("DEBUG", "POPULATE", 200000, "k", 10)
    a = _attach(ap, mp)
    wait_for(lambda: info(m, "persistence")["rdb_bgsave_in_progress"] == 1, 5, interval=0.002)
    m.set("written-during-bgsave", 1)
    b = _attach(bp, mp)
    wait_synced(m, a, b, timeout=20)
    log = mp.read_log()
    assert log.count("Starting BGSAVE for SYNC with target: disk") == 1
    assert "Waiting for end of BGSAVE for SYNC" in log
    assert b.dbsize() == a.dbsize() == 200001


def test_replica_with_aof_rewrites_it_after_full_sync(procs):
    mp = _start(procs)
    rp = _start(procs, ["--appendonly", "yes"])
    m = mp.client()
    seed_all_types(m)
    r = rp.client()
    r.set("local-only", 1)  # must not survive in the AOF after the sync
    r.replicaof("127.0.0.1", mp.port)
    m.set("streamed", 1)
    wait_synced(m, r)
    wait_for(lambda: info(r, "persistence")["aof_rewrite_in_progress"] == 0
             and info(r, "persistence")["aof_rewrites"] >= 1, 10)
    before = assert_same_dataset(m, r)
    r.config_set("replica-read-only", "yes")
    rp.stop()
    again = ServerProcess(port=rp.port, dir=rp.dir)
    again.cmd = rp.cmd
    again.start()
    procs.append(again)
    a = again.client()
    assert a.get("local-only") is None and a.get("streamed") == b"1" and a.dbsize() == m.dbsize()
    assert before > 0
