// The one place that decides what a failure costs a peer.
#include <catch2/catch.hpp>

#include "consensus/errors.h"
#include "node/errors.h"
#include "node/net/errors.h"
#include "node/p2p/errors.h"
#include "node/p2p/misbehavior.h"

using namespace step;
using namespace step::node::p2p;

namespace {

Punishment for_code(const ErrorCode& code) {
    return punishment_for(Status::error(code, "test"));
}

}  // namespace

TEST_CASE("invalid or malformed data discourages the peer") {
    CHECK(for_code(step::consensus::codes::kBadPow) == Punishment::kDiscourage);
    CHECK(for_code(step::consensus::codes::kBadStateRoot) == Punishment::kDiscourage);
    CHECK(for_code(step::consensus::codes::kBadSignature) == Punishment::kDiscourage);
    CHECK(for_code(step::consensus::codes::kBadTxRoot) == Punishment::kDiscourage);
    CHECK(for_code(step::node::codes::kInvalidParent) == Punishment::kDiscourage);
    CHECK(for_code(codes::kMalformedPayload) == Punishment::kDiscourage);
    CHECK(for_code(codes::kPayloadOverLimit) == Punishment::kDiscourage);
    CHECK(for_code(codes::kHandshakeViolation) == Punishment::kDiscourage);
    CHECK(for_code(codes::kHeaderSpam) == Punishment::kDiscourage);
    CHECK(for_code(codes::kNonConnectingHeaders) == Punishment::kDiscourage);
    CHECK(for_code(codes::kUnrequestedBlocks) == Punishment::kDiscourage);
    CHECK(for_code(step::node::net::codes::kFrameBadChecksum) == Punishment::kDiscourage);
    CHECK(for_code(step::node::net::codes::kFrameBadMagic) == Punishment::kDiscourage);
}

TEST_CASE("what an honest peer may cause costs it nothing") {
    CHECK(punishment_for(Status()) == Punishment::kNone);
    // Races and branches too light to keep.
    CHECK(for_code(step::node::codes::kUnknownParent) == Punishment::kNone);
    CHECK(for_code(step::node::codes::kHeadersLowWork) == Punishment::kNone);
    CHECK(for_code(step::node::codes::kSideHeadersFull) == Punishment::kNone);
    // Our clock may lag theirs.
    CHECK(for_code(step::consensus::codes::kTimeTooNew) == Punishment::kNone);
    // A transaction the mempool refuses by policy.
    CHECK(for_code(step::node::codes::kAlreadyInMempool) == Punishment::kNone);
    CHECK(for_code(step::node::codes::kMempoolFull) == Punishment::kNone);
    // Another network, ourselves, timeouts and stalls end the connection, nothing more.
    CHECK(for_code(codes::kWrongChain) == Punishment::kNone);
    CHECK(for_code(codes::kSelfConnection) == Punishment::kNone);
    CHECK(for_code(codes::kHandshakeTimeout) == Punishment::kDiscourage);
    CHECK(for_code(codes::kPeerInactive) == Punishment::kNone);
    CHECK(for_code(codes::kBlockStall) == Punishment::kNone);
    CHECK(for_code(step::node::net::codes::kSendQueueFull) == Punishment::kNone);
    // Our own disk failing.
    CHECK(for_code(step::consensus::codes::kCorruptState) == Punishment::kNone);
    CHECK(for_code(step::node::codes::kDbWrite) == Punishment::kNone);
}
