"""A redkeep replica against a scripted fake master, byte for byte against
what a real Redis 7.0.15 replica sent in the same situation
(fixtures/replication): the handshake with AUTH and announced address, the
first ACK after a diskless load, ACK offsets around GETACK (which excludes
its own bytes) and PING, and +CONTINUE with a new id (replid2 and
second_repl_offset)."""

import os
import socket

import pytest
from helpers import ServerProcess, encode, wait_for

FIX = "/work/shared/fixtures/replication"
A, B = "a" * 40, "b" * 40
MARK = b"8244486369476bf5960c8d6ea4ae38125adb325b"


def _fixture(name):
    path = os.path.join(FIX, name)
    if not os.path.exists(path):
        pytest.skip("fixture missing")
    with open(path, "rb") as f:
        return f.read()


class Peer:
    def __init__(self, sock):
        self.sock = sock
        self.sock.settimeout(10)
        self.buf = b""

    def read_until(self, needle: bytes) -> bytes:
        while needle not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        i = self.buf.index(needle) + len(needle)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_ack(self) -> int:
        head = self.read_until(b"ACK\r\n")
        assert head.endswith(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n"), head
        self.read_until(b"\r\n")
        return int(self.read_until(b"\r\n")[:-2])

    def send(self, data: bytes):
        self.sock.sendall(data)


def _handshake(lsock, expect_psync: bytes, oks: int = 4) -> tuple:
    conn, _ = lsock.accept()
    p = Peer(conn)
    got = p.read_until(b"PING\r\n")
    p.send(b"+PONG\r\n")
    got += p.read_until(b"psync2\r\n")
    p.send(b"+OK\r\n" * oks)
    got += p.read_until(expect_psync)
    got += p.read_until(b"\r\n")
    return p, got


def test_fake_master_handshake_acks_and_continue():
    expected1 = _fixture("replica_handshake_bulk_conn1.bin")
    expected1 = expected1[:expected1.index(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK")]
    rdb = _fixture("fullsync_diskless_payload.rdb")
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    lsock.settimeout(15)
    port = lsock.getsockname()[1]
    rp = ServerProcess(["--replicaof", "127.0.0.1 %d" % port, "--masteruser", "repluser", "--masterauth", "secret",
                        "--replica-announce-ip", "10.0.0.5", "--replica-announce-port", "7777"])
    rp.start()
    try:
        r = rp.client()
        p, got = _handshake(lsock, b"$2\r\n-1")
        assert got == expected1
        p.send(b"+FULLRESYNC %s 100\r\n$EOF:%s\r\n" % (A.encode(), MARK) + rdb + MARK)
        assert p.read_ack() == 100  # at once after a diskless load
        assert r.get("pre") == b"existing"
        p.send(encode("SELECT", "0") + encode("SET", "fromstream", "1") + encode("REPLCONF", "GETACK", "*"))
        assert p.read_ack() == 160  # GETACK's own 37 bytes are not included...
        assert p.read_ack() == 197  # ...the next periodic ACK has them
        info = r.info("replication")
        assert info["slave_repl_offset"] == 197 and info["master_replid"] == A and info["master_link_status"] == "up"
        assert r.role() == [b"slave", b"127.0.0.1", port, b"connected", 197]
        with pytest.raises(Exception, match="read only replica"):
            r.set("x", 1)
        p.send(b"*1\r\n$4\r\nping\r\n")
        wait_for(lambda: p.read_ack() == 211, 5)
        # Keepalive newlines between commands are skipped (and counted).
        p.send(b"\n" + encode("SET", "nl", "1") + b"\n")
        wait_for(lambda: r.get("nl") == b"1", 5)
        acks = []
        try:
            wait_for(lambda: acks.append(p.read_ack()) or acks[-1] == 211 + 1 + 28 + 1, 5)
        except TimeoutError:
            raise AssertionError(acks)
        p.sock.close()
        # Reconnection: PSYNC <cached id> <offset+1>, accepted with a new id.
        p2, got2 = _handshake(lsock, b"$3\r\n242")
        assert got2.endswith(encode("PSYNC", A, "242"))
        p2.send(b"+CONTINUE %s\r\n" % B.encode())
        p2.send(encode("SET", "after_continue", "1"))
        wait_for(lambda: r.get("after_continue") == b"1", 5)
        info = r.info("replication")
        assert info["master_replid"] == B and info["master_replid2"] == A
        assert info["second_repl_offset"] == 242 and info["master_repl_offset"] == 241 + 41
        assert p2.read_ack() == 282
        p2.sock.close()
        wait_for(lambda: r.role()[3] != b"connected", 5)
        assert r.role()[4] == -1
        assert r.info("replication")["slave_repl_offset"] == 282
    finally:
        rp.kill()
        lsock.close()


def test_fake_master_disk_payload_streams_without_ack_and_bad_payload_keeps_data():
    rdb = _fixture("fullsync_disk_payload.rdb")
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    lsock.settimeout(15)
    port = lsock.getsockname()[1]
    rp = ServerProcess()
    rp.start()
    try:
        r = rp.client()
        r.set("mine", "kept")
        r.replicaof("127.0.0.1", port)
        # A corrupt payload (bad checksum): the old data stays, the replica retries.
        p, _ = _handshake(lsock, b"PSYNC", 2)
        bad = rdb[:-1] + bytes([rdb[-1] ^ 0xFF])
        p.send(b"+FULLRESYNC %s 0\r\n$%d\r\n" % (A.encode(), len(bad)) + bad)
        p2, _ = _handshake(lsock, b"PSYNC", 2)
        assert r.get("mine") == b"kept" and r.get("pre") is None
        assert "Failed trying to load the MASTER synchronization DB" in rp.read_log()
        # A good disk payload followed at once by the stream (no ACK needed).
        p2.send(b"\n\n+FULLRESYNC %s 0\r\n\n$%d\r\n" % (A.encode(), len(rdb)) + rdb + encode("SELECT", "0")
                + encode("SET", "k1", "v1"))
        wait_for(lambda: r.get("k1") == b"v1", 5)
        assert r.get("mine") is None and r.get("pre") == b"existing"
        assert p2.read_ack() == 23 + 29
        p2.sock.close()
        p.sock.close()
    finally:
        rp.kill()
        lsock.close()
