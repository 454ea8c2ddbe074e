#!/usr/bin/env bash
# Runs a local devnet in the foreground: one node that mines to a wallet key, or N connected
# nodes on 127.0.0.1 of which the first mines; Ctrl-C stops them all cleanly.
#   scripts/devnet.sh              # build, make a key if needed, start mining
#   scripts/devnet.sh --nodes 3    # three nodes; the others --addnode the first
# Environment: STEP_BUILD_DIR (default ./build), STEPD_DATADIR (default ~/.stepchain/devnet;
# with --nodes N, node i uses $STEPD_DATADIR/node<i>), STEPD_RPC_BIND (default 127.0.0.1:18443),
# STEPD_P2P_BIND (default 127.0.0.1:18444), STEP_DEVNET_KEY (wallet key name, default "miner").
# Node i listens on the base ports + 10*i.
set -euo pipefail
nodes=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) nodes=${2:?--nodes needs a number}; shift 2 ;;
    --nodes=*) nodes=${1#--nodes=}; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "devnet.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ $nodes =~ ^[1-9][0-9]?$ ]]; then
  echo "devnet.sh: --nodes takes 1..99" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=${STEP_BUILD_DIR:-$root/build}
datadir=${STEPD_DATADIR:-$HOME/.stepchain/devnet}
rpc_bind=${STEPD_RPC_BIND:-127.0.0.1:18443}
p2p_bind=${STEPD_P2P_BIND:-127.0.0.1:18444}
key=${STEP_DEVNET_KEY:-miner}
wallet_dir=$HOME/.stepchain/wallet/devnet
# Devnet keys are throwaway; their passphrase lives beside the keystore, readable by you only.
pass_file=$HOME/.stepchain/wallet/devnet-passphrase

"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target stepd step-wallet
wallet=("$build/bin/step-wallet" --network devnet)

if [[ ! -f "$wallet_dir/$key.json" ]]; then
  mkdir -p "$(dirname "$pass_file")"
  if [[ ! -f "$pass_file" ]]; then
    (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$pass_file")
  fi
  echo "devnet: creating wallet key '$key'"
  "${wallet[@]}" key new "$key" --passphrase-file "$pass_file" >/dev/null
fi
address=$("${wallet[@]}" key show "$key" --output json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["address"])')

host_of() { echo "${1%:*}"; }
port_of() { echo "${1##*:}"; }
rpc_of() { echo "$(host_of "$rpc_bind"):$(($(port_of "$rpc_bind") + 10 * $1))"; }
p2p_of() { echo "$(host_of "$p2p_bind"):$(($(port_of "$p2p_bind") + 10 * $1))"; }
datadir_of() { if [[ $nodes -eq 1 ]]; then echo "$datadir"; else echo "$datadir/node$1"; fi; }

echo "devnet: $nodes node(s); miner $address (wallet key '$key', passphrase file $pass_file)"
pids=()
for ((i = 0; i < nodes; i++)); do
  dir=$(datadir_of "$i")
  mkdir -p "$dir"
  args=(--network devnet --datadir "$dir" --rpc-bind "$(rpc_of "$i")" --p2p-bind "$(p2p_of "$i")")
  if [[ $i -eq 0 ]]; then
    args+=(--mine --miner-address "$address")
  else
    args+=(--addnode "$(p2p_of 0)")
  fi
  echo "node $i: RPC http://$(rpc_of "$i")/  P2P $(p2p_of "$i")  data $dir$([[ $i -eq 0 ]] && echo '  (mining)')"
  "$build/bin/stepd" "${args[@]}" &
  pids+=($!)
done
cat <<INFO
  health   /health/live /health/ready, metrics /metrics on each RPC address
  wallet   $build/bin/step-wallet --network devnet --rpc http://$(rpc_of 0)/ net peers
  stop     Ctrl-C
INFO

# Forward Ctrl-C / SIGTERM to every node and wait for their clean shutdown.
trap 'kill -INT "${pids[@]}" 2>/dev/null || true' INT TERM
status=0
for pid in "${pids[@]}"; do
  rc=0
  wait "$pid" || rc=$?
  # A trapped signal interrupts the wait (status > 128): wait for the real exit.
  if kill -0 "$pid" 2>/dev/null; then
    rc=0
    wait "$pid" || rc=$?
  fi
  [[ $rc -ne 0 ]] && status=$rc
done
exit "$status"
