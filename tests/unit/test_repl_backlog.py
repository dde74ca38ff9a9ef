"""The replication backlog's offsets and block trimming (replication/backlog.py)."""

from redkeep.replication.backlog import BLOCK, Backlog
from redkeep.replication.replica import enc_len
from redkeep.resp import encode_command


def test_offsets_from_creation():
    bl = Backlog(1 << 20, 0)
    assert (bl.offset, bl.histlen) == (1, 0)
    bl.append(b"x" * 977)
    assert (bl.offset, bl.histlen) == (1, 977)  # as INFO showed on a real master
    assert bl.covers(1) and bl.covers(978) and not bl.covers(979) and not bl.covers(0)
    assert bl.read_from(978) == b""
    assert bl.read_from(900) == b"x" * 78


def test_created_mid_history():
    bl = Backlog(100, 5000)
    bl.append(b"abc")
    assert bl.offset == 5001 and bl.read_from(5002) == b"bc"


def test_trims_whole_blocks_keeping_at_least_size():
    size = 40000
    bl = Backlog(size, 0)
    data = bytes(range(256)) * 1000
    for i in range(0, len(data), 1000):
        bl.append(data[i:i + 1000])
    assert bl.histlen >= size
    assert bl.histlen - size <= BLOCK  # exceeds the size by less than one block
    end = bl.offset + bl.histlen - 1
    assert end == len(data)
    assert bl.read_from(bl.offset) == data[bl.offset - 1:]
    assert not bl.covers(bl.offset - 1)


def test_big_write_is_one_block_and_resize_trims():
    bl = Backlog(1 << 20, 0)
    bl.append(b"a" * 100)
    bl.append(b"b" * 100000)
    bl.append(b"c")
    bl.resize(10)
    assert bl.read_from(bl.offset).endswith(b"c")
    assert bl.histlen >= 10


def test_enc_len_matches_encoder():
    for argv in ([b"PING"], [b"SET", b"k" * 9, b"v" * 10], [b"x" * 99, b"y" * 100, b"z" * 999, b"w" * 1000],
                 [b""] * 12, [b"a"] * 100):
        assert enc_len(argv) == len(encode_command(argv))
