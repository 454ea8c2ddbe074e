// Data availability (PROTOCOL.md section 3): DataChallenge obliges a unit's solver to publish a
// chunk of a checkpoint within DA_WINDOW; an unanswered challenge slashes the solver, resets the
// unit and excuses its verifiers.
#include <algorithm>

#include "consensus/canonical.h"
#include "consensus/errors.h"
#include "consensus/market.h"
#include "kernels/state.h"
#include "verifier/proofs.h"

namespace step::consensus::detail {
namespace {

Status fail(const char* code, const std::string& msg) { return Status::error(code, msg); }

Result<pb::DataChallengeState> read_challenge(Market& m, const Bytes& key) {
    auto* v = m.cache().raw(key);
    if (!*v) return fail(codes::kUnknownChallenge, "no pending challenge for this chunk");
    auto c = decode_message<pb::DataChallengeState>(**v, "data challenge");
    if (!c.ok()) return Status::error(codes::kCorruptState, c.status().message());
    return *c;
}

void forget(pb::Unit& u, const Bytes& key) {
    auto* list = u.mutable_challenges();
    const std::string k(key.begin(), key.end());
    for (int i = 0; i < list->size(); ++i)
        if (list->Get(i) == k) {
            list->erase(list->begin() + i);
            return;
        }
}

Status check_leaf(const UnitCtx& c, uint32_t leaf) {
    const uint64_t cp = c.task.spec().checkpoint_interval() / c.task.spec().leaf_interval();
    const uint64_t n = c.task.spec().steps_per_unit() / c.task.spec().leaf_interval();
    if (leaf == 0 || leaf % cp != 0 || leaf > n)
        return fail(codes::kUnknownBlob, "leaf " + std::to_string(leaf) + " is not a committed checkpoint");
    return Status();
}

}  // namespace

Status data_challenge(Market& m, const pb::Transaction& tx, const Address& sender) {
    const auto& dc = tx.data_challenge();
    auto cr = load_unit(m, dc.unit());
    if (!cr.ok()) return cr.status();
    UnitCtx& c = *cr;
    if (c.unit.status() != pb::UNIT_COMMITTED && c.unit.status() != pb::UNIT_OPENED)
        return fail(codes::kWrongPhase, "only a committed, not yet final unit's checkpoints are owed");
    STEP_TRY(check_leaf(c, dc.leaf()));
    const Bytes key = challenge_key(c.key, dc.leaf(), dc.chunk_index());
    auto* v = m.cache().raw(key);
    if (*v) return fail(codes::kDuplicateChallenge, "this chunk is already challenged");
    pb::DataChallengeState s;
    s.set_challenger(str(sender));
    s.set_height(m.height());
    s.set_bond(m.params().da_bond);  // debited by apply_tx (market_payload_amount)
    s.set_owner(c.unit.solver());
    s.set_unit_key(std::string(c.key.begin(), c.key.end()));
    s.set_task_id(str(c.task_id));
    s.set_leaf(dc.leaf());
    s.set_chunk(dc.chunk_index());
    *v = encode_message(s);
    c.unit.add_challenges(std::string(key.begin(), key.end()));
    m.put_unit(c.key, c.unit);
    return m.schedule(m.height() + m.params().da_window, c.key);
}

Status data_response(Market& m, const pb::Transaction& tx, const Address& sender) {
    const auto& dr = tx.data_response();
    auto cr = load_unit(m, dr.unit());
    if (!cr.ok()) return cr.status();
    UnitCtx& c = *cr;
    const Bytes key = challenge_key(c.key, dr.leaf(), dr.chunk_index());
    auto ch = read_challenge(m, key);
    if (!ch.ok()) return ch.status();
    if (dr.blob_root().size() != 32 || dr.chunks_root().size() != 32)
        return fail(codes::kBadChunkProof, "blob and chunk roots must be 32 bytes");
    verifier::ChunkProof proof;
    proof.blob_size = dr.blob_size();
    proof.index = dr.chunk_index();
    proof.chunk.assign(dr.chunk().begin(), dr.chunk().end());
    proof.chunks_root = to_hash(dr.chunks_root());
    for (const auto& s : dr.proof()) {
        if (s.size() != 32) return fail(codes::kBadChunkProof, "path items must be 32 bytes");
        proof.path.push_back(to_hash(s));
    }
    const Hash256 blob = to_hash(dr.blob_root());
    if (!verifier::verify_chunk_proof(blob, proof))
        return fail(codes::kBadChunkProof, "chunk does not prove into the blob root");
    // The blob root is the checkpoint's state root: its leaf digest must be the committed leaf.
    const uint64_t cp = c.task.spec().checkpoint_interval() / c.task.spec().leaf_interval();
    const Hash256 leaf = kernels::leaf_digest(c.task_id, c.round, c.index, dr.leaf(), blob);
    if (str(leaf) != c.unit.checkpoint_leaves(static_cast<int>(dr.leaf() / cp - 1)))
        return fail(codes::kBadChunkProof, "blob root is not the committed checkpoint's");
    // Answered: the challenge bond compensates whoever served the data.
    *m.cache().raw(key) = std::nullopt;
    forget(c.unit, key);
    m.put_unit(c.key, c.unit);
    STEP_TRY(m.credit_balance(sender, ch->bond()));
    return m.record(sender, c.task_id, c.round, c.index, "payout", ch->bond(),
                    reasons::kChallengeAnswered, "paid: answered a data challenge");
}

Status process_challenges(Market& m, const Bytes& unit_key, pb::Unit& u, bool* withheld) {
    *withheld = false;
    const std::vector<std::string> keys(u.challenges().begin(), u.challenges().end());
    for (const auto& ks : keys) {
        const Bytes key(ks.begin(), ks.end());
        auto ch = read_challenge(m, key);
        if (!ch.ok()) return ch.status();
        if (ch->height() + m.params().da_window == m.height()) *withheld = true;
    }
    (void)unit_key;
    return Status();
}

Status release_challenges(Market& m, pb::Unit& u) {
    for (const auto& ks : u.challenges()) {
        const Bytes key(ks.begin(), ks.end());
        auto ch = read_challenge(m, key);
        if (!ch.ok()) return ch.status();
        const Address who = to_address(ch->challenger());
        STEP_TRY(m.credit_balance(who, ch->bond()));
        STEP_TRY(m.record(who, to_hash(ch->task_id()), 0, 0, "refund", ch->bond(),
                          reasons::kChallengeRefund, "returned: data challenge bond"));
        *m.cache().raw(key) = std::nullopt;
    }
    u.clear_challenges();
    return Status();
}

}  // namespace step::consensus::detail
