#include "node/p2p/misbehavior.h"

#include "consensus/errors.h"

namespace step::node::p2p {

std::string_view punishment_name(Punishment p) {
    switch (p) {
        case Punishment::kNone:
            return "none";
        case Punishment::kDiscourage:
            return "discourage";
    }
    return "none";
}

Punishment punishment_for(const Status& failure) {
    if (failure.ok()) return Punishment::kNone;
    // A timestamp ahead of our clock may be our clock's fault (Bitcoin's BLOCK_TIME_FUTURE).
    if (failure.is(consensus::codes::kTimeTooNew)) return Punishment::kNone;
    switch (failure.category()) {
        case ErrorCategory::kConsensus:  // a header, block or (stateless) transaction rule broken
        case ErrorCategory::kMalformed:  // bytes, limits or the protocol's order broken
            return Punishment::kDiscourage;
        case ErrorCategory::kPolicy:    // too light to keep, another chain, a timeout, a stall
        case ErrorCategory::kNotFound:  // a parent we do not know yet: an honest race
        case ErrorCategory::kInternal:  // our own failure
        case ErrorCategory::kStorage:   // our own disk
            return Punishment::kNone;
    }
    return Punishment::kNone;
}

}  // namespace step::node::p2p
