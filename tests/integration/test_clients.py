"""Real clients work against redkeep unchanged: redis-py (pipelines,
transactions, pub/sub, scan_iter, RESP3), redis-cli (plain, --pipe, --scan,
-3; its output compared with the same invocation against real Redis) and a
small bounded redis-benchmark run."""

import shutil
import subprocess
import threading

import os

import pytest
import redis

from helpers import wait_for

pytestmark = pytest.mark.interop

REDIS_CLI = shutil.which("redis-cli")
REDIS_BENCHMARK = shutil.which("redis-benchmark")


# -- redis-py -----------------------------------------------------------------

def test_pipeline(r):
    p = r.pipeline(transaction=False)
    for i in range(200):
        p.set(f"k{i}", i)
        p.incr(f"k{i}")
    p.get("k7").lpush("l", "a", "b").lrange("l", 0, -1).hset("h", mapping={"f": "v"}).hgetall("h")
    p.zadd("z", {"a": 1.5, "b": 2}).zrange("z", 0, -1, withscores=True).get("missing")
    out = p.execute()
    assert out[:4] == [True, 1, True, 2]
    assert out[400:] == [b"8", 2, [b"b", b"a"], 1, {b"f": b"v"}, 2, [(b"a", 1.5), (b"b", 2.0)], None]


def test_pipeline_errors_do_not_break_the_stream(r):
    r.set("s", "x")
    p = r.pipeline(transaction=False)
    p.incr("s").lpush("s", "a").get("s")
    out = p.execute(raise_on_error=False)
    assert isinstance(out[0], redis.ResponseError) and isinstance(out[1], redis.ResponseError)
    assert "WRONGTYPE" in str(out[1])
    assert out[2] == b"x"


def test_transaction(r, server):
    r.set("balance", 10)
    with r.pipeline() as p:
        p.watch("balance")
        bal = int(p.get("balance"))
        p.multi()
        p.set("balance", bal - 3)
        p.incr("ops")
        assert p.execute() == [True, 1]
    assert r.get("balance") == b"7"

    other = server.client()
    try:
        with r.pipeline() as p:
            p.watch("balance")
            other.set("balance", 100)  # a concurrent write aborts the transaction
            p.multi()
            p.set("balance", 0)
            with pytest.raises(redis.WatchError):
                p.execute()
    finally:
        other.close()
    assert r.get("balance") == b"100"

    def incr(pipe):
        v = int(pipe.get("balance"))
        pipe.multi()
        pipe.set("balance", v + 1)
    assert r.transaction(incr, "balance") == [True]
    assert r.get("balance") == b"101"


def test_transaction_runtime_and_queue_errors(r):
    r.set("s", "x")
    p = r.pipeline()
    p.incr("s").set("t", "1")
    with pytest.raises(redis.ResponseError):
        p.execute()
    assert r.get("t") == b"1"  # EXEC ran the rest
    p = r.pipeline()
    p.set("u", "1").execute_command("NOSUCHCMD")
    with pytest.raises(redis.ResponseError, match="EXECABORT|unknown command"):
        p.execute()
    assert r.get("u") is None


def test_pubsub(r, server):
    ps = r.pubsub()
    ps.subscribe("news", "sport")
    ps.psubscribe("w*")
    for _ in range(3):
        assert wait_for(lambda: ps.get_message(timeout=0.1), what="subscribe confirmations")["type"] in (
            "subscribe", "psubscribe")
    pub = server.client()
    try:
        assert pub.pubsub_numsub("news", "none") == [(b"news", 1), (b"none", 0)]
        assert pub.pubsub_numpat() == 1
        assert sorted(pub.pubsub_channels()) == [b"news", b"sport"]
        assert pub.publish("news", "hello") == 1
        assert pub.publish("weather", "rain") == 1
        msgs = []

        def got():
            m = ps.get_message(timeout=0.1)
            if m:
                msgs.append(m)
            return len(msgs) == 2
        wait_for(got, what="published messages")
        assert msgs[0] == {"type": "message", "pattern": None, "channel": b"news", "data": b"hello"}
        assert msgs[1] == {"type": "pmessage", "pattern": b"w*", "channel": b"weather", "data": b"rain"}
        ps.unsubscribe("news")
        wait_for(lambda: pub.pubsub_numsub("news") == [(b"news", 0)], what="unsubscribe")
    finally:
        ps.close()
        pub.close()


def test_pubsub_thread(server):
    c = server.client()
    got = []
    done = threading.Event()
    ps = c.pubsub()

    def handler(m):
        got.append(m["data"])
        if len(got) == 50:
            done.set()
    ps.subscribe(**{"ch": handler})
    t = ps.run_in_thread(sleep_time=0.01, daemon=True)
    pub = server.client()
    try:
        wait_for(lambda: pub.pubsub_numsub("ch") == [(b"ch", 1)], what="subscriber")
        for i in range(50):
            pub.publish("ch", str(i))
        assert done.wait(10)
        assert got == [str(i).encode() for i in range(50)]
    finally:
        t.stop()
        t.join(5)
        pub.close()
        c.close()


def test_scan_iter(r):
    p = r.pipeline(transaction=False)
    for i in range(1500):
        p.set(f"user:{i}", i)
    for i in range(300):
        p.sadd("bigset", f"m{i}")
        p.hset("bighash", f"f{i}", i)
        p.zadd("bigzset", {f"z{i}": i})
    p.execute()
    keys = set(r.scan_iter(count=100))
    assert len(keys) == 1503
    assert set(r.scan_iter(match="user:1??", count=50)) == {f"user:{i}".encode() for i in range(100, 200)}
    assert set(r.scan_iter(_type="set")) == {b"bigset"}
    assert set(r.sscan_iter("bigset", count=20)) == {f"m{i}".encode() for i in range(300)}
    assert dict(r.hscan_iter("bighash", count=20)) == {f"f{i}".encode(): str(i).encode() for i in range(300)}
    assert dict(r.zscan_iter("bigzset", count=20)) == {f"z{i}".encode(): float(i) for i in range(300)}


def test_scan_iter_while_keys_change(r):
    """SCAN's guarantee: keys present for the whole iteration are returned."""
    r.mset({f"keep:{i}": 1 for i in range(400)})
    seen = set()
    cursor = 0
    n = 0
    while True:
        cursor, keys = r.scan(cursor, count=37)
        seen.update(keys)
        r.set(f"new:{n}", 1)
        if n % 2:
            r.delete(f"new:{n - 1}")
        n += 1
        if cursor == 0:
            break
    assert {f"keep:{i}".encode() for i in range(400)} <= seen


def test_resp3(server):
    c = server.client(protocol=3)
    try:
        c.flushall()
        c.hset("h", mapping={"a": "1", "b": "2"})
        assert c.hgetall("h") == {b"a": b"1", b"b": b"2"}
        c.sadd("s", "x", "y")
        assert c.smembers("s") == {b"x", b"y"}
        c.zadd("z", {"a": 1.5, "b": -2})
        assert c.zrange("z", 0, -1, withscores=True) == [[b"b", -2.0], [b"a", 1.5]]
        assert c.zscore("z", "a") == 1.5
        assert c.get("nope") is None
        assert c.incrbyfloat("f", 2.5) == 2.5
        assert c.execute_command("HELLO", "3")[b"proto"] == 3
        p = c.pipeline()
        p.set("k", "v").get("k").hgetall("h")
        assert p.execute() == [True, b"v", {b"a": b"1", b"b": b"2"}]
        ps = c.pubsub()
        ps.subscribe("r3")
        wait_for(lambda: ps.get_message(timeout=0.1), what="RESP3 subscribe")
        pub = server.client(protocol=3)
        try:
            assert pub.publish("r3", "m") == 1
            m = wait_for(lambda: ps.get_message(timeout=0.1), what="RESP3 push message")
            assert m["data"] == b"m"
        finally:
            ps.close()
            pub.close()
    finally:
        c.close()


# -- redis-cli ----------------------------------------------------------------

def cli(port, *args, input=None, timeout=20):
    p = subprocess.run([REDIS_CLI, "-p", str(port), *args], input=input, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture
def both(server, real):
    """redis-cli against redkeep and real Redis, both flushed: same output."""
    for port in (server.port, real.port):
        cli(port, "FLUSHALL")

    def run(*args, input=None):
        a = cli(server.port, *args, input=input)
        b = cli(real.port, *args, input=input)
        assert a == b, f"redis-cli {args}: redkeep {a!r} != redis {b!r}"
        return a[1]
    return run


@pytest.mark.skipif(REDIS_CLI is None and not os.environ.get("CI"), reason="redis-cli not installed")
def test_cli_commands(both):
    assert both("SET", "a", "1") == b"OK\n"
    assert both("GET", "a") == b"1\n"
    both("INCR", "a")
    both("GET", "missing")
    both("RPUSH", "l", "x", "y", "z")
    both("LRANGE", "l", "0", "-1")
    both("HSET", "h", "f", "v", "g", "w")
    both("HGETALL", "h")
    both("ZADD", "z", "1.5", "a", "2", "b")
    both("ZRANGE", "z", "0", "-1", "WITHSCORES")
    both("LPUSH", "a", "x")  # WRONGTYPE
    both("NOSUCH", "cmd")
    both("SET", "bin", "a\x01b")
    both("GET", "bin")
    both("EXISTS", "a", "l", "nope")
    both("TYPE", "z")
    both("--no-raw", "LRANGE", "l", "0", "-1")
    both("--raw", "LRANGE", "l", "0", "-1")
    both("--csv", "ZRANGE", "z", "0", "-1", "WITHSCORES")
    # interactive-ish: commands on stdin
    both(input=b"SET x 10\nINCRBY x 5\nGET x\nDEL x\nGET x\n")
    both("-x", "SET", "fromstdin", input=b"payload")
    both("GET", "fromstdin")
    both("-r", "3", "INCR", "counter")


@pytest.mark.skipif(REDIS_CLI is None and not os.environ.get("CI"), reason="redis-cli not installed")
def test_cli_resp3(both):
    both("-3", "HSET", "h", "a", "1", "b", "2")
    both("-3", "HGETALL", "h")
    both("-3", "ZADD", "z", "1.5", "m", "-inf", "n")
    both("-3", "ZRANGE", "z", "0", "-1", "WITHSCORES")
    both("-3", "ZSCORE", "z", "m")
    both("-3", "SADD", "s", "1")
    both("-3", "SMEMBERS", "s")
    both("-3", "GET", "nope")
    both("-3", "EXISTS", "h")
    both("-3", "SISMEMBER", "s", "1")
    both("-3", "LPUSH", "h", "x")


@pytest.mark.skipif(REDIS_CLI is None and not os.environ.get("CI"), reason="redis-cli not installed")
def test_cli_pipe_mass_insertion(server, r):
    n = 5000
    data = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nval:%d\r\n" % (
        len(b"key:%d" % i), i, len(b"val:%d" % i), i) for i in range(n))
    data += b"RPUSH list a b c\r\n"  # inline commands work too
    code, out, err = cli(server.port, "--pipe", input=data, timeout=60)
    assert code == 0, (out, err)
    assert b"errors: 0, replies: %d" % (n + 1) in out
    assert r.dbsize() == n + 1
    assert r.get("key:4321") == b"val:4321"
    assert r.lrange("list", 0, -1) == [b"a", b"b", b"c"]


@pytest.mark.skipif(REDIS_CLI is None and not os.environ.get("CI"), reason="redis-cli not installed")
def test_cli_pipe_reports_errors(server, r):
    r.set("s", "x")
    code, out, err = cli(server.port, "--pipe", input=b"LPUSH s a\r\nSET ok 1\r\n")
    assert b"errors: 1, replies: 2" in out
    assert b"WRONGTYPE" in out + err


@pytest.mark.skipif(REDIS_CLI is None and not os.environ.get("CI"), reason="redis-cli not installed")
def test_cli_scan(server, r):
    r.mset({f"a:{i}": i for i in range(300)})
    r.mset({f"b:{i}": i for i in range(50)})
    r.sadd("set:1", "x")
    code, out, _ = cli(server.port, "--scan")
    assert code == 0
    assert len(set(out.split())) == 351
    code, out, _ = cli(server.port, "--scan", "--pattern", "b:*")
    assert set(out.split()) == {f"b:{i}".encode() for i in range(50)}
    code, out, _ = cli(server.port, "--scan", "--pattern", "*:1*", "-i", "0.001")
    assert set(out.split()) == {k for k in map(str.encode, [f"a:{i}" for i in range(300)] +
                                                [f"b:{i}" for i in range(50)] + ["set:1"])
                                if k.split(b":")[1].startswith(b"1")}


@pytest.mark.skipif(REDIS_CLI is None and not os.environ.get("CI"), reason="redis-cli not installed")
def test_cli_misc_modes(server, r):
    code, out, _ = cli(server.port, "PING")
    assert out == b"PONG\n"
    code, out, _ = cli(server.port, "--no-auth-warning", "-n", "2", "SET", "indb2", "v")
    assert out == b"OK\n"
    assert r.get("indb2") is None
    code, out, _ = cli(server.port, "-n", "2", "GET", "indb2")
    assert out == b"v\n"
    r.rpush("biglist", *range(100))
    code, out, _ = cli(server.port, "--bigkeys")
    assert code == 0 and b"Biggest   list found '\"biglist\"' has 100 items" in out, out


# -- redis-benchmark ----------------------------------------------------------

@pytest.mark.skipif(REDIS_BENCHMARK is None and not os.environ.get("CI"), reason="redis-benchmark not installed")
def test_benchmark(server, r):
    p = subprocess.run([REDIS_BENCHMARK, "-p", str(server.port), "-n", "2000",
                        "-t", "set,get,lpush,lpop,sadd,hset,zadd,incr", "-q"],
                       capture_output=True, timeout=120)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, (out, p.stderr)
    assert "ERR" not in out and "error" not in out.lower(), out
    for test in ("SET", "GET", "LPUSH", "LPOP", "SADD", "HSET", "ZADD", "INCR"):
        assert any(line.split(":")[0].strip() == test and "requests per second" in line
                   for line in out.replace("\r", "\n").splitlines()), (test, out)
    assert r.get("counter:__rand_int__") == b"2000"


@pytest.mark.skipif(REDIS_BENCHMARK is None and not os.environ.get("CI"), reason="redis-benchmark not installed")
def test_benchmark_pipelined(server, r):
    p = subprocess.run([REDIS_BENCHMARK, "-p", str(server.port), "-n", "2000", "-P", "16", "-c", "4",
                        "-t", "set,get,incr", "-q"], capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert b"ERR" not in p.stdout
