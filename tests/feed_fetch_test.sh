#!/bin/sh
# libexec/rampart-feed against a list served on loopback (never the internet): the first run
# downloads, the next one is answered 304 Not Modified and keeps the file, a changed list is
# downloaded again, and a failed download leaves the previous list in place.
set -eu
root=${RAMPART_SOURCE_ROOT:-$(dirname "$0")/..}
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/src" "$work/conf" "$work/state"
printf '; Spamhaus-style list\n198.51.100.0/24 ; SBL1\n' > "$work/src/drop.txt"
touch -d '2026-01-01 00:00:00' "$work/src/drop.txt"

python3 - "$work/src" "$work/port" "$work/requests" <<'PY' &
import functools, http.server, sys
directory, port_file, log_file = sys.argv[1:4]
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-"):
        with open(log_file, "a") as f:
            f.write(f"{self.path} {code}\n")
server = http.server.HTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=directory))
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
server.timeout = 30
for _ in range(20):  # bounded: a handful of requests, then it stops by itself
    server.handle_request()
PY
server=$!
i=0
while [ ! -s "$work/port" ]; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "FAIL: the loopback server did not start"; exit 1; }
  sleep 0.1
done
port=$(cat "$work/port")
echo "# comment line" > "$work/conf/drop.url"
echo "http://127.0.0.1:$port/drop.txt" >> "$work/conf/drop.url"
echo "http://127.0.0.1:$port/missing.txt" > "$work/conf/gone.url"
fetch() { RAMPART_FEED_CONF="$work/conf" RAMPART_FEED_DIR="$work/state" "$root/libexec/rampart-feed" "$@"; }
fail() { echo "FAIL: $*"; cat "$work/requests" 2>/dev/null; exit 1; }

fetch drop || fail "first download"
cmp -s "$work/src/drop.txt" "$work/state/drop.txt" || fail "the list was not downloaded"
fetch drop | grep -q "not modified" || fail "second download was not 304"
grep -q "^/drop.txt 304$" "$work/requests" || fail "the server never answered 304"
printf '203.0.113.0/24\n' >> "$work/src/drop.txt"
touch -d '2026-02-01 00:00:00' "$work/src/drop.txt"
fetch drop || fail "download of a changed list"
grep -q '^203.0.113.0/24$' "$work/state/drop.txt" || fail "the changed list was not downloaded"
cp "$work/state/drop.txt" "$work/before"
fetch gone 2>/dev/null && fail "a 404 must fail"
[ ! -e "$work/state/gone.txt" ] || fail "a failed download left a file"
cmp -s "$work/before" "$work/state/drop.txt" || fail "the old list changed"
ls -A "$work/state" | grep -q '\.part$' && fail "a partial file was left"
fetch 'bad/name' 2>/dev/null && fail "a name with '/' must be refused"
echo "rampart-feed: ok"
