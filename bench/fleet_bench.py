"""The fleet rows of scripts/bench: a 3-server nats-server cluster with JetStream in a hub
network namespace, a manager and 5 agents (rampartd each in its own namespace, joined to the
hub by veth pairs with 192.0.2.0/24 addresses that exist only there).

- fan-out latency: an alert written to the manager's socket until its element is in the kernel
  of all 5 agents (`nft monitor` in each agent's namespace sees the element arrive), p50/p99,
  idle and while 1,000 other alerts/s go to every node;
- sustained orders/s: N alerts for every node as fast as the socket takes them, until all 5
  agents have applied all N (their fleet_applied counters).

Addresses are 2001:db8::/32, set data only. Used by bench/run.py.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

AGENTS = 5
CONFIG = """<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>
  {bindings}
  <rampart><socket>{dir}/alerts.sock</socket><state_directory>{dir}/state</state_directory>
    <max_blocks>2000000</max_blocks>
    <node><name>{name}</name><agent_id>{agent}</agent_id><server>{server}</server></node>
    <fleet><servers>{servers}</servers><retention>3600</retention></fleet></rampart>
</ossec_config>
"""
BINDING = """<active-response><command>firewall-drop</command><location>all</location>
    <level>3</level><timeout>3600</timeout></active-response>"""


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def alert(ip):
    return ('{"rule":{"level":10,"id":"5712","groups":["sshd"],"description":"bench"},'
            '"agent":{"id":"000","name":"m"},"id":"1","data":{"srcip":"%s"}}\n' % ip)


class Fleet:
    def __init__(self, build, work):
        self.build, self.work = build, os.path.join(work, "fleet")
        os.makedirs(self.work, exist_ok=True)
        tag = str(os.getpid())
        self.hub = "rfb-hub-" + tag
        self.nodes = ["rfb-%s-%d" % (tag, i) for i in range(AGENTS + 1)]
        self.procs, self.monitors = [], []
        sh("ip netns add %s && ip -n %s link set lo up" % (self.hub, self.hub))
        for i, ns in enumerate(self.nodes):
            sh("ip netns add %s && ip -n %s link set lo up" % (ns, ns))
            sh("ip link add vb%d netns %s type veth peer name veth0 netns %s" % (i, self.hub, ns))
            sh("ip -n %s addr add 192.0.2.%d/30 dev vb%d && ip -n %s link set vb%d up"
               % (self.hub, 4 * i + 1, i, self.hub, i))
            sh("ip -n %s addr add 192.0.2.%d/30 dev veth0 && ip -n %s link set veth0 up"
               % (ns, 4 * i + 2, ns))

    def start_nats(self):
        routes = ", ".join("nats-route://127.0.0.1:%d" % (6322 + s) for s in range(3))
        for s in range(3):
            conf = os.path.join(self.work, "n%d.conf" % s)
            with open(conf, "w") as f:
                f.write("server_name: n%d\nlisten: 0.0.0.0:%d\njetstream { store_dir: \"%s/js%d\", "
                        "max_memory_store: 64MB, max_file_store: 2GB }\ncluster { name: bench, "
                        "listen: 127.0.0.1:%d, no_advertise: true, routes: [%s] }\n"
                        % (s, 4322 + s, self.work, s, 6322 + s, routes))
            log = open(os.path.join(self.work, "n%d.log" % s), "wb")
            self.procs.append(subprocess.Popen(["ip", "netns", "exec", self.hub, "nats-server",
                                                "-c", conf], stdout=log, stderr=log))
        self.wait_log([os.path.join(self.work, "n%d.log" % s) for s in range(3)],
                      "new metadata leader", 30)

    @staticmethod
    def wait_log(paths, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in paths:
                if os.path.exists(p) and text in open(p, errors="replace").read():
                    return
            time.sleep(0.05)
        raise RuntimeError("fleet bench: no '%s' in %s" % (text, paths))

    def start_rampartd(self):
        self.dirs, self.logs = [], []
        for i, ns in enumerate(self.nodes):
            d = os.path.join(self.work, "node%d" % i)
            os.makedirs(d, exist_ok=True)
            servers = ",".join("nats://192.0.2.%d:%d" % (4 * i + 1, 4322 + s) for s in range(3))
            with open(os.path.join(d, "rampart.conf"), "w") as f:
                f.write(CONFIG.format(bindings=BINDING if i == 0 else "", dir=d,
                                      name="node%d" % i, agent="%03d" % i,
                                      server="yes" if i == 0 else "no", servers=servers))
            log = os.path.join(d, "rampartd.log")
            env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + d + "/no-bus")
            for k in ("JOURNAL_STREAM", "NOTIFY_SOCKET"):
                env.pop(k, None)
            with open(log, "wb") as lf:
                self.procs.append(subprocess.Popen(
                    ["ip", "netns", "exec", ns, os.path.join(self.build, "rampartd"), "--config",
                     os.path.join(d, "rampart.conf")], stdout=lf, stderr=lf, env=env))
            self.dirs.append(d)
            self.logs.append(log)
            self.wait_log([log], "fleet: reading orders", 60)
        self.rampartd = self.procs[-len(self.nodes):]

    def watch_agents(self):
        """nft monitor in each agent's namespace: address -> arrival time, per agent."""
        self.seen = [dict() for _ in range(AGENTS)]
        pattern = re.compile(rb"add element inet rampart blocked6 \{ ([0-9a-f:]+) ")
        for k in range(AGENTS):
            p = subprocess.Popen(["ip", "netns", "exec", self.nodes[k + 1], "stdbuf", "-oL",
                                  "nft", "monitor", "elements"], stdout=subprocess.PIPE)
            self.monitors.append(p)

            def read(p=p, seen=self.seen[k]):
                for line in p.stdout:
                    m = pattern.search(line)
                    if m:
                        seen.setdefault(m.group(1).decode(), time.monotonic())
            threading.Thread(target=read, daemon=True).start()
        time.sleep(0.5)  # the monitors are listening

    def stats(self, i):
        before = os.path.getsize(self.logs[i])
        os.kill(self.rampartd[i].pid, signal.SIGUSR1)
        for _ in range(2000):
            time.sleep(0.005)
            with open(self.logs[i], "rb") as f:
                f.seek(before)
                m = re.search(rb"stats: (.*)\n", f.read())
            if m:
                return {k.decode(): int(v) for k, v in re.findall(rb"(\w+)=(\d+)", m.group(1))}
        raise RuntimeError("fleet bench: no stats line from node %d" % i)

    def stop(self):
        for p in self.monitors + self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.monitors + self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for ns in self.nodes + [self.hub]:
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.work, ignore_errors=True)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def fan_out(fleet, sock, samples, prefix, load_rate):
    """Latency of `samples` alerts until the 5th agent has each; with `load_rate` others/s."""
    stop = threading.Event()

    def background():
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(sock)
        n, t0 = 0, time.monotonic()
        while not stop.is_set():
            due = int((time.monotonic() - t0) * load_rate)
            while n < due:
                conn.sendall(alert("2001:db8:%x:1::%x" % (prefix, n + 1)).encode())
                n += 1
            time.sleep(0.002)
        conn.close()

    if load_rate:
        threading.Thread(target=background, daemon=True).start()
        time.sleep(1)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(sock)
    lat = []
    for i in range(samples):
        ip = "2001:db8:%x::%x" % (prefix, i + 1)
        t0 = time.monotonic()
        conn.sendall(alert(ip).encode())
        deadline = t0 + 10
        while time.monotonic() < deadline and not all(ip in s for s in fleet.seen):
            time.sleep(0.0005)
        if all(ip in s for s in fleet.seen):
            lat.append(max(s[ip] for s in fleet.seen) - t0)
        time.sleep(0.01)
    stop.set()
    conn.close()
    return {"samples": samples, "measured": len(lat),
            "p50_ms": percentile(lat, 50) * 1e3 if lat else None,
            "p99_ms": percentile(lat, 99) * 1e3 if lat else None,
            "max_ms": max(lat) * 1e3 if lat else None, "load_rate": load_rate}


def sustained(fleet, sock, n, prefix):
    before = [fleet.stats(i + 1).get("fleet_applied", 0) for i in range(AGENTS)]
    data = "".join(alert("2001:db8:%x:%x::%x" % (prefix, i >> 16, (i & 0xffff) + 1))
                   for i in range(n)).encode()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(sock)
    t0 = time.monotonic()
    conn.sendall(data)
    conn.close()
    done = [False] * AGENTS
    deadline = t0 + 600
    while not all(done) and time.monotonic() < deadline:
        time.sleep(0.2)
        for i in range(AGENTS):
            if not done[i]:
                done[i] = fleet.stats(i + 1).get("fleet_applied", 0) - before[i] >= n
    elapsed = time.monotonic() - t0
    return {"n": n, "s": elapsed, "orders_per_s": n / elapsed if all(done) else None,
            "complete": all(done)}


def run(build, work, quick):
    fleet = Fleet(build, work)
    try:
        fleet.start_nats()
        fleet.start_rampartd()
        fleet.watch_agents()
        sock = os.path.join(fleet.dirs[0], "alerts.sock")
        samples = 30 if quick else 300
        out = {"agents": AGENTS,
               "idle": fan_out(fleet, sock, samples, 0x60, 0),
               "load": fan_out(fleet, sock, samples, 0x61, 1000)}
        out["sustained"] = sustained(fleet, sock, 2000 if quick else 50000, 0x62)
        return out
    finally:
        fleet.stop()
