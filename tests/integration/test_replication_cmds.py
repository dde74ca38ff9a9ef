"""REPLICAOF / SLAVEOF, REPLCONF, PSYNC / SYNC, WAIT, ROLE against a real
Redis 7.0.15, byte for byte (replies and error texts)."""

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
