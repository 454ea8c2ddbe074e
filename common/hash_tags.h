// Every domain tag used with tagged_hash, in one place. Changing one forks the chain.
#pragma once

namespace step::tags {

inline constexpr char kMerkleLeaf[] = "stepchain/merkle-leaf";
inline constexpr char kMerkleNode[] = "stepchain/merkle-node";
inline constexpr char kChunk[] = "stepchain/chunk";
inline constexpr char kBlobRoot[] = "stepchain/blob-root";
inline constexpr char kTraceLeaf[] = "stepchain/trace-leaf";
inline constexpr char kAddress[] = "stepchain/address";
inline constexpr char kTxId[] = "stepchain/txid";
inline constexpr char kTxSighash[] = "stepchain/tx-sighash";
inline constexpr char kBlockHash[] = "stepchain/block";
inline constexpr char kPow[] = "stepchain/pow";
inline constexpr char kTxRoot[] = "stepchain/tx-root";
inline constexpr char kStateLeaf[] = "stepchain/state-leaf";
inline constexpr char kStateNode[] = "stepchain/state-node";
inline constexpr char kStateKey[] = "stepchain/state-key";
inline constexpr char kStateValue[] = "stepchain/state-value";
inline constexpr char kRandom[] = "stepchain/random";
inline constexpr char kDataRecord[] = "stepchain/data-record";
inline constexpr char kAuditCommit[] = "stepchain/audit-commit";
inline constexpr char kProofCommit[] = "stepchain/proof-commit";
inline constexpr char kTaskId[] = "stepchain/task-id";
inline constexpr char kAssignSeed[] = "stepchain/assign-seed";
// Not consensus: the checksum of a P2P message (node/net/framing.h).
inline constexpr char kP2pChecksum[] = "stepchain/p2p-checksum";

}  // namespace step::tags
