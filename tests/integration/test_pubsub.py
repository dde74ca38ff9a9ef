"""Pub/Sub (pubsub.c) against real Redis 7.0, byte for byte, plus redis-py's
PubSub client."""

import pytest

from helpers import Differ, checks, resp3, wait_for


def read_both(d):
    """The next frame each server pushed to this differ's connections."""
    ra, rb = d.a.read_reply(), d.b.read_reply()
    assert ra == rb, f"redkeep {ra!r} != redis {rb!r}"
    return ra


def numsub(d, ch):
    return d.check("PUBSUB", "NUMSUB", ch)


@pytest.fixture
def sub(server, real):
    d = Differ(server.port, real.port)
    yield d
    d.close()


@pytest.fixture
def sub2(server, real):
    d = Differ(server.port, real.port)
    yield d
    d.close()


def send_both(d, *args):
    """Send a command whose reply is several frames; return them one by one."""
    from helpers import encode
    d.a.send(encode(*args))
    d.b.send(encode(*args))


@pytest.mark.parametrize("proto", [2, 3])
def test_subscribe_unsubscribe_frames(sub, proto):
    if proto == 3:
        resp3(sub)
    checks(sub, ("UNSUBSCRIBE",), ("PUNSUBSCRIBE",), ("SUNSUBSCRIBE",), ("UNSUBSCRIBE", "nope"))
    send_both(sub, "SUBSCRIBE", "a", "b", "a")
    for _ in range(3):
        read_both(sub)
    send_both(sub, "PSUBSCRIBE", "p*", "q?", "p*")
    for _ in range(3):
        read_both(sub)
    checks(sub, ("UNSUBSCRIBE", "a"), ("UNSUBSCRIBE",), ("PUNSUBSCRIBE", "zz"))
    send_both(sub, "PUNSUBSCRIBE")
    read_both(sub)
    read_both(sub)
    checks(sub, ("PUNSUBSCRIBE",), ("SSUBSCRIBE", "s1"), ("SUNSUBSCRIBE", "s1"), ("SUNSUBSCRIBE",))
    send_both(sub, "SSUBSCRIBE", "s1", "s2")
    read_both(sub)
    read_both(sub)
    checks(sub, ("SUNSUBSCRIBE", "s2"), ("SUNSUBSCRIBE",), ("PING",))


def test_resp2_subscribed_context(sub):
    checks(sub, ("SUBSCRIBE", "ch"), ("GET", "x"), ("SET", "x", "1"), ("PING",), ("PING", "hi"),
           ("PSUBSCRIBE", "x*"), ("PUNSUBSCRIBE", "x*"), ("UNSUBSCRIBE", "ch"), ("GET", "x"))
    checks(sub, ("SSUBSCRIBE", "sh"), ("GET", "x"), ("SUNSUBSCRIBE", "sh"), ("GET", "x"))


def test_resp3_subscribed_allows_commands(sub):
    resp3(sub)
    checks(sub, ("SUBSCRIBE", "ch"), ("GET", "x"), ("SET", "x", "1"), ("PING",), ("UNSUBSCRIBE",))


@pytest.mark.parametrize("proto", [2, 3])
def test_publish_delivery(differ, sub, sub2, proto):
    if proto == 3:
        resp3(sub)
    checks(differ, ("PUBLISH", "news", "nobody"))
    checks(sub, ("SUBSCRIBE", "news"))
    checks(sub2, ("PSUBSCRIBE", "n*"))
    checks(differ, ("PUBLISH", "news", "hello"))
    read_both(sub)
    read_both(sub2)
    checks(differ, ("PUBLISH", "nope", "x"), ("PUBLISH", "nx", b"\x00bin\r\n"))
    read_both(sub2)
    # one client with a channel and a matching pattern gets both (counted twice)
    checks(sub, ("PSUBSCRIBE", "ne?s"))
    checks(differ, ("PUBLISH", "news", "twice"))
    read_both(sub)
    read_both(sub)
    read_both(sub2)


def test_publish_to_self_in_resp3_and_in_multi(sub):
    resp3(sub)
    checks(sub, ("SUBSCRIBE", "me"), ("PUBLISH", "me", "hi"))
    read_both(sub)
    checks(sub, ("MULTI",), ("PUBLISH", "me", "in-tx"), ("PING",), ("EXEC",))


def test_pubsub_introspection(differ, sub, sub2):
    checks(differ, ("PUBSUB", "CHANNELS"), ("PUBSUB", "NUMSUB"), ("PUBSUB", "NUMSUB", "a"), ("PUBSUB", "NUMPAT"),
           ("PUBSUB", "SHARDCHANNELS"), ("PUBSUB", "SHARDNUMSUB", "a"), ("PUBSUB", "HELP"), ("PUBSUB",),
           ("PUBSUB", "FOO"), ("PUBSUB", "CHANNELS", "a", "b"), ("PUBSUB", "NUMPAT", "x"), ("PUBSUB", "help"))
    checks(sub, ("SUBSCRIBE", "chan1"))
    checks(sub2, ("SUBSCRIBE", "chan1"))
    checks(sub2, ("PSUBSCRIBE", "c*"))
    checks(sub2, ("SSUBSCRIBE", "shard1"))
    checks(differ, ("PUBSUB", "CHANNELS"), ("PUBSUB", "CHANNELS", "c*"), ("PUBSUB", "CHANNELS", "x*"),
           ("PUBSUB", "NUMSUB", "chan1", "nope", "chan1"), ("PUBSUB", "NUMPAT"), ("PUBSUB", "SHARDCHANNELS"),
           ("PUBSUB", "SHARDCHANNELS", "s*"), ("PUBSUB", "SHARDNUMSUB", "shard1", "chan1"),
           ("SPUBLISH", "shard1", "m"), ("SPUBLISH", "chan1", "m"))
    read_both(sub2)


def test_disconnect_removes_subscriptions(server, differ):
    r = server.client()
    p = r.pubsub()
    p.subscribe("gone")
    p.psubscribe("go*")
    wait_for(lambda: r.pubsub_numsub("gone") == [(b"gone", 1)], what="subscribed")
    p.close()
    wait_for(lambda: r.pubsub_numsub("gone") == [(b"gone", 0)] and r.pubsub_numpat() == 0, what="cleanup")
    assert r.publish("gone", "x") == 0
    r.close()


def test_redis_py_pubsub(server):
    r = server.client()
    p = r.pubsub()
    p.subscribe("ch1")
    p.psubscribe("pat.*")
    assert p.get_message(timeout=2)["type"] == "subscribe"
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    assert r.publish("ch1", "hello") == 1
    assert r.publish("pat.x", "world") == 1
    m = p.get_message(timeout=2)
    assert (m["type"], m["channel"], m["data"]) == ("message", b"ch1", b"hello")
    m = p.get_message(timeout=2)
    assert (m["type"], m["pattern"], m["channel"], m["data"]) == ("pmessage", b"pat.*", b"pat.x", b"world")
    p.unsubscribe("ch1")
    assert p.get_message(timeout=2)["type"] == "unsubscribe"
    p.punsubscribe()
    assert p.get_message(timeout=2)["type"] == "punsubscribe"
    assert r.pubsub_numpat() == 0
    p.close()
    r.close()


def test_redis_py_pubsub_resp3(server):
    r = server.client(protocol=3)
    seen = []
    p = r.pubsub()
    p.subscribe(**{"ch": lambda m: seen.append(m["data"])})
    wait_for(lambda: p.get_message(timeout=0.1) is None and r.pubsub_numsub("ch")[0][1] == 1, what="subscribed")
    assert r.publish("ch", "a") == 1
    wait_for(lambda: (p.get_message(timeout=0.1), seen)[1] == [b"a"], what="message")
    p.close()
    r.close()


def test_reset_drops_subscriptions(server):
    r = server.client()
    from helpers import RawConn
    c = RawConn(server.port)
    c.call("SUBSCRIBE", "x")
    c.call("PSUBSCRIBE", "y*")
    assert c.call("RESET") == b"+RESET\r\n"
    assert r.pubsub_numsub("x") == [(b"x", 0)] and r.pubsub_numpat() == 0
    assert c.call("GET", "k") == b"$-1\r\n"
    c.close()
    r.close()
