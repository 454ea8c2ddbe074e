// The supply audit (PROTOCOL.md section 2, "Supply"): every base unit ever minted and not burned
// is held somewhere in the state. Tests and tools run it over a whole state; consensus never
// needs it to apply a block (each rule keeps the invariant on its own).
#pragma once

#include <cstdint>
#include <map>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/kv.h"

namespace step::consensus {

// Every base unit held: balances, bonds and locks (accounts), escrows, unit bonds, proof,
// whistle and data-challenge bonds (other_bonds), and the pool. check_supply's other half.
struct SupplyReport {
    unsigned __int128 accounts = 0, escrow = 0, unit_bonds = 0, other_bonds = 0, pool = 0;
    uint64_t minted = 0, burned = 0;
    unsigned __int128 total() const { return accounts + escrow + unit_bonds + other_bonds + pool; }
};
// Sums the whole state ("corrupt-state" for a record that does not decode).
Result<SupplyReport> supply_report(const std::map<Bytes, Bytes, BytesLess>& state);
// The invariant: total() == minted - burned. "supply-mismatch" if not.
Status check_supply(const std::map<Bytes, Bytes, BytesLess>& state);

}  // namespace step::consensus
