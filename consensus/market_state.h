// Internal to consensus/: the market's state records (PROTOCOL.md section 3). Every record is a
// canonical protobuf (consensus/proto/market.proto) stored through the same StateCache as
// accounts, so the state root covers it and block undo restores it. The keys they live under
// are consensus/state_keys.h's.
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
#include "consensus/state_keys.h"

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
// A claimed, uncommitted unit of the next round released (bond back, reset) when a unit of its
// previous round is slashed for withheld data, or resets unopened while this unit's solver has
// a data challenge pending on it: it could not compute its start state.
inline constexpr char kDataDependantReset[] = "data-dependant-reset";
inline constexpr char kDatasetWithheld[] = "dataset-withheld";
inline constexpr char kDatasetWithheldPay[] = "dataset-withheld-pay";
}  // namespace reasons

// Ledger entry kinds (pb::LedgerEntry.kind, stored in state; docs/rpc.md shows them): what an
// entry did to the money it names.
namespace ledger_kinds {
inline constexpr char kEscrow[] = "escrow";              // budget moved into a task's escrow
inline constexpr char kCancel[] = "cancel";              // an unclaimed unit cancelled
inline constexpr char kRefund[] = "refund";              // escrow or a bond returned
inline constexpr char kBondLock[] = "bond-lock";         // solver bond locked into a unit
inline constexpr char kBondRelease[] = "bond-release";   // unit bond back to the solver bond
inline constexpr char kPayout[] = "payout";              // paid to an account's balance
inline constexpr char kSubsidy[] = "subsidy";            // paid from the useful-work pool
inline constexpr char kSlash[] = "slash";                // taken from a bond or escrow
inline constexpr char kBurn[] = "burn";                  // destroyed
inline constexpr char kReset[] = "reset";                // a unit back to open (or cancelled)
inline constexpr char kExcuse[] = "excuse";              // a verifier excused, nothing moved
}  // namespace ledger_kinds

// An audit's verdict (pb::Audit.verdict), set when the trace is opened or the reveal missed.
namespace verdicts {
inline constexpr uint32_t kNone = 0;
inline constexpr uint32_t kAgreed = 1;
inline constexpr uint32_t kDisagreed = 2;
inline constexpr uint32_t kMissed = 3;
}  // namespace verdicts

// A task's id: H_task-id(owner || u64le nonce of its SubmitTask).
Hash256 task_id_for(const Address& owner, uint64_t nonce);

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
    // A unit's bond back to its solver's bond (u.bond() becomes 0); `why` goes to the ledger.
    Status release_unit_bond(const Address& solver, const UnitKey& unit, pb::Unit& u,
                             const std::string& why);
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
