#!/usr/bin/env bash
# A real training task through the whole market on a private three-node devnet, with no person in
# the loop. Each party runs its own stepd and talks only to it: the owner's node mines; the owner
# submits examples/demo-mlp.toml (its records go up as a blob); a solver agent on the solver's node claims, trains, uploads,
# commits and opens its units; a verifier agent on the verifier's node audits them. The task, the
# transactions, the blocks and every blob (the dataset, checkpoints, final states) reach the other nodes over
# P2P. Progress (each node's height and peer count) every few seconds until the task is done,
# then everyone's ledger and the model's accuracy. Ctrl-C stops everything.
#   scripts/demo.sh
# Environment: STEP_BUILD_DIR (default ./build), STEP_DEMO_RPC_BIND (default 127.0.0.1:18643:
# the owner's node; the solver's and verifier's take the next ports, P2P the ones after),
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
host=${bind%:*}
port=${bind##*:}
roles=(owner solver verifier)
declare -A rpc_of p2p_of
for i in 0 1 2; do
  rpc_of[${roles[$i]}]=$host:$((port + i))
  p2p_of[${roles[$i]}]=$host:$((port + 3 + i))
done
# wallet ROLE ARGS...: that party's wallet, talking to that party's own node only.
wallet() {
  local who=$1
  shift
  "$build/bin/step-wallet" --network devnet --rpc "http://${rpc_of[$who]}" \
    --cookie "$tmp/$who-node/.cookie" --wallet-dir "$tmp/$who-wallet" --passphrase-file "$tmp/pass" "$@"
}
w() { wallet owner "$@"; }
field() { python3 -c 'import json, sys; v = json.load(sys.stdin); print(eval("v" + sys.argv[1]))' "$1"; }
rpc() {  # read-only JSON-RPC call to the owner's node: rpc METHOD JSON_PARAMS [ROLE]
  python3 - "${rpc_of[${3:-owner}]}" "$1" "$2" <<'PY'
import json, sys, urllib.request
bind, method, params = sys.argv[1:]
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": json.loads(params)}).encode()
req = urllib.request.Request("http://" + bind + "/", body, {"Content-Type": "application/json"})
print(json.dumps(json.load(urllib.request.urlopen(req))["result"]))
PY
}

declare -A address
for who in "${roles[@]}"; do
  wallet "$who" key new "$who" >/dev/null
  address[$who]=$(wallet "$who" key show "$who" --output json | field '["address"]')
done
owner=${address[owner]}
solver=${address[solver]}
verifier=${address[verifier]}

# With the real MNIST files fetched, train on them instead of the fixture.
data=$root/tests/fixtures/mnist-train-500.rec
if [[ -z ${STEP_DEMO_SPEC:-} && -f $root/data/mnist-train.rec ]]; then
  data=$root/data/mnist-train.rec
  sed -e "s|^train = .*|train = \"$data\"|" -e "s|^test = .*|test = \"$root/data/mnist-test.rec\"|" \
    "$spec" >"$tmp/demo.toml"
  spec=$tmp/demo.toml
fi

cat <<INFO
demo devnet in $tmp: three nodes on $host, each party on its own
  owner    $owner  node RPC ${rpc_of[owner]} P2P ${p2p_of[owner]} (mines the blocks)
  solver   $solver  node RPC ${rpc_of[solver]} P2P ${p2p_of[solver]}
  verifier $verifier  node RPC ${rpc_of[verifier]} P2P ${p2p_of[verifier]}
  logs     $tmp/<role>-node.log
  task     $spec
  data     $data
  stop     Ctrl-C
INFO

for who in "${roles[@]}"; do
  args=(--network devnet --datadir "$tmp/$who-node" --rpc-bind "${rpc_of[$who]}"
    --p2p-bind "${p2p_of[$who]}" --debug-log false)
  case $who in
    owner) args+=(--mine --miner-address "$owner") ;;
    solver) args+=(--addnode "${p2p_of[owner]}") ;;
    verifier) args+=(--addnode "${p2p_of[owner]}" --addnode "${p2p_of[solver]}") ;;
  esac
  "$build/bin/stepd" "${args[@]}" >"$tmp/$who-node.log" 2>&1 &
  pids+=($!)
done
for who in "${roles[@]}"; do
  until wallet "$who" chain info >/dev/null 2>&1; do sleep 0.5; done
done
# "height/peers" of each node, for the progress lines.
nodes_line() {
  local out="" who h p
  for who in "${roles[@]}"; do
    h=$(rpc getchaininfo '{}' "$who" | field '["height"]')
    p=$(rpc getnetworkinfo '{}' "$who" | field '["connections"]')
    out+="$who node height $h, $p peers; "
  done
  echo "${out%; }"
}
echo "demo: $(nodes_line)"

echo "demo: mining until the owner can fund the others..."
until (($(w balance owner --output json | field '["balance"].split(".")[0]') >= 100)); do sleep 1; done
w send "$solver" 40 --from owner -y >/dev/null
w send "$verifier" 40 --from owner -y >/dev/null
# The payments reach the others' nodes in blocks over P2P; each bonds through its own node.
until (($(wallet verifier balance --output json | field '["balance"].split(".")[0]') >= 40)); do sleep 1; done
until (($(wallet solver balance --output json | field '["balance"].split(".")[0]') >= 40)); do sleep 1; done
wallet solver bond solver 30 --from solver -y >/dev/null
wallet verifier bond verifier 30 --from verifier -y >/dev/null
task=$(w task submit "$spec" --from owner -y --output json | field '["task_id"]')
echo "demo: bonded solver and verifier (each through its own node), submitted task $task"
# The agents look for open tasks on their own node's chain: start them once the task is there.
until rpc gettask "{\"task_id\":\"$task\"}" solver >/dev/null 2>&1 &&
  rpc gettask "{\"task_id\":\"$task\"}" verifier >/dev/null 2>&1; do sleep 1; done
echo "demo: $(nodes_line)"

# No --data: `task submit` uploaded the records to the owner's node, and each agent fetches them
# by the task's dataset root through its own node, over P2P, checking every record.
wallet solver agent --role solver --from solver --state-dir "$tmp/solver" \
  --exit-when-idle > >(sed -u 's/^/[solver]   /') 2>&1 &
pids+=($!)
wallet verifier agent --role verifier --from verifier --state-dir "$tmp/verifier" \
  --exit-when-idle > >(sed -u 's/^/[verifier] /') 2>&1 &
pids+=($!)

start=$SECONDS
# The owner follows the task live (`task watch`: units final, round, reported losses, the next
# deadline, time left); it exits when the task is done. Through a pipe it prints one line per
# change, between the agents' lines (on a terminal of its own it redraws in place).
w task watch "$task" | sed -u 's/^/[watch]    /' &
watch_pid=$!
pids+=($watch_pid)
wait $watch_pid
done_after=$((SECONDS - start))
echo "demo: $(nodes_line)"

echo
w task show "$task"
echo
for who in "${roles[@]}"; do
  addr=${address[$who]}
  echo "ledger of $who ($addr):"
  rpc getledger "{\"address\":\"$addr\"}" | python3 -c '
import json, sys
for e in json.load(sys.stdin)["entries"]:
    print("  height %5d  %-22s %16s STEP  %s" % (e["height"], e["code"], "%.9f" % (int(e["amount"]) / 1e9), e["reason"]))'
done
echo "demo: task done in $done_after s"
# What the owner gets: the trained model from its own node's blob store (the final states came
# over P2P from the solver's node), checked against the chain, and its accuracy on digits it
# never trained on.
test_records=$root/tests/fixtures/mnist-test-200.rec
[[ $data == "$root/data/mnist-train.rec" ]] && test_records=$root/data/mnist-test.rec
echo
w task model "$task" "$tmp/model.state" "$test_records"
