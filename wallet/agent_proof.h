// A fraud proof from ProofCommit to FraudProof (docs/market.md "Whistleblowers"), shared by the
// verifier (proving a unit its audit disagreed with) and the whistleblower (proving any opened
// unit). The proof, its commitment and its unit are written to the state dir before the
// ProofCommit leaves, so a restarted agent reveals the proof it committed to instead of
// committing (and bonding) again.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "verifier/fraud_proof.h"
#include "wallet/agent_core.h"

namespace step::wallet::agent {

class Prover {
public:
    explicit Prover(AgentCore& core) : core_(core) {}

    enum class Stage {
        kNone,       // no proof of this unit (at this commit) in hand
        kCommitted,  // ProofCommit sent (or about to be): the FraudProof follows
        kRevealing,  // FraudProof sent; done once the commitment is used
        kDone,       // the proof was revealed and settled, or abandoned
    };
    // Where the proof of unit u (at its current commitment) stands; read from the state dir the
    // first time a unit is asked about.
    Stage stage(const TaskInfo& t, const UnitView& u);
    // Saves `proof`, then sends its ProofCommit (PROOF_BOND). Only from Stage::kNone.
    Status commit(const TaskInfo& t, const UnitView& u, const verifier::FraudProof& proof);
    // The step due on a committed proof: the FraudProof once the commitment is in a block; the
    // same transaction again when one sent earlier had no effect for kProofResendBlocks blocks
    // (lost with a restart, or dropped); nothing once it is done.
    Status advance(const TaskInfo& t, const UnitView& u);
    // Whether `prover` has a commitment to `proof` pending on chain (getproofcommitment).
    Result<bool> commitment_pending(const verifier::FraudProof& proof,
                                    const std::string& prover) const;

private:
    struct Pending {
        verifier::FraudProof proof;
        Hash256 commitment{};
        Stage stage = Stage::kCommitted;
        uint64_t sent_at = 0;  // tip height when this stage's transaction was sent
    };
    // A saved proof file's contents; nullopt when they are not one.
    static std::optional<Pending> parse(const std::string& text);
    std::string path(const TaskInfo& t, const UnitView& u) const;
    Status save(const std::string& path, const Pending& p) const;
    Status send_commit(const TaskInfo& t, const UnitView& u, const Pending& p);
    void retry_next_block(Pending& p) const;
    Status resend_commit(const TaskInfo& t, const UnitView& u, Pending& p);
    Status send_reveal(const TaskInfo& t, const UnitView& u, Pending& p);
    // Whether the commitment is on chain and unused: nullopt when the node could not say.
    std::optional<bool> pending_on_chain(const Hash256& commitment) const;

    AgentCore& core_;
    std::map<std::string, std::optional<Pending>> proofs_;  // by unit tag; nullopt: none saved
};

}  // namespace step::wallet::agent
