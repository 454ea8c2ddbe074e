// JSON-RPC method names served by stepd: the one owner of these names (RPC_CONTRACT.md), with
// the limits and error codes both sides of the API must agree on. It sits in common/ because the
// node (which serves these methods) and the wallet (which calls them) both include it; it carries
// no node internals. Each method's handler is a named function in node/rpc/<group>_methods.cc.
#pragma once

#include <cstdint>

namespace step::rpc {

inline constexpr char kGetChainInfo[] = "getchaininfo";
inline constexpr char kGetBlock[] = "getblock";
inline constexpr char kSendTransaction[] = "sendtransaction";
inline constexpr char kGetTransaction[] = "gettransaction";
inline constexpr char kGetAccount[] = "getaccount";
inline constexpr char kGetStateProof[] = "getstateproof";
inline constexpr char kGetMempoolInfo[] = "getmempoolinfo";
inline constexpr char kGenerate[] = "generate";
// Node extensions beyond RPC_CONTRACT.md (docs/rpc.md):
// submitblock {block: hex of canonical block bytes} (auth) -> {hash, height, tip_changed}
inline constexpr char kSubmitBlock[] = "submitblock";
// getstatehash {} (auth) -> {height, best_hash, state_hash, entries}: digest of all stored state.
inline constexpr char kGetStateHash[] = "getstatehash";
// Market, read-only (docs/rpc.md "Market"):
// gettask {task_id} -> the task record, its spec and derived figures.
inline constexpr char kGetTask[] = "gettask";
// getunit {task_id, round, unit} -> the unit: status, solver, commitments, audits (assignments,
// commits, reveals, verdicts), data challenges, whistle award and its settlements with reasons.
inline constexpr char kGetUnit[] = "getunit";
// listunits {task_id, start?, limit?} -> {total, start, more, units: [getunit's answer...]}: the
// task's units in (round, unit) order from flat index `start` (= round x units_per_round + unit).
inline constexpr char kListUnits[] = "listunits";
// Units per listunits answer: a dashboard's task page of up to 256 units in one call; each unit's
// leaves and audits keep an answer of 256 under a few MB.
inline constexpr uint64_t kMaxListUnits = 256;
inline constexpr uint64_t kDefaultListUnits = 64;
// listtasks {status?: "open"|"all", limit?, start_after?} -> task summaries in task-id order.
inline constexpr char kListTasks[] = "listtasks";
inline constexpr uint64_t kMaxListTasks = 500;  // tasks per listtasks answer
// listtasks' `status` param: open tasks only (the default) or every task.
inline constexpr char kListTasksOpen[] = "open";
inline constexpr char kListTasksAll[] = "all";
// The names the market methods give (getunit, gettaskprogress): a unit's `status`, an audit's
// `verdict`, a data challenge's `kind`. The node writes them; the wallet's agents decide by them.
inline constexpr char kUnitOpen[] = "open";
inline constexpr char kUnitClaimed[] = "claimed";
inline constexpr char kUnitCommitted[] = "committed";
inline constexpr char kUnitOpened[] = "opened";
inline constexpr char kUnitFinal[] = "final";
inline constexpr char kUnitCancelled[] = "cancelled";
inline constexpr char kVerdictNone[] = "none";
inline constexpr char kVerdictAgreed[] = "agreed";
inline constexpr char kVerdictDisagreed[] = "disagreed";
inline constexpr char kVerdictMissed[] = "missed";
inline constexpr char kDataCheckpoint[] = "checkpoint";
inline constexpr char kDataFinalState[] = "final-state";
inline constexpr char kDataDataset[] = "dataset";
inline constexpr char kUnknownName[] = "unknown";  // a value outside the lists above
// gettaskprogress {task_id} -> units done, current round, each committed unit's reported loss.
inline constexpr char kGetTaskProgress[] = "gettaskprogress";
// gettaskledger {task_id} -> every settlement of the task (escrow, pay, slashes) with reasons.
inline constexpr char kGetTaskLedger[] = "gettaskledger";
// getledger {address} -> that account's market payouts, bonds and slashes with reasons.
inline constexpr char kGetLedger[] = "getledger";
// getproofcommitment {commitment} -> a pending ProofCommit: prover, height, bond.
inline constexpr char kGetProofCommitment[] = "getproofcommitment";
// Blobs (docs/rpc.md "Blobs"; PROTOCOL.md section 4): content-addressed, uploaded and served one
// verified chunk at a time.
// putblobchunk {blob_root, blob_size, chunks_root, index, chunk, proof} (auth)
//   -> {blob_root, index, stored, have, chunks, complete}
inline constexpr char kPutBlobChunk[] = "putblobchunk";
// getblobchunk {blob_root, index} -> {blob_root, blob_size, chunks_root, index, chunk, proof}: the
// fields of a DataResponse (its chunk_index is `index`).
inline constexpr char kGetBlobChunk[] = "getblobchunk";
// getblobinfo {blob_root} -> {blob_root, blob_size, chunks_root, chunks, have, complete, missing}
inline constexpr char kGetBlobInfo[] = "getblobinfo";
// listblobs {limit?, start_after?} -> {blobs: [info without missing...], reserved_bytes, max_bytes,
//   max_blob_bytes}
inline constexpr char kListBlobs[] = "listblobs";
inline constexpr uint64_t kMaxListBlobs = 500;  // blobs per listblobs answer
// pruneblob {blob_root} (auth) -> {pruned: true, freed_bytes}
inline constexpr char kPruneBlob[] = "pruneblob";
// Peer-to-peer network (docs/rpc.md "Network"; docs/p2p.md):
// getpeerinfo {} -> [{id, address, local, inbound, handshake_done, version, services, user_agent,
//   start_height, start_work, best_known_height, ping_ms, min_ping_ms, connected_s, bytes_sent,
//   bytes_received (by message type), blocks_in_flight, blocks_received, txs_received,
//   misbehavior}]
inline constexpr char kGetPeerInfo[] = "getpeerinfo";
// getnetworkinfo {} -> {user_agent, protocol_version, listening, connections, inbound, outbound,
//   known_addresses, initial_sync, tip_height, best_header_height, headers_received,
//   blocks_received, txs_received, bytes_sent, bytes_received, discouraged}
inline constexpr char kGetNetworkInfo[] = "getnetworkinfo";
// addnode {address, command: "add"|"remove"|"onetry"} (auth) -> {address, command}
inline constexpr char kAddNode[] = "addnode";
inline constexpr char kAddNodeAdd[] = "add";
inline constexpr char kAddNodeRemove[] = "remove";
inline constexpr char kAddNodeOneTry[] = "onetry";
// disconnectnode {address} or {id} (auth) -> {disconnected: true}
inline constexpr char kDisconnectNode[] = "disconnectnode";
// setban {address, command: "add"|"remove", duration_s?} (auth) -> {address, command, until?}
inline constexpr char kSetBan[] = "setban";
inline constexpr const char* kSetBanAdd = kAddNodeAdd;
inline constexpr const char* kSetBanRemove = kAddNodeRemove;
inline constexpr uint64_t kDefaultBanSeconds = 24 * 3600;  // setban's duration_s when not given
// listbanned {} (auth) -> [{address, until, reason, manual}]: banned by setban (manual) or
// discouraged for misbehaviour.
inline constexpr char kListBanned[] = "listbanned";
// clearbanned {} (auth) -> {cleared: n}
inline constexpr char kClearBanned[] = "clearbanned";
// findblob {blob_root} | {task_id, round, unit, leaf} | {dataset_root}
//   -> {blob_root?, blob_size, chunks, have, complete, fetching, state, peers_asked, holders}:
// the blob a name means (a root, a unit's checkpoint or final state as the chain committed it, a
// task's dataset). When the node lacks it, a fetch from peers starts and the answer reports its
// progress (call again to poll); error kErrNotFound with data.code blob-not-found when no peer
// holds it (or P2P is off).
inline constexpr char kFindBlob[] = "findblob";
// findblob's `state`: held whole here; asking peers who holds it; chunks arriving; part held
// here and nobody serves the rest (with `missing`, as getblobinfo's).
inline constexpr char kBlobComplete[] = "complete";
inline constexpr char kBlobPartial[] = "partial";
inline constexpr char kBlobAsking[] = "asking";
inline constexpr char kBlobFetching[] = "fetching";
// Largest blob a node stores (MAX_BLOB_BYTES): a dataset file or a model state. The wallet checks
// it before uploading; the node enforces it (blob-too-large).
inline constexpr uint64_t kMaxBlobBytes = 64ull << 20;
// Most chunk indices getblobinfo lists in `missing`: every chunk of a kMaxBlobBytes blob, so a
// resumed upload learns all it lacks in one call.
inline constexpr uint64_t kMaxBlobInfoMissing = 1024;

// JSON-RPC error codes (standard ones, then the project's own).
inline constexpr int kErrParse = -32700;
inline constexpr int kErrInvalidRequest = -32600;
inline constexpr int kErrMethodNotFound = -32601;
inline constexpr int kErrInvalidParams = -32602;
inline constexpr int kErrInternal = -32603;
inline constexpr int kErrUnauthorized = -32001;
inline constexpr int kErrTxRejected = -32010;
inline constexpr int kErrNotFound = -32011;
inline constexpr int kErrNotAvailable = -32012;
inline constexpr int kErrBlockRejected = -32013;  // error.data = {"code": "<consensus reason>"}
inline constexpr int kErrNotReady = -32014;       // the node is still loading its chain
inline constexpr int kErrBlobRejected = -32015;   // a blob chunk refused; error.data = {"code": ...}
// A request over the RPC server's limits (docs/node.md "RPC limits"); error.data.code names which
// (common/rpc_errors.h: json-too-deep, batch-too-long, answer-too-large).
inline constexpr int kErrLimit = -32016;

// Default RPC ports per network.
inline constexpr unsigned short kDevnetRpcPort = 18443;
inline constexpr unsigned short kTestnetRpcPort = 28443;
inline constexpr unsigned short kMainnetRpcPort = 8443;

// HTTP Basic auth user name; the password is the hex secret in <datadir>/.cookie.
inline constexpr char kCookieUser[] = "__cookie__";
inline constexpr char kCookieFileName[] = ".cookie";

}  // namespace step::rpc
