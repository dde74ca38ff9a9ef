"""The replica's handshake and payload framing (replication/handshake.py),
checked against the bytes a real Redis 7.0.15 replica sent to a fake master
(fixtures/replication/replica_handshake_*.bin)."""

import os

import pytest

from redkeep.replication.handshake import (
    DONE,
    RECEIVE_PSYNC_REPLY,
    Handshake,
    PayloadError,
    PayloadReader,
)

FIX = os.environ.get("REDKEEP_FIXTURES", "/work/shared/fixtures") + "/replication"


def _fixture(name):
    path = os.path.join(FIX, name)
    if not os.path.exists(path):
        pytest.skip("fixture missing: " + path)
    with open(path, "rb") as f:
        return f.read()


def _walk(hs, replies):
    sent = [hs.start()]
    events = []
    for r in replies:
        for ev in hs.feed(r):
            events.append(ev)
            if ev[0] == "send":
                sent.append(ev[1])
    return b"".join(sent), events


def _until_psync(blob):
    return blob[:blob.index(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK")] if b"ACK" in blob else blob


@pytest.mark.parametrize("conn,replid,offset", [("conn1", "?", -1), ("conn2", "a" * 40, 256)])
def test_handshake_bytes_match_real_replica_with_auth_and_announce(conn, replid, offset):
    hs = Handshake(port=7777, ip="10.0.0.5", masteruser="repluser", masterauth="secret",
                   psync_replid=replid, psync_offset=offset)
    sent, _ = _walk(hs, [b"+PONG\r\n", b"+OK\r\n", b"+OK\r\n", b"+OK\r\n", b"+OK\r\n"])
    assert sent == _until_psync(_fixture("replica_handshake_bulk_%s.bin" % conn))
    assert hs.state == RECEIVE_PSYNC_REPLY


@pytest.mark.parametrize("conn,replid,offset", [("conn1", "?", -1), ("conn2", "a" * 40, 256)])
def test_handshake_bytes_match_real_replica_plain(conn, replid, offset):
    hs = Handshake(port=17314, psync_replid=replid, psync_offset=offset)
    sent, _ = _walk(hs, [b"+PONG\r\n", b"+OK\r\n+OK\r\n"])
    assert sent == _until_psync(_fixture("replica_handshake_eof_%s.bin" % conn))


def test_ping_noauth_is_accepted_and_auth_error_retries():
    hs = Handshake(port=1, masterauth="x")
    hs.start()
    evs = hs.feed(b"-NOAUTH Authentication required.\r\n")
    assert any(e[0] == "send" for e in evs)
    evs = hs.feed(b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
    assert evs[-1][0] == "retry" and "Unable to AUTH to MASTER" in evs[-1][1]


def test_ping_error_retries():
    hs = Handshake(port=1)
    hs.start()
    evs = hs.feed(b"-ERR something\r\n")
    assert evs == [("retry", "Error reply to PING from master: '-ERR something'")]


def test_replconf_errors_are_not_critical():
    hs = Handshake(port=1)
    hs.start()
    hs.feed(b"+PONG\r\n")
    evs = hs.feed(b"-ERR Unrecognized REPLCONF option: listening-port\r\n+OK\r\n")
    assert any(e[0] == "log" and "(Non critical)" in e[2] for e in evs)
    assert evs[-1][0] == "send" and evs[-1][1].startswith(b"*3\r\n$5\r\nPSYNC")


def _to_psync(hs):
    hs.start()
    hs.feed(b"+PONG\r\n")
    hs.feed(b"+OK\r\n+OK\r\n")
    assert hs.state == RECEIVE_PSYNC_REPLY


def test_fullresync_after_keepalives_keeps_the_rest():
    hs = Handshake(port=1)
    _to_psync(hs)
    evs = hs.feed(b"\n\n\n+FULLRESYNC " + b"b" * 40 + b" 42\r\n$EOF:")
    assert ("fullresync", "b" * 40, 42) in evs
    assert evs[-1] == ("rest", b"$EOF:")
    assert hs.state == DONE


def test_continue_with_and_without_new_id():
    hs = Handshake(port=1, psync_replid="a" * 40, psync_offset=256)
    _to_psync(hs)
    evs = hs.feed(b"+CONTINUE " + b"b" * 40 + b"\r\n*1\r\n$4\r\nping\r\n")
    assert evs[0] == ("continue", "b" * 40)
    assert evs[-1] == ("rest", b"*1\r\n$4\r\nping\r\n")
    hs = Handshake(port=1, psync_replid="a" * 40, psync_offset=256)
    _to_psync(hs)
    assert hs.feed(b"+CONTINUE\r\n") == [("continue", None)]


def test_psync_try_later_and_fallback_to_sync():
    hs = Handshake(port=1)
    _to_psync(hs)
    evs = hs.feed(b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n")
    assert evs[-1][0] == "retry"
    hs = Handshake(port=1)
    _to_psync(hs)
    evs = hs.feed(b"-ERR unknown command 'PSYNC'\r\n")
    assert ("send", b"SYNC\r\n") in evs and evs[-1] == ("sync",)


def test_payload_disk_form_split_everywhere():
    rdb = _fixture("fullsync_disk_payload.rdb")
    wire = b"\n\n$%d\r\n" % len(rdb) + rdb + b"*1\r\n$4\r\nping\r\n"
    for step in (1, 7, 64, len(wire)):
        p = PayloadReader()
        body = b""
        rest = b""
        done = False
        for i in range(0, len(wire), step):
            b, d, r = p.feed(wire[i:i + step])
            body += b
            if d and not done:
                done = True
                rest = r + wire[i + step:]
                break
        assert done and body == rdb and rest == b"*1\r\n$4\r\nping\r\n" and p.size == len(rdb)


def test_payload_eof_mark_form_split_everywhere():
    rdb = _fixture("fullsync_diskless_payload.rdb")
    mark = b"8244486369476bf5960c8d6ea4ae38125adb325b"
    wire = b"$EOF:" + mark + b"\r\n" + rdb + mark
    for step in (1, 5, 39, 40, 41, 200, len(wire)):
        p = PayloadReader()
        body = b""
        done = False
        for i in range(0, len(wire), step):
            b, done, _ = p.feed(wire[i:i + step])
            body += b
        assert done and body == rdb and p.size == -1 and p.read == len(rdb)


def test_payload_errors():
    with pytest.raises(PayloadError, match="MASTER aborted replication with an error: ERR boom"):
        PayloadReader().feed(b"-ERR boom\r\n")
    with pytest.raises(PayloadError, match="the first byte is not '\\$'"):
        PayloadReader().feed(b"+OK\r\n")


def test_fixture_payloads_load_with_repl_aux():
    from redkeep.rdb import RdbReader
    for name, off in (("fullsync_diskless_payload.rdb", b"42"), ("fullsync_disk_payload.rdb", b"0")):
        r = RdbReader(_fixture(name))
        r.load()
        assert r.aux[b"repl-offset"] == off and len(r.aux[b"repl-id"]) == 40
        assert r.aux[b"repl-stream-db"] == b"0"
