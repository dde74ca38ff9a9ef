"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP against a real Redis 7.0:
replies byte for byte (error texts included), and rewritten redis.conf files
compared with what real Redis writes for the same operations."""

import os
import socket

import pytest

from helpers import REDIS_SERVER, RawConn, ServerProcess, free_port, wait_for

pytestmark = pytest.mark.interop

# Differ by construction between the two processes (ServerProcess sets them).
PER_PROCESS = {"port", "dir", "logfile", "pidfile"}


def parse_map(raw: bytes) -> dict:
    """A CONFIG GET reply (RESP2 flat array or RESP3 map) -> dict."""
    lines = raw.split(b"\r\n")
    assert lines[0][:1] in (b"*", b"%")
    items = []
    i = 1
    while i < len(lines) - 1:
        assert lines[i][:1] == b"$"
        items.append(lines[i + 1])
        i += 2
    return dict(zip(items[::2], items[1::2]))


def get_map(conn, *patterns) -> dict:
    m = parse_map(conn.call("CONFIG", "GET", *patterns))
    return {k: v for k, v in m.items() if k.decode().lower() not in PER_PROCESS}


@pytest.fixture
def restore(server, real):
    """Put back every directive a test changes, on both servers."""
    names = []
    yield names.append
    for s in (server, real):
        c = RawConn(s.port)
        before = dict(DEFAULTS)
        for n in names:
            assert c.call("CONFIG", "SET", n, before[n]) == b"+OK\r\n", n
        c.close()


DEFAULTS = {"hz": "10", "maxmemory": "0", "maxmemory-policy": "noeviction", "save": "",
            "client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
            "notify-keyspace-events": "", "slowlog-max-len": "128", "replica-read-only": "yes",
            "hash-max-listpack-entries": "512", "maxmemory-clients": "0", "loglevel": "notice",
            "shutdown-on-sigint": "default", "latency-tracking-info-percentiles": "50 99 99.9",
            "oom-score-adj": "no", "timeout": "0", "list-max-listpack-size": "-2", "requirepass": ""}


# -- CONFIG GET ------------------------------------------------------------------------------

@pytest.mark.parametrize("names", [
    ["maxmemory"], ["MAXMEMORY"], ["slaveof"], ["SlaveOf"], ["replicaof"], ["slave-read-only"],
    ["hash-max-ziplist-entries"], ["save"], ["bind"], ["client-output-buffer-limit"], ["nonexistent"],
    ["use-exit-on-panic"], ["use-exit-*"], ["por["], ["p\\ort"], ["notify-keyspace-events"],
    ["latency-tracking-info-percentiles"], ["oom-score-adj-values"], ["unixsocketperm"], ["maxmemory-clients"],
    ["shutdown-on-sigterm"], ["requirepass"], ["proc-title-template"], ["databases"], ["tls-port"],
    ["maxmemory", "MAXMEMORY"], ["hz", "hz", "HZ"], ["loading-process-events-interval-bytes"],
])
def test_config_get_single(differ, names):
    differ.check("CONFIG", "GET", *names)


@pytest.mark.parametrize("patterns", [
    ["*"], ["*max*"], ["*-ziplist-*"], ["slave*"], ["SLAVE*"], ["?z"], ["[hp]z*"], ["[^a-y]*"],
    ["maxmemory*", "*policy", "hz"], ["port", "*"], ["lazyfree-*", "LAZYFREE-LAZY-EXPIRE"],
    ["tls-*", "cluster-*"], ["*\\-threads"],
])
def test_config_get_patterns(differ, patterns):
    """Redis answers in its dict's (random) order: compare as maps."""
    assert get_map(differ.a, *patterns) == get_map(differ.b, *patterns)


def test_config_get_resp3(differ):
    differ.both("HELLO", "3")  # (client ids differ)
    differ.check("CONFIG", "GET", "maxmemory")
    differ.check("CONFIG", "GET", "nonexistent")
    a = differ.a.call("CONFIG", "GET", "*max*")
    b = differ.b.call("CONFIG", "GET", "*max*")
    assert a[:1] == b"%" and a.split(b"\r\n")[0] == b.split(b"\r\n")[0]
    assert parse_map(a) == parse_map(b)


def test_config_arity_and_help(differ):
    differ.check("CONFIG", "GET")
    differ.check("CONFIG", "SET", "port")
    differ.check("CONFIG", "SET", "port", "1", "hz")
    differ.check("CONFIG", "HELP")
    differ.check("CONFIG", "FOO")
    differ.check("CONFIG", "RESETSTAT", "x")
    differ.check("CONFIG", "REWRITE", "x")


# -- CONFIG SET --------------------------------------------------------------------------------

ERROR_CASES = [
    ["foo", "bar"], ["port", "abc"], ["port", " 5"], ["port", "+5"], ["port", "70000"], ["PORT", "1", "port", "2"],
    ["daemonize", "yes"], ["DAEMONIZE", "no"], ["daemonize", "no", "Foo", "1"], ["Foo", "1", "daemonize", "no"],
    ["SLAVE-READ-ONLY", "maybe"], ["hz", "1", "foo", "2"], ["save", "900  1"], ["save", "900"], ["save", "0 1"],
    ["maxmemory", "1.5gb"], ["maxmemory", "-1"], ["maxmemory-clients", "101%"], ["maxmemory-clients", "-5"],
    ["maxclients", "-1"], ["maxclients", "0"], ["slowlog-max-len", "-1"], ["list-max-listpack-size", "-9999999999"],
    ["maxmemory-policy", "bogus"], ["loglevel", "nothing"], ["shutdown-on-sigint", "force  now"],
    ["shutdown-on-sigint", ""], ["shutdown-on-sigint", "save nosave"], ["unixsocketperm", "700"],
    ["dir", "/tmp"], ["dbfilename", "x.rdb"], ["appendfilename", "x"], ["replicaof", "no one"],
    ["slaveof", "127.0.0.1 1"], ["notify-keyspace-events", "Q"], ["oom-score-adj-values", "1 2"],
    ["oom-score-adj-values", "1 2 5000"], ["client-output-buffer-limit", "foo 1 2 3"],
    ["client-output-buffer-limit", "normal 1 2"], ["client-output-buffer-limit", "normal 1 2 x"],
    ["client-output-buffer-limit", "master 1 2 3"], ["latency-tracking-info-percentiles", "101"],
    ["latency-tracking-info-percentiles", "abc"], ["activedefrag", "yes"], ["proc-title-template", "{foo}"],
    ["cluster-announce-hostname", "a b"], ["hash-max-listpack-entries", "1k"], ["proto-max-bulk-len", "1"],
    ["bind", " ".join(str(i) for i in range(17))], ["enable-protected-configs", "yes"],
    ["hz", "20", "maxmemory", "1mb", "maxmemory-policy", "bogus"],
]


@pytest.mark.parametrize("args", ERROR_CASES)
def test_config_set_errors(differ, args):
    differ.check("CONFIG", "SET", *args)


def test_config_set_failed_set_changes_nothing(differ):
    differ.check("CONFIG", "SET", "hz", "20", "maxmemory", "1mb", "maxmemory-policy", "bogus")
    for name in ("hz", "maxmemory", "maxmemory-policy"):
        differ.check("CONFIG", "GET", name)


SET_CASES = [
    ["hz", "20"], ["hz", "0"], ["hz", "100000"], ["maxmemory", "10mb"], ["maxmemory", "1G"], ["maxmemory", ""],
    ["maxmemory", "18446744073709551615"], ["maxmemory", "18446744073709551616"],
    ["maxmemory-policy", "ALLKEYS-LRU"], ["save", ""], ["save", "100 2 300 4"], ["save", "900 1"],
    ["client-output-buffer-limit", ""], ["client-output-buffer-limit", "slave 1 2 3"],
    ["client-output-buffer-limit", "replica 1mb 2mb 3 pubsub 4kb 5k 6"], ["notify-keyspace-events", "KEA"],
    ["notify-keyspace-events", "Kgx$"], ["notify-keyspace-events", "Em"], ["slowlog-max-len", "0"],
    ["slave-read-only", "no"], ["hash-max-ziplist-entries", "100"], ["maxmemory-clients", "5%"],
    ["maxmemory-clients", "1mb"], ["loglevel", "WARNING"], ["shutdown-on-sigint", "force now"],
    ["shutdown-on-sigint", "NOSAVE"], ["latency-tracking-info-percentiles", "50.0 99.55 0"],
    ["latency-tracking-info-percentiles", ""], ["oom-score-adj", "relative"], ["timeout", "5", "hz", "15"],
    ["list-max-ziplist-size", "-1"], ["requirepass", ""],
]


@pytest.mark.parametrize("args", SET_CASES)
def test_config_set_then_get(differ, restore, args):
    for name in args[::2]:
        restore(name.lower().replace("slave-read-only", "replica-read-only")
                .replace("hash-max-ziplist-entries", "hash-max-listpack-entries")
                .replace("list-max-ziplist-size", "list-max-listpack-size"))
    differ.check("CONFIG", "SET", *args)
    for name in args[::2]:
        differ.check("CONFIG", "GET", name)


def test_config_set_duplicate_via_alias(differ):
    differ.check("CONFIG", "SET", "replica-read-only", "yes", "slave-read-only", "yes")


def test_config_set_port_rebinds(server):
    c = RawConn(server.port)
    new = free_port()
    try:
        assert c.call("CONFIG", "SET", "port", str(new)) == b"+OK\r\n"
        c2 = wait_for(lambda: RawConn(new), what="new port")
        assert c2.call("PING") == b"+PONG\r\n"
        assert c2.call("CONFIG", "GET", "port") == b"*2\r\n$4\r\nport\r\n$%d\r\n%d\r\n" % (len(str(new)), new)
        wait_for(lambda: _refused(server.port), what="old port closed")
        assert c2.call("CONFIG", "SET", "port", str(server.port)) == b"+OK\r\n"
        c2.close()
        wait_for(lambda: RawConn(server.port).call("PING") == b"+PONG\r\n", what="back on the old port")
    finally:
        c.close()


def _refused(port) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return False
    except OSError:
        return True


def test_config_set_port_in_use(differ):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        differ.check("CONFIG", "SET", "port", str(busy.getsockname()[1]))
        differ.check("PING")
    finally:
        busy.close()


# -- CONFIG RESETSTAT ------------------------------------------------------------------------------

def test_config_resetstat(differ, r, rr):
    for _ in range(3):
        differ.check("SET", "k", "v")
        differ.check("GET", "k")
    differ.check("CONFIG", "SET", "foo", "bar")
    differ.check("SLOWLOG", "RESET")
    differ.check("CONFIG", "RESETSTAT")
    ours, theirs = r.info("commandstats"), rr.info("commandstats")
    assert set(ours) == set(theirs) == {"cmdstat_config|resetstat"}
    assert r.info("errorstats") == rr.info("errorstats") == {}
    assert r.info("stats")["total_error_replies"] == rr.info("stats")["total_error_replies"] == 0


# -- CONFIG REWRITE --------------------------------------------------------------------------------

def test_rewrite_without_config_file(differ):
    differ.check("CONFIG", "REWRITE")


CONF = """# my config
port 6379
bind 127.0.0.1

save 900 1
save 300 10


# a comment
hash-max-ziplist-entries 100
maxmemory 10mb
rename-command KEYS ""
list-max-ziplist-entries 5
  loglevel notice
dbfilename dump.rdb
slave-read-only yes
client-output-buffer-limit pubsub 32mb 8mb 60
requirepass secret
"""


def _normalize(text: str, srv: ServerProcess) -> tuple[list[str], list[str]]:
    text = text.replace(srv.dir, "<DIR>").replace(" %d\n" % srv.port, " <PORT>\n")
    head, sep, tail = text.partition("# Generated by CONFIG REWRITE\n")
    # Redis appends in its hash table's random order: compare that part as a set.
    return head.split("\n"), sorted(tail.split("\n"))


@pytest.mark.parametrize("ops", [
    [],
    [["maxmemory", "0"], ["hz", "20", "maxmemory-policy", "allkeys-lru"], ["hash-max-listpack-entries", "512"],
     ["notify-keyspace-events", "KEA"], ["client-output-buffer-limit", "pubsub 64mb 16mb 90"]],
    [["save", ""], ["bind", "127.0.0.1 ::1"], ["requirepass", ""], ["slave-read-only", "no"],
     ["oom-score-adj-values", "0 100 800"], ["maxmemory-clients", "10%"], ["shutdown-on-sigterm", "now force"]],
    [["save", "60 1 10 5 5 100"], ["client-output-buffer-limit", "normal 1mb 1000 5"], ["timeout", "300"],
     ["latency-tracking-info-percentiles", ""], ["loglevel", "verbose"], ["requirepass", "other"]],
])
def test_rewrite_matches_redis(tmp_path, ops):
    for sub in ("rk", "real"):
        os.makedirs(tmp_path / sub)
    procs = [ServerProcess(config_text=CONF, dir=str(tmp_path / "rk")),
             ServerProcess(config_text=CONF, dir=str(tmp_path / "real"), real=True)]
    results = []
    try:
        for p in procs:
            p.start()
        for p in procs:
            c = RawConn(p.port)
            assert c.call("AUTH", "secret") == b"+OK\r\n"
            for op in ops:
                assert c.call("CONFIG", "SET", *op) == b"+OK\r\n", op
            with open(os.path.join(p.dir, "redis.conf"), "a") as f:
                f.write("unknown-directive yes\n")  # became unknown since start-up: commented out
            assert c.call("CONFIG", "REWRITE") == b"+OK\r\n"
            c.close()
            with open(os.path.join(p.dir, "redis.conf")) as f:
                results.append(_normalize(f.read(), p))
    finally:
        for p in procs:
            p.kill()
    assert results[0] == results[1]


def test_rewrite_file_loads_back(tmp_path):
    """What CONFIG REWRITE wrote starts a server with the same configuration."""
    p = ServerProcess(config_text=CONF, dir=str(tmp_path))
    p.start()
    try:
        c = RawConn(p.port)
        c.call("AUTH", "secret")
        c.call("CONFIG", "SET", "save", "60 1 10 5", "maxmemory", "3mb", "notify-keyspace-events", "Kx")
        assert c.call("CONFIG", "REWRITE") == b"+OK\r\n"
        before = parse_map(c.call("CONFIG", "GET", "*"))
        c.close()
    finally:
        p.kill()
    from redkeep.config import Config
    from redkeep.config_table import TABLE
    cwd = os.getcwd()
    try:
        cfg = Config(TABLE)
        cfg.load_file(os.path.join(p.dir, "redis.conf"))
        for k, v in before.items():
            k = k.decode()
            if k not in PER_PROCESS:
                assert cfg.format(k).encode() == v, k
    finally:
        os.chdir(cwd)


# -- start-up with the shipped redis.conf ---------------------------------------------------------

SHIPPED = "/etc/redis/redis.conf"


@pytest.mark.skipif(not os.path.exists(SHIPPED) or REDIS_SERVER is None, reason="no shipped redis.conf")
def test_shipped_redis_conf_loads_like_redis(tmp_path):
    """/etc/redis/redis.conf (plus overrides to run unprivileged) gives the
    same CONFIG GET * on both servers."""
    with open(SHIPPED) as f:
        text = f.read()
    procs = []
    for real in (False, True):
        d = str(tmp_path / ("real" if real else "rk"))
        os.makedirs(d)
        p = ServerProcess(["--daemonize", "no", "--pidfile", os.path.join(d, "pid"), "--supervised", "no"],
                          config_text=text, dir=d, real=real)
        procs.append(p)
    try:
        maps = []
        for p in procs:
            p.start()
            c = RawConn(p.port)
            maps.append(get_map(c, "*"))
            c.close()
    finally:
        for p in procs:
            p.kill()
    assert maps[0] == maps[1]
