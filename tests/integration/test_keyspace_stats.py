"""INFO keyspace_hits/keyspace_misses move exactly as in Redis 7.0: every
read lookup counts (sources of the STORE variants too), writes never do."""

from __future__ import annotations

import pytest
import redis

pytestmark = pytest.mark.interop

COMMANDS = [
    # sets
    "sismember s a", "sismember nos a", "smismember s a b", "smismember nos a", "smembers s", "smembers nos",
    "scard s", "scard nos", "srandmember s", "srandmember nos", "srandmember s 2", "sscan s 0", "sscan nos 0",
    "sinter s s2", "sinter s nos", "sintercard 2 s s2", "sunion s nos", "sdiff s s2", "sinterstore d s s2",
    "sunionstore d s nos", "sdiffstore d s s2", "smove s s2 zz", "spop nos", "srem nos a", "sadd s2 q",
    "sismember k a",
    # sorted sets
    "zscore z a", "zscore noz a", "zmscore z a b", "zcard z", "zcard noz", "zrank z a", "zrank noz a",
    "zrevrank z a", "zcount z 0 10", "zlexcount z - +", "zrange z 0 -1", "zrange noz 0 -1",
    "zrangebyscore z 0 10", "zrevrange z 0 -1", "zrangebylex z - +", "zrevrangebyscore z 10 0",
    "zrangestore d z 0 -1", "zrandmember z", "zrandmember noz", "zscan z 0", "zinter 2 z z2", "zunion 2 z noz",
    "zdiff 2 z z2", "zinterstore d 2 z z2", "zunionstore d 2 z noz", "zdiffstore d 2 z z2", "zintercard 2 z z2",
    "zincrby noz 1 a", "zrem noz a", "zpopmin noz", "zremrangebyscore noz 0 1", "zscore k a",
    # the others
    "hget h f", "hget noh f", "hexists h f", "hmget h f g", "hgetall h", "hlen h", "hrandfield h", "hscan h 0",
    "llen l", "lrange l 0 -1", "lindex l 0", "lpos l a", "get k", "mget k nok", "exists k nok", "type k",
    "ttl k", "strlen k", "getrange k 0 1", "dump k", "dump nok", "touch k nok", "incr nok", "set k v2",
]


def _run(c, cmd: str):
    c.flushall()
    c.sadd("s", "a", "b")
    c.sadd("s2", "b")
    c.zadd("z", {"a": 1, "b": 2})
    c.zadd("z2", {"b": 2})
    c.hset("h", "f", "v")
    c.rpush("l", "a")
    c.set("k", "v")
    c.config_resetstat()
    try:
        c.execute_command(*cmd.split())
    except redis.ResponseError:
        pass
    info = c.info("stats")
    return info["keyspace_hits"], info["keyspace_misses"]


@pytest.mark.parametrize("cmd", COMMANDS)
def test_hits_and_misses_as_redis(r, rr, cmd):
    assert _run(r, cmd) == _run(rr, cmd)
