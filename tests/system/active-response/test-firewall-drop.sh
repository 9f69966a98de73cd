#!/bin/sh
# For rampart's system test: an active-response script that touches the system the way
# OSSEC's firewall-drop.sh does (written for rampart, not taken from OSSEC). OSSEC's legacy
# argv (add|delete user srcip ...); it changes to its own directory's parent, appends to
# ../logs/active-responses.log, takes a lock with mkdir and inserts or deletes an iptables
# DROP rule in a chain of its own. Unlike OSSEC's script it does not retry: any failure is
# its exit status, which rampart reports.
set -u
action=$1 ip=$3
cd "$(dirname "$0")/.." || exit 1
log=../logs/active-responses.log
echo "$(date '+%F %T') $0 $*" >>"$log" || exit 1
case $ip in
  *:*) ipt=ip6tables ;;
  *.*) ipt=iptables ;;
  *) echo "invalid address: $ip" >&2; exit 1 ;;
esac
lock=$PWD/test-firewall-drop.lock
tries=0
until mkdir "$lock" 2>/dev/null; do
  tries=$((tries + 1))
  [ $tries -lt 50 ] || { echo "cannot take the lock $lock" >&2; exit 1; }
  sleep 0.1
done
trap 'rmdir "$lock"' EXIT
chain=RAMPART-TEST
$ipt -n -L $chain >/dev/null 2>&1 || $ipt -N $chain || exit 1
$ipt -C INPUT -j $chain 2>/dev/null || $ipt -I INPUT -j $chain || exit 1
case $action in
  add) $ipt -I $chain -s "$ip" -j DROP ;;
  delete) $ipt -D $chain -s "$ip" -j DROP ;;
  *) echo "invalid action: $action" >&2; exit 1 ;;
esac
