"""INFO against real Redis 7.0: section order, field names and order, layout,
and the counters that are deterministic."""

import re

import pytest

from helpers import RawConn


def payload(reply: bytes) -> bytes:
    head, _, rest = reply.partition(b"\r\n")
    body = rest[:-2]
    assert len(body) == int(head[1:])
    return body[4:] if head.startswith(b"=") else body


def sections(text: bytes):
    """[(title, [field names])] in order."""
    out = []
    for block in text.split(b"\r\n\r\n"):
        lines = [x for x in block.split(b"\r\n") if x]
        if not lines:
            continue
        assert lines[0].startswith(b"# ")
        out.append((lines[0][2:], [x.split(b":", 1)[0] for x in lines[1:]]))
    return out


def fields(text: bytes) -> dict:
    return dict(x.split(b":", 1) for x in text.split(b"\r\n") if x and not x.startswith(b"#"))


STABLE_SECTIONS = [b"Server", b"Clients", b"Memory", b"Persistence", b"Stats", b"Replication", b"CPU",
                   b"Modules", b"Cluster"]


@pytest.mark.parametrize("args", [(), ("default",), ("all",), ("everything",), ("server", "clients"),
                                  ("keyspace", "cpu"), ("CPU",), ("nosuch",), ("cluster", "Cluster")])
def test_sections_and_fields(differ, args):
    differ.check("SET", "k", "v")
    ra, rb = differ.both("INFO", *args)
    sa, sb = sections(payload(ra)), sections(payload(rb))
    assert [t for t, _ in sa] == [t for t, _ in sb]
    for (ta, fa), (tb, fb) in zip(sa, sb):
        if ta in STABLE_SECTIONS:
            assert fa == fb, ta


def test_layout(differ):
    differ.check("SET", "k", "v")
    checks = [("INFO", "keyspace"), ("INFO", "cluster", "keyspace"), ("INFO", "nosuch"), ("INFO", "modules"),
              ("INFO", "cluster"), ("INFO", "keyspace", "modules", "cluster")]
    for cmd in checks:
        differ.check(*cmd)


def test_resp3_verbatim(differ):
    ra, rb = differ.both("HELLO", "3")
    differ.check("INFO", "cluster")
    differ.check("INFO", "nosuch")
    ra = differ.a.call("INFO")
    assert ra.startswith(b"=") and b"\r\ntxt:# Server\r\n" in ra


def test_keyspace_counts(differ):
    for cmd in (("SET", "a", "1"), ("SET", "b", "2"), ("EXPIRE", "b", "1000"), ("SELECT", "3"), ("SET", "c", "3"),
                ("INFO", "keyspace"), ("FLUSHDB",), ("INFO", "keyspace")):
        differ.check(*cmd)
    differ.a.call("SELECT", "0")
    text = payload(differ.a.call("INFO", "keyspace"))
    assert re.search(rb"db0:keys=2,expires=1,avg_ttl=\d+\r\n", text)


def test_counters(server):
    c = RawConn(server.port)
    c.call("FLUSHALL")
    c.call("CONFIG", "RESETSTAT")
    c.call("SET", "a", "1")
    c.call("GET", "a")
    c.call("GET", "nokey")
    c.call("LPUSH", "a", "x")
    c.call("NOSUCHCMD")
    c.call("GET", "a", "b")
    f = fields(payload(c.call("INFO", "everything")))
    assert f[b"keyspace_hits"] == b"1" and f[b"keyspace_misses"] == b"1"
    assert f[b"total_error_replies"] == b"3"
    assert f[b"rdb_changes_since_last_save"] >= b"1"
    assert int(f[b"total_commands_processed"]) >= 5
    assert f[b"role"] == b"master" and re.fullmatch(rb"[0-9a-f]{40}", f[b"master_replid"])
    assert f[b"connected_clients"] >= b"1" and f[b"redis_version"] == b"7.0.15"
    assert int(f[b"used_memory"]) > 0 and int(f[b"used_memory_rss"]) > 0
    assert f[b"errorstat_ERR"] == b"count=2" and f[b"errorstat_WRONGTYPE"] == b"count=1"
    assert re.fullmatch(rb"calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=1",
                        f[b"cmdstat_lpush"])
    assert re.fullmatch(rb"calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0",
                        f[b"cmdstat_get"])
    assert re.fullmatch(rb"p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}", f[b"latency_percentiles_usec_set"])
    assert re.fullmatch(rb"\d+\.\d{6}", f[b"used_cpu_user"])
    c.close()


def test_subcommand_stats(server):
    c = RawConn(server.port)
    c.call("CLIENT", "ID")
    text = payload(c.call("INFO", "commandstats"))
    assert re.search(rb"\r\ncmdstat_client\|id:calls=\d+,", text)
    c.close()


def test_default_excludes_commandstats(differ):
    ra, rb = differ.both("INFO")
    ta = [t for t, _ in sections(payload(ra))]
    assert b"Commandstats" not in ta and b"Latencystats" not in ta and b"Errorstats" in ta
