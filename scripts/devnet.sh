#!/usr/bin/env bash
# Runs a local devnet node that mines to a wallet key, in the foreground; Ctrl-C stops it cleanly.
#   scripts/devnet.sh            # build, make a key if needed, start mining
# Environment: STEP_BUILD_DIR (default ./build), STEPD_DATADIR (default ~/.stepchain/devnet),
# STEPD_RPC_BIND (default 127.0.0.1:18443), STEP_DEVNET_KEY (wallet key name, default "miner").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${STEP_BUILD_DIR:-$root/build}
datadir=${STEPD_DATADIR:-$HOME/.stepchain/devnet}
rpc_bind=${STEPD_RPC_BIND:-127.0.0.1:18443}
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

cat <<INFO
devnet node
  RPC      http://$rpc_bind/  (health: /health/live /health/ready, metrics: /metrics)
  data     $datadir  (cookie: $datadir/.cookie, log: $datadir/debug.log)
  miner    $address  (wallet key '$key', passphrase file $pass_file)
  stop     Ctrl-C
INFO

"$build/bin/stepd" --network devnet --datadir "$datadir" --rpc-bind "$rpc_bind" \
  --mine --miner-address "$address" &
pid=$!
# Forward Ctrl-C / SIGTERM to stepd and wait for its clean shutdown.
trap 'kill -INT "$pid" 2>/dev/null || true' INT TERM
status=0
wait "$pid" || status=$?
# A trapped signal interrupts the first wait (status > 128): wait for the real exit.
if kill -0 "$pid" 2>/dev/null; then
  status=0
  wait "$pid" || status=$?
fi
exit "$status"
