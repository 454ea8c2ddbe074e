// Internal to consensus/: the market's state records and their keys (PROTOCOL.md section 3).
// Every record is a canonical protobuf (consensus/proto/market.proto) stored through the same
// StateCache as accounts, so the state root covers it and block undo restores it.
//
//   'T' || task_id(32)                         -> pb::Task
//   'U' || task_id(32) || u32be round || u32be unit -> pb::Unit
//   'D' || u64be(height)                       -> pb::UnitRefList (units with a deadline then)
//   'V'                                        -> pb::AddressList (accounts that ever bonded as verifier)
//   'L' || address(20)                         -> pb::Ledger (that account's market ledger)
//   'M' || task_id(32)                         -> pb::Ledger (that task's ledger)
//   'P' || commitment(32)                      -> pb::ProofCommitment
//   'C' || unit key(41) || u32be leaf || u64be chunk -> pb::DataChallengeState (checkpoint or
//                                                 final state; listed in the unit's challenges)
//   'R' || task_id(32) || u64be record         -> pb::DataChallengeState (dataset record; listed
//                                                 in the task's data_challenges)
//   'W' || unit key(41)                        -> pb::WhistleAward
//   'F'                                        -> u64 replay FLOPs of the current block (deleted
//                                                 at block end: never stored)
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/keys.h"
#include "consensus/kv.h"
#include "consensus/params.h"
#include "consensus/proto/market.pb.h"
#include "consensus/state_cache.h"

namespace step::consensus {

// Settlement reason codes stored in ledger entries (docs/protocol.md lists them).
namespace reasons {
inline constexpr char kTaskEscrow[] = "task-escrow";
inline constexpr char kCancelRefund[] = "task-cancelled-refund";
inline constexpr char kUnitCancelled[] = "unit-cancelled";
inline constexpr char kTaskRemainder[] = "task-remainder-refund";
inline constexpr char kBondLock[] = "unit-bond-locked";
inline constexpr char kBondRelease[] = "unit-bond-released";
inline constexpr char kUnitPay[] = "unit-final-pay";
inline constexpr char kUnitSubsidy[] = "unit-final-subsidy";
inline constexpr char kAuditFee[] = "audit-agreed-fee";
inline constexpr char kAuditUnproven[] = "audit-disagreed-unproven";
inline constexpr char kAuditMissed[] = "audit-missed-window";
inline constexpr char kAuditExcused[] = "audit-excused";
inline constexpr char kClaimTimeout[] = "claim-timeout";
inline constexpr char kTraceNotOpened[] = "trace-not-opened";
inline constexpr char kUnitReset[] = "unit-reset";
inline constexpr char kFraudProven[] = "fraud-proven";
inline constexpr char kDependantReset[] = "fraud-dependant-reset";
inline constexpr char kDependantFlops[] = "fraud-dependant-flops";
inline constexpr char kDependantAuditFee[] = "fraud-dependant-audit-fee";
inline constexpr char kWhistleReward[] = "fraud-whistle-reward";
inline constexpr char kFraudBurn[] = "fraud-bond-burned";
inline constexpr char kLazyVerifier[] = "lazy-verifier";
inline constexpr char kProofBondReturned[] = "proof-bond-returned";
inline constexpr char kProofFailedBurn[] = "proof-failed-burned";
inline constexpr char kProofFailedToSolver[] = "proof-failed-to-solver";
inline constexpr char kDataWithheld[] = "data-withheld";
inline constexpr char kChallengeAnswered[] = "data-challenge-answered";
inline constexpr char kChallengeRefund[] = "data-challenge-refund";
inline constexpr char kFinalStateWithheld[] = "final-state-withheld";
inline constexpr char kDatasetWithheld[] = "dataset-withheld";
inline constexpr char kDatasetWithheldPay[] = "dataset-withheld-pay";
}  // namespace reasons

bool is_market_key(ByteSpan key);
Hash256 task_id_for(const Address& owner, uint64_t nonce);
Bytes task_key(const Hash256& id);
Bytes unit_key(const Hash256& id, uint32_t round, uint32_t unit);
Bytes deadline_key(uint64_t height);
Bytes verifier_index_key();
Bytes account_ledger_key(const Address& a);
Bytes task_ledger_key(const Hash256& id);
Bytes proof_commit_key(ByteSpan commitment);
Bytes award_key(const Bytes& unit_key);
Bytes block_flops_key();
Bytes challenge_key(const Bytes& unit_key, uint32_t leaf, uint64_t chunk);
Bytes record_challenge_key(const Hash256& task, uint64_t record);

// Every base unit held outside balances, bonds and locks: escrows, unit bonds, proof and
// data-challenge bonds, and the pool. check_supply's other half.
struct SupplyReport {
    unsigned __int128 accounts = 0, escrow = 0, unit_bonds = 0, other_bonds = 0, pool = 0;
    uint64_t minted = 0, burned = 0;
    unsigned __int128 total() const { return accounts + escrow + unit_bonds + other_bonds + pool; }
};
// Sums the whole state. The invariant: total() == minted - burned. "supply-mismatch" if not.
Result<SupplyReport> supply_report(const std::map<Bytes, Bytes, BytesLess>& state);
Status check_supply(const std::map<Bytes, Bytes, BytesLess>& state);

namespace detail {

inline Address to_address(const std::string& s) {
    Address a{};
    if (s.size() == a.size()) std::copy(s.begin(), s.end(), a.begin());
    return a;
}
inline Hash256 to_hash(const std::string& s) {
    Hash256 h{};
    if (s.size() == h.size()) std::copy(s.begin(), s.end(), h.begin());
    return h;
}
inline std::string str(const Address& a) { return std::string(a.begin(), a.end()); }
inline std::string str(const Hash256& h) { return std::string(h.begin(), h.end()); }

// Typed access to the market records through the cache.
class Market {
public:
    Market(StateCache& cache, const Params& p, uint64_t height)
        : cache_(cache), p_(p), height_(height) {}

    StateCache& cache() { return cache_; }
    const Params& params() const { return p_; }
    uint64_t height() const { return height_; }

    Result<std::optional<pb::Task>> task(const Hash256& id);
    void put_task(const Hash256& id, const pb::Task& t);
    Result<pb::Unit> unit(const Hash256& id, uint32_t round, uint32_t unit);
    Result<pb::Unit> unit_at(const Bytes& key);
    void put_unit(const Bytes& key, const pb::Unit& u);
    Result<std::vector<Bytes>> deadlines(uint64_t height);
    Status schedule(uint64_t height, const Bytes& unit_key);
    void clear_deadlines(uint64_t height);
    Result<std::vector<Address>> verifiers();
    Status note_verifier(const Address& a);

    // Ledger: appends to the account's ledger (when `account` is set) and the task's.
    Status record(const std::optional<Address>& account, const Hash256& task, uint32_t round,
                  uint32_t unit, const char* kind, uint64_t amount, const char* code,
                  const std::string& reason);

    // Money movements, each recorded. Overflow-checked.
    Status credit_balance(const Address& a, uint64_t amount);
    Status burn(uint64_t amount);
    Result<uint64_t> take_from_pool(uint64_t want);

private:
    Result<pb::Ledger> ledger(const Bytes& key);
    StateCache& cache_;
    const Params& p_;
    uint64_t height_;
};

}  // namespace detail
}  // namespace step::consensus
