"""The fleet rows of scripts/bench: a 3-server nats-server cluster with JetStream in a hub
network namespace, a manager and 5 agents (rampartd each in its own namespace, joined to the
hub by veth pairs with 192.0.2.0/24 addresses that exist only there).

- fan-out latency: an alert written to the manager's socket until its element is in the kernel
  of all 5 agents (bench/fleet reads the nftables notifications of every agent's namespace),
  p50/p99, idle and while 1,000 other alerts/s go to every node;
- sustained orders/s: N alerts for every node as fast as the socket takes them, until all 5
  agents have all N elements in their kernel.

Addresses are 2001:db8::/32, set data only. Used by bench/run.py.
"""

import json
import os
import shutil
import signal
import subprocess
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


class Fleet:
    def __init__(self, build, work):
        self.build, self.work = build, os.path.join(work, "fleet")
        os.makedirs(self.work, exist_ok=True)
        tag = str(os.getpid())
        self.hub = "rfb-hub-" + tag
        self.nodes = ["rfb-%s-%d" % (tag, i) for i in range(AGENTS + 1)]
        self.procs = []
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

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for ns in self.nodes + [self.hub]:
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.work, ignore_errors=True)


def measure(fleet, args, timeout):
    """bench/fleet with `args`, the agents' namespaces last; its JSON, with the machine's load
    average (1 min) before and after: other work on the machine shows in these numbers."""
    load_before = os.getloadavg()[0]
    r = subprocess.run([os.path.join(fleet.build, "bench", "fleet")] + args + fleet.nodes[1:],
                       capture_output=True, text=True, timeout=timeout)
    if not r.stdout.strip():
        raise RuntimeError("fleet bench: bench/fleet %s failed: %s" % (args[0], r.stderr))
    out = json.loads(r.stdout)
    out["load_avg"] = [load_before, os.getloadavg()[0]]
    return out


def run(build, work, quick, flood=None):
    """`flood`: alerts in the sustained row (default 100,000; 2,000 when quick)."""
    fleet = Fleet(build, work)
    try:
        fleet.start_nats()
        fleet.start_rampartd()
        sock = os.path.join(fleet.dirs[0], "alerts.sock")
        samples = 30 if quick else 500
        out = {"agents": AGENTS}
        out["idle"] = measure(fleet, ["latency", sock, str(samples), "0x60", "0", "0"], 600)
        out["load"] = measure(fleet, ["latency", sock, str(samples), "0x61", "1000", "0x63"], 600)
        n = flood or (2000 if quick else 100000)
        out["sustained"] = measure(fleet, ["flood", sock, str(n), "0x62"], 600)
        return out
    finally:
        fleet.stop()
