// Transactions: identity, signing, and the rules (PROTOCOL.md section 2, docs/consensus.md).
// Every function is pure; state comes in through KvRead and goes out as KvWrites.
#pragma once

#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/encoding.h"
#include "consensus/keys.h"
#include "consensus/kv.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "verifier/proofs.h"

namespace step::consensus {

// txid = H_txid(canonical bytes, signature included).
Hash256 txid(const pb::Transaction& tx);
// What the signature signs: H_tx-sighash(canonical bytes with the signature field empty). The
// chain id is field 1 of those bytes, so every signature is bound to one chain.
Hash256 tx_sighash(const pb::Transaction& tx);
// Sets sender_pubkey from the seed and signs (overwrites any signature).
void sign_transaction(pb::Transaction& tx, const SecretSeed& seed);
// Sender address; the all-zero address when sender_pubkey is not 32 bytes.
Address tx_sender(const pb::Transaction& tx);

// The chunk proof a unit-blob DataResponse carries (its blob root in *blob_root); nullopt when
// a root or a path item is not 32 bytes. Consensus checks it against the committed leaf; the
// node stores the chunks of the responses its blocks hold.
std::optional<verifier::ChunkProof> response_chunk_proof(const pb::DataResponse& r,
                                                         Hash256* blob_root);

// Stateless rules, signature included: size, chain id, key and signature shapes, payload kind
// and fields, fee >= MIN_FEE, fee + amount without overflow, signature valid.
Status check_transaction(const pb::Transaction& tx, const Params& p);
// Stateless rules, then the stateful ones against `state` for a block at `height`: nonce equals
// the account nonce, funds and bonds suffice, no credit overflows.
Status check_transaction_against(const KvRead& state, const pb::Transaction& tx, const Params& p,
                                 uint64_t height);
// As check_transaction_against, returning the state-key writes of applying the tx (accounts and
// release lists; not the fee's credit to a miner, not the state tree). Layer them with OverlayKv
// to validate a mempool chain of one sender's transactions.
Result<KvWrites> apply_transaction(const KvRead& state, const pb::Transaction& tx,
                                   const Params& p, uint64_t height);

}  // namespace step::consensus
