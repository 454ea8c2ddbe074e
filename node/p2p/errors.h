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

}  // namespace step::node::p2p::codes
