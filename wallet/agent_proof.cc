#include "wallet/agent_proof.h"

#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "consensus/keys.h"
#include "consensus/proto/chain.pb.h"
#include "wallet/agent_events.h"
#include "wallet/errors.h"
#include "wallet/secure_file.h"

namespace step::wallet::agent {
namespace {

using nlohmann::json;

// A proof's transaction that had no effect for this many blocks is sent again: it was lost with
// a restart between the save and the send, or dropped from the mempool. A transaction that did
// land is refused the second time (duplicate-proof-commit, or a used commitment), so a resend
// never bonds twice.
constexpr uint64_t kProofResendBlocks = 3;
// A saved proof is at most MAX_PROOF_BYTES of hex plus a few fields.
constexpr size_t kMaxProofFileBytes = 64u << 20;

constexpr std::pair<Prover::Stage, const char*> kStageNames[] = {
    {Prover::Stage::kCommitted, "committed"},
    {Prover::Stage::kRevealing, "revealing"},
    {Prover::Stage::kDone, "done"},
};

std::optional<Prover::Stage> parse_stage(const std::string& name) {
    for (const auto& [s, n] : kStageNames)
        if (name == n) return s;
    return std::nullopt;
}

const char* stage_name(Prover::Stage stage) {
    for (const auto& [s, n] : kStageNames)
        if (s == stage) return n;
    return "none";
}

}  // namespace

void Prover::retry_next_block(Pending& p) const {
    // A refused or failed send is tried once a block, not once a poll.
    const uint64_t next = core_.poll_height() + 1;
    p.sent_at = next >= kProofResendBlocks ? next - kProofResendBlocks : 0;
}

std::string Prover::path(const TaskInfo& t, const UnitView& u) const {
    return core_.unit_path(t, u.round, u.unit, "-c" + std::to_string(u.commit_height) + ".proof");
}

Status Prover::save(const std::string& file, const Pending& p) const {
    const Bytes encoded = verifier::encode_fraud_proof(p.proof);
    const json j = {{"stage", stage_name(p.stage)},
                    {"leaf", p.proof.leaf},
                    {"commitment", to_hex(p.commitment)},
                    {"sent_at", p.sent_at},
                    {"proof", to_hex(encoded)}};
    return atomic_write_file(file, j.dump(), 0600, WriteMode::kReplace);
}

std::optional<Prover::Pending> Prover::parse(const std::string& text) {
    const json j = json::parse(text, nullptr, false);
    auto field = [&](const char* key) {
        return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                      : std::string();
    };
    auto stage = parse_stage(field("stage"));
    auto commitment = hash_from_hex(field("commitment"));
    auto bytes = from_hex(field("proof"));
    if (!stage || !commitment || !bytes || !j.contains("sent_at") ||
        !j["sent_at"].is_number_unsigned())
        return std::nullopt;
    auto proof = verifier::decode_fraud_proof(*bytes);
    if (!proof.ok()) return std::nullopt;
    return Pending{std::move(*proof), *commitment, *stage, j["sent_at"].get<uint64_t>()};
}

Prover::Stage Prover::stage(const TaskInfo& t, const UnitView& u) {
    const std::string tag = unit_tag(t, u.round, u.unit, u.commit_height);
    auto it = proofs_.find(tag);
    if (it == proofs_.end()) {
        std::optional<Pending> loaded;
        const std::string file = path(t, u);
        if (auto text = read_small_file(file, kMaxProofFileBytes); text.ok()) {
            loaded = parse(*text);
            if (!loaded)
                core_.log_error(
                    "fraud proof", &t, UnitKey{u.round, u.unit},
                    Status::error(codes::kStateCorrupt, file + " is not a saved proof"));
        }
        it = proofs_.emplace(tag, std::move(loaded)).first;
    }
    return it->second ? it->second->stage : Stage::kNone;
}

Status Prover::commit(const TaskInfo& t, const UnitView& u, const verifier::FraudProof& proof) {
    if (stage(t, u) != Stage::kNone) return Status();
    auto me = consensus::decode_address(core_.address());
    if (!me.ok()) return me.status();
    Pending p{proof, verifier::fraud_proof_commitment(proof, ByteSpan(me->data(), me->size())),
              Stage::kCommitted, core_.poll_height()};
    // Saved before sending: a commitment on chain whose proof is lost can never be revealed.
    STEP_TRY(save(path(t, u), p));
    auto& slot = proofs_[unit_tag(t, u.round, u.unit, u.commit_height)];
    slot = std::move(p);
    Status s = send_commit(t, u, *slot);
    if (!s.ok()) retry_next_block(*slot);
    return s;
}

Status Prover::resend_commit(const TaskInfo& t, const UnitView& u, Pending& p) {
    p.sent_at = core_.poll_height();
    STEP_TRY(save(path(t, u), p));
    return send_commit(t, u, p);
}

Status Prover::send_commit(const TaskInfo& t, const UnitView& u, const Pending& p) {
    pb::Transaction tx;
    tx.mutable_proof_commit()->set_commitment(p.commitment.data(), p.commitment.size());
    auto txid = core_.send(tx);
    if (!txid.ok()) return txid.status();
    core_.log(agent_events::kProofCommitted, &t, UnitKey{u.round, u.unit},
              {{"txid", *txid}, {"leaf", p.proof.leaf}},
              "found wrong leaf " + std::to_string(p.proof.leaf) + ", committed to its proof, tx " +
                  *txid);
    return Status();
}

std::optional<bool> Prover::pending_on_chain(const Hash256& commitment) const {
    auto r = core_.rpc().call(rpc::kGetProofCommitment, {{"commitment", to_hex(commitment)}},
                              RpcAuth::kNone);
    if (r.ok()) return true;
    // Never posted (yet), or already used by a reveal.
    if (r.status().category() == ErrorCategory::kNotFound) return false;
    return std::nullopt;
}

Result<bool> Prover::commitment_pending(const verifier::FraudProof& proof,
                                        const std::string& prover) const {
    auto addr = consensus::decode_address(prover);
    if (!addr.ok()) return addr.status();
    auto on_chain = pending_on_chain(
        verifier::fraud_proof_commitment(proof, ByteSpan(addr->data(), addr->size())));
    if (!on_chain) return Status::error(codes::kRpcBadResponse, "getproofcommitment failed");
    return *on_chain;
}

Status Prover::advance(const TaskInfo& t, const UnitView& u) {
    if (stage(t, u) == Stage::kNone) return Status();
    Pending& p = *proofs_[unit_tag(t, u.round, u.unit, u.commit_height)];
    const uint64_t h = core_.poll_height();
    if (p.stage == Stage::kDone || h <= p.sent_at) return Status();
    const std::optional<bool> pending = pending_on_chain(p.commitment);
    if (!pending) return Status();  // ask again next pass
    const bool stale = h >= p.sent_at + kProofResendBlocks;
    if (p.stage == Stage::kCommitted) {
        // The proof is revealed only once its commitment is in a block: the earliest wins.
        if (*pending) return send_reveal(t, u, p);
        return stale ? resend_commit(t, u, p) : Status();
    }
    // Revealing: the reveal used the commitment (the outcome is in the unit's settlements and
    // our ledger), or it has not landed yet.
    if (!*pending) {
        p.stage = Stage::kDone;
        return save(path(t, u), p);
    }
    return stale ? send_reveal(t, u, p) : Status();
}

Status Prover::send_reveal(const TaskInfo& t, const UnitView& u, Pending& p) {
    p.stage = Stage::kRevealing;
    p.sent_at = core_.poll_height();
    STEP_TRY(save(path(t, u), p));
    const Bytes encoded = verifier::encode_fraud_proof(p.proof);
    pb::Transaction tx;
    auto* f = tx.mutable_fraud_proof();
    set_ref(f->mutable_unit(), t, u.round, u.unit);
    f->set_leaf_index(p.proof.leaf);
    f->set_proof(encoded.data(), encoded.size());
    auto txid = core_.send(tx);
    if (!txid.ok()) {
        retry_next_block(p);
        return txid.status();
    }
    core_.log(agent_events::kProved, &t, UnitKey{u.round, u.unit},
              {{"txid", *txid}, {"leaf", p.proof.leaf}, {"bytes", encoded.size()}},
              "sent the fraud proof of leaf " + std::to_string(p.proof.leaf) + " (" +
                  std::to_string(encoded.size()) + " bytes), tx " + *txid);
    return Status();
}

}  // namespace step::wallet::agent
