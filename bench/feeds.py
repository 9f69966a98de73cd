"""Blocklist feeds in scripts/bench: a list file loaded by rampartd (read, parse, merge, one
transaction) against `nft -f` loading the same merged list, and the replace of a loaded list
with 10% churn. Imported by run.py, which owns the namespaces and rampartd processes."""
import os
import re
import time

FEED = "bench"
SET6 = "feed_%s6" % FEED


def entry(i):
    """The i-th /64 of the list: none adjacent to another, so merging keeps them all."""
    return "2001:db8:%x:%x::/64" % (0x100 + i // 30000, 2 * (i % 30000))


def write_list(path, first, n):
    tmp = path + ".part"
    with open(tmp, "w") as f:
        f.write("; rampart bench list\n")
        f.writelines("%s ; SBL%d\n" % (entry(i), i) for i in range(first, first + n))
    return tmp


def loads(daemon):
    with open(daemon.log, "rb") as f:
        return [int(m) for m in re.findall(rb"blocklist bench loaded .*? \((\d+) ms\)", f.read())]


def publish_and_wait(daemon, tmp, path, count, timeout=600):
    """Renames the list into place; seconds until rampartd logs load number `count`."""
    t0 = time.monotonic()
    os.rename(tmp, path)
    while time.monotonic() - t0 < timeout:
        done = loads(daemon)
        if len(done) >= count:
            return time.monotonic() - t0, done[count - 1] / 1000.0
        time.sleep(0.005)
    raise RuntimeError("rampartd did not load the list: see " + daemon.log)


def nft_f(Netns, work, first, n, before=None):
    """`nft -f` of the same list into the same kind of set (after `before` is loaded), in a
    namespace of its own: no rampartd there listening to nftables events."""
    with Netns("feed-nft") as ns:
        return _nft_f(ns, work, first, n, before)


def _nft_f(ns, work, first, n, before):
    setup = "table inet rampart_bench {\n  set %s { type ipv6_addr; flags interval; }\n}\n" % SET6
    ns.run(["nft", "-f", "-"], input=setup, text=True, check=True)

    def script(first, n, flush):
        path = os.path.join(work, "feed-%d-%d.nft" % (first, n))
        with open(path, "w") as f:
            if flush:
                f.write("flush set inet rampart_bench %s\n" % SET6)
            f.write("add element inet rampart_bench %s {\n" % SET6)
            f.writelines("%s,\n" % entry(i) for i in range(first, first + n))
            f.write("}\n")
        return path

    if before is not None:
        ns.run(["nft", "-f", script(before[0], before[1], False)], check=True)
    path = script(first, n, before is not None)
    t0 = time.monotonic()
    ns.run(["nft", "-f", path], check=True)
    elapsed = time.monotonic() - t0
    ns.run(["nft", "delete", "table", "inet", "rampart_bench"], check=True)
    os.unlink(path)
    return elapsed


def run_feeds(build, work, quick, Netns, Daemon, config, log):
    sizes = [1000] if quick else [100000, 1000000]
    out = {"load": [], "replace": None}
    for n in sizes:
        log("blocklist feed of %d prefixes: rampartd, nft -f" % n)
        with Netns("feed") as ns:
            d = Daemon(build, ns, work, "feed-%d" % n)
            path = os.path.join(d.dir, "list.txt")
            with open(d.conf, "w") as f:
                f.write(config(d.dir, path, n))
            if d.start() is None:
                raise RuntimeError("rampartd did not start: see " + d.log)
            try:
                wall, inside = publish_and_wait(d, write_list(path, 0, n), path, 1)
                row = {"n": n, "rampart_s": wall, "rampart_inside_s": inside,
                       "nft_f_s": nft_f(Netns, work, 0, n)}
                out["load"].append(row)
                if n == sizes[0]:
                    # 10% churn: the first tenth goes, as many new prefixes come.
                    churn = n // 10
                    wall2, inside2 = publish_and_wait(d, write_list(path, churn, n), path, 2)
                    out["replace"] = {"n": n, "churn": churn, "rampart_s": wall2,
                                      "rampart_inside_s": inside2,
                                      "nft_f_s": nft_f(Netns, work, churn, n, before=(0, n))}
            finally:
                d.stop()
                d.remove_log()
    return out


def report_rows(feeds, fmt_n):
    rows = []
    for r in feeds["load"]:
        rows.append("| blocklist feed load, %s prefixes (file → kernel, one transaction) | "
                    "rampartd %.3f s (%.3f s inside) | `nft -f` of the merged list %.3f s = "
                    "**%.2f×** | |" % (fmt_n(r["n"]), r["rampart_s"], r["rampart_inside_s"],
                                       r["nft_f_s"], r["nft_f_s"] / max(r["rampart_s"], 1e-9)))
    r = feeds["replace"]
    if r:
        rows.append("| blocklist feed replace, %s prefixes with %s changed | rampartd %.3f s "
                    "(%.3f s inside) | `nft -f` flush + add %.3f s = **%.2f×** | |"
                    % (fmt_n(r["n"]), fmt_n(r["churn"]), r["rampart_s"], r["rampart_inside_s"],
                       r["nft_f_s"], r["nft_f_s"] / max(r["rampart_s"], 1e-9)))
    return rows
