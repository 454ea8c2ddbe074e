// Every rejection reason consensus emits, in one place (one owner per fact). The strings are
// machine-readable and stable: the node sends them to peers and RPC clients
// (error.data.code), so renaming one is an API change. docs/consensus.md lists them all.
#pragma once

namespace step::consensus::codes {

// Encoding
inline constexpr char kNonCanonicalEncoding[] = "non-canonical-encoding";  // bytes != re-encoding
inline constexpr char kUnknownField[] = "unknown-field";                   // field not in schema
inline constexpr char kMalformed[] = "malformed";                         // does not parse
inline constexpr char kBadAddress[] = "bad-address";                      // bech32m text invalid

// Transactions (stateless)
inline constexpr char kTxTooLarge[] = "tx-too-large";
inline constexpr char kWrongChainId[] = "wrong-chain-id";
inline constexpr char kBadPubkey[] = "bad-pubkey";
inline constexpr char kBadSignature[] = "bad-signature";
inline constexpr char kMissingPayload[] = "missing-payload";
inline constexpr char kPayloadNotActive[] = "payload-not-active";
inline constexpr char kBadRecipient[] = "bad-recipient";
inline constexpr char kBadRole[] = "bad-role";
inline constexpr char kZeroAmount[] = "zero-amount";
inline constexpr char kFeeTooLow[] = "fee-too-low";
inline constexpr char kAmountOverflow[] = "amount-overflow";

// Transactions (against state)
inline constexpr char kBadNonce[] = "bad-nonce";
inline constexpr char kInsufficientFunds[] = "insufficient-funds";
inline constexpr char kInsufficientBond[] = "insufficient-bond";
inline constexpr char kTooManyLocks[] = "too-many-locks";

// Block headers
inline constexpr char kBadVersion[] = "bad-version";
inline constexpr char kBadHeight[] = "bad-height";
inline constexpr char kBadPrevHash[] = "bad-prev-hash";
inline constexpr char kBadHeaderField[] = "bad-header-field";  // wrong-length hash/address field
inline constexpr char kTimeTooOld[] = "time-too-old";
inline constexpr char kTimeTooNew[] = "time-too-new";
inline constexpr char kBadTarget[] = "bad-target";
inline constexpr char kBadPow[] = "bad-pow";

// Block bodies and results
inline constexpr char kBlockTooLarge[] = "block-too-large";
inline constexpr char kTooManyTxs[] = "too-many-txs";
inline constexpr char kBadTxRoot[] = "bad-tx-root";
inline constexpr char kBadStateRoot[] = "bad-state-root";

// State storage (a value under a state key does not parse: the store is corrupt)
inline constexpr char kCorruptState[] = "corrupt-state";

}  // namespace step::consensus::codes
