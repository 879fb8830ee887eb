"""A real Redis Cluster on loopback for the integration tests.

`RedisCluster(directory)` starts `masters * (1 + replicas)` redis-server
processes (cluster-enabled, cluster-node-timeout 1000 ms so a failover
takes a few seconds, no persistence), each with its own directory under
`directory`, on free ports whose cluster-bus ports (port + 10000) are free
too; joins them with `redis-cli --cluster create ... --cluster-replicas N
--cluster-yes`; and waits until every node says cluster_state:ok, agrees on
the masters, and every replica's link to its master is up. `close()` stops
every process it started (SIGKILL: nothing is kept), even after a failure.

Helpers read the cluster as Redis sees it (CLUSTER SLOTS, CLUSTER NODES),
talk to one node directly (no redirection followed), kill / pause a node,
and move a slot between masters step by step (SETSLOT IMPORTING /
MIGRATING, MIGRATE, SETSLOT NODE), so a test can place itself between the
steps.
"""

import os
import random
import signal
import socket
import subprocess
import time

import redis

from harness import check, wait_for

NODE_TIMEOUT_MS = 1000


def _port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_ports(n):
    """n ports in 20000..29999 whose port + 10000 (cluster bus) is free too."""
    ports = []
    while len(ports) < n:
        p = random.randrange(20000, 30000)
        if p not in ports and _port_free(p) and _port_free(p + 10000):
            ports.append(p)
    return ports


class RedisCluster:
    def __init__(self, directory, masters=3, replicas=1):
        self.dir = directory
        self.ports = _pick_ports(masters * (1 + replicas))
        self.procs = {}
        self.replicas = replicas
        try:
            for p in self.ports:
                self.start_node(p)
            for p in self.ports:
                wait_for(lambda p=p: self._pings(p), 10, "redis-server on port %d" % p)
            cmd = ["redis-cli", "--cluster", "create"]
            cmd += ["127.0.0.1:%d" % p for p in self.ports]
            cmd += ["--cluster-replicas", str(replicas), "--cluster-yes"]
            res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 timeout=60, text=True)
            check(res.returncode == 0, "redis-cli --cluster create failed:\n" + res.stdout)
            self.wait_healthy(masters)
        except BaseException:
            self.close()
            raise

    def start_node(self, port):
        d = os.path.join(self.dir, "node-%d" % port)
        os.makedirs(d, exist_ok=True)
        self.procs[port] = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
             "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
             "--cluster-node-timeout", str(NODE_TIMEOUT_MS), "--dir", d, "--save", "",
             "--appendonly", "no", "--logfile", os.path.join(d, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _pings(self, port):
        try:
            return self.client(port).ping()
        except redis.RedisError:
            return False

    def client(self, port):
        """A connection to that node alone (redirections are not followed)."""
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5,
                           decode_responses=True)

    def alive(self):
        return [p for p, pr in self.procs.items() if pr.poll() is None]

    def wait_healthy(self, masters, timeout=30):
        def healthy():
            seen = None
            for p in self.alive():
                try:
                    c = self.client(p)
                    if "cluster_state:ok" not in c.execute_command("CLUSTER", "INFO"):
                        return False
                    slots = self.slot_masters(p)
                    if len(set(slots.values())) != masters:
                        return False
                    if seen is not None and slots != seen:
                        return False
                    seen = slots
                    info = c.info("replication")
                    if info["role"] == "slave" and info.get("master_link_status") != "up":
                        return False
                except redis.RedisError:
                    return False
            return True
        wait_for(healthy, timeout, "a healthy cluster of %d masters" % masters, interval=0.1)

    def slot_masters(self, port=None):
        """{(start, end): master port} from CLUSTER SLOTS asked of port."""
        port = port or self.alive()[0]
        out = {}
        for start, end, master, *rest in self.client(port).execute_command("CLUSTER", "SLOTS"):
            out[(int(start), int(end))] = int(master[1])
        return out

    def master_of(self, slot, port=None):
        for (start, end), m in self.slot_masters(port).items():
            if start <= slot <= end:
                return m
        return None

    def replica_of(self, master_port):
        """The port of a replica of the master on master_port."""
        for line in self.client(master_port).execute_command("CLUSTER", "REPLICAS",
                                                             self.node_id(master_port)):
            return int(line.split()[1].split("@")[0].rsplit(":", 1)[1])
        return None

    def node_id(self, port):
        return self.client(port).execute_command("CLUSTER", "MYID")

    def masters(self):
        return sorted(set(self.slot_masters().values()))

    def keyslot(self, key):
        return int(self.client(self.alive()[0]).execute_command("CLUSTER", "KEYSLOT", key))

    def kill(self, port):
        self.procs[port].send_signal(signal.SIGKILL)
        self.procs[port].wait()

    def pause(self, port):
        self.procs[port].send_signal(signal.SIGSTOP)

    def resume(self, port):
        self.procs[port].send_signal(signal.SIGCONT)

    # --- moving one slot, step by step -------------------------------------
    def migrate_begin(self, slot, src, dst):
        self.client(dst).execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING",
                                         self.node_id(src))
        self.client(src).execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING",
                                         self.node_id(dst))

    def migrate_keys(self, slot, src, dst):
        c = self.client(src)
        keys = c.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1000)
        if keys:
            c.execute_command("MIGRATE", "127.0.0.1", dst, "", 0, 5000, "KEYS", *keys)
        return keys

    def migrate_end(self, slot, dst):
        dst_id = self.node_id(dst)
        # The new owner first, then the others (the order redis-cli uses).
        self.client(dst).execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)
        for p in self.masters():
            if p != dst:
                self.client(p).execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)

    def close(self):
        for pr in self.procs.values():
            if pr.poll() is None:
                try:
                    pr.send_signal(signal.SIGCONT)
                    pr.kill()
                except OSError:
                    pass
                pr.wait()
        self.procs = {}
