"""The replication backlog: the recent history of the replication stream.
Mirrors the backlog half of Redis's ``replication.c`` (createReplicationBacklog,
feedReplicationBuffer, incrementalTrimReplicationBacklog, addReplyReplicationBacklog).

Offsets are Redis's: the stream's first byte ever produced under a history
has offset 1, ``offset`` is the offset of the first byte held and ``histlen``
how many bytes are held, so the last byte held is ``offset + histlen - 1``
(== master_repl_offset).

Redis 7 keeps the stream in 16 KB blocks shared by the backlog and the
replicas' output buffers, and trims the backlog by whole blocks only while
what remains still covers ``size`` bytes: ``histlen`` may exceed the
configured size by up to one block.  INFO's repl_backlog_first_byte_offset
and repl_backlog_histlen show it, so the same block rule is kept here.
"""

from __future__ import annotations

from collections import deque

BLOCK = 16 * 1024  # PROTO_REPLY_CHUNK_BYTES


class Backlog:
    __slots__ = ("blocks", "histlen", "offset", "size")

    def __init__(self, size: int, master_repl_offset: int):
        self.size = size
        self.offset = master_repl_offset + 1
        self.histlen = 0
        self.blocks: deque = deque()  # [bytearray, capacity]

    def append(self, data) -> None:
        n = len(data)
        if not n:
            return
        self.histlen += n
        blocks = self.blocks
        if blocks:
            last = blocks[-1]
            room = last[1] - len(last[0])
            if room >= n:
                last[0] += data
                self._trim()
                return
            if room > 0:
                last[0] += data[:room]
                data = data[room:]
        # A new block takes the rest whole (Redis sizes a block to fit the write).
        blocks.append([bytearray(data), max(BLOCK, len(data))])
        self._trim()

    def _trim(self) -> None:
        blocks = self.blocks
        size = self.size
        while self.histlen > size and len(blocks) > 1:
            first = len(blocks[0][0])
            if self.histlen - first <= size:
                break
            blocks.popleft()
            self.histlen -= first
            self.offset += first

    def resize(self, size: int) -> None:
        self.size = size
        self._trim()

    def covers(self, offset: int) -> bool:
        """Can the stream be resent from ``offset`` (the next byte a
        replica needs)?  Redis accepts offset == end + 1 (nothing to send)."""
        return self.offset <= offset <= self.offset + self.histlen

    def read_from(self, offset: int) -> bytes:
        """The bytes from ``offset`` to the end (caller checked ``covers``)."""
        skip = offset - self.offset
        out = []
        for buf, _cap in self.blocks:
            n = len(buf)
            if skip >= n:
                skip -= n
                continue
            out.append(bytes(memoryview(buf)[skip:]) if skip else bytes(buf))
            skip = 0
        return b"".join(out)

    def memory(self) -> int:
        return sum(cap for _buf, cap in self.blocks)
