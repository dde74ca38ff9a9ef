"""FAILOVER (replication/failover.py): the planned switch of roles, its
write pause, timeout/abort, and Redis's error replies; with real Redis 7.0
on the other side in both roles."""

import os
import signal
import threading

import pytest
import redis
from helpers import REDIS_SERVER, wait_for
from repl_support import assert_same_dataset, info, seed_all_types, start, wait_synced


def _role(r):
    return r.execute_command("ROLE")[0]


@pytest.fixture
def pair():
    a = start()
    b = start(["--replicaof", "127.0.0.1", str(a.port)])
    ra, rb = a.client(), b.client()
    try:
        seed_all_types(ra)
        wait_synced(ra, rb)
        wait_for(lambda: info(ra)["slave0"]["state"] == "online", 10, what="replica online")
        yield a, b, ra, rb
    finally:
        for s in (a, b):
            if s.proc is not None and s.proc.poll() is None:
                os.kill(s.proc.pid, signal.SIGCONT)
            s.kill()


def test_failover_switches_roles_without_a_full_sync(pair):
    a, b, ra, rb = pair
    before = rb.info("stats")["sync_full"]
    assert ra.execute_command("FAILOVER") == b"OK"
    wait_for(lambda: _role(rb) == b"master" and _role(ra) == b"slave", 15, what="roles switched")
    wait_for(lambda: info(ra)["master_link_status"] == "up" and info(ra)["master_failover_state"] == "no-failover",
             15, what="old primary following")
    assert info(ra)["master_port"] == b.port
    assert rb.info("stats")["sync_full"] == before  # the old primary continued with a partial resync
    assert rb.info("stats")["sync_partial_ok"] == 1
    rb.set("after", "1")
    wait_for(lambda: ra.get("after") == b"1", 10, what="stream from the new primary")
    assert_same_dataset(ra, rb)
    log = a.read_log()
    assert "FAILOVER requested to any replica." in log
    assert "Failover target 127.0.0.1:%d is synced, failing over." % b.port in log
    assert "Failover request received for replid" in b.read_log()
    assert "MASTER MODE enabled (failover request from" in b.read_log()


def test_waiting_pauses_writes_then_times_out(pair):
    a, b, ra, rb = pair
    os.kill(b.proc.pid, signal.SIGSTOP)  # the replica stops acknowledging
    ra.set("moves-the-offset", "x")
    assert ra.execute_command("FAILOVER", "TIMEOUT", "1500") == b"OK"
    assert info(ra)["master_failover_state"] == "waiting-for-sync"
    with pytest.raises(redis.ResponseError, match="FAILOVER already in progress"):
        ra.execute_command("FAILOVER")
    with pytest.raises(redis.ResponseError, match="REPLICAOF not allowed while failing over"):
        ra.execute_command("REPLICAOF", "NO", "ONE")
    # A write waits (paused), a read does not.
    done = []
    writer = a.client()
    t = threading.Thread(target=lambda: done.append(writer.set("paused", "1")))
    t.start()
    assert ra.get("moves-the-offset") == b"x"
    t.join(0.3)
    assert not done
    wait_for(lambda: done == [True], 10, what="write released after the timeout")
    t.join()
    assert info(ra)["master_failover_state"] == "no-failover" and _role(ra) == b"master"
    assert "FAILOVER to any replica aborted: Replica never caught up before timeout" in a.read_log()


def test_abort_while_waiting(pair):
    a, b, ra, rb = pair
    os.kill(b.proc.pid, signal.SIGSTOP)
    ra.set("lag", "1")
    assert ra.execute_command("FAILOVER", "TO", "127.0.0.1", str(b.port)) == b"OK"
    assert info(ra)["master_failover_state"] == "waiting-for-sync"
    assert ra.execute_command("FAILOVER", "ABORT") == b"OK"
    assert info(ra)["master_failover_state"] == "no-failover"
    assert ra.set("writes", "again") is True
    assert "FAILOVER to 127.0.0.1:%d aborted: Failover manually aborted" % b.port in a.read_log()
    os.kill(b.proc.pid, signal.SIGCONT)
    wait_synced(ra, rb)


def test_client_pause_and_failover_pause_are_separate(pair):
    a, b, ra, rb = pair
    os.kill(b.proc.pid, signal.SIGSTOP)
    ra.set("lag", "1")
    ra.execute_command("FAILOVER", "TIMEOUT", "60000")
    ra.execute_command("CLIENT", "PAUSE", "100000", "WRITE")
    ra.execute_command("CLIENT", "UNPAUSE")  # ends CLIENT PAUSE only: writes stay paused for the failover
    done = []
    writer = a.client()
    t = threading.Thread(target=lambda: done.append(writer.set("held", "1")))
    t.start()
    t.join(0.3)
    assert not done
    ra.execute_command("FAILOVER", "ABORT")
    t.join(10)
    assert done == [True]


def test_errors_with_replicas(pair):
    a, b, ra, rb = pair
    cases = [
        (ra, ("FAILOVER", "TO", "127.0.0.1", "1"), "FAILOVER target HOST and PORT is not a replica."),
        (ra, ("FAILOVER", "FORCE", "TO", "127.0.0.1", str(b.port)),
         "FAILOVER with force option requires both a timeout and target HOST and IP."),
        (rb, ("FAILOVER",), "FAILOVER is not valid when server is a replica."),
    ]
    for r, cmd, text in cases:
        with pytest.raises(redis.ResponseError) as e:
            r.execute_command(*cmd)
        assert str(e.value) == text


@pytest.mark.parametrize("cmd", [
    ("FAILOVER",), ("FAILOVER", "ABORT"), ("FAILOVER", "TIMEOUT", "0"), ("FAILOVER", "TIMEOUT", "-5"),
    ("FAILOVER", "TIMEOUT", "x"), ("FAILOVER", "BOGUS"), ("FAILOVER", "TO", "h"), ("FAILOVER", "ABORT", "x"),
    ("FAILOVER", "FORCE"), ("FAILOVER", "FORCE", "FORCE"), ("FAILOVER", "TO", "h", "x"),
    ("PSYNC", "0123456789012345678901234567890123456789", "1", "FAILOVER"),
])
def test_errors_standalone_as_redis(differ, cmd):
    differ.check(*cmd)


@pytest.mark.interop
@pytest.mark.skipif(REDIS_SERVER is None and not os.environ.get("CI"), reason="no redis-server")
@pytest.mark.parametrize("primary_is_redis", [True, False], ids=["redis-to-redkeep", "redkeep-to-redis"])
def test_failover_with_real_redis(primary_is_redis):
    a = start(real=primary_is_redis)
    b = start(["--replicaof", "127.0.0.1", str(a.port)], real=not primary_is_redis)
    try:
        ra, rb = a.client(), b.client()
        seed_all_types(ra)
        wait_synced(ra, rb)
        wait_for(lambda: info(ra).get("slave0", {}).get("state") == "online", 10, what="replica online")
        assert ra.execute_command("FAILOVER", "TO", "127.0.0.1", str(b.port), "TIMEOUT", "10000") == b"OK"
        wait_for(lambda: _role(rb) == b"master" and _role(ra) == b"slave", 20, what="roles switched")
        wait_for(lambda: info(ra)["master_link_status"] == "up" and info(ra)["master_failover_state"] == "no-failover",
                 20, what="old primary following")
        assert rb.info("stats")["sync_partial_ok"] == 1 and rb.info("stats")["sync_full"] == 0
        rb.set("after", "1")
        wait_synced(rb, ra)
        assert_same_dataset(ra, rb)
    finally:
        a.kill()
        b.kill()
