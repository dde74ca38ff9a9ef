"""Replication against real Redis 7.0.15 in both roles: datasets equal
(every key, value and TTL) after the full sync (disk and diskless), after
10k streamed writes of every type, and after a link drop healed by a partial
resync; chained through redkeep; INFO replication fields as Redis's."""

import os

import pytest
from helpers import REDIS_SERVER, RawConn, wait_for
from repl_support import (
    assert_same_dataset,
    info,
    mixed_writes,
    seed_all_types,
    start,
    wait_synced,
)

pytestmark = [pytest.mark.interop,
              pytest.mark.skipif(REDIS_SERVER is None and not os.environ.get("CI"), reason="no redis-server")]

# Fields only redkeep reports (documented additions).
EXTRA = {"last_full_sync_reason", "master_sync_refused_reason"}
PRIMARY_FIELDS = ["role", "connected_slaves", "slave0", "master_failover_state", "master_replid", "master_replid2",
                  "master_repl_offset", "second_repl_offset", "repl_backlog_active", "repl_backlog_size",
                  "repl_backlog_first_byte_offset", "repl_backlog_histlen"]


def field_names(proc) -> list:
    """INFO replication's field names in order, from the raw reply."""
    c = RawConn(proc.port)
    try:
        raw = c.call("INFO", "replication")
    finally:
        c.close()
    body = raw.split(b"\r\n", 1)[1].decode()
    return [x.split(":", 1)[0] for x in body.split("\r\n") if x and not x.startswith("#")
            and x.split(":", 1)[0] not in EXTRA]


@pytest.fixture
def procs():
    started = []
    yield started
    for p in started:
        p.kill()


def _roundtrip(procs, primary_real: bool, diskless: str):
    mp = start(["--repl-diskless-sync", diskless], real=primary_real)
    procs.append(mp)
    rp = start(real=not primary_real)
    procs.append(rp)
    m, r = mp.client(), rp.client()
    seed_all_types(m)
    mixed_writes(m, 1000, seed=21, prefix="pre")
    assert r.replicaof("127.0.0.1", mp.port)
    wait_synced(m, r)
    assert_same_dataset(m, r)
    mixed_writes(m, 10000, seed=22)
    wait_synced(m, r)
    assert_same_dataset(m, r)
    before = info(m, "stats")
    # Drop the link from the replica's side, keep writing, heal partially.
    r.client_kill_filter(_type="master")
    mixed_writes(m, 1000, seed=23)
    wait_synced(m, r)
    after = info(m, "stats")
    assert after["sync_partial_ok"] == before["sync_partial_ok"] + 1
    assert after["sync_full"] == before["sync_full"] == 1
    n = assert_same_dataset(m, r)
    assert field_names(mp) == PRIMARY_FIELDS
    assert field_names(rp)[:9] == ["role", "master_host", "master_port", "master_link_status",
                                   "master_last_io_seconds_ago", "master_sync_in_progress", "slave_read_repl_offset",
                                   "slave_repl_offset", "slave_priority"]
    mi, ri = info(m), info(r)
    for f in ("master_replid", "master_repl_offset", "repl_backlog_active"):
        assert mi[f] == ri[f], f
    assert mi["slave0"]["state"] == "online" and mi["slave0"]["port"] == rp.port
    return m, r, n


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_real_primary_redkeep_replica(procs, diskless):
    _, _r, n = _roundtrip(procs, True, diskless)
    assert n > 1000


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_redkeep_primary_real_replica(procs, diskless):
    _, _r, n = _roundtrip(procs, False, diskless)
    assert n > 1000


def test_chain_real_redkeep_real_and_info_fields(procs):
    """real primary -> redkeep replica -> real sub-replica, plus a real replica
    of the same primary to compare INFO replication with."""
    mp = start(real=True)
    kp = start()
    sp = start(real=True)
    tp = start(real=True)
    procs += [mp, kp, sp, tp]
    m, k, s, t = mp.client(), kp.client(), sp.client(), tp.client()
    seed_all_types(m)
    k.replicaof("127.0.0.1", mp.port)
    t.replicaof("127.0.0.1", mp.port)
    wait_synced(m, k, t)
    s.replicaof("127.0.0.1", kp.port)
    wait_synced(k, s)
    mixed_writes(m, 2000, seed=31)
    wait_synced(m, k, t)
    wait_synced(k, s)
    assert info(s)["master_repl_offset"] == info(m)["master_repl_offset"]
    assert_same_dataset(m, s)
    # A replica with a sub-replica, same shape as a real one's (keys, order).
    ki, ti = info(k), info(t)
    ks = [x for x in ki if x not in EXTRA and not x.startswith("slave0")]
    ts = [x for x in ti if not x.startswith("slave0")]
    assert ks == ts
    for f in ("role", "master_link_status", "master_sync_in_progress", "slave_read_repl_offset",
              "slave_repl_offset", "master_replid", "master_replid2", "master_repl_offset", "second_repl_offset",
              "slave_priority", "slave_read_only", "replica_announced", "repl_backlog_active"):
        assert ki[f] == ti[f], f
    assert ki["connected_slaves"] == 1 and ki["slave0"]["state"] == "online"
    tf = field_names(tp)
    i = tf.index("connected_slaves") + 1
    assert field_names(kp) == tf[:i] + ["slave0"] + tf[i:]
    # ROLE shapes.
    assert k.role()[0] == b"slave" and k.role()[3] == b"connected" and k.role()[4] == ki["slave_repl_offset"]
    kr = k.role()
    tr = t.role()
    assert [type(x) for x in kr] == [type(x) for x in tr]


def test_info_fields_of_idle_replicas_and_primaries(procs):
    """Never-connected replicas and replica-less primaries: same lines."""
    a, b = start(), start(real=True)
    procs += [a, b]
    ka, kb = a.client(), b.client()

    assert field_names(a) == field_names(b)
    dead = 1  # nothing listens on port 1
    ka.replicaof("127.0.0.1", dead)
    kb.replicaof("127.0.0.1", dead)
    wait_for(lambda: ka.role()[3] in (b"connect", b"connecting") and kb.role()[3] in (b"connect", b"connecting"), 5)
    assert field_names(a) == field_names(b)
    ia, ib = info(ka), info(kb)
    for f in ("master_link_status", "master_last_io_seconds_ago", "slave_repl_offset", "slave_read_repl_offset",
              "master_link_down_since_seconds", "repl_backlog_active"):
        assert ia[f] == ib[f], (f, ia[f], ib[f])
