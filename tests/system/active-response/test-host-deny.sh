#!/bin/sh
# For rampart's system test: an active-response script that touches the system the way
# OSSEC's host-deny.sh does (written for rampart, not taken from OSSEC). OSSEC's legacy argv
# (add|delete user srcip ...); it changes to its own directory's parent, appends to
# ../logs/active-responses.log, takes a lock with mkdir, appends "ALL:<ip>" to /etc/hosts.deny
# and removes it again by rewriting the file through a temporary file next to itself. Unlike
# OSSEC's script it does not retry: any failure is its exit status, which rampart reports.
set -u
action=$1 ip=$3
cd "$(dirname "$0")/.." || exit 1
log=../logs/active-responses.log
echo "$(date '+%F %T') $0 $*" >>"$log" || exit 1
case $ip in
  *:*) entry="ALL:[$ip]" ;;
  *.*) entry="ALL:$ip" ;;
  *) echo "invalid address: $ip" >&2; exit 1 ;;
esac
lock=$PWD/test-host-deny.lock
tries=0
until mkdir "$lock" 2>/dev/null; do
  tries=$((tries + 1))
  [ $tries -lt 50 ] || { echo "cannot take the lock $lock" >&2; exit 1; }
  sleep 0.1
done
trap 'rmdir "$lock"' EXIT
case $action in
  add)
    grep -qxF "$entry" /etc/hosts.deny 2>/dev/null || echo "$entry" >>/etc/hosts.deny ;;
  delete)
    tmp=$(mktemp "$PWD/hosts.deny.XXXXXX") || exit 1
    grep -vxF "$entry" /etc/hosts.deny >"$tmp"
    cat "$tmp" >/etc/hosts.deny && rm -f "$tmp" ;;
  *) echo "invalid action: $action" >&2; exit 1 ;;
esac
