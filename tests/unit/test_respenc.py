"""The C bulk_array (redkeep._respenc) against the pure-Python one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redkeep.resp import py_bulk_array

respenc = pytest.importorskip("redkeep._respenc")  # CI builds it; without a compiler resp.py uses the fallback


@given(st.lists(st.binary(max_size=3000), max_size=60))
def test_same_bytes_as_python(items):
    assert respenc.bulk_array(items) == py_bulk_array(items)
    assert respenc.bulk_array(tuple(items)) == py_bulk_array(items)


def test_shapes():
    assert respenc.bulk_array([]) == b"*0\r\n"
    assert respenc.bulk_array([b""]) == b"*1\r\n$0\r\n\r\n"
    assert respenc.bulk_array([b"x" * 12345])[:10] == b"*1\r\n$12345"
    big = [b"a"] * 1234
    assert respenc.bulk_array(big) == py_bulk_array(big)
    assert respenc.bulk_array({b"only"}) == b"*1\r\n$4\r\nonly\r\n"
    assert respenc.bulk_array(iter([b"a", b"b"])) == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"


def test_bytes_like_items_and_errors():
    assert respenc.bulk_array([bytearray(b"ba"), memoryview(b"mv"), b"c"]) == py_bulk_array(
        [b"ba", b"mv", b"c"])
    for bad in ([b"a", "str"], [1], 5, None):
        with pytest.raises(TypeError):
            respenc.bulk_array(bad)
