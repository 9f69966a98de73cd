#!/usr/bin/env python3
"""Fails on a source file or a function that has grown past what a reader takes in at once.

Every .cc and .h under src/ (tests beside the code included) must stay within MAX_FILE_LINES
lines, and every function body within MAX_FUNCTION_LINES lines, from the line of its opening
brace to the line of its closing one. A function is a brace block that follows a ")" (perhaps
with const, override, noexcept or a trailing return type between) at namespace or class level;
lambdas and blocks inside a function count towards that function. Test bodies (TEST, TEST_F)
are functions too. Usage: lint_sizes.py [SOURCE_ROOT]
"""
import os
import re
import sys

MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60

# Over the limits today, and who is bringing them within (see /work/team/BOARD.md). Remove a
# line when it is done; nothing new goes here.
KNOWN = {
}

# Between ")" and "{" of a function definition.
TAIL = re.compile(r"\)\s*(const|override|final|noexcept|mutable|->\s*[\w:<>,\s*&]+|\s)*$")
# Brace blocks at namespace or class level that are not function bodies.
NOT_FUNCTION = re.compile(r"\b(namespace|class|struct|union|enum)\b[^()]*$|=\s*$|\bextern\s+\"C\"\s*$")


def strip(text):
    """The text with comments, string and character literals blanked, newlines kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            open_paren = text.find("(", i)
            delim = text[i + 2 : open_paren]
            j = text.find(")" + delim + '"', open_paren)
            j = n if j < 0 else j + len(delim) + 2
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2 : j]))
            i = j
        elif c == "'" and i > 0 and text[i - 1].isalnum():
            out.append(c)  # a digit separator: 1'000'000
            i += 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(name, first line, last line) of every function body in `text`."""
    code = strip(text)
    stack = []  # for each open brace: (is_function, start offset, name)
    start_of_statement = 0
    found = []
    for i, c in enumerate(code):
        if c in ";":
            start_of_statement = i + 1
        elif c == "{":
            head = code[start_of_statement:i]
            inside_function = any(f for f, _, _ in stack)
            is_function = (not inside_function and TAIL.search(head) is not None
                           and NOT_FUNCTION.search(head.split("(")[0]) is None)
            name = ""
            if is_function:
                m = re.search(r"([\w:~<>]+)\s*\(", head)
                name = m.group(1) if m else "?"
            stack.append((is_function, i, name))
            start_of_statement = i + 1
        elif c == "}":
            if stack:
                is_function, start, name = stack.pop()
                if is_function:
                    found.append((name, code.count("\n", 0, start) + 1, code.count("\n", 0, i) + 1))
            start_of_statement = i + 1
    return found


SEEN = set()


def report(errors, known, key, message):
    SEEN.add(key)
    if key in KNOWN:
        known.append(f"known ({KNOWN[key]} is on it): {message}")
    else:
        errors.append(message)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    src = os.path.join(root, "src")
    errors, known = [], []
    for folder, _, names in sorted(os.walk(src)):
        for name in sorted(names):
            if not name.endswith((".h", ".cc")):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            text = open(path, encoding="utf-8").read()
            lines = text.count("\n")
            if lines > MAX_FILE_LINES:
                report(errors, known, rel, f"{rel}: {lines} lines (at most {MAX_FILE_LINES}); "
                       f"split it by responsibility")
            for fn, first, last in functions(text):
                length = last - first + 1
                if length > MAX_FUNCTION_LINES:
                    report(errors, known, f"{rel}:{fn}",
                           f"{rel}:{first}: {fn}() is {length} lines (at most "
                           f"{MAX_FUNCTION_LINES}); give its steps functions of their own")
    for key in sorted(set(KNOWN) - SEEN):
        errors.append(f"{key}: within the limits now; remove it from KNOWN in {__file__}")
    for k in known:
        print(k)
    for e in errors:
        print(e)
    print(f"{len(errors)} size error(s)" if errors else
          f"sizes: every file within {MAX_FILE_LINES} lines, every function within "
          f"{MAX_FUNCTION_LINES}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
