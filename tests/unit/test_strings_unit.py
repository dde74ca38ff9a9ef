"""String/bit handlers in-process: propagation rewrites (what the AOF and
replicas receive), dirty counting, the long double emulation and LCS."""

import random
import time
from fractions import Fraction

import pytest

from redkeep import resp
from redkeep.commands import t_string
from redkeep.commands.t_string import ld_format, ld_incr, ld_parse, lcs_rows
from redkeep.config import Config
from redkeep.config_table import TABLE
from redkeep.keyspace import RList
from redkeep.server import Server


class FakeClient:
    """Just what Server.call and the handlers touch."""

    def __init__(self, server):
        self.server = server
        self.db = server.dbs[0]
        self.r = resp.RESP2
        self.resp_ver = 2
        self.prop = None
        self.is_master = False
        self.in_exec = False
        self.multi = None
        self.last_cmd = None
        self.out = []
        self.addr = "127.0.0.1:1"  # read by the slowlog when a command is slow
        self.name = b""

    def write(self, data):
        self.out.append(data)


@pytest.fixture(scope="module")
def srv():
    return Server(Config(TABLE))


@pytest.fixture
def run(srv):
    for db in srv.dbs:
        db.clear()
    c = FakeClient(srv)
    props = []
    srv.propagate_listeners.append(lambda dbid, argv: props.append(argv))

    def call(*args):
        argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        c.out.clear()
        props.clear()
        dirty = srv.dirty
        srv.call(c, srv.commands.get(argv[0]), argv)
        return c.out[0], [[x.decode() for x in p] for p in props], srv.dirty - dirty

    call.client = c
    yield call
    srv.propagate_listeners.pop()


def _pxat_in(s: str, seconds: float) -> bool:
    return abs(int(s) - (time.time() + seconds) * 1000) < 5000


def test_set_expire_propagates_as_pxat(run):
    _, prop, dirty = run("SET", "k", "v", "EX", "100")
    assert prop[0][:4] == ["SET", "k", "v", "PXAT"] and _pxat_in(prop[0][4], 100) and dirty == 1
    _, prop, _ = run("SET", "k", "v", "PX", "5000", "GET", "XX")
    assert prop[0][:4] == ["SET", "k", "v", "PXAT"] and _pxat_in(prop[0][4], 5)
    assert run("SET", "k", "v", "EXAT", "1")[1] == [["SET", "k", "v", "PXAT", "1000"]]
    assert run("SETEX", "s", "10", "v")[1][0][:4] == ["SET", "s", "v", "PXAT"]
    assert run("PSETEX", "s", "10", "v")[1][0][:4] == ["SET", "s", "v", "PXAT"]


def test_set_get_is_propagated_without_get(run):
    assert run("SET", "k", "v", "GET", "XX", "get")[1] == []  # XX failed: nothing
    run("SET", "k", "1")
    assert run("SET", "k", "v", "GET", "XX", "get")[1] == [["SET", "k", "v", "XX"]]
    assert run("SET", "k", "v", "NX")[1:] == ([], 0)
    assert run("SET", "k", "w", "KEEPTTL")[1] == [["SET", "k", "w", "KEEPTTL"]]


def test_rewrites_of_other_commands(run):
    run("SET", "n", "1")
    assert run("GETSET", "n", "2")[1] == [["SET", "n", "2"]]
    prop = run("GETEX", "n", "EX", "100")[1]
    assert prop[0][:2] == ["PEXPIREAT", "n"] and _pxat_in(prop[0][2], 100)
    assert run("GETEX", "n", "PXAT", "99999999999999")[1] == [["PEXPIREAT", "n", "99999999999999"]]
    assert run("GETEX", "n", "PERSIST")[1] == [["PERSIST", "n"]]
    assert run("GETEX", "n", "PERSIST")[1:] == ([], 0)
    assert run("GETEX", "n")[1:] == ([], 0)
    reply, prop, dirty = run("GETEX", "n", "EXAT", "1")
    assert reply == b"$1\r\n2\r\n" and prop == [["DEL", "n"]] and dirty == 1
    assert "n" not in run.client.db.data
    run("SET", "d", "1")
    assert run("GETDEL", "d")[1] == [["DEL", "d"]]
    assert run("GETDEL", "d")[1:] == ([], 0)
    assert run("INCRBYFLOAT", "f", "1.5")[1] == [["SET", "f", "1.5", "KEEPTTL"]]
    assert run("INCR", "i")[1] == [["INCR", "i"]]
    assert run("MSET", "a", "1", "b", "2", "c", "3")[2] == 3
    assert run("MSETNX", "a", "1")[1:] == ([], 0)
    assert run("SETRANGE", "a", "0", "")[1:] == ([], 0)


def test_lazyfree_variants(run, srv):
    srv.config.values["lazyfree-lazy-user-del"] = True
    srv.config.values["lazyfree-lazy-expire"] = True
    try:
        run("SET", "a", "1")
        assert run("GETDEL", "a")[1] == [["UNLINK", "a"]]
        run("SET", "a", "1")
        assert run("GETEX", "a", "PXAT", "1")[1] == [["UNLINK", "a"]]
    finally:
        srv.config.values["lazyfree-lazy-user-del"] = False
        srv.config.values["lazyfree-lazy-expire"] = False


def test_bit_commands_dirty_only_on_change(run):
    assert run("SETBIT", "b", "3", "1")[2] == 1
    assert run("SETBIT", "b", "3", "1")[1:] == ([], 0)
    assert run("SETBIT", "b", "30", "0")[2] == 1  # grows the string
    assert run("BITFIELD", "f", "SET", "u8", "0", "0")[2] == 1  # creates the key
    assert run("BITFIELD", "f", "SET", "u8", "0", "0", "INCRBY", "u4", "0", "0")[1:] == ([], 0)
    reply, prop, dirty = run("BITFIELD", "g", "OVERFLOW", "FAIL", "SET", "u8", "0", "256")
    assert reply == b"*1\r\n$-1\r\n" and dirty == 0 and run.client.db.data[b"g"] == b"\x00"
    assert run("BITOP", "AND", "d", "nokey")[2] == 0


def test_values_are_bytes_and_ttl_kept(run):
    db = run.client.db
    run("SET", "c", "5", "EX", "100")
    run("INCRBY", "c", "10")
    run("APPEND", "c", "0")
    run("SETRANGE", "c", "0", "2")
    run("SETBIT", "c", "0", "0")
    run("INCRBYFLOAT", "x", "2.5")
    for k in (b"c", b"x"):
        assert type(db.data[k]) is bytes
    assert db.data[b"c"] == b"250" and b"c" in db.expires


def test_wrongtype(run):
    run.client.db.data[b"l"] = RList([b"x"])
    for cmd in [("GET", "l"), ("INCR", "l"), ("APPEND", "l", "x"), ("SETBIT", "l", "0", "1"),
                ("BITFIELD", "l", "SET", "u8", "0", "1"), ("GETDEL", "l"), ("SET", "l", "x", "GET")]:
        assert run(*cmd)[0].startswith(b"-WRONGTYPE")
    assert run("MGET", "l")[0] == b"*1\r\n$-1\r\n"
    assert run("LCS", "l", "x")[0] == b"-ERR The specified keys must contain string values\r\n"


# -- long double -------------------------------------------------------------------

@pytest.mark.parametrize("cur,incr,out", [
    (None, b"10.5", b"10.5"), (b"10.5", b"0.1", b"10.6"), (b"3.0e3", b"0", b"3000"), (b"0.1", b"0.2", b"0.3"),
    (b"1", b"-1", b"0"), (b"-0", b"-0", b"0"), (None, b"-1e-30", b"0"), (None, b"0x1p-1", b"0.5"),
    (None, b"1.5e-10", b"0.00000000015"), (b"5", b"-7.25", b"-2.25"),
    (None, b"0.000003814697265625", b"0.00000381469726562"),  # exact tie: half-even
    (None, b"123456789012345678901234567890", b"123456789012345678899921813504"),
])
def test_ld_incr(cur, incr, out):
    assert ld_incr(cur, incr) == out


@pytest.mark.parametrize("text", [b"", b" 1", b"1 ", b"1e", b"nan", b"-nan(0)", b".", b"0x", b"1e-5000",
                                  b"1e5000", b"1" * 5200, b"1_0", b"0x1p", b"--1", b"1\x002"])
def test_ld_parse_rejects(text):
    assert ld_parse(text) is None


def test_ld_parse_accepts():
    assert ld_parse(b"inf") == "inf" and ld_parse(b"-Infinity") == "-inf"
    assert ld_parse(b"+.5") == Fraction(1, 2) and ld_parse(b"5.") == 5
    assert ld_parse(b"0e99999999999999999999") == 0
    assert ld_parse(b"1e-4940") > 0  # a subnormal is fine
    with pytest.raises(Exception, match="NaN or Infinity"):
        ld_incr(b"1e4932", b"1e4932")
    with pytest.raises(Exception, match="not a valid float"):
        ld_incr(b"abc", b"1")


def test_ld_rounds_to_64_bit_significand():
    # 1 + 2**-64 is not representable: it rounds (half-even) back to 1.
    x = ld_parse(b"1.0000000000000000000542101086242752217003726400434970855712890625")
    assert x == 1
    assert ld_parse(b"0x1.0000000000000002p0") == 1 + Fraction(1, 2 ** 63)
    assert ld_format(Fraction(-1, 10 ** 20)) == b"0"


# -- LCS -------------------------------------------------------------------------------

def _naive(a, b):
    t = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            t[i][j] = t[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1] else max(t[i - 1][j], t[i][j - 1])
    return t


def test_lcs_rows_match_the_dp_table():
    rnd = random.Random(1)
    for _ in range(60):
        a = bytes(rnd.choice(b"abc") for _ in range(rnd.randint(0, 25)))
        b = bytes(rnd.choice(b"abc") for _ in range(rnd.randint(0, 25)))
        rows = lcs_rows(a, b)
        t = _naive(a, b)
        for i in range(len(a) + 1):
            for j in range(len(b) + 1):
                assert j - (rows[i] & ((1 << j) - 1)).bit_count() == t[i][j]


def test_int64_parsing():
    assert t_string.to_int64(b"-9223372036854775808") == -2 ** 63
    for bad in (b"9223372036854775808", b"+1", b"01", b"-0", b" 1", b"1_0", b"", b"\xd9\xa1", b"-", b"1 ",
                b"-9223372036854775809", b"99999999999999999999", b"-01", b"1\x00"):
        assert t_string.to_int64(bad) is None
    assert t_string.to_int64(b"9223372036854775807") == 2 ** 63 - 1
    assert t_string.to_int64(b"0") == 0 and t_string.to_int64(b"-7") == -7


def _string2ll(b: bytes):
    """The definition: int() of the bytes, accepted only if it prints back the same."""
    try:
        n = int(b)
    except ValueError:
        return None
    return n if b"%d" % n == b and -2 ** 63 <= n < 2 ** 63 else None


def test_int64_parsing_against_definition():
    rnd = random.Random(5)
    for _ in range(20000):
        b = bytes(rnd.choice(b"0123456789-+ _") for _ in range(rnd.randint(0, 21)))
        assert t_string.to_int64(b) == _string2ll(b), b
