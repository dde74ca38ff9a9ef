"""The directive table, redis.conf parsing, command-line forms, CONFIG SET's
all-or-nothing semantics and CONFIG REWRITE's algorithm (no server needed).

Fatal start-up reports are compared byte for byte with a real redis-server
started on the same bad files (skipped when redis-server is not installed).
"""

import os
import re
import shutil
import subprocess

import pytest

from redkeep.cli.server import build_config, get_absolute_path, parse_command_line
from redkeep.config import Config, ConfigError, RewriteState, memtoull, sds_repr, string2ll
from redkeep.config_table import DEFAULT_OBUF, TABLE, notify_flags_from_string, notify_flags_to_string
from redkeep.confparse import ConfigFileError

REDIS_SERVER = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(REDIS_SERVER is None and not os.environ.get("CI"), reason="redis-server not installed")


@pytest.fixture(autouse=True)
def keep_cwd():
    """'dir' directives chdir, as in Redis: put the test process back."""
    cwd = os.getcwd()
    yield
    os.chdir(cwd)


def cfg_from(text: str) -> Config:
    c = Config(TABLE)
    c.load_text(text)
    return c


def load_error(text: str) -> ConfigFileError:
    with pytest.raises(ConfigFileError) as ei:
        cfg_from(text)
    return ei.value


# -- value notations ------------------------------------------------------------------

@pytest.mark.parametrize("s,v", [("0", 0), ("1", 1), ("-1", -1), ("9223372036854775807", 2 ** 63 - 1),
                                 ("+1", None), (" 1", None), ("01", None), ("-0", None), ("", None),
                                 ("9223372036854775808", None), ("1.0", None)])
def test_string2ll(s, v):
    assert string2ll(s) == v


@pytest.mark.parametrize("s,v", [("1", 1), ("1k", 1000), ("1kb", 1024), ("1KB", 1024), ("2mb", 2 * 1024 ** 2),
                                 ("1g", 10 ** 9), ("3GB", 3 * 1024 ** 3), ("5b", 5), ("", 0), ("kb", 0),
                                 ("-1", None), ("1xb", None), ("1.5gb", None), (" 1", None),
                                 ("18446744073709551616", 2 ** 64 - 1)])
def test_memtoull(s, v):
    assert memtoull(s) == v


def test_sds_repr_round_trips_through_split_args():
    from redkeep.resp import split_args
    for s in ["plain", "with space", 'q"uote', "back\\slash", "nl\nx", "tab\tcr\r", "\x01\x7f", "é"]:
        assert split_args(("x " + sds_repr(s)).encode("utf-8", "surrogateescape"))[1] == s.encode()


def test_notify_flags():
    assert notify_flags_to_string(notify_flags_from_string("KEA")) == "AKE"
    assert notify_flags_to_string(notify_flags_from_string("Kgx$")) == "g$xK"
    assert notify_flags_from_string("Q") == -1
    assert notify_flags_to_string(notify_flags_from_string("Em")) == "Em"


# -- the table -------------------------------------------------------------------------

def test_table_names_unique_and_existing_names_kept():
    c = Config(TABLE)
    assert len(c.by_name) == sum(1 + len(d.aliases) for d in TABLE)
    for name in ["port", "bind", "protected-mode", "requirepass", "databases", "hz", "timeout", "tcp-keepalive",
                 "tcp-backlog", "maxclients", "loglevel", "logfile", "daemonize", "pidfile", "dir", "dbfilename",
                 "save", "proto-max-bulk-len", "client-query-buffer-limit", "slowlog-log-slower-than",
                 "slowlog-max-len", "latency-monitor-threshold", "hash-max-listpack-entries",
                 "hash-max-listpack-value", "set-max-intset-entries", "zset-max-listpack-entries",
                 "zset-max-listpack-value", "list-max-listpack-size", "list-compress-depth",
                 "lazyfree-lazy-expire", "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush",
                 "replica-read-only", "appendonly", "unixsocket", "client-output-buffer-limit"]:
        assert name in c.values, name


def test_parsed_defaults():
    c = Config(TABLE)
    assert c["port"] == 6379 and c["databases"] == 16 and c["protected-mode"] is True
    assert c["save"] == [(3600, 1), (300, 100), (60, 10000)]
    assert c["bind"] == ["127.0.0.1", "-::1"]  # safe by default (see config_table.DEFAULT_BIND)
    assert c["client-output-buffer-limit"] == DEFAULT_OBUF
    assert c["client-output-buffer-limit"]["replica"] == (256 * 1024 * 1024, 64 * 1024 * 1024, 60)
    assert c["proto-max-bulk-len"] == 512 * 1024 * 1024
    assert c["replicaof"] is None and c["requirepass"] == "" and c["loglevel"] == "notice"
    assert c.format("client-output-buffer-limit") == \
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"


@needs_redis
def test_defaults_match_real_redis_config_get():
    """Every CONFIG GET * default equals what a fresh redis-server answers."""
    import redis
    from helpers import ServerProcess
    with ServerProcess(real=True) as srv:
        cli = srv.client()
        real = cli.config_get("*")
        cli.close()
    c = Config(TABLE)
    ours = {n: c.format(n) for n, d in c.by_name.items() if not d.hidden}
    assert set(ours) == set(real)
    skip = {"port", "bind", "dir", "logfile", "save"}  # set by ServerProcess's command line
    assert {k: v for k, v in ours.items() if k not in skip} == {k: v for k, v in real.items() if k not in skip}
    del redis


# -- parsing ---------------------------------------------------------------------------

def test_comments_blank_lines_case_and_later_wins():
    c = cfg_from("# comment\n\n   \t\nPORT 7000\n  port 7001  \r\n#port 1\nHz 20\n")
    assert c["port"] == 7001 and c["hz"] == 20
    assert "port" in c.seen


def test_quoting():
    c = cfg_from('requirepass "a b\\x41\\n"\nmasterauth \'it\\\'s\'\nlogfile ""\n')
    assert c["requirepass"] == "a bA\n"
    assert c["masterauth"] == "it's"
    assert c["logfile"] == ""


def test_aliases_store_under_primary_name():
    c = cfg_from("slave-read-only no\nhash-max-ziplist-entries 100\nslaveof 10.0.0.1 6380\n")
    assert c["replica-read-only"] is False
    assert c["hash-max-listpack-entries"] == 100
    assert c["replicaof"] == ("10.0.0.1", 6380)
    assert c.format("slaveof") == "10.0.0.1 6380"
    assert cfg_from("replicaof no one")["replicaof"] is None


def test_save_lines_add_up_and_empty_resets():
    assert cfg_from("save 900 1\nsave 300 10\n")["save"] == [(900, 1), (300, 10)]
    assert cfg_from('save 900 1\nsave ""\n')["save"] == []
    assert cfg_from('save ""\nsave 900 1\n')["save"] == [(900, 1)]
    assert cfg_from('save "900 1 300 10"\n')["save"] == [(900, 1), (300, 10)]
    assert cfg_from("")["save"] == [(3600, 1), (300, 100), (60, 10000)]


def test_multi_arg_one_word_is_split():
    c = cfg_from('bind "127.0.0.1 ::1"\nclient-output-buffer-limit "pubsub 64mb 16mb 90"\n')
    assert c["bind"] == ["127.0.0.1", "::1"]
    assert c["client-output-buffer-limit"]["pubsub"] == (64 * 1024 ** 2, 16 * 1024 ** 2, 90)
    assert c["client-output-buffer-limit"]["normal"] == (0, 0, 0)


def test_client_output_buffer_limit_slave_alias():
    c = cfg_from("client-output-buffer-limit slave 1mb 2mb 3\n")
    assert c["client-output-buffer-limit"]["replica"] == (1024 ** 2, 2 * 1024 ** 2, 3)
    assert c.format("client-output-buffer-limit").split()[4:8] == ["slave", "1048576", "2097152", "3"]


def test_enums_and_flags():
    c = cfg_from("loglevel WARNING\noom-score-adj relative\nshutdown-on-sigint force now\n"
                 "notify-keyspace-events KEA\nmaxmemory-policy allkeys-LRU\n")
    assert c["loglevel"] == "warning"
    assert c["oom-score-adj"] == "yes"  # 'relative' is 'yes' under another name
    assert c["shutdown-on-sigint"] == "now force"
    assert c.format("notify-keyspace-events") == "AKE"
    assert c["maxmemory-policy"] == "allkeys-lru"


def test_numbers():
    c = cfg_from("maxmemory 1gb\nhz 0\nunixsocketperm 700\nmaxmemory-clients 5%\nslowlog-log-slower-than -1\n")
    assert c["maxmemory"] == 1024 ** 3
    assert c["hz"] == 1  # clamped, like Redis
    assert c["unixsocketperm"] == 0o700 and c.format("unixsocketperm") == "700"
    assert c["maxmemory-clients"] == -5 and c.format("maxmemory-clients") == "5%"
    assert c["slowlog-log-slower-than"] == -1
    assert cfg_from("hz 100000")["hz"] == 500


def test_deprecated_and_module_and_loadmodule_lines():
    c = cfg_from("list-max-ziplist-entries 5\nlua-replicate-commands yes\nloadmodule /x.so a b\nmymod.opt 1 2\n")
    assert c.loadmodules == [["/x.so", "a", "b"]]
    assert c.module_configs == {"mymod.opt": "1 2"}


def test_rename_command_and_user_lines():
    c = cfg_from('rename-command KEYS ""\nrename-command get mget2\nuser alice on >pw ~* +@all\n')
    assert c.renames == [("KEYS", ""), ("get", "mget2")]
    assert c.users == [["alice", "on", ">pw", "~*", "+@all"]]


def test_include_relative_nested_and_glob(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("hz 30\n")
    (tmp_path / "conf.d" / "b.conf").write_text("include inner.conf\n")
    (tmp_path / "inner.conf").write_text("port 7777\ntimeout 5\n")
    os.chdir(tmp_path)
    c = cfg_from("timeout 1\ninclude conf.d/*.conf\nport 1234\n")
    assert c["hz"] == 30 and c["timeout"] == 5 and c["port"] == 1234
    c = cfg_from("include /nonexistent-dir/*.conf\n")  # a glob matching nothing is fine
    assert c["port"] == 6379


def test_include_error_reports_included_file_line(tmp_path):
    (tmp_path / "inc.conf").write_text("# one\nhz 10\nbogus 1\n")
    e = load_error("port 1\ninclude %s\n" % (tmp_path / "inc.conf"))
    assert (e.lineno, e.line, e.reason) == (3, "bogus 1", "Bad directive or wrong number of arguments")


def test_dir_changes_directory_and_include_follows(tmp_path):
    (tmp_path / "x.conf").write_text("hz 42\n")
    c = cfg_from("dir %s\ninclude x.conf\n" % tmp_path)
    assert os.getcwd() == str(tmp_path) and c["dir"] == str(tmp_path) and c["hz"] == 42


@pytest.mark.parametrize("text,lineno,reason", [
    ("port 7000\nfoo bar", 2, "Bad directive or wrong number of arguments"),
    ("port abc", 1, "argument couldn't be parsed into an integer"),
    ("port 70000", 1, "argument must be between 0 and 65535 inclusive"),
    ("port 1 2", 1, "wrong number of arguments"),
    ("daemonize maybe", 1, "argument must be 'yes' or 'no'"),
    ("save 900", 1, "Invalid save parameters"),
    ("loglevel nothing", 1, "argument(s) must be one of the following: debug, verbose, notice, warning"),
    ("maxmemory -1", 1, "argument must be a memory value"),
    ('port "6379', 1, "Unbalanced quotes in configuration line"),
    ("sentinel monitor a b c", 1, "sentinel directive while not in sentinel mode"),
    ("rename-command FOO BAR", 1, "No such command in rename-command"),
    ("rename-command get set", 1, "Target command name already exists"),
    ("user alice on\nuser alice on", 2,
     "Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files"),
    ("foo.bar", 1, "Module config specified without value"),
])
def test_load_errors(text, lineno, reason):
    e = load_error(text)
    assert (e.lineno, e.reason) == (lineno, reason)


# -- fatal reports, byte for byte with redis-server -------------------------------------

BAD_FILES = [
    "port 7000\nfoo bar\n", "port abc\n", "\n\n  port 70000\r\n", "port 1 2\n", "daemonize maybe\n",
    "save 900\n", "save 0 1\n", "save abc 1\n", "loglevel nothing\n", "maxmemory 1xb\n", "maxmemory -1\n",
    "unixsocketperm 999\n", "hz -1\n", "client-output-buffer-limit foo 1 2 3\n",
    "client-output-buffer-limit normal 1 2\n", "client-output-buffer-limit normal 1 2 x\n",
    "notify-keyspace-events Q\n", "oom-score-adj-values 1 2\n", "oom-score-adj-values 1 2 5000\n",
    "replicaof host\n", "replicaof host 99999\n", 'port "6379\n', 'port "6379"x\n', "sentinel monitor a b c\n",
    "rename-command FOO BAR\n", "rename-command get\n", "rename-command get set\n", "user\n",
    "user alice on badrule\n", "user alice on\nuser alice on\n", "loadmodule\n", "foo.bar\n",
    "dir /nonexistent-dir-xyz\n", "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
    "shutdown-on-sigint save nosave\n", "shutdown-on-sigint bogus\n", "dbfilename a/b\n", 'appendfilename ""\n',
    "appenddirname a/b\n", "latency-tracking-info-percentiles 101\n", "latency-tracking-info-percentiles abc\n",
    "maxmemory-clients 101%\n", "logfile /nonexistent-dir-xyz/x.log\n", "replicaof a 1\ncluster-enabled yes\n",
    'proc-title-template "{foo}"\n', 'cluster-announce-hostname "a b"\n', "activedefrag yes\n",
    "maxmemory-policy bogus\n", "list-max-ziplist-entries 1 2\n", '""\n', "hz 10 # comment\n",
    "save 900 1 300\n", "port 6379 \\\n", "requirepass 'a'b\n",
]

BAD_ARGS = [
    (["--port", "abc"]),
    (["--save", "--port", "abc"]),
    (["--foo", "bar"]),
    (["bar"]),
    (["--port", "1", "2"]),
    (["--maxmemory", "1", "--port", "x y"]),
    (["--bind", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"]),
    (["--loglevel", "nothing"]),
    (["--port 1234 5"]),
]


def _real_stderr(path, args):
    p = subprocess.run([REDIS_SERVER, path, *args], capture_output=True, timeout=10, cwd=os.path.dirname(path))
    assert p.returncode == 1, p.stdout
    return p.stderr


def _our_stderr(path, args, capfdbinary):
    os.chdir(os.path.dirname(path))
    with pytest.raises(SystemExit) as ei:
        build_config([path, *args])
    assert ei.value.code == 1
    return capfdbinary.readouterr().err


@needs_redis
@pytest.mark.parametrize("text", BAD_FILES)
def test_fatal_report_matches_redis(text, tmp_path, capfdbinary):
    path = str(tmp_path / "t.conf")
    with open(path, "w") as f:
        f.write(text)
    assert _our_stderr(path, [], capfdbinary) == _real_stderr(path, [])


@needs_redis
@pytest.mark.parametrize("args", BAD_ARGS)
def test_fatal_report_for_command_line_matches_redis(args, tmp_path, capfdbinary):
    path = str(tmp_path / "t.conf")
    with open(path, "w") as f:
        f.write("# first\nhz 10\n")
    assert _our_stderr(path, args, capfdbinary) == _real_stderr(path, args)


@needs_redis
def test_include_error_matches_redis(tmp_path, capfdbinary):
    (tmp_path / "inc.conf").write_text("# x\n\nbogus yes\n")
    path = str(tmp_path / "t.conf")
    with open(path, "w") as f:
        f.write("hz 10\ninclude inc.conf\n")
    assert _our_stderr(path, [], capfdbinary) == _real_stderr(path, [])


_LOG_PREFIX = re.compile(rb"^\d+:C \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} ")


@needs_redis
@pytest.mark.parametrize("which", ["missing", "include-missing"])
def test_cannot_open_config_matches_redis(which, tmp_path, capfdbinary):
    if which == "missing":
        path = str(tmp_path / "nope.conf")
    else:
        path = str(tmp_path / "t.conf")
        with open(path, "w") as f:
            f.write("include /nonexistent-xyz.conf\n")
    real = subprocess.run([REDIS_SERVER, path], capture_output=True, timeout=10, cwd=str(tmp_path))
    with pytest.raises(SystemExit):
        os.chdir(tmp_path)
        build_config([path])
    ours = capfdbinary.readouterr().out
    assert _LOG_PREFIX.sub(b"", ours) == _LOG_PREFIX.sub(b"", real.stdout)


# -- command line -------------------------------------------------------------------------

@pytest.mark.parametrize("argv,expected", [
    (["--port", "6380"], (None, 'port "6380" ', False)),
    (["/x.conf", "--port", "6380", "--save", ""], ("/x.conf", 'port "6380" \nsave "" ', False)),
    (["--save"], (None, 'save ""', False)),
    (["--save", "--port", "1"], (None, 'save ""\nport "1" ', False)),
    (["--save", "900", "1", "--loglevel", "verbose", "-"], (None, 'save "900" "1" \nloglevel "verbose" ', True)),
    (["-", "--port", "1"], (None, 'port "1" ', True)),
    (["--port 1"], (None, "port 1 ", False)),
    (["--replicaof", "127.0.0.1", "8888"], (None, 'replicaof "127.0.0.1" "8888" ', False)),
    (["--requirepass", 'a "b'], (None, 'requirepass "a \\"b" ', False)),
])
def test_command_line_to_options(argv, expected):
    assert parse_command_line(argv)[:3] == expected


def test_command_line_overrides_file(tmp_path):
    path = tmp_path / "r.conf"
    path.write_text("port 7000\nsave 900 1\nhz 20\n")
    cfg, _ = build_config([str(path), "--port", "7001", "--save", "--hz", "30", "--dir", str(tmp_path)])
    assert (cfg["port"], cfg["save"], cfg["hz"]) == (7001, [], 30)
    assert cfg.config_file == str(path)


def test_absolute_path():
    cwd = os.getcwd()
    assert get_absolute_path("/a/b.conf") == "/a/b.conf"
    assert get_absolute_path("b.conf") == os.path.join(cwd, "b.conf")
    assert get_absolute_path("../b.conf") == os.path.join(os.path.dirname(cwd), "b.conf")


# -- CONFIG SET (set_many) -----------------------------------------------------------------

def set_error(c, *pairs, **kw):
    with pytest.raises(ConfigError) as ei:
        c.set_many(list(pairs), **kw)
    return str(ei.value)


def test_set_many_errors():
    c = Config(TABLE)
    assert set_error(c, ("foo", "bar")) == "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    assert set_error(c, ("port", "abc")) == \
        "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"
    assert set_error(c, ("PORT", "1"), ("port", "2")) == \
        "ERR CONFIG SET failed (possibly related to argument 'port') - duplicate parameter"
    assert set_error(c, ("DAEMONIZE", "no")) == \
        "ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config"
    assert set_error(c, ("daemonize", "no"), ("Foo", "1")) == \
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
    assert set_error(c, ("SLAVE-READ-ONLY", "x")) == \
        "ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'"
    assert set_error(c, ("dir", "/tmp")) == \
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
    assert set_error(c, ("appendonly", "yes"), loading=True) == "LOADING Redis is loading the dataset in memory"


def test_set_many_is_all_or_nothing():
    c = Config(TABLE)
    set_error(c, ("hz", "20"), ("maxmemory", "1mb"), ("maxmemory-policy", "bogus"))
    assert (c["hz"], c["maxmemory"], c["maxmemory-policy"]) == (10, 0, "noeviction")
    c.set_many([("hz", "20"), ("maxmemory", "1mb"), ("save", "10 1 20 2")])
    assert (c["hz"], c["maxmemory"], c["save"]) == (20, 1024 ** 2, [(10, 1), (20, 2)])


def test_set_many_multi_word_values_split_on_single_spaces():
    c = Config(TABLE)
    c.set_many([("save", "")])
    assert c["save"] == []
    assert "Invalid save parameters" in set_error(c, ("save", "900  1"))
    c.set_many([("client-output-buffer-limit", "")])
    assert c["client-output-buffer-limit"] == DEFAULT_OBUF


def test_hooks_run_on_change_and_can_refuse():
    c = Config(TABLE)
    calls = []
    c.hooks["hz"] = lambda old, new: calls.append((old, new))

    def refuse(old, new):
        raise ConfigError("Unable to listen on this port. Check server logs.")
    c.hooks["port"] = refuse
    c.set_many([("hz", "10")])
    assert calls == []  # unchanged value: no hook
    c.set_many([("hz", "11")])
    assert calls == [(10, 11)]
    assert set_error(c, ("hz", "12"), ("port", "1")) == ("ERR CONFIG SET failed (possibly related to argument "
                                                         "'port') - Unable to listen on this port. Check server logs.")
    assert (c["hz"], c["port"]) == (11, 6379)
    assert calls[-1] == (12, 11)  # the applied hook saw the roll-back


def test_set_dir_with_protected_configs_allowed(tmp_path):
    c = cfg_from("enable-protected-configs yes")
    c.set_many([("dir", str(tmp_path))])
    assert os.getcwd() == str(tmp_path) and c.format("dir") == str(tmp_path)
    assert set_error(c, ("dir", str(tmp_path / "nope"))) == \
        "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"
    assert os.getcwd() == str(tmp_path)


def test_config_get_matching():
    c = Config(TABLE)
    assert c.match("PORT") == [("PORT", c.by_name["port"])]
    assert c.match("p\\ort") == []
    assert [n for n, _ in c.match("*max-*-entries")] == [
        "hash-max-listpack-entries", "hash-max-ziplist-entries", "set-max-intset-entries",
        "zset-max-listpack-entries", "zset-max-ziplist-entries"]
    assert c.match("use-exit-*") == [] and c.match("use-exit-on-panic")
    assert c.match("por[") == []


# -- CONFIG REWRITE --------------------------------------------------------------------------

def rewrite(c: Config, old: str, tmp_path) -> str:
    p = tmp_path / "r.conf"
    p.write_text(old)
    c.rewrite(str(p))
    return p.read_text()


def test_rewrite_keeps_comments_order_and_rewrites_in_place(tmp_path):
    old = ("# my config\nport 7000\n\n\n\nsave 900 1\nsave 300 10\n# a comment\nhash-max-ziplist-entries 100\n"
           "maxmemory 10mb\nrename-command KEYS \"\"\nlist-max-ziplist-entries 5\nfoobar yes\n"
           "loglevel notice\ninclude /dev/null\n")
    c = cfg_from("port 7000\nsave 900 1\nsave 300 10\nmaxmemory 10mb\n")
    os.chdir(tmp_path)
    c.set_many([("maxmemory", "0"), ("hz", "20"), ("hash-max-listpack-entries", "512"), ("bind", "127.0.0.1")])
    out = rewrite(c, old, tmp_path)
    assert out == ("# my config\nport 7000\n\nsave 900 1\nsave 300 10\n# a comment\n"
                   "hash-max-listpack-entries 512\nmaxmemory 0\nrename-command KEYS \"\"\n"
                   "# ??? list-max-ziplist-entries 5\n# ??? foobar yes\nloglevel notice\ninclude /dev/null\n\n"
                   "# Generated by CONFIG REWRITE\n"
                   "hz 20\ndir \"%s\"\nbind 127.0.0.1\nlatency-tracking-info-percentiles 50 99 99.9\n"
                   "user default on nopass ~* &* +@all\n" % tmp_path)
    # Later rewrites add no second signature; like Redis, the file's final
    # newline becomes one blank line, then it is stable.
    c.rewrite(str(tmp_path / "r.conf"))
    assert (tmp_path / "r.conf").read_text() == out + "\n"
    c.rewrite(str(tmp_path / "r.conf"))
    assert (tmp_path / "r.conf").read_text() == out + "\n"


def test_rewrite_removes_orphans_and_defaults_lines(tmp_path):
    c = cfg_from("save 1 1\nsave 2 2\nslaveof 1.2.3.4 5\n")
    c.set_many([("save", "10 1")])
    c.values["replicaof"] = None
    out = rewrite(c, "save 1 1\nsave 2 2\nslaveof 1.2.3.4 5\nbind 127.0.0.1\nbind 10.0.0.1\n", tmp_path)
    lines = out.split("\n")
    assert lines[:2] == ["save 10 1", ""]  # the second save, slaveof and both default binds: blanked
    assert "slaveof" not in out and "bind" not in out


def test_rewrite_specials(tmp_path):
    c = Config(TABLE)
    c.set_many([("client-output-buffer-limit", "pubsub 64mb 16mb 90"), ("notify-keyspace-events", "KEA"),
                ("requirepass", "foo"), ("oom-score-adj-values", "0 100 800"), ("maxmemory-clients", "10%"),
                ("latency-tracking-info-percentiles", "50 99.5")])
    c.values["replicaof"] = ("10.0.0.1", 6380)
    out = rewrite(c, "", tmp_path)
    body = out.split("\n")
    assert body[0] == "# Generated by CONFIG REWRITE"
    for line in ["client-output-buffer-limit pubsub 64mb 16mb 90", 'notify-keyspace-events "AKE"',
                 'requirepass "foo"', "oom-score-adj-values 0 100 800", "maxmemory-clients 10%",
                 "latency-tracking-info-percentiles 50 99.5", "replicaof 10.0.0.1 6380", 'save ""'[:0] + "save 3600 1",
                 "user default on #2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae ~* &* +@all"]:
        assert line in body, line
    assert not any(b.startswith("client-output-buffer-limit normal") for b in body)


def test_rewrite_state_collapses_blank_runs():
    s = RewriteState()
    s.lines = ["a", "", "", "", "b", ""]
    assert s.content() == "a\n\nb\n\n"
