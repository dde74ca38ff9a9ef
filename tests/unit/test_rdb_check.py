"""redkeep's check-rdb prints what redis-check-rdb 7.0.15 prints (the
expected texts below were captured from the real tool on these files)."""

from __future__ import annotations

import os

from rdb_support import FIXTURES, fixture
from redkeep.rdb.check import check_file, main

ALL_TYPES_REPORT = """\
[offset 27] AUX FIELD redis-ver = '7.0.15'
[offset 41] AUX FIELD redis-bits = '64'
[offset 53] AUX FIELD ctime = '1795755908'
[offset 68] AUX FIELD used-mem = '1498872'
[offset 80] AUX FIELD aof-base = '0'
[offset 170] Selecting DB ID 0
[offset 48488] Selecting DB ID 2
[offset 48517] Checksum OK
[offset 48517] \\o/ RDB looks OK! \\o/
[info] 33 keys read
[info] 1 expires
[info] 0 already expired"""


def _run(path, now_ms=0):
    lines = []
    code = check_file(path, lines.append, now_ms=now_ms)
    return code, lines


def test_all_types_report():
    path = os.path.join(FIXTURES, "all_types.rdb")
    code, lines = _run(path)
    assert code == 0
    assert lines == [f"[offset 0] Checking RDB file {path}"] + ALL_TYPES_REPORT.split("\n")


def test_checksum_disabled_and_expired():
    code, lines = _run(os.path.join(FIXTURES, "nocompress_nochecksum.rdb"))
    assert code == 0 and "[offset 261] RDB file was saved with checksum disabled: no check performed." in lines
    code, lines = _run(os.path.join(FIXTURES, "tiny_expire.rdb"), now_ms=4102444800001)
    assert lines[-3:] == ["[info] 1 keys read", "[info] 1 expires", "[info] 1 already expired"]


def test_error_report(tmp_path):
    path = tmp_path / "cut.rdb"
    path.write_bytes(fixture("tiny_expire.rdb")[:100])
    code, lines = _run(str(path))
    assert code == 1
    assert lines[-7:] == [
        "--- RDB ERROR DETECTED ---",
        "[offset 96] Unexpected EOF reading RDB file",
        "[additional info] While doing: read-key",
        "[additional info] Reading type 0 (string)",
        "[info] 0 keys read", "[info] 0 expires", "[info] 0 already expired",
    ]


def test_main_usage(capsys):
    assert main([]) == 1
    assert "Usage" in capsys.readouterr().err
