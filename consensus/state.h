// The account state (PROTOCOL.md section 2). Values are canonical protobuf (pb::Account etc.);
// an all-zero account is deleted rather than stored, so absence == zero. The keys they are
// stored under (account_key, totals_key, release_key) are consensus/state_keys.h's.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/keys.h"
#include "consensus/kv.h"
#include "consensus/state_keys.h"

namespace step::consensus {

enum class BondRole : uint32_t { kSolver = 1, kVerifier = 2 };
enum class LockKind : uint32_t { kUnbondingSolver = 1, kUnbondingVerifier = 2, kCoinbase = 3 };

struct LockedEntry {
    LockKind kind = LockKind::kCoinbase;
    uint64_t amount = 0;
    uint64_t release_height = 0;
    friend bool operator==(const LockedEntry&, const LockedEntry&) = default;
};

struct AccountState {
    uint64_t balance = 0;
    uint64_t nonce = 0;
    uint64_t solver_bond = 0;
    uint64_t verifier_bond = 0;
    std::vector<LockedEntry> locked;  // sorted by (release_height, kind)

    bool is_empty() const;
    friend bool operator==(const AccountState&, const AccountState&) = default;
};

struct ChainTotals {
    uint64_t pool = 0;    // useful-work pool
    uint64_t minted = 0;  // subsidy ever issued
    uint64_t burned = 0;  // amounts ever destroyed
    friend bool operator==(const ChainTotals&, const ChainTotals&) = default;
};

Bytes encode_account(const AccountState& a);
Result<AccountState> decode_account(ByteSpan bytes);  // "corrupt-state" on bad bytes
Bytes encode_totals(const ChainTotals& t);
Result<ChainTotals> decode_totals(ByteSpan bytes);
Bytes encode_release_list(const std::vector<Address>& addrs);
Result<std::vector<Address>> decode_release_list(ByteSpan bytes);

// Reads; absent keys give zero values.
Result<AccountState> read_account(const KvRead& kv, const Address& addr);
Result<ChainTotals> read_totals(const KvRead& kv);

// Sum of balance, bonds and locked entries, nullopt on overflow (an invariant check helper).
std::optional<uint64_t> account_holdings(const AccountState& a);

// Slashing: takes up to `amount` from the role's bond, then from that role's unbonding entries
// (latest release first: the most recent unbonding is the one closest to the offence), so a
// bond stays slashable while unbonding. Returns what was taken; the caller decides where it goes
// (burned, paid to a whistleblower). Emptied entries are removed.
uint64_t slash_bond(AccountState& a, BondRole role, uint64_t amount);

}  // namespace step::consensus
