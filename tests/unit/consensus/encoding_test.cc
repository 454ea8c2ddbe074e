#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "consensus/encoding.h"
#include "consensus/errors.h"
#include "consensus/proto/chain.pb.h"
#include "test_chain.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::consensus;

namespace {

const Params& P() { return mainnet_params(); }

// The objects pinned in tests/vectors/consensus_encoding.txt (built the same way forever).
std::map<std::string, pb::Transaction> vector_txs() {
    const auto alice = testing::seed_of(0x11);
    std::map<std::string, pb::Transaction> m;
    m["tx-transfer"] = testing::transfer_tx(alice, testing::addr_of(0x22), 1'500'000'000, 7, P());
    m["tx-bond"] = testing::bond_tx(alice, pb::BOND_ROLE_SOLVER, 5 * kCoin, 8, P());
    m["tx-unbond"] = testing::bond_tx(alice, pb::BOND_ROLE_VERIFIER, 2 * kCoin, 9, P(), true);
    return m;
}

pb::BlockHeader vector_header() {
    pb::BlockHeader h;
    h.set_version(1);
    h.set_height(42);
    Hash256 prev{}, txr{}, str{};
    prev.fill(0xab);
    txr.fill(0xcd);
    str.fill(0xef);
    h.set_prev_hash(prev.data(), 32);
    h.set_timestamp(1798765200);
    h.set_target(mainnet_params().pow_limit.to_be().data(), 32);
    h.set_nonce(0x0123456789abcdefull);
    const Address miner = testing::addr_of(0x33);
    h.set_miner(miner.data(), miner.size());
    h.set_tx_root(txr.data(), 32);
    h.set_state_root(str.data(), 32);
    return h;
}

}  // namespace

TEST_CASE("Encoding matches the committed byte vectors", "[encoding]") {
    std::map<std::string, std::pair<std::string, std::string>> got;  // name -> (bytes, hash)
    for (const auto& [name, tx] : vector_txs())
        got[name] = {to_hex(encode_tx(tx)), to_hex(txid(tx))};
    got["header"] = {to_hex(encode_header(vector_header())), to_hex(header_hash(vector_header()))};
    for (const auto* p : {&mainnet_params(), &testnet_params(), &devnet_params()}) {
        const auto g = genesis_block(*p);
        got["genesis-" + p->network] = {to_hex(encode_header(g.header())),
                                        to_hex(header_hash(g.header()))};
    }
    if (std::getenv("STEP_PRINT_VECTORS"))
        for (const auto& [name, v] : got) std::printf("%s %s %s\n", name.c_str(), v.first.c_str(), v.second.c_str());

    auto rows = testing::read_vector_lines("tests/vectors/consensus_encoding.txt");
    REQUIRE(rows.size() == got.size());
    for (const auto& r : rows) {
        INFO(r[0]);
        REQUIRE(got.count(r[0]) == 1);
        CHECK(got[r[0]].first == r[1]);
        CHECK(got[r[0]].second == r[2]);
    }
}

TEST_CASE("Canonical transactions round-trip through decode", "[encoding]") {
    for (const auto& [name, tx] : vector_txs()) {
        const Bytes b = encode_tx(tx);
        auto d = decode_tx(b);
        REQUIRE(d.ok());
        CHECK(encode_tx(*d) == b);
        CHECK(txid(*d) == txid(tx));
    }
    const Bytes hb = encode_header(vector_header());
    REQUIRE(decode_header(hb).ok());
    pb::Block block;
    *block.mutable_header() = vector_header();
    for (const auto& [name, tx] : vector_txs()) *block.add_transactions() = tx;
    auto db = decode_block(encode_block(block));
    REQUIRE(db.ok());
    CHECK(db->transactions_size() == 3);
}

TEST_CASE("Decoders reject non-canonical bytes", "[encoding]") {
    // chain_id = 1, then nonce = 0 written explicitly (proto3 omits defaults).
    CHECK(decode_tx(Bytes{0x08, 0x01, 0x18, 0x00}).status() == codes::kNonCanonicalEncoding);
    // Fields out of number order: nonce (3) before chain_id (1).
    CHECK(decode_tx(Bytes{0x18, 0x05, 0x08, 0x01}).status() == codes::kNonCanonicalEncoding);
    // Non-minimal varint for chain_id = 1 (0x81 0x00).
    CHECK(decode_tx(Bytes{0x08, 0x81, 0x00}).status() == codes::kNonCanonicalEncoding);
    // The same scalar field twice (last one wins when parsing).
    CHECK(decode_tx(Bytes{0x08, 0x01, 0x08, 0x02}).status() == codes::kNonCanonicalEncoding);
    // Header: height written twice.
    CHECK(decode_header(Bytes{0x10, 0x01, 0x10, 0x01}).status() ==
          codes::kNonCanonicalEncoding);
    // And the plain canonical form of the first example is accepted.
    CHECK(decode_tx(Bytes{0x08, 0x01}).ok());
}

TEST_CASE("Decoders reject unknown fields, also inside nested messages", "[encoding]") {
    // Field 99 (varint) at top level of a transaction.
    CHECK(decode_tx(Bytes{0x08, 0x01, 0x98, 0x06, 0x01}).status() == codes::kUnknownField);
    // Transfer (field 10) containing unknown field 5.
    CHECK(decode_tx(Bytes{0x52, 0x02, 0x28, 0x01}).status() == codes::kUnknownField);
    // Block whose header carries unknown field 15.
    CHECK(decode_block(Bytes{0x0a, 0x02, 0x78, 0x01}).status() == codes::kUnknownField);
}

TEST_CASE("Decoders reject bytes that do not parse", "[encoding]") {
    CHECK(decode_tx(Bytes{0x08}).status() == codes::kMalformed);              // truncated
    CHECK(decode_tx(Bytes{0x12, 0x05, 0x01}).status() == codes::kMalformed);  // short len
    CHECK(decode_header(Bytes{0x07}).status() == codes::kMalformed);          // wire type 7
    // Zero bytes parse as a message with no field set, which none of them can be.
    CHECK(decode_tx(Bytes{}).status() == codes::kMalformed);
    CHECK(decode_header(Bytes{}).status() == codes::kMalformed);
    CHECK(decode_block(Bytes{}).status() == codes::kMalformed);
    CHECK(decode_block(Bytes{0x0a, 0xff}).status() == codes::kMalformed);
}

TEST_CASE("The signed bytes are the full bytes without the signature field", "[encoding]") {
    auto tx = vector_txs()["tx-transfer"];
    const Bytes full = encode_tx(tx);
    pb::Transaction unsigned_tx = tx;
    unsigned_tx.clear_signature();
    const Bytes signed_part = encode_tx(unsigned_tx);
    REQUIRE(full.size() == signed_part.size() + 67);
    CHECK(std::equal(signed_part.begin(), signed_part.end(), full.begin()));
    CHECK(tx_sighash(tx) == tagged_hash(tags::kTxSighash, signed_part));
    CHECK(txid(tx) == tagged_hash(tags::kTxId, full));
}

TEST_CASE("Mutated bytes never crash the decoders, and what they accept is canonical", "[encoding]") {
    // A cheap in-test fuzz pass: flip, drop and insert bytes of valid encodings.
    std::vector<Bytes> seeds;
    for (const auto& [name, tx] : vector_txs()) seeds.push_back(encode_tx(tx));
    uint64_t x = 0x9e3779b97f4a7c15ull;
    auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        Bytes b = seeds[next() % seeds.size()];
        const size_t pos = next() % b.size();
        switch (next() % 3) {
            case 0: b[pos] = static_cast<uint8_t>(next()); break;
            case 1: b.erase(b.begin() + static_cast<std::ptrdiff_t>(pos)); break;
            default: b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<uint8_t>(next()));
        }
        auto d = decode_tx(b);
        if (d.ok()) {
            ++accepted;
            CHECK(encode_tx(*d) == b);
        } else {
            const Status c = d.status();  // status() returns a copy
            CHECK((c.is(codes::kMalformed) || c.is(codes::kUnknownField) ||
                   c.is(codes::kNonCanonicalEncoding)));
        }
    }
    CHECK(accepted > 0);  // e.g. a changed amount byte is still a canonical transaction
}
