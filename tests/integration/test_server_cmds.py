"""CLIENT, COMMAND, SLOWLOG, LATENCY, MEMORY, MONITOR, ROLE, TIME, SHUTDOWN and
DEBUG against real Redis 7.0."""

import re
import time

import pytest

from helpers import Differ, RawConn, ServerProcess, checks, encode, resp3, server_pair, wait_for


def bulk_text(reply: bytes) -> bytes:
    """The payload of a bulk or verbatim reply."""
    head, _, rest = reply.partition(b"\r\n")
    body = rest[:-2]
    return body[4:] if head.startswith(b"=") else body


# -- CLIENT ---------------------------------------------------------------------------

def _fields(line: bytes):
    return [kv.split(b"=", 1)[0] for kv in line.strip().split(b" ")]


def test_client_list_fields(differ):
    for cmd in (("CLIENT", "LIST"), ("CLIENT", "INFO")):
        ra, rb = differ.both(*cmd)
        la, lb = bulk_text(ra), bulk_text(rb)
        assert la.endswith(b"\n") and lb.endswith(b"\n")
        fa = _fields(la.splitlines()[0])
        assert fa == _fields(lb.splitlines()[0])
        me = dict(kv.split(b"=", 1) for kv in la.strip().split(b" "))
        assert me[b"flags"] == b"N" and me[b"db"] == b"0" and me[b"multi"] == b"-1"
        assert me[b"cmd"] == b"client|" + cmd[1].lower().encode() and me[b"resp"] == b"2"


def test_client_list_resp3_verbatim(differ):
    resp3(differ)
    ra, rb = differ.both("CLIENT", "INFO")
    assert ra.startswith(b"=") and rb.startswith(b"=") and ra[ra.index(b"\r\n") + 2:].startswith(b"txt:")
    checks(differ, ("CLIENT", "LIST", "ID", "999999"), ("INFO", "nosuch"))


def test_client_list_filters(differ, server):
    other = RawConn(server.port)
    oid = int(other.call("CLIENT", "ID")[1:])
    ra = differ.a.call("CLIENT", "LIST", "ID", str(oid), "999999", str(oid))
    lines = bulk_text(ra).splitlines()
    assert len(lines) == 2 and all(line.startswith(b"id=%d " % oid) for line in lines)
    ra = differ.a.call("CLIENT", "LIST", "TYPE", "normal")
    assert b"id=%d " % oid in ra
    checks(differ, ("CLIENT", "LIST", "TYPE", "pubsub"), ("CLIENT", "LIST", "TYPE", "master"),
           ("CLIENT", "LIST", "TYPE", "replica"), ("CLIENT", "LIST", "TYPE", "slave"),
           ("CLIENT", "LIST", "TYPE", "bad"), ("CLIENT", "LIST", "ID", "x"), ("CLIENT", "LIST", "ID", "0"),
           ("CLIENT", "LIST", "ID", "-1"), ("CLIENT", "LIST", "ID"), ("CLIENT", "LIST", "foo"),
           ("CLIENT", "LIST", "TYPE"), ("CLIENT", "LIST", "TYPE", "normal", "x"))
    other.close()


def test_client_simple_subcommands(differ):
    checks(differ, ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "foo"), ("CLIENT", "GETNAME"),
           ("CLIENT", "SETNAME", "a b"), ("CLIENT", "SETNAME", "a\nb"), ("CLIENT", "SETNAME", b"\xff"),
           ("CLIENT", "SETNAME", ""), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME"), ("CLIENT", "SETNAME", "a", "b"),
           ("CLIENT", "HELP"), ("CLIENT", "help"), ("CLIENT", "FOO"), ("CLIENT",), ("CLIENT", "ID", "x"),
           ("CLIENT", "NO-EVICT", "on"), ("CLIENT", "NO-EVICT", "OFF"), ("CLIENT", "NO-EVICT", "maybe"),
           ("CLIENT", "NO-EVICT"), ("CLIENT", "REPLY", "maybe"), ("CLIENT", "REPLY", "on", "x"),
           ("CLIENT", "REPLY", "ON"), ("CLIENT", "UNPAUSE"), ("CLIENT", "UNBLOCK", "x"),
           ("CLIENT", "UNBLOCK", "999999"), ("CLIENT", "UNBLOCK", "999999", "foo"),
           ("CLIENT", "UNBLOCK", "999999", "error"), ("CLIENT", "UNBLOCK", "1", "timeout", "extra"),
           ("CLIENT", "PAUSE", "x"), ("CLIENT", "PAUSE", "-1"), ("CLIENT", "PAUSE", "10", "FOO"),
           ("CLIENT", "PAUSE", "x", "FOO"), ("CLIENT", "PAUSE", "10", "a", "b"), ("CLIENT", "PAUSE"))


def test_client_id_and_setname_shows_in_list(server):
    c = RawConn(server.port)
    cid = int(c.call("CLIENT", "ID")[1:])
    c.call("CLIENT", "SETNAME", "worker-1")
    line = bulk_text(c.call("CLIENT", "INFO"))
    assert line.startswith(b"id=%d " % cid) and b" name=worker-1 " in line
    c.close()


def test_client_kill_errors(differ):
    checks(differ, ("CLIENT", "KILL", "1.2.3.4:5"), ("CLIENT", "KILL", "ID", "999999"), ("CLIENT", "KILL", "ID", "x"),
           ("CLIENT", "KILL", "ID", "0"), ("CLIENT", "KILL", "TYPE", "foo"), ("CLIENT", "KILL", "foo", "bar"),
           ("CLIENT", "KILL", "foo"), ("CLIENT", "KILL", "MAXAGE", "1000"), ("CLIENT", "KILL", "USER", "nosuch"),
           ("CLIENT", "KILL", "ID", "5", "SKIPME", "maybe"), ("CLIENT", "KILL", "ADDR", "1.1.1.1:1", "ID", "0"),
           ("CLIENT", "KILL", "ADDR", "1.1.1.1:1"), ("CLIENT", "KILL", "LADDR", "1.1.1.1:1"),
           ("CLIENT", "KILL", "ID", "999999", "TYPE"), ("CLIENT", "KILL", "TYPE", "pubsub"),
           ("CLIENT", "KILL", "USER", "default", "ADDR", "9.9.9.9:9"))


def _kill_and_check(server, *filters, old_form=False):
    killer = RawConn(server.port)
    victim = RawConn(server.port)
    vid = int(victim.call("CLIENT", "ID")[1:])
    line = bulk_text(victim.call("CLIENT", "INFO"))
    addr = re.search(rb"addr=(\S+)", line).group(1)
    if old_form:
        assert killer.call("CLIENT", "KILL", addr) == b"+OK\r\n"
    else:
        args = [a.replace(b"{id}", b"%d" % vid).replace(b"{addr}", addr) for a in filters]
        assert killer.call("CLIENT", "KILL", *args) == b":1\r\n"
    victim.sock.settimeout(5)
    assert victim.sock.recv(10) == b""
    victim.close()
    killer.close()


def test_client_kill_forms(server):
    _kill_and_check(server, old_form=True)
    _kill_and_check(server, b"ID", b"{id}")
    _kill_and_check(server, b"ADDR", b"{addr}")
    _kill_and_check(server, b"ID", b"{id}", b"USER", b"default", b"SKIPME", b"no")


def test_client_kill_skipme(server):
    c = RawConn(server.port)
    cid = c.call("CLIENT", "ID")[1:-2]
    assert c.call("CLIENT", "KILL", "ID", cid) == b":0\r\n"
    assert c.call("CLIENT", "KILL", "ID", cid, "SKIPME", "no") == b":1\r\n"
    c.sock.settimeout(5)
    assert c.sock.recv(10) == b""


def test_client_reply_modes(differ):
    for conn in (differ.a, differ.b):
        conn.send(encode("CLIENT", "REPLY", "OFF") + encode("SET", "k", "1") + encode("GET", "k"))
        conn.send(encode("CLIENT", "REPLY", "SKIP") + encode("CLIENT", "REPLY", "ON"))
        conn.send(encode("CLIENT", "REPLY", "SKIP") + encode("GET", "k"))
    checks(differ, ("GET", "k"), ("PING",))


def test_client_unblock(server, real):
    for port in (server.port, real.port):
        blocked = RawConn(port)
        ctl = RawConn(port)
        bid = blocked.call("CLIENT", "ID")[1:-2]
        blocked.send(encode("BLPOP", "nolist", "0"))
        wait_for(lambda: b"flags=b" in ctl.call("CLIENT", "LIST", "ID", bid), what="client blocked")
        assert ctl.call("CLIENT", "UNBLOCK", bid) == b":1\r\n"
        assert blocked.read_reply() == b"*-1\r\n"
        blocked.send(encode("BLPOP", "nolist", "0"))
        wait_for(lambda: b"flags=b" in ctl.call("CLIENT", "LIST", "ID", bid), what="client blocked")
        assert ctl.call("CLIENT", "UNBLOCK", bid, "ERROR") == b":1\r\n"
        assert blocked.read_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
        assert ctl.call("CLIENT", "UNBLOCK", bid) == b":0\r\n"
        blocked.close()
        ctl.close()


def _timed(conn, *args):
    t = time.monotonic()
    reply = conn.call(*args)
    return reply, time.monotonic() - t


def test_client_pause_write(server):
    a = RawConn(server.port)
    b = RawConn(server.port)
    b.call("DEL", "pk")
    assert a.call("CLIENT", "PAUSE", "400", "WRITE") == b"+OK\r\n"
    reply, dt = _timed(b, "GET", "pk")
    assert reply == b"$-1\r\n" and dt < 0.3
    reply, dt = _timed(b, "SET", "pk", "v")
    assert reply == b"+OK\r\n" and dt >= 0.3
    assert a.call("CLIENT", "PAUSE", "300", "WRITE") == b"+OK\r\n"
    assert b.call("MULTI") == b"+OK\r\n"
    reply, dt = _timed(b, "SET", "pk", "v2")  # held before queueing, as Redis does
    assert reply == b"+QUEUED\r\n" and dt >= 0.2
    assert b.call("EXEC") == b"*1\r\n+OK\r\n"
    a.close()
    b.close()


def test_client_pause_all_and_unpause(server):
    a = RawConn(server.port)
    b = RawConn(server.port)
    assert a.call("CLIENT", "PAUSE", "5000", "WRITE") == b"+OK\r\n"
    b.send(encode("SET", "pk", "1") + encode("GET", "pk"))
    b.sock.settimeout(0.2)  # the replies must not arrive while paused
    with pytest.raises(OSError):
        b.sock.recv(1, 2)  # MSG_PEEK
    b.sock.settimeout(10)
    t = time.monotonic()
    assert a.call("CLIENT", "UNPAUSE") == b"+OK\r\n"
    assert b.read_reply() == b"+OK\r\n" and b.read_reply() == b"$1\r\n1\r\n"
    assert time.monotonic() - t < 1
    assert a.call("CLIENT", "PAUSE", "300", "ALL") == b"+OK\r\n"
    reply, dt = _timed(b, "PING")
    assert reply == b"+PONG\r\n" and dt >= 0.2
    a.close()
    b.close()


# -- COMMAND --------------------------------------------------------------------------

IMPLEMENTED = ["get", "set", "ping", "echo", "hello", "auth", "incr", "del", "lpush", "zadd", "hset",
               "info", "time", "lastsave", "echo", "select", "quit", "reset"]


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_command_info_docs_identical(differ, name):
    ra, rb = differ.both("COMMAND", "INFO", name)
    if ra == b"*1\r\n$-1\r\n":
        pytest.skip(f"{name} not implemented yet")
    assert ra == rb
    differ.check("COMMAND", "DOCS", name)
    differ.check("COMMAND", "INFO", name.upper(), "nosuch", name)


def parse_all(data: bytes):
    """Parse one RESP2/RESP3 reply into Python values (maps as lists of pairs)."""
    import hiredis
    rd = hiredis.Reader()
    rd.feed(data)
    return rd.gets()


def unordered(v):
    """Subcommands sit in a hash table in Redis, whose order changes with every
    process (random hash seed): compare containers order-insensitively."""
    if isinstance(v, list):
        return sorted((unordered(x) for x in v), key=repr)
    if isinstance(v, dict):
        return sorted(((unordered(k), unordered(x)) for k, x in v.items()), key=repr)
    return v


def check_unordered(differ, *args):
    ra, rb = differ.both(*args)
    assert ra.split(b"\r\n")[0] == rb.split(b"\r\n")[0] and len(ra) == len(rb)
    assert unordered(parse_all(ra)) == unordered(parse_all(rb)), args


def test_command_info_subcommands(differ):
    checks(differ, ("COMMAND", "INFO", "client|list"), ("COMMAND", "INFO", "CLIENT|ID"),
           ("COMMAND", "DOCS", "client|list"), ("COMMAND", "INFO", "client|nosuch"),
           ("COMMAND", "INFO", "get|x"), ("COMMAND", "INFO", "a|b|c"), ("COMMAND", "DOCS", "nosuch"),
           ("COMMAND", "INFO", "command|info"))
    for name in ("command", "slowlog", "latency", "memory"):
        check_unordered(differ, "COMMAND", "INFO", name)
        check_unordered(differ, "COMMAND", "DOCS", name)


def test_command_resp3(differ):
    resp3(differ)
    checks(differ, ("COMMAND", "INFO", "get", "nosuch"), ("COMMAND", "DOCS", "get", "client|list"),
           ("COMMAND", "DOCS", "nosuch"), ("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"))
    check_unordered(differ, "COMMAND", "INFO", "slowlog")
    check_unordered(differ, "COMMAND", "DOCS", "slowlog")


@pytest.mark.parametrize("args", [
    ("get", "a"), ("set", "a", "b"), ("set", "a", "b", "GET"), ("mset", "a", "1", "a", "2"),
    ("smove", "a", "a", "x"), ("zunionstore", "d", "2", "a", "b"), ("zunionstore", "d", "5", "a", "b"),
    ("zunionstore", "d", "x", "a"), ("zunionstore", "d", "-1", "a"), ("eval", "x", "0"), ("eval", "x", "2", "k1", "k2"),
    ("sort", "a", "by", "x", "store", "b"), ("sort", "a"), ("nosuch", "a"), ("get", "a", "b"), ("ping",),
    ("client", "list"), ("config", "get", "x"), ("client",), ("client", "nosuch"), ("del", "a", "b", "c"),
    ("blpop", "a", "b", "0"), ("lmove", "a", "b", "LEFT", "RIGHT"), ("bitfield", "k", "GET", "u8", "0"),
    ("bitfield", "k", "SET", "u8", "0", "1"), ("xread", "STREAMS", "a", "b", "0", "0"),
    ("zadd", "z", "1", "m"), ("GET", "A"), ("hset", "h", "f"), ("lpos", "l", "x"),
])
def test_command_getkeys(differ, args):
    if differ.a.call("COMMAND", "INFO", args[0]) == b"*1\r\n$-1\r\n" and args[0] != "nosuch":
        pytest.skip(f"{args[0]} not implemented yet")
    differ.check("COMMAND", "GETKEYS", *args)
    differ.check("COMMAND", "GETKEYSANDFLAGS", *args)


def test_command_misc(differ):
    checks(differ, ("COMMAND", "GETKEYS"), ("COMMAND", "GETKEYS", "get"), ("COMMAND", "HELP"),
           ("COMMAND", "FOO"), ("COMMAND", "COUNT", "x"), ("COMMAND", "LIST", "FILTERBY", "module", "x"),
           ("COMMAND", "LIST", "FILTERBY", "foo", "x"), ("COMMAND", "LIST", "FOO"),
           ("COMMAND", "LIST", "FILTERBY", "pattern"), ("COMMAND", "LIST", "FILTERBY", "aclcat", "nosuchcat"),
           ("COMMAND", "LIST", "FILTERBY", "pattern", "nosuchcmd*"))


def _names(reply: bytes) -> set:
    return set(re.findall(rb"\$\d+\r\n([^\r]*)\r\n", reply))


def test_command_list_subset_of_redis(differ):
    for args in ((), ("FILTERBY", "pattern", "client*"), ("FILTERBY", "aclcat", "string"),
                 ("FILTERBY", "pattern", "GET")):
        ra, rb = differ.both("COMMAND", "LIST", *args)
        assert _names(ra) and _names(ra) <= _names(rb)
    ra = differ.a.call("COMMAND", "LIST")
    count = int(differ.a.call("COMMAND", "COUNT")[1:])
    assert len([n for n in _names(ra) if b"|" not in n]) == count
    assert b"get" in _names(ra) and b"client|list" in _names(ra)


def test_command_all_matches_info(server):
    c = RawConn(server.port)
    count = int(c.call("COMMAND", "COUNT")[1:])
    full = c.call("COMMAND")
    assert full.startswith(b"*%d\r\n" % count)
    assert c.call("COMMAND", "INFO") == full
    c.close()


# -- SLOWLOG / LATENCY / MEMORY / TIME / ROLE ----------------------------------------------

def test_slowlog(differ):
    checks(differ, ("CONFIG", "SET", "slowlog-log-slower-than", "10000"), ("SLOWLOG", "RESET"),
           ("SLOWLOG", "HELP"), ("SLOWLOG", "GET"), ("SLOWLOG", "GET", "x"), ("SLOWLOG", "GET", "-1"),
           ("SLOWLOG", "GET", "-2"), ("SLOWLOG", "GET", "1", "2"), ("SLOWLOG", "LEN"), ("SLOWLOG", "RESET"),
           ("SLOWLOG", "FOO"), ("SLOWLOG",), ("SLOWLOG", "LEN", "x"))


def test_slowlog_records(server):
    c = RawConn(server.port)
    assert c.call("CONFIG", "SET", "slowlog-log-slower-than", "0") == b"+OK\r\n"
    c.call("SLOWLOG", "RESET")
    c.call("CLIENT", "SETNAME", "slowpoke")
    c.call("SET", "key", "x" * 200)
    entries = c.call("SLOWLOG", "GET", "-1")
    assert b"$3\r\nSET\r\n$3\r\nkey\r\n" in entries and b"... (72 more bytes)" in entries
    assert b"$8\r\nslowpoke\r\n" in entries
    n = int(c.call("SLOWLOG", "LEN")[1:])
    assert n >= 2
    assert c.call("SLOWLOG", "GET", "1").startswith(b"*1\r\n*6\r\n:")
    c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    c.close()


def test_latency(differ):
    checks(differ, ("LATENCY", "HELP"), ("LATENCY", "LATEST"), ("LATENCY", "HISTORY", "command"),
           ("LATENCY", "HISTORY"), ("LATENCY", "RESET"), ("LATENCY", "RESET", "command", "foo"),
           ("LATENCY", "DOCTOR"), ("LATENCY", "GRAPH", "command"), ("LATENCY", "HISTOGRAM", "nosuch"),
           ("LATENCY", "FOO"))
    resp3(differ)
    checks(differ, ("LATENCY", "DOCTOR"), ("LATENCY", "LATEST"))


def test_latency_histogram_shape(server):
    c = RawConn(server.port)
    c.call("SET", "a", "1")
    reply = c.call("LATENCY", "HISTOGRAM", "set", "nosuch")
    assert reply.startswith(b"*2\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:")
    assert b"$14\r\nhistogram_usec\r\n*2\r\n:" in reply
    c.close()


def test_memory(differ):
    checks(differ, ("MEMORY", "HELP"), ("MEMORY", "USAGE", "nokey"), ("SET", "a", "1"),
           ("MEMORY", "USAGE", "a", "SAMPLES", "x"), ("MEMORY", "USAGE", "a", "FOO"),
           ("MEMORY", "USAGE", "a", "SAMPLES"), ("MEMORY", "USAGE", "a", "SAMPLES", "-1"),
           ("MEMORY", "PURGE"), ("MEMORY", "FOO"), ("MEMORY", "USAGE"), ("FLUSHALL",), ("MEMORY", "DOCTOR"))
    resp3(differ)
    checks(differ, ("MEMORY", "USAGE", "nokey"), ("MEMORY", "DOCTOR"))


def test_memory_usage_grows(server):
    c = RawConn(server.port)
    c.call("DEL", "s", "h")
    c.call("SET", "s", "x" * 10)
    small = int(c.call("MEMORY", "USAGE", "s")[1:])
    c.call("SET", "s", "x" * 10000)
    assert int(c.call("MEMORY", "USAGE", "s")[1:]) >= small + 9900
    c.call("HSET", "h", *[str(i) for i in range(200)])
    full = int(c.call("MEMORY", "USAGE", "h", "SAMPLES", "0")[1:])
    sampled = int(c.call("MEMORY", "USAGE", "h")[1:])
    assert full > 5000 and sampled > 5000
    c.close()


def test_memory_stats_keys(differ):
    checks(differ, ("SET", "a", "1"))
    ra, rb = differ.both("MEMORY", "STATS")
    assert ra.startswith(b"*") and ra.split(b"\r\n")[0] == rb.split(b"\r\n")[0]
    keys_a = re.findall(rb"\$\d+\r\n([a-z][a-z0-9.\-]*)\r\n", ra)
    keys_b = re.findall(rb"\$\d+\r\n([a-z][a-z0-9.\-]*)\r\n", rb)
    assert keys_a == keys_b


def test_time_lastsave_role(differ):
    checks(differ, ("ROLE",), ("TIME", "x"), ("LASTSAVE", "x"), ("ROLE", "x"))
    ra, rb = differ.both("TIME")
    sa, ua = re.findall(rb"\$\d+\r\n(\d+)\r\n", ra)
    sb, _ = re.findall(rb"\$\d+\r\n(\d+)\r\n", rb)
    assert abs(int(sa) - int(sb)) <= 2 and 0 <= int(ua) < 1_000_000
    ra, rb = differ.both("LASTSAVE")
    assert ra.startswith(b":") and abs(int(ra[1:]) - time.time()) < 3600
    resp3(differ)
    checks(differ, ("ROLE",))


def test_shutdown_errors(differ):
    checks(differ, ("SHUTDOWN", "FOO"), ("SHUTDOWN", "ABORT"), ("SHUTDOWN", "NOSAVE", "SAVE"),
           ("SHUTDOWN", "NOW", "ABORT"), ("SHUTDOWN", "ABORT", "FORCE"), ("MULTI",), ("SHUTDOWN",), ("DISCARD",))


def test_shutdown_nosave_exits():
    s = ServerProcess().start()
    c = RawConn(s.port)
    c.send(encode("SHUTDOWN", "NOSAVE"))
    c.sock.settimeout(10)
    assert c.sock.recv(10) == b""
    assert s.proc.wait(timeout=10) == 0
    assert "ready to exit, bye bye" in s.read_log()


# -- MONITOR --------------------------------------------------------------------------

_LINE = re.compile(rb"^\+\d+\.\d{6} \[(\d+) ([^\]]+)\] (.*)\r\n$")


def _monitor_lines(port, *cmds):
    mon = RawConn(port)
    assert mon.call("MONITOR") == b"+OK\r\n"
    c = RawConn(port)
    for cmd in cmds:
        c.call(*cmd)
    out = []
    for _ in range(len([x for x in cmds if x[0].upper() not in ("CONFIG", "DEBUG")])):
        m = _LINE.match(mon.read_reply())
        assert m, "bad monitor line"
        out.append((m.group(1), m.group(3)))
    mon.close()
    c.close()
    return out


def test_monitor_format(server, real):
    cmds = [("SET", "k", 'a "q" \\ \n\r\t\x07\x08\x01\xff é'), ("GET", "k"), ("SELECT", "2"), ("PING",),
            ("AUTH", "x"), ("HELLO", "3", "AUTH", "default", "pw"), ("CONFIG", "GET", "hz"), ("ECHO", "")]
    assert _monitor_lines(server.port, *cmds) == _monitor_lines(real.port, *cmds)


def test_monitor_twice_and_reset(differ):
    checks(differ, ("MONITOR",))
    for conn in (differ.a, differ.b):
        conn.send(encode("MONITOR"))
    checks(differ, ("RESET",), ("PING",))


# -- DEBUG ----------------------------------------------------------------------------

def test_debug_disabled_by_default(differ):
    checks(differ, ("DEBUG", "HELP"), ("DEBUG", "DIGEST"), ("DEBUG",))


@pytest.fixture(scope="module")
def debug_pair():
    with server_pair(["--enable-debug-command", "yes"]) as pair:
        yield pair


@pytest.fixture
def ddiff(debug_pair):
    d = Differ(debug_pair[0].port, debug_pair[1].port)
    d.check("FLUSHALL")
    yield d
    d.close()


def test_debug_misc(ddiff):
    checks(ddiff, ("DEBUG", "HELP"), ("DEBUG", "FOO"), ("DEBUG", "OBJECT"), ("DEBUG", "SLEEP"), ("DEBUG", "JMAP"),
           ("DEBUG", "SLEEP", "0"), ("DEBUG", "SLEEP", "x"), ("DEBUG", "SLEEP", "0.01"),
           ("DEBUG", "SET-ACTIVE-EXPIRE", "1"), ("DEBUG", "SET-ACTIVE-EXPIRE", "x"),
           ("DEBUG", "CHANGE-REPL-ID"), ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"),
           ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "x"), ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"),
           ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5gb"), ("DEBUG", "OBJECT", "nokey"),
           ("DEBUG", "ERROR", "MYERR custom"), ("DEBUG", "LOG", "hello"), ("DEBUG", "DIGEST-VALUE"),
           ("DEBUG", "DIGEST", "x"), ("DEBUG", "PROTOCOL", "nosuch"), ("DEBUG", "PROTOCOL", "push"))
    for t in ("string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "true",
              "false", "verbatim"):
        ddiff.check("DEBUG", "PROTOCOL", t)
    resp3(ddiff)
    for t in ("double", "bignum", "null", "set", "map", "attrib", "push", "true", "verbatim"):
        ddiff.check("DEBUG", "PROTOCOL", t)


def test_debug_digest_matches_redis(ddiff):
    checks(ddiff, ("DEBUG", "DIGEST"), ("SET", "a", "1"), ("SET", "b", "hello"), ("DEBUG", "DIGEST"),
           ("DEBUG", "DIGEST-VALUE", "a", "nokey", "b"))
    checks(ddiff, ("RPUSH", "l", "a", "b", "c", "12"), ("SADD", "s", "x", "y", "3"), ("HSET", "h", "f", "v", "g", "1"),
           ("ZADD", "z", "1", "m", "2.5", "n", "-3", "o"), ("DEBUG", "DIGEST"),
           ("DEBUG", "DIGEST-VALUE", "l", "s", "h", "z"), ("EXPIRE", "a", "1000"), ("DEBUG", "DIGEST"),
           ("DEBUG", "DIGEST-VALUE", "a"), ("SELECT", "5"), ("SET", "a", "1"), ("DEBUG", "DIGEST"),
           ("DEBUG", "DIGEST-VALUE", "a"))


def test_debug_object(ddiff):
    checks(ddiff, ("SET", "a", "1"), ("SET", "b", "hello"), ("RPUSH", "l", "a", "b", "c"))
    for key in ("a", "b", "l"):
        ra, rb = ddiff.both("DEBUG", "OBJECT", key)
        strip = lambda r: re.sub(rb"Value at:0x[0-9a-f]+ ", b"", re.sub(rb" lru:\d+", b"", r))  # noqa: E731
        assert strip(ra) == strip(rb)


def test_debug_populate(ddiff):
    checks(ddiff, ("DEBUG", "POPULATE", "10"), ("DBSIZE",), ("GET", "key:3"), ("DEBUG", "POPULATE", "3", "p", "4"),
           ("GET", "p:1"), ("DEBUG", "POPULATE", "-1"), ("DEBUG", "POPULATE", "x"), ("DEBUG", "DIGEST"))
