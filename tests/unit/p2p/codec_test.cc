#include <catch2/catch.hpp>

#include "common/merkle.h"
#include "consensus/block.h"
#include "consensus/params.h"
#include "node/p2p/codec.h"
#include "node/p2p/errors.h"
#include "node/p2p/limits.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::node::p2p;

namespace {

std::string hash32(uint8_t fill) {
    return std::string(32, static_cast<char>(fill));
}

wire::Version good_version() {
    wire::Version v;
    v.set_protocol_version(kProtocolVersion);
    v.set_chain_id(3);
    v.set_genesis_hash(hash32(1));
    v.set_nonce(42);
    v.set_user_agent("stepd/test");
    v.set_best_work(hash32(0));
    v.set_listen_port(18444);
    return v;
}

template <class M>
std::string code_of(const M& m) {
    return decode_payload<M>(encode_payload(m)).status().code();
}

}  // namespace

TEST_CASE("every message type round-trips through its canonical bytes") {
    const wire::Version v = good_version();
    auto back = decode_payload<wire::Version>(encode_payload(v));
    REQUIRE(back.ok());
    CHECK(back->SerializeAsString() == v.SerializeAsString());

    wire::Headers h;
    *h.add_headers() = consensus::genesis_block(consensus::devnet_params()).header();
    auto hb = decode_payload<wire::Headers>(encode_payload(h));
    REQUIRE(hb.ok());
    CHECK(consensus::header_hash(hb->headers(0)) ==
          consensus::header_hash(consensus::genesis_block(consensus::devnet_params()).header()));

    wire::BlockMessage b;
    *b.mutable_block() = consensus::genesis_block(consensus::devnet_params());
    CHECK(decode_payload<wire::BlockMessage>(encode_payload(b)).ok());
    CHECK(decode_payload<wire::Verack>("").ok());
    CHECK(message_type_of<wire::BlockMessage>() == MessageType::kBlock);
    CHECK(message_type_of<wire::GetHeaders>() == MessageType::kGetHeaders);
}

TEST_CASE("bytes that are not a canonical message are malformed") {
    CHECK(decode_payload<wire::Ping>("\xff\xff\xff").status() == codes::kMalformedPayload);
    // Field 99 is in no schema.
    CHECK(decode_payload<wire::Ping>(std::string("\x98\x06\x01", 3)).status() ==
          codes::kMalformedPayload);
    // nonce = 1 written with a padded (non-minimal) varint.
    CHECK(decode_payload<wire::Ping>(std::string("\x08\x81\x00", 3)).status() ==
          codes::kMalformedPayload);
    // A payload over its type's cap is refused before it is parsed.
    CHECK(decode_payload<wire::Ping>(std::string(max_payload_bytes(MessageType::kPing) + 1, '\0'))
              .status()
               == codes::kMalformedPayload);
    // A block whose transaction carries an unknown field is refused too (nested check).
    wire::BlockMessage b;
    *b.mutable_block() = consensus::genesis_block(consensus::devnet_params());
    pb::Transaction* tx = b.mutable_block()->add_transactions();
    tx->GetReflection()->MutableUnknownFields(tx)->AddVarint(77, 1);
    CHECK(decode_payload<wire::BlockMessage>(b.SerializeAsString()).status() ==
          codes::kMalformedPayload);
}

TEST_CASE("counts and strings over their limits are refused") {
    wire::GetHeaders gh;
    for (uint32_t i = 0; i < kMaxLocatorHashes; ++i) gh.add_locator(hash32(2));
    CHECK(code_of(gh).empty());
    gh.add_locator(hash32(2));  // 102 hashes
    CHECK(code_of(gh) == name_of(codes::kPayloadOverLimit));

    wire::Headers h;
    const auto g = consensus::genesis_block(consensus::devnet_params()).header();
    for (uint32_t i = 0; i < kMaxHeadersPerMessage; ++i) *h.add_headers() = g;
    CHECK(code_of(h).empty());
    *h.add_headers() = g;  // 2,001 headers
    CHECK(code_of(h) == name_of(codes::kPayloadOverLimit));

    wire::Version v = good_version();
    v.set_user_agent(std::string(kMaxUserAgentBytes, 'a'));
    CHECK(code_of(v).empty());
    v.set_user_agent(std::string(kMaxUserAgentBytes + 1, 'a'));
    // The cap of the whole payload or the user agent's own limit: malformed either way.
    const std::string c = code_of(v);
    CHECK((c == name_of(codes::kPayloadOverLimit) || c == name_of(codes::kMalformedPayload)));

    wire::Addr a;
    for (uint32_t i = 0; i <= kMaxAddrPerMessage; ++i) {
        auto* p = a.add_addresses();
        p->set_ip(std::string("\x7f\x00\x00\x01", 4));
        p->set_port(1);
    }
    CHECK(code_of(a) == name_of(codes::kPayloadOverLimit));
}

TEST_CASE("fields of the wrong shape are refused") {
    wire::Version v = good_version();
    v.set_genesis_hash(hash32(1).substr(0, 31));
    CHECK(code_of(v) == name_of(codes::kBadPayloadField));

    wire::Inv inv;
    auto* item = inv.add_items();
    item->set_type(wire::INV_TX);
    item->set_hash(hash32(3));
    CHECK(code_of(inv).empty());
    item->set_type(wire::INV_UNSPECIFIED);
    CHECK(code_of(inv) == name_of(codes::kBadPayloadField));
    item->set_type(static_cast<wire::InvType>(9));  // an enum value the schema does not name
    CHECK(code_of(inv) == name_of(codes::kBadPayloadField));

    wire::GetHeaders gh;
    gh.add_locator("short");
    CHECK(code_of(gh) == name_of(codes::kBadPayloadField));

    CHECK(code_of(wire::BlockMessage()) == name_of(codes::kBadPayloadField));

    wire::Addr a;
    a.add_addresses()->set_ip(std::string(5, 'x'));
    CHECK(code_of(a) == name_of(codes::kBadPayloadField));

    wire::BlobChunk c;
    c.set_root(hash32(1));
    c.set_chunks_root(hash32(2));
    c.set_chunk(std::string(kChunkBytes + 1, 'c'));
    CHECK(code_of(c) == name_of(codes::kPayloadOverLimit));
}
