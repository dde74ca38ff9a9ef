"""REPLICAOF / SLAVEOF, REPLCONF, PSYNC / SYNC, WAIT, ROLE against a real
Redis 7.0.15, byte for byte (replies and error texts)."""

import os

import pytest


@pytest.mark.parametrize("args", [
    ("REPLCONF",),
    ("REPLCONF", "foo"),
    ("REPLCONF", "foo", "bar"),
    ("REPLCONF", "listening-port", "abc"),
    ("REPLCONF", "listening-port", "6380"),
    ("REPLCONF", "listening-port", "6380", "capa", "eof", "capa", "psync2", "capa", "whatever"),
    ("REPLCONF", "ip-address", "x" * 255),
    ("REPLCONF", "ip-address", "x" * 256),
    ("REPLCONF", "rdb-only", "1"),
    ("REPLCONF", "rdb-only", "0"),
    ("REPLCONF", "rdb-filter-only", "bogus"),
    ("REPLCONF", "rdb-filter-only", "functions bogus"),
    ("REPLCONF", "rdb-filter-only", "functions"),
    ("REPLCONF", "rdb-filter-only", ""),
    ("REPLCONF", "capa", "eof", "bogus"),
    ("REPLICAOF", "127.0.0.1", "notaport"),
    ("REPLICAOF", "127.0.0.1", "-1"),
    ("REPLICAOF", "127.0.0.1", "65536"),
    ("REPLICAOF", "no", "one"),
    ("REPLICAOF", "NO", "ONE"),
    ("SLAVEOF", "no", "one"),
    ("REPLICAOF", "no"),
    ("WAIT", "x", "0"),
    ("WAIT", "0", "x"),
    ("WAIT", "0", "-1"),
    ("WAIT", "0", "0"),
    ("WAIT", "1", "5"),
    ("WAIT", "1"),
    ("ROLE",),
    ("PSYNC", "?"),
    ("SYNC", "extra"),
])
def test_replies_match(differ, args):
    differ.check(*args)


def test_in_multi(differ):
    differ.check("MULTI")
    differ.check("PSYNC", "?", "-1")
    differ.check("SYNC")
    differ.check("WAIT", "1", "0")
    differ.check("EXEC")
    differ.check("MULTI")
    differ.check("WAIT", "1", "0")
    differ.check("REPLCONF", "listening-port", "1")
    differ.check("EXEC")


def test_resp3_role_and_wait(differ):
    differ.both("HELLO", "3")  # client ids differ
    differ.check("ROLE")
    differ.check("WAIT", "0", "0")


@pytest.mark.parametrize("filtered", [True, False], ids=["functions-rdb", "rdb"])
def test_redis_cli_rdb_backups(server, r, tmp_path, filtered):
    """redis-cli --rdb (the whole dataset) and --functions-rdb (REPLCONF
    rdb-filter-only functions: no keys) write files redis-check-rdb accepts."""
    import shutil
    import subprocess
    cli, check = shutil.which("redis-cli"), shutil.which("redis-check-rdb")
    if (cli is None or check is None) and not os.environ.get("CI"):
        pytest.skip("redis-tools not installed")  # CI installs them: there the test runs (and fails without them)
    r.mset({"a": "1", "b": "2"})
    path = tmp_path / "backup.rdb"
    opt = "--functions-rdb" if filtered else "--rdb"
    out = subprocess.run([cli, "-p", str(server.port), opt, str(path)], capture_output=True, text=True, timeout=30)
    assert "Transfer finished with success" in out.stdout + out.stderr
    report = subprocess.run([check, str(path)], capture_output=True, text=True, timeout=30).stdout
    assert "RDB looks OK" in report
    assert ("[info] 0 keys read" if filtered else "[info] 2 keys read") in report
    assert r.ping()
