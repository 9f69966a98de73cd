"""Restart with N blocks in scripts/bench (issue 13): the rampartd that holds the flood's
blocks, restarted four times on the same kernel state, READY=1 timed after each start.
Imported by run.py, which owns the namespace and the rampartd process (its Daemon)."""
import os

TOUCHED = 1000  # elements a foreign `nft -f` deletes, and as many it gives another timeout
OTHER = "bench_other"  # the table that foreign transaction adds


class Kernel:
    """What happens while rampartd is down; each returns how many blocks are left, or None."""

    def __init__(self, ns, table, address_of):
        self.ns, self.table, self.address_of = ns, table, address_of

    def clean(self, d, n):
        d.stop()

    def kill(self, d, n):
        d.proc.kill()
        d.proc.wait()

    def foreign(self, d, n):
        d.stop()
        touched = min(TOUCHED, n // 4)
        deleted = ", ".join(self.address_of(i) for i in range(touched))
        retimed = ", ".join("%s timeout 2h" % self.address_of(i)
                            for i in range(touched, 2 * touched))
        script = ("delete element inet %s blocked6 { %s }\nadd element inet %s blocked6 { %s }\n"
                  "add table inet %s\n" % (self.table, deleted, self.table, retimed, OTHER))
        self.ns.run(["nft", "-f", "-"], input=script, text=True, check=True)
        return n - touched

    def reboot(self, d, n):
        """After a reboot the kernel's tables and the runtime directory are empty."""
        d.stop()
        for table in (self.table, OTHER):
            self.ns.run(["nft", "delete", "table", "inet", table], check=True)
        os.unlink(os.path.join(d.runtime, "boot-id"))


# name, label, what happens while rampartd is down, the line that says the work after READY
# is done (blocks, ms)
CASES = [("clean_stop", "clean stop", Kernel.clean, None),
         ("kill_9", "kill -9", Kernel.kill, None),
         ("foreign_change", "a foreign `nft -f` while down (generation moved)", Kernel.foreign,
          r"checked (\d+) blocks against table inet \S+ in (\d+) ms"),
         ("reboot", "reboot (empty table, new boot id)", Kernel.reboot,
          r"re-added (\d+) blocks to table inet \S+ in (\d+) ms")]


def measure(d, expect, timeout, done):
    """A start of `d`: READY, the end of the work after it, and what rampartd then says."""
    d.remove_log()
    ready_s = d.start(timeout=timeout)
    res = {"ready_s": ready_s, "active_expected": expect}
    if ready_s is None:
        res.update({"timeout_s": timeout, "cpu_s": d.cpu_s()})
        return res
    if done:
        m = d.wait_log(done, timeout)
        res["done_s"] = m[0] if m else None
        res["done_blocks"], res["done_work_ms"] = (
            (int(m[1].group(1)), int(m[1].group(2))) if m else (None, None))
    stats = d.stats()
    res.update({"nft_elements_after_start": stats.get("nft_elements", -1),
                "active": stats.get("active", -1),
                "kernel_dump": d.log_has("reading the blocks from the kernel"),
                "from_record": d.log_has(r"blocks from the record in|the record is from another "
                                         r"boot|nftables changed since")})
    return res


def run(ns, d, n, timeout, table, address_of):
    """Every case in turn on `d` (running, holding N blocks); stops it and deletes `ns` after."""
    kernel = Kernel(ns, table, address_of)
    out = {"n": n}
    expect = n
    try:
        for name, _, down, done in CASES:
            expect = down(kernel, d, expect) or expect
            out[name] = measure(d, expect, timeout, done)
            if out[name]["ready_s"] is None:
                break
    finally:
        d.stop()
        d.remove_log()
        ns.delete()
    return out


def rows(rs, lines, targets, fmt_n, mark):
    """One row per case: READY ≤ 2 s (issue 13); from rampart's record, never the kernel's set
    dump; and for the cases with work after READY, the time until it was done."""
    for name, label, _, done in CASES:
        r = rs.get(name)
        if r is None:
            continue
        head = "| restart with %s blocks, %s: exec → READY=1 |" % (fmt_n(rs["n"]), label)
        if r["ready_s"] is None:
            targets.append(False)
            lines.append("%s no READY within %d s (rampartd CPU %.0f s) | | READY ≤ 2 s: "
                         "**not met** |" % (head, r["timeout_s"], r["cpu_s"]))
            continue
        ok_ready = r["ready_s"] <= 2.0
        # Only a reboot sends elements: each block back into the empty table, once.
        sent = r["active"] if name == "reboot" else 0
        ok_path = (r["from_record"] and not r["kernel_dump"] and r["active"] == r["active_expected"]
                   and r["nft_elements_after_start"] == sent)
        targets += [ok_ready, ok_path]
        result = "%.2f s; %d active; `nft_elements` after start = %d" % (
            r["ready_s"], r["active"], r["nft_elements_after_start"])
        if done and r["done_s"] is None:
            result += "; the work after READY did **not finish**"
        elif name == "reboot":
            result += ("; all %d back in the kernel %.2f s after exec (re-add %d ms)"
                       % (r["done_blocks"], r["done_s"], r["done_work_ms"]))
        elif done:
            result += ("; %d checked against the kernel %.2f s after exec (check %d ms)"
                       % (r["done_blocks"], r["done_s"], r["done_work_ms"]))
        lines.append("%s %s | | READY ≤ 2 s: %s; from rampart's record, no dump: %s |"
                     % (head, result, mark(ok_ready), mark(ok_path)))
