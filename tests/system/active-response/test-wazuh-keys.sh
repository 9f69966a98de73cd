#!/bin/sh
# For rampart's system test: an active-response script in Wazuh's JSON protocol (written for
# rampart, not taken from Wazuh). It reads the message on stdin, answers an add with a
# check_keys line for its srcip, reads rampart's continue/abort, and appends what it got to
# ../logs/active-responses.log, as Wazuh's scripts do.
set -u
cd "$(dirname "$0")/.." || exit 1
log=../logs/active-responses.log
read -r message || exit 1
command=$(printf '%s' "$message" | sed -n 's/^{"version":1,"origin":{[^}]*},"command":"\([a-z_]*\)".*/\1/p')
ip=$(printf '%s' "$message" | sed -n 's/.*"srcip":"\([^"]*\)".*/\1/p')
if [ "$command" = add ]; then
  printf '{"version":1,"origin":{"name":"test-wazuh-keys.sh","module":"active-response"},"command":"check_keys","parameters":{"keys":["%s"]}}\n' "$ip"
  read -r reply || exit 1
  command="add $(printf '%s' "$reply" | sed -n 's/.*"command":"\([a-z_]*\)".*/\1/p')"
fi
echo "$(date '+%F %T') $0 $command $ip" >>"$log"
