"""Fault injection, bounded: kill the primary or the replica (SIGKILL) at
random moments of a full synchronization.  The replica must never expose or
persist a half-loaded dataset: it serves either all of its old keys or all
of the primary's, and the file it restarts from is either its old dump or
the complete new one."""

import random
import threading
import time

import pytest
from helpers import ServerProcess
from repl_support import start

NEW = 100000
OLD = 1500
DEBUG = ["--enable-debug-command", "yes"]


def _populate(c, n, prefix):
    c.execute_command("DEBUG", "POPULATE", n, prefix, 10)


class Poller(threading.Thread):
    """DBSIZE over and over: every value seen must be OLD or NEW."""

    def __init__(self, client):
        super().__init__(daemon=True)
        self.c = client
        self.seen = set()
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.seen.add(self.c.dbsize())
            except Exception:  # noqa: BLE001, S110 - the server may be restarting
                pass


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_primary_during_full_sync(seed):
    rnd = random.Random(seed)
    mp = start(DEBUG)
    rp = start(DEBUG)
    try:
        m, r = mp.client(), rp.client()
        _populate(m, NEW, "new")
        _populate(r, OLD, "old")
        poll = Poller(rp.client())
        poll.start()
        r.replicaof("127.0.0.1", mp.port)
        time.sleep(rnd.uniform(0.01, 0.35))
        mp.kill()
        time.sleep(0.3)
        poll.stop.set()
        poll.join()
        assert poll.seen <= {OLD, NEW}, poll.seen
        n = r.dbsize()
        assert n in (OLD, NEW)
        prefix = b"old:" if n == OLD else b"new:"
        assert all(k.startswith(prefix) for k in r.scan_iter(count=5000))
    finally:
        mp.kill()
        rp.kill()


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_kill_replica_during_full_sync(seed):
    rnd = random.Random(seed)
    mp = start(DEBUG)
    rp = start(DEBUG)
    try:
        m, r = mp.client(), rp.client()
        _populate(m, NEW, "new")
        _populate(r, OLD, "old")
        r.save()
        r.replicaof("127.0.0.1", mp.port)
        time.sleep(rnd.uniform(0.01, 0.35))
        rp.kill()
        # Restart it on its own files (no replicaof): what did it keep?
        again = ServerProcess(port=rp.port, dir=rp.dir)
        again.cmd = [a for a in rp.cmd]
        again.start()
        try:
            n = again.client().dbsize()
            assert n in (OLD, NEW)
        finally:
            again.kill()
    finally:
        mp.kill()
        rp.kill()
