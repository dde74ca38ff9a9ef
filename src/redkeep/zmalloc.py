"""How many bytes the process holds in its allocators: ``zmalloc_used_memory``.

Mirrors Redis's zmalloc.c, whose counter is what INFO's ``used_memory``
reports.  CPython has two allocators, and both are asked directly:

* pymalloc (objects of up to 512 bytes) reports the bytes of its allocated
  blocks through ``_PyObject_DebugMallocStats``, written here to an in-memory
  stream (``open_memstream``) and parsed; it walks the arenas, ~1 ms for a
  heap of a million keys;
* glibc's malloc (everything bigger: long strings, dict and list tables)
  reports its in-use bytes through ``mallinfo2``.

Why not RSS: it counts freed memory that the allocators keep, so it would not
go down after FLUSHALL, and the gap between the two is what INFO's
fragmentation figures are for.  Why not tracemalloc: it doubles the cost of
every allocation.  Where the C calls are unavailable (not glibc, no pymalloc
statistics) the figure falls back to RSS.
"""

from __future__ import annotations

import ctypes
import os
import resource


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost")]


def _bind():
    try:
        libc = ctypes.CDLL(None)
        mallinfo2 = libc.mallinfo2
        mallinfo2.restype = _MallInfo2
        mallinfo2.argtypes = []
        open_memstream = libc.open_memstream
        open_memstream.restype = ctypes.c_void_p
        open_memstream.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t)]
        fclose = libc.fclose
        fclose.argtypes = [ctypes.c_void_p]
        free = libc.free
        free.argtypes = [ctypes.c_void_p]
        stats = ctypes.pythonapi._PyObject_DebugMallocStats
        stats.argtypes = [ctypes.c_void_p]
        stats.restype = ctypes.c_int
    except (AttributeError, OSError):
        return None
    return mallinfo2, open_memstream, fclose, free, stats


_C = _bind()
_MARK = b"# bytes in allocated blocks"


def _pymalloc_bytes() -> int:
    _, open_memstream, fclose, free, stats = _C
    buf = ctypes.c_char_p()
    size = ctypes.c_size_t()
    fp = open_memstream(ctypes.byref(buf), ctypes.byref(size))
    if not fp:
        return 0
    try:
        stats(fp)
    finally:
        fclose(fp)
    try:
        text = ctypes.string_at(buf, size.value)
    finally:
        free(ctypes.cast(buf, ctypes.c_void_p))
    at = text.find(_MARK)
    if at < 0:
        return 0  # pymalloc disabled (PYTHONMALLOC=malloc): malloc sees everything
    line = text[at:text.find(b"\n", at)]
    return int(line.rsplit(b"=", 1)[1].replace(b",", b""))


def rss() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def heap_in_use() -> int:
    """Bytes currently allocated by pymalloc and malloc."""
    if _C is None:
        return rss()
    m = _C[0]()
    return m.uordblks + m.hblkhd + _pymalloc_bytes()
