// Whether a peer's failure costs it more than the connection, decided in ONE place from the
// failure's category (common/status.h). A peer is never punished for what an honest peer may send:
// a valid block on a losing fork (that is no failure), something we already have, a header or block
// that connects to nothing we know yet, a branch too light to keep, or a timestamp ahead of our own
// clock. Transactions reach this only when they fail the stateless rules (relay.cc): one that
// merely no longer fits our state or mempool policy is not the sender's fault.
#pragma once

#include <string_view>

#include "common/status.h"

namespace step::node::p2p {

enum class Punishment {
    kNone,        // nothing beyond what the caller does (a timeout still ends the connection)
    kDiscourage,  // disconnect, and prefer other peers for a while (the reason is kept)
};

std::string_view punishment_name(Punishment p);

// Invalid by consensus or malformed: discourage (except a timestamp ahead of our clock).
// Everything else (policy, not found, internal and storage failures) says nothing bad about
// the peer: none.
Punishment punishment_for(const Status& failure);

}  // namespace step::node::p2p
