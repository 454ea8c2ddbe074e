// Every code step-wallet emits itself (one owner per fact; stable names: `--output json` prints
// them as error.code). Where the wallet passes on or checks a consensus, verifier or blob-API
// reason it uses that part's constant (consensus/errors.h, verifier/errors.h,
// common/rpc_errors.h); a code from a node's JSON-RPC error is rebuilt with
// Status::from_received.
#pragma once

#include "common/status.h"

namespace step::wallet::codes {

// Command line and terminal
inline constexpr ErrorCode kUsage{"usage", ErrorCategory::kMalformed};  // exit code 2, hint
inline constexpr ErrorCode kNoTty{"no-tty", ErrorCategory::kMalformed};
inline constexpr ErrorCode kNoInput{"no-input", ErrorCategory::kMalformed};
inline constexpr ErrorCode kConfirmationNeeded{"confirmation-needed", ErrorCategory::kPolicy};
inline constexpr ErrorCode kCancelled{"cancelled", ErrorCategory::kPolicy};
inline constexpr ErrorCode kPassphraseFile{"passphrase-file", ErrorCategory::kMalformed};
inline constexpr ErrorCode kPassphraseNeeded{"passphrase-needed", ErrorCategory::kMalformed};
inline constexpr ErrorCode kPassphraseMismatch{"passphrase-mismatch", ErrorCategory::kMalformed};
inline constexpr ErrorCode kEmptyPassphrase{"empty-passphrase", ErrorCategory::kMalformed};
inline constexpr ErrorCode kHomeUnset{"home-unset", ErrorCategory::kInternal};

// Networks and user input
inline constexpr ErrorCode kUnknownNetwork{"unknown-network", ErrorCategory::kMalformed};
inline constexpr ErrorCode kNetworkMismatch{"network-mismatch", ErrorCategory::kMalformed};
inline constexpr ErrorCode kNotDevnet{"not-devnet", ErrorCategory::kPolicy};
inline constexpr ErrorCode kBadTxid{"bad-txid", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadTaskId{"bad-task-id", ErrorCategory::kMalformed};
inline constexpr ErrorCode kAmountSyntax{"amount-syntax", ErrorCategory::kMalformed};
inline constexpr ErrorCode kAmountNegative{"amount-negative", ErrorCategory::kMalformed};
inline constexpr ErrorCode kAmountPrecision{"amount-precision", ErrorCategory::kMalformed};
// An amount the user typed (or a sum of them) past u64. Spelled as consensus's
// amount-overflow on purpose (one word for one idea), but a user's input, not a rule.
inline constexpr ErrorCode kAmountOverflow{"amount-overflow", ErrorCategory::kMalformed};

// Keys and files
inline constexpr ErrorCode kKeyNotFound{"key-not-found", ErrorCategory::kNotFound};
inline constexpr ErrorCode kNoDefaultKey{"no-default-key", ErrorCategory::kNotFound};
inline constexpr ErrorCode kKeyExists{"key-exists", ErrorCategory::kPolicy};
inline constexpr ErrorCode kBadKeyName{"bad-key-name", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadPublicKey{"bad-public-key", ErrorCategory::kMalformed};
inline constexpr ErrorCode kSeedFormat{"seed-format", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadKdfParams{"bad-kdf-params", ErrorCategory::kMalformed};
inline constexpr ErrorCode kWrongPassphrase{"wrong-passphrase", ErrorCategory::kMalformed};
inline constexpr ErrorCode kKeystoreCorrupt{"keystore-corrupt", ErrorCategory::kStorage};
// The keystore's folder or a key file is writable by group or others (Keystore::check_permissions).
inline constexpr ErrorCode kKeystoreInsecure{"keystore-insecure", ErrorCategory::kPolicy};
inline constexpr ErrorCode kIoError{"io-error", ErrorCategory::kStorage};
inline constexpr ErrorCode kFileExists{"file-exists", ErrorCategory::kPolicy};  // not overwritten
inline constexpr ErrorCode kFileNotFound{"file-not-found", ErrorCategory::kNotFound};
inline constexpr ErrorCode kFileTooLarge{"file-too-large", ErrorCategory::kMalformed};

// Talking to the node
inline constexpr ErrorCode kBadRpcUrl{"bad-rpc-url", ErrorCategory::kMalformed};
inline constexpr ErrorCode kRpcTimeout{"rpc-timeout", ErrorCategory::kInternal};
inline constexpr ErrorCode kRpcUnreachable{"rpc-unreachable", ErrorCategory::kInternal};
inline constexpr ErrorCode kRpcCookieMissing{"rpc-cookie-missing", ErrorCategory::kNotFound};
inline constexpr ErrorCode kRpcCookieInvalid{"rpc-cookie-invalid", ErrorCategory::kMalformed};
inline constexpr ErrorCode kRpcUnauthorized{"rpc-unauthorized", ErrorCategory::kPolicy};
inline constexpr ErrorCode kRpcBadResponse{"rpc-bad-response", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadResponse{"bad-response", ErrorCategory::kMalformed};  // listtasks
// A JSON-RPC error without error.data.code.
inline constexpr ErrorCode kRpcError{"rpc-error", ErrorCategory::kInternal};

// Agents and models
inline constexpr ErrorCode kDatasetMismatch{"dataset-mismatch", ErrorCategory::kMalformed};
// Neither --data, the state dir's cache nor the node (its store or its peers) holds a task's
// dataset yet; a later poll asks again.
inline constexpr ErrorCode kDatasetUnavailable{"dataset-unavailable", ErrorCategory::kNotFound};
// Neither the node nor its peers hold a committed state (an agent then challenges it).
inline constexpr ErrorCode kStateUnavailable{"state-unavailable", ErrorCategory::kNotFound};
// The node is still fetching a state from its peers; a later poll asks again.
inline constexpr ErrorCode kStateFetching{"state-fetching", ErrorCategory::kNotFound};
inline constexpr ErrorCode kStateCorrupt{"state-corrupt", ErrorCategory::kStorage};  // saved files
// A withheld final state trained again gave another leaf than the committed one: the agent
// computes differently from the chain's kernels (a training that commits would be slashed too).
inline constexpr ErrorCode kRecomputeMismatch{"recompute-mismatch", ErrorCategory::kInternal};
inline constexpr ErrorCode kMissingDigest{"missing-digest", ErrorCategory::kInternal};
inline constexpr ErrorCode kNoFinalRound{"no-final-round", ErrorCategory::kNotFound};
// task watch: the watched task ended cancelled, not done (exit 1 after the last view).
inline constexpr ErrorCode kTaskCancelled{"task-cancelled", ErrorCategory::kNotFound};
// A unit the solver would not train and commit before CLAIM_TIMEOUT at its measured step rate
// and the block pace it sees (agent_logic.h claim_fits): it does not claim it.
inline constexpr ErrorCode kUnitTooLong{"unit-too-long", ErrorCategory::kPolicy};

}  // namespace step::wallet::codes
