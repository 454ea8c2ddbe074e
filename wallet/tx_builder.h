// Builds and signs the transactions the wallet sends, with consensus' own types and signing, and
// checks them with consensus' stateless rules before they leave the machine.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "wallet/amount.h"
#include "wallet/keystore.h"

namespace step::consensus {
struct Params;
}
namespace step::pb {
class TaskSpec;
class Transaction;
}

namespace step::wallet {

enum class BondRole { kSolver, kVerifier };

// "solver" | "verifier"; usage error otherwise.
Result<BondRole> parse_bond_role(std::string_view text);
std::string_view bond_role_name(BondRole role);

// The public key and step1... address of a seed (consensus' derivation).
KeyIdentity identity_from_seed(const Seed& seed);

// True when `text` decodes as a step1 address (bad-address with the reason otherwise).
Status check_address(std::string_view text);

// Who signs, for which chain, at which nonce, paying which fee.
struct TxContext {
    const consensus::Params* params;
    uint64_t nonce = 0;
    Amount fee;
};

struct SignedTx {
    Bytes bytes;       // canonical protobuf bytes, as sendtransaction expects them (hex)
    std::string txid;  // hex
};

// A Transfer of `amount` to address `to`. Errors: bad-address, and consensus' stateless
// rejection codes (fee-too-low, zero-amount, amount-overflow...), checked before sending.
Result<SignedTx> build_transfer(const TxContext& ctx, const Seed& seed, std::string_view to,
                                Amount amount);
// A Bond (unbond=false) or an Unbond (unbond=true) of `amount` in `role`.
Result<SignedTx> build_bond(const TxContext& ctx, const Seed& seed, BondRole role, Amount amount,
                            bool unbond);

// A SubmitTask of the on-chain `spec` (canonical bytes) escrowing `budget` base units and asking
// `unit_bond` of each solver; consensus' stateless rules are checked before it leaves.
Result<SignedTx> build_submit_task(const TxContext& ctx, const Seed& seed, const pb::TaskSpec& spec,
                                   uint64_t budget, uint64_t unit_bond);

// Any other payload (the market agents' claims, commits, audits, openings): `tx` holds the
// payload; chain id, nonce and fee are set from `ctx`, then it is signed and checked like the rest.
Result<SignedTx> sign_payload(const TxContext& ctx, const Seed& seed, pb::Transaction& tx);

}  // namespace step::wallet
