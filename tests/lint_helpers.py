#!/usr/bin/env python3
"""Fails where code in src/ does by hand what a base helper does once.

Each rule is a pattern, the files allowed to hold it, and the helper to use instead.
Usage: lint_helpers.py [SOURCE_ROOT]
"""
import os
import re
import sys

RULES = [
    (re.compile(r"\bstrerror\s*\("), {"src/base/error.cc"},
     "use fail_errno(r, ...), log_warning_errno(r, ...) or errno_text(r) (base/error.h, base/log.h)"),
    (re.compile(r"JOURNAL_STREAM"), {"src/base/log.cc", "src/base/log.h"}, "use stderr_is_journal() (base/log.h)"),
    (re.compile(r'\\\\u00'), {"src/base/json.cc"}, "use append_json_string() (base/json.h)"),
]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    errors = []
    for folder, _, names in sorted(os.walk(os.path.join(root, "src"))):
        for name in sorted(names):
            if not name.endswith((".h", ".cc")) or name.endswith("_test.cc"):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            for number, line in enumerate(open(path, encoding="utf-8"), 1):
                for pattern, home, fix in RULES:
                    if rel not in home and pattern.search(line):
                        errors.append(f"{rel}:{number}: {fix}")
    for e in errors:
        print(e)
    print(f"{len(errors)} hand-written helper(s)" if errors else
          "helpers: strerror, the journal check and JSON escaping only in base")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
