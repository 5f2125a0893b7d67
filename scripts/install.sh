#!/usr/bin/env bash
# Installs what drbook needs on a fresh Debian/Ubuntu machine with Node.js ≥ 20:
# Debian's etcd-server/etcd-client (etcd, etcdctl), openssh (sshd for the SSH tests
# and sandboxes), openssl, kubectl when missing; then the npm packages; then builds.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "drbook install: apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

npm ci --no-fund --no-audit --loglevel=error
npm run build --silent
echo "drbook install: ready (node bin/drbook.js --help)"
