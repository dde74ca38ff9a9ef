"""Three real Redis Sentinels (7.0) watching a redkeep primary and replica:
discovery through INFO and the hello channel, SDOWN -> ODOWN -> election ->
promotion when the primary dies, +switch-master published, redis-py's
Sentinel client following the new primary, and the old primary turned into
a replica of it when it comes back."""

import os
import shutil
import subprocess
import tempfile

import pytest
import redis
from helpers import ServerProcess, free_port, wait_for
from redis.sentinel import Sentinel

SENTINEL = shutil.which("redis-sentinel")
pytestmark = [pytest.mark.interop,
              pytest.mark.skipif(SENTINEL is None and not os.environ.get("CI"), reason="no redis-sentinel")]


class Sentinels:
    def __init__(self, master_port: int, n: int = 3):
        self.base = tempfile.mkdtemp(prefix="rk-sentinel-")
        self.procs = []
        self.ports = []
        for i in range(n):
            port = free_port()
            d = os.path.join(self.base, "s%d" % i)
            os.makedirs(d)
            conf = os.path.join(d, "sentinel.conf")
            with open(conf, "w") as f:
                f.write(f"port {port}\nbind 127.0.0.1\ndir {d}\nlogfile {d}/sentinel.log\n"
                        f"sentinel monitor mymaster 127.0.0.1 {master_port} 2\n"
                        # 3 s, not 1: on a loaded 2-core CI machine (two test workers) a
                        # just-promoted primary once missed 1 s of PINGs, and the sentinels
                        # failed over again, back to the restarted (empty) old primary.
                        "sentinel down-after-milliseconds mymaster 3000\n"
                        "sentinel failover-timeout mymaster 6000\n")
            self.procs.append(subprocess.Popen([SENTINEL, conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            self.ports.append(port)
        self.clients = [redis.Redis(port=p, decode_responses=True, socket_timeout=5) for p in self.ports]
        wait_for(lambda: all(c.ping() for c in self.clients), 15, what="sentinels up")

    def logs(self) -> str:
        out = []
        for i in range(len(self.procs)):
            try:
                with open(os.path.join(self.base, "s%d" % i, "sentinel.log")) as f:
                    out.append(f.read()[-4000:])
            except OSError:
                pass
        return "\n----\n".join(out)

    def close(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.base, ignore_errors=True)


def _master_port(s) -> int:
    return int(s.sentinel_get_master_addr_by_name("mymaster")[1])


def test_sentinel_failover_and_rejoin():
    master = ServerProcess().start()
    replica = ServerProcess(["--replicaof", "127.0.0.1", str(master.port)]).start()
    sentinels = None
    events = None
    try:
        master.client().set("before", "1")
        wait_for(lambda: replica.client().get("before") == b"1", 30, what="initial sync")
        sentinels = Sentinels(master.port)
        s0 = sentinels.clients[0]
        # Discovery: each sentinel finds the replica in the primary's INFO
        # and the other sentinels on the primary's __sentinel__:hello channel.
        wait_for(lambda: all(len(c.sentinel_slaves("mymaster")) == 1 for c in sentinels.clients), 30,
                 what="replica discovered")
        wait_for(lambda: all(len(c.sentinel_sentinels("mymaster")) == 2 for c in sentinels.clients), 30,
                 what="sentinels discovered")
        info = s0.sentinel_slaves("mymaster")[0]
        assert info["port"] == replica.port and info["master-link-status"] == "ok"

        client = Sentinel([("127.0.0.1", p) for p in sentinels.ports], socket_timeout=5)
        assert client.discover_master("mymaster") == ("127.0.0.1", master.port)
        assert client.discover_slaves("mymaster") == [("127.0.0.1", replica.port)]
        primary = client.master_for("mymaster", socket_timeout=5)
        primary.set("via-sentinel", "a")

        events = redis.Redis(port=sentinels.ports[1], decode_responses=True).pubsub()
        events.subscribe("+switch-master")
        wait_for(lambda: events.get_message(timeout=0.1) is not None, 30, what="subscribed")

        master.kill()  # SIGKILL: the primary dies
        wait_for(lambda: all(_master_port(c) == replica.port for c in sentinels.clients), 60, what="failover")
        assert replica.client().execute_command("ROLE")[0] == b"master"
        msg = wait_for(lambda: events.get_message(timeout=0.5), 30, what="+switch-master")
        assert msg["data"] == f"mymaster 127.0.0.1 {master.port} 127.0.0.1 {replica.port}"

        def write_through_sentinel():
            try:
                return primary.set("after", "2")
            except (redis.ConnectionError, redis.ReadOnlyError, redis.TimeoutError):
                return False
        wait_for(write_through_sentinel, 30, what="client follows the new primary")
        assert replica.client().get("via-sentinel") == b"a"

        # The old primary comes back (no persistence: empty) and is turned
        # into a replica of the new one, which then gives it the data.
        master.start()
        old = master.client()
        wait_for(lambda: old.execute_command("ROLE")[0] == b"slave", 60, what="old primary demoted")
        assert old.execute_command("ROLE")[1:3] == [b"127.0.0.1", replica.port]
        wait_for(lambda: old.get("after") == b"2" and old.get("before") == b"1", 30, what="old primary synced")
    except BaseException:
        if sentinels is not None:
            print(sentinels.logs())
        raise
    finally:
        if events is not None:
            events.close()
        if sentinels is not None:
            sentinels.close()
        master.kill()
        replica.kill()
