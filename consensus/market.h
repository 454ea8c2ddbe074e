// Internal to consensus/: the market's rules (PROTOCOL.md section 3; docs/protocol.md).
// apply_market_tx runs inside a block's transaction loop, market_end_block at the end of every
// block (after the subsidy reached the pool): deadlines, assignment, finalisation.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/keys.h"
#include "consensus/market_state.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/state_cache.h"
#include "verifier/trace.h"

namespace step::consensus {

// The AuditCommit commitment: for each sampled leaf s ascending, the verifier's per-leaf
// commitment verifier::audit_commitment(salt, verifier, s, digests of leaves (c, s]) with c the
// last checkpoint leaf strictly before s; the Q commitments concatenated (32*Q bytes). The
// reveal carries the 32-byte salt and all digests in the same order.
Bytes audit_commitments(const Hash256& salt, const Address& verifier,
                        const std::vector<uint32_t>& sampled, uint64_t leaves_per_checkpoint,
                        const std::vector<Hash256>& digests);
// Leaf indices whose digests an audit of `sampled` reveals, in order.
std::vector<uint32_t> audit_digest_leaves(const std::vector<uint32_t>& sampled,
                                          uint64_t leaves_per_checkpoint);

namespace detail {

// What a market payload moves out of the sender's balance besides the fee (budget, bonds).
uint64_t market_payload_amount(const pb::Transaction& tx, const Params& p);
// Stateless shape rules of a market payload.
Status check_market_fields(const pb::Transaction& tx, const Params& p);
// Stateful rules and effects. May leave the cache modified on error: the caller restores.
Status apply_market_tx(StateCache& cache, const pb::Transaction& tx, const Params& p,
                       uint64_t height, const Address& sender);
Status market_end_block(StateCache& cache, uint64_t height, const Hash256& prev_hash,
                        const Params& p);
// Records a verifier bond in the verifier index (called by the Bond rule).
Status note_verifier_bond(StateCache& cache, const Address& a);

struct UnitCtx {
    Hash256 task_id{};
    pb::Task task;
    uint32_t round = 0, index = 0;
    Bytes key;
    pb::Unit unit;
};
// Loads a unit and its task ("unknown-task", "bad-unit-ref").
Result<UnitCtx> load_unit(Market& m, const pb::UnitRef& ref);
// The shape of a task's unit traces (leaf count, leaves per checkpoint). A stored task passed
// validate_market_spec, so the shape's rules hold and are not checked again.
verifier::TraceShape trace_shape_of(const pb::Task& t);
// The audit drawn for `who` on u, or nullptr.
pb::Audit* find_audit(pb::Unit& u, const Address& who);

// Fraud proofs (market_fraud.cc).
Status proof_commit(Market& m, const pb::Transaction& tx, const Address& sender);
Status fraud_proof(Market& m, const pb::Transaction& tx, const Address& sender);
// Data availability of unit blobs (market_data.cc).
// Stateless shape of DataChallenge / DataResponse ("bad-unit-ref", "bad-data-kind", ...).
Status check_data_fields(const pb::Transaction& tx);
Status data_challenge(Market& m, const pb::Transaction& tx, const Address& sender);
Status data_response(Market& m, const pb::Transaction& tx, const Address& sender);
Result<pb::DataChallengeState> read_challenge(Market& m, const Bytes& key);
// Sets *withheld when a challenge on the unit expires unanswered at this height.
Status process_challenges(Market& m, const Bytes& unit_key, pb::Unit& u, bool* withheld);
// Returns every pending challenge's bond to its challenger and forgets them (unit reset).
Status release_challenges(Market& m, pb::Unit& u);
// Drops one pending challenge key from a unit's or a task's list of them.
void forget_challenge(google::protobuf::RepeatedPtrField<std::string>& keys, const Bytes& key);
Status refund_challenge(Market& m, const pb::DataChallengeState& ch);
// A verifier drawn for committed unit u that has not committed its audit challenged the unit's
// data (`ch`) by the undelayed commit_end: every phase after assignment moves (u.window_delay)
// so its commit window ends no earlier than DA_WINDOW + AUDIT_COMMIT_WINDOW after the
// challenge, a whole commit window after the latest answer. An answer must not excuse the audit
// (a forger would withhold, answer late and escape it); moving the windows when the challenge
// lands, before any reveal is allowed, keeps audits from being copied from earlier reveals.
// Counting only challenges raised by the undelayed commit_end bounds the delay to DA_WINDOW +
// AUDIT_COMMIT_WINDOW. Called when a challenge lands and, for challenges that landed before,
// when the unit is assigned.
Status extend_audit_windows(Market& m, const Bytes& unit_key, pb::Unit& u,
                            const pb::DataChallengeState& ch);
// The challenge was answered: its bond goes back to the challenger ("data-challenge-answered").
Status answered_refund(Market& m, const pb::DataChallengeState& ch);
// A final unit's final state went unanswered while the next round depends on it: the solver's
// bond pays up to unit_bond (burned), pending challenges return, the next round is settled as
// settle_withheld_dependants says.
Status final_state_withheld(Market& m, const Hash256& task, uint32_t round, uint32_t unit,
                            pb::Unit& u);
// Unit (round, index)'s `what` ("data", "final state") went unanswered past DA_WINDOW: round
// round+1 starts from round `round`'s final states, so each of its units claimed and not yet
// committed is released (unit bond back, reset, "data-dependant-reset") and each committed or
// opened one is excused (its verifiers' missed windows and unproven disagreements unslashed).
Status settle_withheld_dependants(Market& m, const Hash256& task_id, const pb::Task& task,
                                  uint32_t round, uint32_t index, const std::string& what);
// Unit (round, index) is about to reset because its trace was never opened, `u` still holding
// its pending data challenges: each round round+1 unit claimed (not committed) by one of those
// challengers is released ("data-dependant-reset", unit bond back), since its solver declared
// on chain it cannot fetch its start state and the reset ends the challenge that would have
// made the data public. Claimants that did not challenge keep their claims: they have the data
// and the redo commits the same final state. Task progress is left to the caller.
Status release_challenging_claimants(Market& m, const Hash256& task_id, const pb::Task& task,
                                     uint32_t round, uint32_t index, const pb::Unit& u);
// Data availability of the dataset (market_dataset.cc).
Status dataset_challenge(Market& m, const pb::Transaction& tx, const Address& sender);
Status dataset_response(Market& m, const pb::Transaction& tx, const Address& sender);
// Runs at unit (task, 0, 0)'s deadlines: a dataset challenge expiring unanswered now cancels
// the task (see market_dataset.cc); sets *cancelled then.
Status process_dataset_challenges(Market& m, const Hash256& task, bool* cancelled);
// Pays a whistle reward whose contest window ends now (`unit` is unit_key parsed).
Status process_award(Market& m, const Bytes& unit_key, const UnitKey& unit);

// Settlement steps shared by the tx rules and the block-end rules (market_settle.cc).
Status process_unit_deadlines(Market& m, const Bytes& unit_key, const Hash256& prev_hash);
// Takes up to `amount` from verifier v's bond (then its unbonding entries), burned; the ledger
// says "slashed: " + why under `code`.
Status slash_verifier(Market& m, const UnitKey& unit, const Address& v, uint64_t amount,
                      const char* code, const std::string& why);
// Unit back to open: bond handling is the caller's; `code`/`why` go to the ledger.
Status reset_unit(Market& m, const Hash256& task, uint32_t round, uint32_t unit, pb::Unit& u,
                  const char* code, const std::string& why);
Status update_task_progress(Market& m, const Hash256& task_id);

}  // namespace detail
}  // namespace step::consensus
