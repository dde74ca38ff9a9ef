"""redkeep-check-aof beyond redis-check-aof: point-in-time restore across
every incremental file, with the manifest rewritten atomically first.
(Line-for-line equality with redis-check-aof is in tests/interop.)"""

from __future__ import annotations

import os

from redkeep.persistence.aof_manifest import load_manifest
from redkeep.resp import encode_command
from redkeep.tools.check_aof import Checker, Fatal, main


def _cmd(*a) -> bytes:
    return encode_command([x.encode() for x in a])


def _make(tmp_path) -> tuple:
    d = tmp_path / "appendonlydir"
    d.mkdir(parents=True)
    (d / "a.aof.1.base.aof").write_bytes(b"#TS:100\r\n" + _cmd("SET", "base", "1"))
    incr1 = b"#TS:100\r\n" + _cmd("SELECT", "0") + _cmd("SET", "a", "1")
    cut1 = len(incr1)
    incr1 += b"#TS:200\r\n" + _cmd("SET", "b", "2")
    (d / "a.aof.1.incr.aof").write_bytes(incr1)
    (d / "a.aof.2.incr.aof").write_bytes(b"#TS:300\r\n" + _cmd("SELECT", "0") + _cmd("SET", "c", "3"))
    (d / "a.aof.3.incr.aof").write_bytes(b"#TS:400\r\n" + _cmd("SELECT", "0") + _cmd("SET", "d", "4"))
    (d / "a.aof.manifest").write_text("file a.aof.1.base.aof seq 1 type b\nfile a.aof.1.incr.aof seq 1 type i\n"
                                      "file a.aof.2.incr.aof seq 2 type i\nfile a.aof.3.incr.aof seq 3 type i\n")
    return d, cut1


def test_truncate_to_timestamp_inside_an_earlier_file(tmp_path, capsys):
    d, cut1 = _make(tmp_path)
    assert main(["--truncate-to-timestamp", "150", str(d / "a.aof.manifest")]) == 0
    out = capsys.readouterr().out
    assert "Removed INCR AOF a.aof.2.incr.aof: all of it is after timestamp 150" in out
    assert "Successfully truncated AOF a.aof.1.incr.aof to timestamp 150" in out
    assert out.rstrip().endswith("All AOF files and manifest are valid")
    assert os.path.getsize(d / "a.aof.1.incr.aof") == cut1
    assert sorted(os.listdir(d)) == ["a.aof.1.base.aof", "a.aof.1.incr.aof", "a.aof.manifest"]
    assert [a.name for a in load_manifest(str(d / "a.aof.manifest")).files()] == ["a.aof.1.base.aof",
                                                                                   "a.aof.1.incr.aof"]
    assert main([str(d / "a.aof.manifest")]) == 0  # the result checks clean


def test_truncate_to_timestamp_at_a_file_start(tmp_path, capsys):
    d, _ = _make(tmp_path)
    assert main(["--truncate-to-timestamp", "350", str(d / "a.aof.manifest")]) == 0
    assert os.path.getsize(d / "a.aof.2.incr.aof") > 0 and os.path.getsize(d / "a.aof.3.incr.aof") == 0
    assert len(load_manifest(str(d / "a.aof.manifest")).incr) == 3
    d2, _ = _make(tmp_path / "x")
    assert main(["--truncate-to-timestamp", "250", str(d2 / "a.aof.manifest")]) == 0
    assert os.path.getsize(d2 / "a.aof.2.incr.aof") == 0  # everything of that file is later: emptied
    assert not os.path.exists(d2 / "a.aof.3.incr.aof")


def test_truncate_before_the_base_is_refused(tmp_path, capsys):
    d, _ = _make(tmp_path)
    assert main(["--truncate-to-timestamp", "50", str(d / "a.aof.manifest")]) == 1
    assert "has nothing before timestamp 50, aborting..." in capsys.readouterr().out
    assert len(load_manifest(str(d / "a.aof.manifest")).incr) == 3


def test_fix_asks_on_a_terminal(tmp_path):
    p = tmp_path / "old.aof"
    p.write_bytes(_cmd("SET", "a", "1") + _cmd("SET", "b", "2")[:-3])
    lines = []
    refused = Checker(lines.append, confirm=lambda: False)
    try:
        refused.check_old_style(str(p), True, False)
        raise AssertionError("should abort")
    except Fatal:
        pass
    assert lines[-1] == "Aborting..." and p.stat().st_size == len(_cmd("SET", "a", "1")) + 24
    lines.clear()
    Checker(lines.append, confirm=lambda: True).check_old_style(str(p), True, False)
    assert lines[-1] == f"Successfully truncated AOF {p}"
    assert p.read_bytes() == _cmd("SET", "a", "1")


def test_usage(capsys):
    assert main([]) == 1
    assert capsys.readouterr().out.startswith("Usage: redkeep-check-aof [--fix|--truncate-to-timestamp $timestamp]")
