#!/usr/bin/env python3
"""Fails on an include that reaches up a layer.

Every quoted include in src/ names its folder ("nft/nft_batch.h"). A folder may include its own
files and those of the folders listed for it below; anything else is a layering error. The table
is the layout: base at the bottom, then the pure core, the adapters, the daemon; rampartctl
beside, on base alone. Usage: lint_layers.py [SOURCE_ROOT]
"""
import os
import re
import sys

CORE = {"base", "config", "alert", "table", "core"}
ADAPTER_BASE = CORE
MAY_INCLUDE = {
    # base: errors, logging, files, addresses, the C libraries' handles.
    "base": set(),
    # The pure core: no I/O beyond reading the config files it is asked to read.
    "config": {"base"},
    "alert": {"base"},
    "table": {"base", "config"},
    "core": {"base", "config", "alert", "table"},
    # Adapters: each talks to one outside thing. Only the durable state store is shared.
    "nft": ADAPTER_BASE,
    "firewalld": ADAPTER_BASE | {"state"},
    "exec": ADAPTER_BASE | {"state"},
    "hosts_deny": ADAPTER_BASE | {"state", "exec/exec_runner.h"},
    "state": ADAPTER_BASE | {"exec/exec_protocol.h"},
    "journal": ADAPTER_BASE,
    "bus": ADAPTER_BASE,
    "input": ADAPTER_BASE,
    "host": ADAPTER_BASE,
    "fleet": ADAPTER_BASE,
    "feed": ADAPTER_BASE,
    "metrics": ADAPTER_BASE,
    # The daemon wires everything together.
    "daemon": None,
    # rampartctl talks to rampartd over D-Bus only: it shares names, not code.
    "ctl": {"base", "bus/bus_names.h"},
    # Helpers for tests (a private dbus-daemon, temporary directories): only *_test.cc files
    # include them.
    "testing": {"base"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def allowed(folder, target, path):
    rules = MAY_INCLUDE[folder]
    target_folder = target.split("/", 1)[0]
    if target_folder == "testing" and folder != "testing":
        return path.endswith("_test.cc")
    if rules is None:
        return not target.startswith("ctl/")
    if target_folder == folder:
        return True
    # Tests may use the fakes of the layer they test (core/enforcer_fakes.h).
    if path.endswith("_test.cc") and target in ("core/enforcer_fakes.h", "exec/exec_runner_fake.h"):
        return True
    return target_folder in rules or target in rules


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    src = os.path.join(root, "src")
    errors = []
    for folder in sorted(os.listdir(src)):
        if not os.path.isdir(os.path.join(src, folder)):
            continue
        if folder not in MAY_INCLUDE:
            errors.append(f"src/{folder}/: a folder the layer table does not know; add it to "
                          f"tests/lint_layers.py with what it may include")
            continue
        for name in sorted(os.listdir(os.path.join(src, folder))):
            if not name.endswith((".h", ".cc")):
                continue
            path = os.path.join(src, folder, name)
            text = open(path, encoding="utf-8").read()
            for m in INCLUDE.finditer(text):
                target = m.group(1)
                line = text.count("\n", 0, m.start()) + 1
                where = f"src/{folder}/{name}:{line}"
                if "/" not in target:
                    errors.append(f'{where}: #include "{target}" does not name its folder')
                elif not os.path.exists(os.path.join(src, target)):
                    errors.append(f'{where}: #include "{target}": no such file under src/')
                elif not allowed(folder, target, path):
                    errors.append(f'{where}: #include "{target}" reaches from {folder}/ into '
                                  f'{target.split("/")[0]}/, which is not below it')
    for e in errors:
        print(e)
    print(f"{len(errors)} layering error(s)" if errors else "layers: every include goes down")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
