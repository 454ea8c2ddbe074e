#!/usr/bin/env bash
# P2P benchmarks between real stepd processes on 127.0.0.1 (docs/benchmarks.md "P2P"). Prints one
# JSON line per figure (name, value, unit, note), as step-bench does.
#   scripts/bench-p2p.sh [sync|propagate|flood|all]     (default: all)
# sync:      a fresh node syncs BLOCKS blocks of TXS transfers from a node that has them; blocks/s,
#            MB/s, and the ratio to the same build's node_connect rate (validation alone).
# propagate: a block of 1,000 transfers submitted to the first node of a line of 5: milliseconds
#            per hop (from each node's log), and that minus the block's own validation time.
# flood:     the sync again while another connection floods the syncing node with garbage;
#            the ratio of the two sync rates.
# Environment: STEP_BUILD_DIR (default ./build), STEP_BENCH_SYNC_BLOCKS (2000),
# STEP_BENCH_SYNC_TXS (100), STEP_BENCH_PORT (first of the ports used, default 19800).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${STEP_BUILD_DIR:-$root/build}/bin
blocks=${STEP_BENCH_SYNC_BLOCKS:-2000}
txs=${STEP_BENCH_SYNC_TXS:-100}
port=${STEP_BENCH_PORT:-19800}
what=${1:-all}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/step-bench-p2p.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_node NAME INDEX [stepd args...]: RPC on port+2*INDEX, P2P on the next port.
start_node() {
  local name=$1 i=$2
  shift 2
  "$bin/stepd" --network devnet --datadir "$tmp/$name" --rpc-bind "127.0.0.1:$((port + 2 * i))" \
    --p2p-bind "127.0.0.1:$((port + 2 * i + 1))" "$@" >"$tmp/$name.out" 2>&1 &
  pids+=($!)
}
p2p_of() { echo "127.0.0.1:$((port + 2 * $1 + 1))"; }

# rpc INDEX NAME METHOD JSON_PARAMS|@FILE: prints the result as JSON (the node's cookie for auth).
rpc() {
  python3 - "$((port + 2 * $1))" "$tmp/$2/.cookie" "$3" "$4" <<'PY'
import base64, json, sys, urllib.request
port, cookie, method, params = sys.argv[1:]
if params.startswith("@"):
    params = open(params[1:]).read()
req = urllib.request.Request("http://127.0.0.1:%s/" % port, json.dumps(
    {"jsonrpc": "2.0", "id": 1, "method": method, "params": json.loads(params)}).encode(),
    {"Content-Type": "application/json"})
try:
    req.add_header("Authorization", "Basic " + base64.b64encode(open(cookie, "rb").read().strip()).decode())
except OSError:
    pass
print(json.dumps(json.load(urllib.request.urlopen(req))["result"]))
PY
}
height() { rpc "$1" "$2" getchaininfo '{}' 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])' || echo -1; }
wait_ready() { until [[ $(height "$1" "$2") -ge 0 ]]; do sleep 0.1; done; }
wait_height() { until [[ $(height "$1" "$2") -ge $3 ]]; do sleep 0.05; done; }
now() { date +%s.%N; }
emit() {  # emit NAME VALUE UNIT NOTE
  python3 -c 'import json,sys; n,v,u,note=sys.argv[1:]; print(json.dumps({"name":n,"value":round(float(v),3),"unit":u,"note":note}))' "$@"
}
stop_all() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

# sync_once NAME: a fresh node NAME syncs from node 0 (src); sets sync_seconds and sync_bytes.
# (Not run in a subshell: the node it starts must be in this shell's pids to be stopped.)
sync_once() {
  local name=$1
  start_node "$name" 1 --connect "$(p2p_of 0)" --no-listen
  wait_ready 1 "$name"
  local t0 t1
  t0=$(now)
  wait_height 1 "$name" "$((blocks + txs))"
  t1=$(now)
  sync_bytes=$(rpc 1 "$name" getnetworkinfo '{}' | python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["bytes_received"].values()))')
  sync_seconds=$(python3 -c "print($t1 - $t0)")
}

build_source() {
  [[ -d $tmp/src ]] && return
  "$bin/step-bench" node_connect "$blocks" "$txs" "$tmp/src" >"$tmp/node_connect.json"
  node_connect_rate=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j["name"] == "node_connect_blocks_per_s": print(j["value"])' "$tmp/node_connect.json")
}

# The height the source has: TXS funding blocks, then BLOCKS blocks of TXS transfers.
bench_sync() {
  build_source
  start_node src 0
  wait_ready 0 src
  sync_once fresh
  local seconds=$sync_seconds bytes=$sync_bytes
  sync_rate=$(python3 -c "print(($blocks + $txs) / $seconds)")
  emit p2p_sync_blocks_per_s "$sync_rate" blocks/s "$((blocks + txs)) blocks ($blocks of $txs transfers) between two stepd on loopback"
  emit p2p_sync_mb_per_s "$(python3 -c "print($bytes / 1e6 / $seconds)")" MB/s "bytes received by the syncing node, whole frames"
  emit p2p_sync_vs_node_connect "$(python3 -c "print($sync_rate / $node_connect_rate)")" ratio \
    "sync blocks/s over node_connect blocks/s ($node_connect_rate: template, apply and connect in-process)"
  stop_all
}

# A garbage flood from 127.0.0.2 at the syncing node's listening port while it syncs.
bench_flood() {
  build_source
  [[ -z ${sync_rate:-} ]] && bench_sync
  start_node src 0
  wait_ready 0 src
  start_node flooded 1 --connect "$(p2p_of 0)"
  python3 - "$(p2p_of 1)" "$tmp/flood.count" <<'PY' &
import os, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
sent = conns = 0
deadline = time.time() + 600
while time.time() < deadline:
    try:
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.connect((host, int(port)))
        conns += 1
        while True:
            sent += s.send(os.urandom(65536))
    except OSError:
        pass
    finally:
        s.close()
    open(sys.argv[2], "w").write("%d %d\n" % (conns, sent))
PY
  flooder=$!
  pids+=($flooder)
  wait_ready 1 flooded
  local t0 t1
  t0=$(now)
  wait_height 1 flooded "$((blocks + txs))"
  t1=$(now)
  kill "$flooder" 2>/dev/null || true
  local flood_rate
  flood_rate=$(python3 -c "print(($blocks + $txs) / ($t1 - $t0))")
  emit p2p_sync_blocks_per_s_under_flood "$flood_rate" blocks/s "$(cat "$tmp/flood.count" 2>/dev/null || echo '0 0') (connections, garbage bytes) from 127.0.0.2 meanwhile"
  emit p2p_sync_flood_ratio "$(python3 -c "print($flood_rate / $sync_rate)")" ratio "sync rate under the flood over the rate without it (goal >= 0.8)"
  stop_all
}

# A line of 5 nodes at the same tip; a block of 1,000 transfers submitted to the first.
bench_propagate() {
  "$bin/step-bench" node_connect 2 1000 "$tmp/prop" >/dev/null
  local top=$((1000 + 2))
  start_node prop 0
  for i in 1 2 3 4; do start_node "line$i" "$i" --connect "$(p2p_of $((i - 1)))" --log-level debug; done
  wait_height 0 prop "$top"
  for i in 1 2 3 4; do wait_height "$i" "line$i" "$top"; done
  local t0 t1
  t0=$(now)
  echo "{\"block\":\"$(cat "$tmp/prop/next-block.hex")\"}" >"$tmp/submit.json"
  rpc 0 prop submitblock "@$tmp/submit.json" >/dev/null
  t1=$(now)
  for i in 1 2 3 4; do wait_height "$i" "line$i" "$((top + 1))"; done
  python3 - "$top" "$tmp"/prop/debug.log "$tmp"/line{1,2,3,4}/debug.log <<'PY'
import datetime, json, re, statistics, sys
height, logs = int(sys.argv[1]) + 1, sys.argv[2:]
def stamp(line):
    return datetime.datetime.fromisoformat(line.split()[0].rstrip("Z")).timestamp() * 1000
def tip_and_validation(path):
    lines = open(path).read().splitlines()
    tip = next(i for i, l in enumerate(lines) if "new tip height %d " % height in l)
    # The block's own submit (validation and storage) is logged just before its new tip.
    took = [float(m.group(1)) / 1000 for l in lines[max(0, tip - 5):tip]
            for m in [re.search(r"submitted in (\d+) us", l)] if m]
    return stamp(lines[tip]), (took[-1] if took else 0.0)
seen = [tip_and_validation(p) for p in logs]
hops = [b[0] - a[0] for a, b in zip(seen, seen[1:])]
overheads = [h - v for h, (_, v) in zip(hops, seen[1:])]
print(json.dumps({"name": "p2p_propagation_ms_per_hop", "value": round(statistics.median(hops), 1),
                  "unit": "ms", "note": "median of %s over a line of 5 nodes, block of 1,000 transfers" % [round(h, 1) for h in hops]}))
print(json.dumps({"name": "p2p_propagation_overhead_ms_per_hop", "value": round(statistics.median(overheads), 1),
                  "unit": "ms", "note": "median hop minus the receiving node's own submit of the block (%s ms); goal < 50" % [round(v, 1) for _, v in seen[1:]]}))
PY
  stop_all
}

case $what in
  sync) bench_sync ;;
  flood) bench_flood ;;
  propagate) bench_propagate ;;
  all) bench_sync; bench_flood; bench_propagate ;;
  *) echo "bench-p2p.sh: sync, flood, propagate or all" >&2; exit 2 ;;
esac
