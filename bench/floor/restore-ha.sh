#!/usr/bin/env bash
# The floor of bench/compare.js: the multi-master etcd restore of runbooks/etcd-restore-ha.yaml
# written by hand in bash over OpenSSH, as fast as the commands allow. One ControlMaster
# connection per host (ControlPersist), every step on all hosts in parallel, no checks
# beyond what the restore itself needs (no preflight, no journal, no undo).
#
#   bench/floor/restore-ha.sh HOSTS_FILE SNAPSHOT
#
# HOSTS_FILE: one master per line, tab-separated (bench/compare.js writes it from the
# sandbox's inventory): name address port user identityFile knownHostsFile manifestsDir
# stashDir dataDir crictl etcdPkiDir pkiDir. SNAPSHOT: the snapshot's path on every master.
# Env: RUN_ID (default: the time), ETCDCTL (default etcdctl).
# Prints "phase NAME MS" lines on stdout (stop, restore, start-etcd, start-rest) and
# "commands N" (remote commands it ran); exits non-zero on the first failure.
set -euo pipefail

hosts_file=${1:?usage: restore-ha.sh HOSTS_FILE SNAPSHOT}
snapshot=${2:?usage: restore-ha.sh HOSTS_FILE SNAPSHOT}
run_id=${RUN_ID:-$(date +%s)}
etcdctl=${ETCDCTL:-etcdctl}
[ -r "$hosts_file" ] || { echo "restore-ha.sh: no hosts file $hosts_file" >&2; exit 2; }

ctl_dir=$(mktemp -d /tmp/floor-ctl.XXXXXX)
commands=0
declare -a NAME ADDR PORT USER KEY KNOWN MAN STASH DATA CRICTL EPKI PKI
while IFS=$'\t' read -r n a p u k kh m s d c e pk; do
  [ -n "$n" ] || continue
  NAME+=("$n") ADDR+=("$a") PORT+=("$p") USER+=("$u") KEY+=("$k") KNOWN+=("$kh")
  MAN+=("$m") STASH+=("$s/$run_id") DATA+=("$d") CRICTL+=("$c") EPKI+=("$e") PKI+=("$pk")
done <"$hosts_file"
count=${#NAME[@]}
[ "$count" -gt 0 ] || { echo "restore-ha.sh: no hosts in $hosts_file" >&2; exit 2; }

# ssh to host i through its master connection (opened by the first call).
remote() {
  local i=$1
  shift
  ssh -o BatchMode=yes -o IdentitiesOnly=yes -i "${KEY[$i]}" -o UserKnownHostsFile="${KNOWN[$i]}" -o StrictHostKeyChecking=yes \
    -o ControlMaster=auto -o ControlPath="$ctl_dir/%h-%p" -o ControlPersist=300 -p "${PORT[$i]}" "${USER[$i]}@${ADDR[$i]}" "$@"
}

close_masters() {
  for i in "${!NAME[@]}"; do remote "$i" -O exit 2>/dev/null || true; done
  rm -rf "$ctl_dir"
}
trap close_masters EXIT

# Runs the function "$1" for every host in parallel (argument: the host index); fails if any fails.
on_all() {
  local pids=() i failed=0
  for i in "${!NAME[@]}"; do
    "$1" "$i" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || { echo "restore-ha.sh: $1 failed on ${NAME[$i]}" >&2; failed=1; }; done
  commands=$((commands + count * ${2:-1}))
  return $failed
}

now_ms() { date +%s%3N; }
phase_start=0
begin() { phase_start=$(now_ms); }
finish() { echo "phase $1 $(($(now_ms) - phase_start))"; }

pods='^(etcd|kube-apiserver|kube-controller-manager|kube-scheduler)$'

# What the restore needs to know: each member's --name and peer URL (from its etcd
# manifest), and that the snapshot is there. One command per host (opens the master).
facts() {
  local i=$1
  remote "$i" "test -r '$snapshot' || { echo 'no snapshot $snapshot on ${NAME[$i]}' >&2; exit 1; }
    m='${MAN[$i]}/etcd.yaml'; { sed -n 's/^ *- --name=//p' \"\$m\"; sed -n 's/^ *- --initial-advertise-peer-urls=//p' \"\$m\"; } | tr '\n' ' '" >"$ctl_dir/facts-$i"
}
on_all facts

initial_cluster=""
for i in "${!NAME[@]}"; do
  read -r member_name peer_url <"$ctl_dir/facts-$i" || true # no newline at the end: read says 1
  [ -n "$peer_url" ] || { echo "restore-ha.sh: no --name/--initial-advertise-peer-urls in ${NAME[$i]}'s etcd.yaml" >&2; exit 1; }
  MEMBER[$i]=$member_name PEER[$i]=$peer_url
  initial_cluster+="${initial_cluster:+,}$member_name=$peer_url"
done
token="floor-$run_id"

# Stop: manifests out (API servers first, etcd last), wait until crictl shows none of them.
stop() {
  local i=$1
  remote "$i" "mkdir -p '${STASH[$i]}' && cd '${MAN[$i]}' && mv kube-apiserver.yaml kube-controller-manager.yaml kube-scheduler.yaml etcd.yaml '${STASH[$i]}/' &&
    while [ -n \"\$('${CRICTL[$i]}' ps -q --name '$pods')\" ]; do sleep 0.1; done"
}
begin
on_all stop
finish stop

# Restore into a new dir as this member, then swap it in keeping the old one.
restore() {
  local i=$1 d=${DATA[$i]}
  remote "$i" "ETCDCTL_API=3 $etcdctl snapshot restore '$snapshot' --name '${MEMBER[$i]}' --initial-cluster '$initial_cluster' \
      --initial-cluster-token '$token' --initial-advertise-peer-urls '${PEER[$i]}' --data-dir '$d-restore-$run_id' >/dev/null &&
    mv '$d' '$d-old-$run_id' && mv '$d-restore-$run_id' '$d' && chmod 0700 '$d'"
}
begin
on_all restore
finish restore

# etcd back, then wait until this member answers a quorum read (endpoint health).
start_etcd() {
  local i=$1 e=${EPKI[$i]}
  remote "$i" "mv '${STASH[$i]}/etcd.yaml' '${MAN[$i]}/' &&
    until ETCDCTL_API=3 $etcdctl --endpoints=https://${ADDR[$i]}:2379 --cacert '$e/ca.crt' --cert '$e/healthcheck-client.crt' --key '$e/healthcheck-client.key' \
      --command-timeout=2s endpoint health >/dev/null 2>&1; do sleep 0.1; done"
}
begin
on_all start_etcd
finish start-etcd

# The rest back, then wait until this master's API server is ready.
start_rest() {
  local i=$1 p=${PKI[$i]}
  remote "$i" "cd '${STASH[$i]}' && mv kube-apiserver.yaml kube-controller-manager.yaml kube-scheduler.yaml '${MAN[$i]}/' &&
    until curl -sf --max-time 2 --cacert '$p/ca.crt' --cert '$p/admin.crt' --key '$p/admin.key' https://${ADDR[$i]}:6443/readyz >/dev/null; do sleep 0.1; done"
}
begin
on_all start_rest
finish start-rest
echo "commands $commands"
