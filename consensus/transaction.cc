#include "consensus/transaction.h"

#include <algorithm>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "consensus/errors.h"
#include "consensus/market.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/tx_engine.h"

namespace step::consensus {
namespace detail {
namespace {

// A 64-byte signature in field 100 is encoded last as tag 0xa2 0x06, length 0x40, then the
// 64 bytes: the bytes without the signature are the full bytes minus these 67.
constexpr size_t kSignatureFieldBytes = 2 + 1 + 64;

Status fail(const ErrorCode& code, const std::string& msg) { return Status::error(code, msg); }

bool is_core_payload(pb::Transaction::PayloadCase c) {
    return c == pb::Transaction::kTransfer || c == pb::Transaction::kBond ||
           c == pb::Transaction::kUnbond;
}

bool valid_role(pb::BondRole r) {
    return r == pb::BOND_ROLE_SOLVER || r == pb::BOND_ROLE_VERIFIER;
}

uint64_t& bond_of(AccountState& a, pb::BondRole r) {
    return r == pb::BOND_ROLE_SOLVER ? a.solver_bond : a.verifier_bond;
}

uint64_t payload_amount(const pb::Transaction& tx, const Params& p) {
    switch (tx.payload_case()) {
        case pb::Transaction::kTransfer: return tx.transfer().amount();
        case pb::Transaction::kBond: return tx.bond().amount();
        case pb::Transaction::kUnbond: return 0;  // unbond moves bond, not balance
        default: return market_payload_amount(tx, p);
    }
}

// The sender of a transaction being applied and what it pays (fee and payload amount).
struct Payer {
    const Address& address;
    AccountState& account;
    uint64_t cost;
};

// Each core rule makes every check before its first mutation, so a failed transaction leaves
// the cache as it was; each debits the cost and bumps the nonce when it succeeds.
Status apply_transfer(StateCache& cache, const pb::Transaction& tx, const Payer& payer) {
    Address to{};
    std::copy(tx.transfer().to().begin(), tx.transfer().to().end(), to.begin());
    auto recipient_r = cache.account(to);
    if (!recipient_r.ok()) return recipient_r.status();
    AccountState& recipient = **recipient_r;
    AccountState& sender = payer.account;
    uint64_t credited;
    if (&recipient != &sender &&
        __builtin_add_overflow(recipient.balance, tx.transfer().amount(), &credited))
        return fail(codes::kAmountOverflow, "recipient balance overflows u64");
    sender.balance -= payer.cost;
    recipient.balance += tx.transfer().amount();
    sender.nonce += 1;
    return Status();
}

Status apply_bond(StateCache& cache, const pb::Transaction& tx, const Payer& payer) {
    AccountState& sender = payer.account;
    uint64_t& bond = bond_of(sender, tx.bond().role());
    uint64_t bonded;
    if (__builtin_add_overflow(bond, tx.bond().amount(), &bonded))
        return fail(codes::kAmountOverflow, "bond overflows u64");
    if (tx.bond().role() == pb::BOND_ROLE_VERIFIER) STEP_TRY(note_verifier_bond(cache, payer.address));
    sender.balance -= payer.cost;
    bond = bonded;
    sender.nonce += 1;
    return Status();
}

// Records an unbonding of `amount` maturing at `release`: merged into the entry of the same kind
// and height, else a new entry (at most MAX_LOCKED_ENTRIES unbondings) listed for that height.
Status lock_unbonding(StateCache& cache, const Params& p, const Payer& payer, LockKind kind,
                      uint64_t amount, uint64_t release) {
    AccountState& sender = payer.account;
    auto same = std::find_if(sender.locked.begin(), sender.locked.end(), [&](auto& e) {
        return e.kind == kind && e.release_height == release;
    });
    if (same != sender.locked.end()) {
        uint64_t merged;
        if (__builtin_add_overflow(same->amount, amount, &merged))
            return fail(codes::kAmountOverflow, "unbonding entry overflows u64");
        same->amount = merged;
        return Status();
    }
    const auto unbonding = std::count_if(sender.locked.begin(), sender.locked.end(),
                                         [](auto& e) { return e.kind != LockKind::kCoinbase; });
    if (static_cast<uint64_t>(unbonding) >= p.max_locked_entries)
        return fail(codes::kTooManyLocks, "account has MAX_LOCKED_ENTRIES unbondings");
    auto list_r = cache.release_list(release);
    if (!list_r.ok()) return list_r.status();
    auto& list = **list_r;
    auto pos = std::lower_bound(list.begin(), list.end(), payer.address);
    if (pos == list.end() || *pos != payer.address) list.insert(pos, payer.address);
    LockedEntry entry{kind, amount, release};
    auto at = std::upper_bound(sender.locked.begin(), sender.locked.end(), entry,
                               [](auto& a, auto& b) {
                                   return std::pair(a.release_height, a.kind) <
                                          std::pair(b.release_height, b.kind);
                               });
    sender.locked.insert(at, entry);
    return Status();
}

Status apply_unbond(StateCache& cache, const pb::Transaction& tx, const Params& p,
                    uint64_t height, const Payer& payer) {
    AccountState& sender = payer.account;
    const auto role = tx.unbond().role();
    uint64_t& bond = bond_of(sender, role);
    const uint64_t amount = tx.unbond().amount();
    if (bond < amount)
        return fail(codes::kInsufficientBond,
                    "bond " + std::to_string(bond) + " < " + std::to_string(amount));
    uint64_t release;
    if (__builtin_add_overflow(height, p.unbonding_delay, &release))
        return fail(codes::kAmountOverflow, "release height overflows u64");
    const LockKind kind = role == pb::BOND_ROLE_SOLVER ? LockKind::kUnbondingSolver
                                                        : LockKind::kUnbondingVerifier;
    STEP_TRY(lock_unbonding(cache, p, payer, kind, amount, release));
    sender.balance -= payer.cost;
    bond -= amount;
    sender.nonce += 1;
    return Status();
}

// Market rules touch many records; a failure restores the cache whole.
Status apply_market(StateCache& cache, const pb::Transaction& tx, const Params& p,
                    uint64_t height, const Address& sender, uint64_t cost) {
    auto snapshot = cache.save();
    Status s = apply_market_tx(cache, tx, p, height, sender);
    if (!s.ok()) {
        cache.restore(std::move(snapshot));
        return s;
    }
    auto again = cache.account(sender);  // the market may have credited it
    if (!again.ok()) return again.status();
    (*again)->balance -= cost;
    (*again)->nonce += 1;
    return Status();
}

}  // namespace

TxDigest digest_tx(const pb::Transaction& tx) {
    TxDigest d;
    d.bytes = encode_tx(tx);
    d.id = tagged_hash(tags::kTxId, d.bytes);
    if (tx.signature().size() == 64 && d.bytes.size() >= kSignatureFieldBytes) {
        d.sighash = tagged_hash(
            tags::kTxSighash, ByteSpan(d.bytes.data(), d.bytes.size() - kSignatureFieldBytes));
    } else {
        d.sighash = tx_sighash(tx);
    }
    return d;
}

Status check_tx_fields(const pb::Transaction& tx, const Params& p, size_t encoded_size) {
    if (encoded_size > p.max_tx_bytes)
        return fail(codes::kTxTooLarge, std::to_string(encoded_size) + " bytes > MAX_TX_BYTES");
    if (tx.chain_id() != p.chain_id)
        return fail(codes::kWrongChainId, "chain id " + std::to_string(tx.chain_id()) +
                                              " is not " + p.network + "'s " +
                                              std::to_string(p.chain_id));
    if (tx.sender_pubkey().size() != 32) return fail(codes::kBadPubkey, "sender key is not 32 bytes");
    if (is_small_order_point(reinterpret_cast<const uint8_t*>(tx.sender_pubkey().data())))
        return fail(codes::kBadPubkey, "sender key is a small-order point (no secret key behind it)");
    if (tx.signature().size() != 64) return fail(codes::kBadSignature, "signature is not 64 bytes");
    const auto kind = tx.payload_case();
    if (kind == pb::Transaction::PAYLOAD_NOT_SET) return fail(codes::kMissingPayload, "no payload");
    if (!is_core_payload(kind)) STEP_TRY(check_market_fields(tx, p));
    switch (kind) {
        case pb::Transaction::kTransfer:
            if (tx.transfer().to().size() != 20)
                return fail(codes::kBadRecipient, "recipient is not a 20-byte address");
            if (tx.transfer().amount() == 0) return fail(codes::kZeroAmount, "transfer of 0");
            break;
        case pb::Transaction::kBond:
            if (!valid_role(tx.bond().role())) return fail(codes::kBadRole, "bond role");
            if (tx.bond().amount() == 0) return fail(codes::kZeroAmount, "bond of 0");
            break;
        case pb::Transaction::kUnbond:
            if (!valid_role(tx.unbond().role())) return fail(codes::kBadRole, "unbond role");
            if (tx.unbond().amount() == 0) return fail(codes::kZeroAmount, "unbond of 0");
            break;
        default:
            break;  // market payloads: check_market_fields above
    }
    if (tx.fee() < p.min_fee)
        return fail(codes::kFeeTooLow, "fee " + std::to_string(tx.fee()) + " < MIN_FEE " +
                                           std::to_string(p.min_fee));
    uint64_t cost;
    if (__builtin_add_overflow(tx.fee(), payload_amount(tx, p), &cost))
        return fail(codes::kAmountOverflow, "fee + amount overflows u64");
    return Status();
}

Status check_tx_signature(const pb::Transaction& tx, const Hash256& sighash) {
    PublicKey pub{};
    Signature sig{};
    std::copy(tx.sender_pubkey().begin(), tx.sender_pubkey().end(), pub.begin());
    std::copy(tx.signature().begin(), tx.signature().end(), sig.begin());
    if (!ed25519_verify(pub, sighash, sig)) return fail(codes::kBadSignature, "signature invalid");
    return Status();
}

Status apply_tx(StateCache& cache, const pb::Transaction& tx, const Params& p, uint64_t height,
                uint64_t* fees) {
    const Address sender_addr = tx_sender(tx);
    auto sender_r = cache.account(sender_addr);
    if (!sender_r.ok()) return sender_r.status();
    AccountState& sender = **sender_r;
    if (tx.nonce() != sender.nonce)
        return fail(codes::kBadNonce, "nonce " + std::to_string(tx.nonce()) + ", account at " +
                                          std::to_string(sender.nonce));
    if (sender.nonce == UINT64_MAX) return fail(codes::kBadNonce, "account nonce exhausted");
    uint64_t new_fees;
    if (__builtin_add_overflow(*fees, tx.fee(), &new_fees))
        return fail(codes::kAmountOverflow, "block fees overflow u64");
    const uint64_t cost = tx.fee() + payload_amount(tx, p);  // checked by check_tx_fields
    if (sender.balance < cost)
        return fail(codes::kInsufficientFunds, "balance " + std::to_string(sender.balance) +
                                                   " < " + std::to_string(cost));

    Payer payer{sender_addr, sender, cost};
    switch (tx.payload_case()) {
        case pb::Transaction::kTransfer: STEP_TRY(apply_transfer(cache, tx, payer)); break;
        case pb::Transaction::kBond: STEP_TRY(apply_bond(cache, tx, payer)); break;
        case pb::Transaction::kUnbond: STEP_TRY(apply_unbond(cache, tx, p, height, payer)); break;
        default: STEP_TRY(apply_market(cache, tx, p, height, sender_addr, cost)); break;
    }
    *fees = new_fees;
    return Status();
}

}  // namespace detail

Hash256 txid(const pb::Transaction& tx) { return tagged_hash(tags::kTxId, encode_tx(tx)); }

Hash256 tx_sighash(const pb::Transaction& tx) {
    pb::Transaction unsigned_tx = tx;
    unsigned_tx.clear_signature();
    return tagged_hash(tags::kTxSighash, encode_tx(unsigned_tx));
}

void sign_transaction(pb::Transaction& tx, const SecretSeed& seed) {
    const PublicKey pub = public_key_from_seed(seed);
    tx.set_sender_pubkey(pub.data(), pub.size());
    const Signature sig = ed25519_sign(seed, tx_sighash(tx));
    tx.set_signature(sig.data(), sig.size());
}

Address tx_sender(const pb::Transaction& tx) {
    if (tx.sender_pubkey().size() != 32) return Address{};
    PublicKey pub{};
    std::copy(tx.sender_pubkey().begin(), tx.sender_pubkey().end(), pub.begin());
    return address_from_pubkey(pub);
}

Status check_transaction(const pb::Transaction& tx, const Params& p) {
    const detail::TxDigest d = detail::digest_tx(tx);
    STEP_TRY(detail::check_tx_fields(tx, p, d.bytes.size()));
    return detail::check_tx_signature(tx, d.sighash);
}

Result<KvWrites> apply_transaction(const KvRead& state, const pb::Transaction& tx,
                                   const Params& p, uint64_t height) {
    STEP_TRY(check_transaction(tx, p));
    detail::StateCache cache(state);
    uint64_t fees = 0;
    STEP_TRY(detail::apply_tx(cache, tx, p, height, &fees));
    return cache.writes();
}

Status check_transaction_against(const KvRead& state, const pb::Transaction& tx, const Params& p,
                                 uint64_t height) {
    return apply_transaction(state, tx, p, height).status();
}

}  // namespace step::consensus
