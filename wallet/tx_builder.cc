#include "wallet/tx_builder.h"

#include "consensus/encoding.h"
#include "consensus/errors.h"
#include "consensus/keys.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/task_spec.h"
#include "consensus/transaction.h"
#include "wallet/errors.h"

namespace step::wallet {
namespace {

pb::BondRole to_pb(BondRole role) {
    return role == BondRole::kSolver ? pb::BOND_ROLE_SOLVER : pb::BOND_ROLE_VERIFIER;
}

pb::Transaction skeleton(const TxContext& ctx) {
    pb::Transaction tx;
    tx.set_chain_id(ctx.params->chain_id);
    tx.set_nonce(ctx.nonce);
    tx.set_fee(ctx.fee.units());
    return tx;
}

// Signs, then applies consensus' stateless checks so that a transaction the node would reject
// for its shape fails here, with the same code, before anything is sent.
Result<SignedTx> sign_and_check(pb::Transaction& tx, const TxContext& ctx, const Seed& seed) {
    consensus::sign_transaction(tx, seed.bytes());
    Status checked = consensus::check_transaction(tx, *ctx.params);
    // Consensus speaks base units; people using the wallet type STEP.
    if (checked.is(consensus::codes::kFeeTooLow))
        return checked.with_message("fee " + format_step_amount(ctx.fee) +
                                    " STEP is below the minimum " +
                                    format_step_amount(Amount::from_units(ctx.params->min_fee)) +
                                    " STEP");
    STEP_TRY(checked);
    SignedTx out;
    out.bytes = consensus::encode_tx(tx);
    out.txid = to_hex(consensus::txid(tx));
    return out;
}

}  // namespace

Result<BondRole> parse_bond_role(std::string_view text) {
    if (text == "solver") return BondRole::kSolver;
    if (text == "verifier") return BondRole::kVerifier;
    return Status::error(codes::kUsage, "bond role must be 'solver' or 'verifier', not '" +
                                      std::string(text) + "'");
}

std::string_view bond_role_name(BondRole role) {
    return role == BondRole::kSolver ? "solver" : "verifier";
}

KeyIdentity identity_from_seed(const Seed& seed) {
    consensus::PublicKey pub = consensus::public_key_from_seed(seed.bytes());
    KeyIdentity id;
    id.public_key.assign(pub.begin(), pub.end());
    id.address = consensus::encode_address(consensus::address_from_pubkey(pub));
    return id;
}

Status check_address(std::string_view text) {
    auto addr = consensus::decode_address(text);
    if (!addr.ok())
        return addr.status().with_message("invalid address '" + std::string(text) +
                                          "': " + addr.status().message());
    return Status();
}

Result<SignedTx> build_transfer(const TxContext& ctx, const Seed& seed, std::string_view to,
                                Amount amount) {
    auto addr = consensus::decode_address(to);
    if (!addr.ok())
        return addr.status().with_message("invalid address '" + std::string(to) +
                                          "': " + addr.status().message());
    pb::Transaction tx = skeleton(ctx);
    tx.mutable_transfer()->set_to(std::string(addr->begin(), addr->end()));
    tx.mutable_transfer()->set_amount(amount.units());
    return sign_and_check(tx, ctx, seed);
}

Result<SignedTx> build_bond(const TxContext& ctx, const Seed& seed, BondRole role, Amount amount,
                            bool unbond) {
    pb::Transaction tx = skeleton(ctx);
    if (unbond) {
        tx.mutable_unbond()->set_role(to_pb(role));
        tx.mutable_unbond()->set_amount(amount.units());
    } else {
        tx.mutable_bond()->set_role(to_pb(role));
        tx.mutable_bond()->set_amount(amount.units());
    }
    return sign_and_check(tx, ctx, seed);
}

Result<SignedTx> build_submit_task(const TxContext& ctx, const Seed& seed, const pb::TaskSpec& spec,
                                   uint64_t budget, uint64_t unit_bond) {
    pb::Transaction tx = skeleton(ctx);
    const Bytes bytes = consensus::encode_task_spec(spec);
    tx.mutable_submit_task()->set_spec(std::string(bytes.begin(), bytes.end()));
    tx.mutable_submit_task()->set_budget(budget);
    tx.mutable_submit_task()->set_unit_bond(unit_bond);
    return sign_and_check(tx, ctx, seed);
}

Result<SignedTx> sign_payload(const TxContext& ctx, const Seed& seed, pb::Transaction& tx) {
    tx.set_chain_id(ctx.params->chain_id);
    tx.set_nonce(ctx.nonce);
    tx.set_fee(ctx.fee.units());
    return sign_and_check(tx, ctx, seed);
}

}  // namespace step::wallet
