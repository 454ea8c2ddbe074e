// Seams for the adversary suite (docs/market.md "Deviations never pay"): each member, when set,
// replaces or skips one honest step of an agent. They are empty by default and only a C++ caller
// sets them (AgentConfig::deviation, run_wallet's deviation argument): the test program
// tests/adversary/step_deviant.cc does, the shipped step-wallet never does, so no flag of a
// shipped binary makes an agent cheat. A hook may be called from any thread an agent runs on.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/exec.h"
#include "kernels/state.h"
#include "verifier/trace.h"
#include "wallet/agent.h"
#include "wallet/agent_logic.h"

namespace step::wallet::agent {

class AgentCore;

// What the solver trains one unit from (the inputs of verifier::build_trace).
struct TraceJob {
    kernels::Backend& backend;
    const kernels::Exec& exec;
    const TaskInfo& task;
    const kernels::Dataset& data;
    UnitKey unit;
    const kernels::TrainState& start;
};

struct Deviation {
    // Solver: the unit's trace instead of verifier::build_trace's (a forged leaf, skipped work).
    std::function<Result<verifier::UnitTrace>(const TraceJob&)> build_trace;
    // Solver: true for a state of its unit (by leaf: a checkpoint or the final state) that it
    // neither uploads nor serves when challenged. Asked once per trained state, before upload.
    std::function<bool(const TaskInfo&, UnitKey, uint32_t leaf)> withhold_state;
    // Solver: true for a state of its unit of which it uploads chunk 0 only, still answering
    // every challenge on it (partial withholding). Asked once per trained state, before upload.
    std::function<bool(const TaskInfo&, UnitKey, uint32_t leaf)> publish_first_chunk_only;
    // Solver: the unit to claim instead of the first claimable one; nullopt claims nothing.
    std::function<std::optional<UnitKey>(const TaskInfo&, const UnitMap&)> claim_target;
    // Verifier: the digests to commit to instead of replaying (a lazy verifier); nullopt
    // replays as usual.
    std::function<std::optional<std::vector<Hash256>>(const TaskInfo&, const UnitView&,
                                                      const AuditView&)>
        audit_digests;
    // Verifier: false skips an audit step that is due (a verifier that never reveals).
    std::function<bool(const TaskInfo&, const UnitView&, AuditStep)> take_audit_step;
    // Owner: true for a dataset record it does not serve when challenged.
    std::function<bool(const TaskInfo&, uint64_t record)> withhold_record;
    // Any role: runs after each pass with the agent's services (a prover's false or copied
    // proofs).
    std::function<void(AgentCore&)> after_pass;
    // Verifier: runs on the background thread before the whole-unit replay that finds a fraud
    // proof's leaf (a slow machine); returns early once `stop` is set.
    std::function<void(const TaskInfo&, UnitKey, const std::atomic<bool>& stop)>
        before_proof_search;
    // Whistleblower: the same before each segment replay.
    std::function<void(const TaskInfo&, UnitKey, const std::atomic<bool>& stop)>
        before_segment_replay;
};

}  // namespace step::wallet::agent
