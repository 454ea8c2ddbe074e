#!/usr/bin/env bash
# A real training task through the whole market on a private devnet, with no person in the loop:
# a mining stepd, an owner who submits examples/demo-mlp.toml, a solver agent that claims, trains,
# uploads, commits and opens its units, a verifier agent that audits them; progress every few
# seconds until the task is done, then everyone's ledger. Ctrl-C stops everything.
#   scripts/demo.sh
# Environment: STEP_BUILD_DIR (default ./build), STEP_DEMO_RPC_BIND (default 127.0.0.1:18643),
# STEP_DEMO_SPEC (default examples/demo-mlp.toml; uses data/mnist-train.rec instead of the
# 500-digit fixture when scripts/get-mnist.sh has fetched it), STEP_DEMO_KEEP=1 keeps the temp dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${STEP_BUILD_DIR:-$root/build}
bind=${STEP_DEMO_RPC_BIND:-127.0.0.1:18643}
spec=${STEP_DEMO_SPEC:-$root/examples/demo-mlp.toml}

"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target stepd step-wallet

tmp=$(mktemp -d "${TMPDIR:-/tmp}/step-demo.XXXXXX")
pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${STEP_DEMO_KEEP:-} ]]; then echo "demo: files kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'echo; echo "demo: stopping"; exit 130' INT TERM

(umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$tmp/pass")
w() {
  "$build/bin/step-wallet" --network devnet --rpc "http://$bind" --cookie "$tmp/node/.cookie" \
    --wallet-dir "$tmp/wallet" --passphrase-file "$tmp/pass" "$@"
}
field() { python3 -c 'import json, sys; v = json.load(sys.stdin); print(eval("v" + sys.argv[1]))' "$1"; }
rpc() {  # read-only JSON-RPC call: rpc METHOD JSON_PARAMS
  python3 - "$bind" "$1" "$2" <<'PY'
import json, sys, urllib.request
bind, method, params = sys.argv[1:]
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": json.loads(params)}).encode()
print(json.dumps(json.load(urllib.request.urlopen("http://" + bind + "/", body))["result"]))
PY
}

for k in owner solver verifier; do w key new "$k" >/dev/null; done
owner=$(w key show owner --output json | field '["address"]')
solver=$(w key show solver --output json | field '["address"]')
verifier=$(w key show verifier --output json | field '["address"]')

# With the real MNIST files fetched, train on them instead of the fixture.
data=$root/tests/fixtures/mnist-train-500.rec
if [[ -z ${STEP_DEMO_SPEC:-} && -f $root/data/mnist-train.rec ]]; then
  data=$root/data/mnist-train.rec
  sed -e "s|^train = .*|train = \"$data\"|" -e "s|^test = .*|test = \"$root/data/mnist-test.rec\"|" \
    "$spec" >"$tmp/demo.toml"
  spec=$tmp/demo.toml
fi

cat <<INFO
demo devnet in $tmp
  RPC      http://$bind/   (stepd log: $tmp/stepd.log)
  owner    $owner  (mines the blocks)
  solver   $solver
  verifier $verifier
  task     $spec
  data     $data
  stop     Ctrl-C
INFO

"$build/bin/stepd" --network devnet --datadir "$tmp/node" --rpc-bind "$bind" --mine \
  --miner-address "$owner" --debug-log false >"$tmp/stepd.log" 2>&1 &
pids+=($!)
until w chain info >/dev/null 2>&1; do sleep 0.5; done

echo "demo: mining until the owner can fund the others..."
until (($(w balance owner --output json | field '["balance"].split(".")[0]') >= 100)); do sleep 1; done
w send solver 40 --from owner -y >/dev/null
w send verifier 40 --from owner -y >/dev/null
until (($(w balance verifier --output json | field '["balance"].split(".")[0]') >= 40)); do sleep 1; done
w bond solver 30 --from solver -y >/dev/null
w bond verifier 30 --from verifier -y >/dev/null
task=$(w task submit "$spec" --from owner -y --output json | field '["task_id"]')
echo "demo: bonded solver and verifier, submitted task $task"
# The agents look for open tasks on the chain: start them once the task is in a block.
until rpc gettask "{\"task_id\":\"$task\"}" >/dev/null 2>&1; do sleep 1; done

w agent --role solver --from solver --data "$data" --state-dir "$tmp/solver" --exit-when-idle \
  > >(sed -u 's/^/[solver]   /') 2>&1 &
pids+=($!)
w agent --role verifier --from verifier --data "$data" --state-dir "$tmp/verifier" --exit-when-idle \
  > >(sed -u 's/^/[verifier] /') 2>&1 &
pids+=($!)

start=$SECONDS
while true; do
  sleep 10 & wait $!  # a Ctrl-C is handled at once, not after the sleep
  progress=$(rpc gettaskprogress "{\"task_id\":\"$task\"}")
  echo "---- $((SECONDS - start)) s: $(echo "$progress" | field '["units_final"]')/$(echo "$progress" |
    field '["units_total"]') units final, height $(echo "$progress" | field '["height"]')"
  [[ $(echo "$progress" | field '["done"]') == True ]] && break
done

echo
w task show "$task"
echo
for who in owner solver verifier; do
  addr=$(w key show "$who" --output json | field '["address"]')
  echo "ledger of $who ($addr):"
  rpc getledger "{\"address\":\"$addr\"}" | python3 -c '
import json, sys
for e in json.load(sys.stdin)["entries"]:
    print("  height %5d  %-22s %16s STEP  %s" % (e["height"], e["code"], "%.9f" % (int(e["amount"]) / 1e9), e["reason"]))'
done
echo "demo: task done in $((SECONDS - start)) s"
# What the owner gets: the trained model from the blob store, checked against the chain, and
# its accuracy on digits it never trained on.
test_records=$root/tests/fixtures/mnist-test-200.rec
[[ $data == "$root/data/mnist-train.rec" ]] && test_records=$root/data/mnist-test.rec
echo
w task model "$task" "$tmp/model.state" "$test_records"
