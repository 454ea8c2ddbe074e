// Error codes of node/p2p (the protocol), one owner for each. What a peer is punished for is
// decided in one place from a failure's kind (misbehavior.h), never here.
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

}  // namespace step::node::p2p::codes
