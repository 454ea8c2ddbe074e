// Error codes of node/p2p (the protocol), one owner for each. What a peer is punished for is
// decided in one place from a failure's category (misbehavior.h), never here: what the peer
// sent wrong is kMalformed; the ends of a connection that blame nobody (another chain, a
// timeout, a stall) are kPolicy.
#pragma once

#include "common/status.h"

namespace step::node::p2p::codes {

// --- Payloads (codec.h): the peer sent malformed data ---
// Does not parse, carries an unknown field, or is not the canonical encoding of its message.
inline constexpr ErrorCode kMalformedPayload{"malformed-payload", ErrorCategory::kMalformed};
// More items than the message type allows (headers, locator hashes, inventory, addresses) or a
// string over its limit.
inline constexpr ErrorCode kPayloadOverLimit{"payload-over-limit", ErrorCategory::kMalformed};
// A field of the wrong shape: a hash that is not 32 bytes, an unspecified inventory type, an
// address of neither 4 nor 16 bytes.
inline constexpr ErrorCode kBadPayloadField{"bad-payload-field", ErrorCategory::kMalformed};

// --- peers.dat (peers_file.h): a damaged file is set aside at start-up, never fatal ---
// No peers.dat yet: the node starts with an empty book and nothing is set aside.
inline constexpr ErrorCode kPeersFileMissing{"peers-file-missing", ErrorCategory::kNotFound};
inline constexpr ErrorCode kPeersFileIo{"peers-file-io", ErrorCategory::kStorage};
// Larger than a full book can be (kMaxPeersFileBytes); refused unread.
inline constexpr ErrorCode kPeersFileTooLarge{"peers-file-too-large", ErrorCategory::kStorage};
// Not a peers file: another magic, or garbage.
inline constexpr ErrorCode kPeersFileMagic{"peers-file-magic", ErrorCategory::kStorage};
inline constexpr ErrorCode kPeersFileVersion{"peers-file-version", ErrorCategory::kStorage};
// Cut off, an empty file included.
inline constexpr ErrorCode kPeersFileTruncated{"peers-file-truncated", ErrorCategory::kStorage};
inline constexpr ErrorCode kPeersFileTrailingData{"peers-file-trailing-data",
                                                  ErrorCategory::kStorage};
inline constexpr ErrorCode kPeersFileChecksum{"peers-file-checksum", ErrorCategory::kStorage};
// The checksum holds but the records do not add up, or one is not an address entry.
inline constexpr ErrorCode kPeersFileMalformed{"peers-file-malformed", ErrorCategory::kStorage};

// --- Handshake and liveness (handshake.h) ---
// The peer's version names another chain id or genesis block (not misbehaviour: another network).
inline constexpr ErrorCode kWrongChain{"wrong-chain", ErrorCategory::kPolicy};
// A protocol version we do not speak.
inline constexpr ErrorCode kUnsupportedProtocol{"unsupported-protocol", ErrorCategory::kPolicy};
// Our own version nonce came back: we dialled ourselves.
inline constexpr ErrorCode kSelfConnection{"self-connection", ErrorCategory::kPolicy};
// The peer's version nonce is that of another connected peer: the same node connected twice
// (both dialled each other). The newer connection is closed; not misbehaviour.
inline constexpr ErrorCode kDuplicateConnection{"duplicate-connection", ErrorCategory::kPolicy};
// version and verack did not complete within kHandshakeTimeoutS. Malformed, so discouraged: an
// honest peer sends its version in one segment as it connects, and a handshake held open (one
// byte a second) is the slowloris attack on our slots.
inline constexpr ErrorCode kHandshakeTimeout{"handshake-timeout", ErrorCategory::kMalformed};
// A message other than version/verack before the handshake completed, or a second version.
inline constexpr ErrorCode kHandshakeViolation{"handshake-violation", ErrorCategory::kMalformed};
// Nothing received for kInactivityTimeoutS, or no pong within kPingTimeoutS.
inline constexpr ErrorCode kPeerInactive{"peer-inactive", ErrorCategory::kPolicy};

// --- Header sync and block download ---
// More than kMaxNonConnectingHeaders headers messages in a row that connect to nothing we know.
inline constexpr ErrorCode kNonConnectingHeaders{"non-connecting-headers",
                                                 ErrorCategory::kMalformed};
// Side-branch headers past the peer's allowance (header_sync.h): the peer feeds headers that
// never give a chain more work than ours.
inline constexpr ErrorCode kHeaderSpam{"header-spam", ErrorCategory::kMalformed};
// A block nobody asked for that is not the child of our tip, past kMaxUnrequestedBlocks.
inline constexpr ErrorCode kUnrequestedBlocks{"unrequested-blocks", ErrorCategory::kMalformed};
// The peer held up the download window past its stall timeout (disconnected, not discouraged).
inline constexpr ErrorCode kBlockStall{"block-download-stall", ErrorCategory::kPolicy};

// --- Address gossip (addr_relay.h) ---
// More gossiped addresses past the peer's rate limit than kMaxAddrDroppedPerPeer.
inline constexpr ErrorCode kAddrFlood{"addr-flood", ErrorCategory::kMalformed};

// --- Operator requests (node/network.h) ---
// addnode remove for an address that was never added.
inline constexpr ErrorCode kUnknownAddnode{"unknown-addnode", ErrorCategory::kNotFound};

// --- Blob fetch and serve (blob_fetch.h, blob_serve.h) ---
// A blob chunk that fails its Merkle proof against the root it names (data that fails its proof).
inline constexpr ErrorCode kBadBlobChunk{"bad-blob-chunk", ErrorCategory::kConsensus};
// A peer named a blob for a unit's leaf whose root does not give the leaf digest the chain
// committed, or a blob for a dataset root whose records do not hash to it.
inline constexpr ErrorCode kBlobNameMismatch{"blob-name-mismatch", ErrorCategory::kConsensus};
// Blob chunks for blobs we are not fetching, past kMaxUnrequestedBlobChunks.
inline constexpr ErrorCode kUnrequestedBlobChunks{"unrequested-blob-chunks",
                                                  ErrorCategory::kMalformed};
// A name by unit leaf whose leaf the chain has not committed (yet): no blob can be checked.
inline constexpr ErrorCode kLeafNotCommitted{"leaf-not-committed", ErrorCategory::kNotFound};
// kMaxActiveBlobFetches fetches are under way; ask again when one ends.
inline constexpr ErrorCode kBlobFetchesFull{"blob-fetches-full", ErrorCategory::kPolicy};

}  // namespace step::node::p2p::codes
