// Mutation fuzzing of the node's decoders and the JSON-RPC front door: any input yields a value
// or a clean error, never a crash (run under sanitizers to catch memory errors too).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "node/rpc/dispatcher.h"
#include "node/storage/block_store.h"
#include "node/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::node;

namespace {

Bytes mutate(Bytes b, std::mt19937& rng) {
    std::uniform_int_distribution<int> op(0, 3);
    const int rounds = 1 + static_cast<int>(rng() % 4);
    for (int r = 0; r < rounds; ++r) {
        switch (op(rng)) {
            case 0:  // flip a byte
                if (!b.empty()) b[rng() % b.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
                break;
            case 1:  // truncate
                if (!b.empty()) b.resize(rng() % b.size());
                break;
            case 2:  // insert a byte
                b.insert(b.begin() + static_cast<long>(b.empty() ? 0 : rng() % b.size()), static_cast<uint8_t>(rng()));
                break;
            default:  // duplicate a slice
                if (b.size() > 2) {
                    size_t from = rng() % b.size(), len = 1 + rng() % (b.size() - from);
                    Bytes slice(b.begin() + static_cast<long>(from), b.begin() + static_cast<long>(from + len));
                    b.insert(b.end(), slice.begin(), slice.end());
                }
        }
    }
    return b;
}

}  // namespace

TEST_CASE("fuzz: index and undo decoders accept or reject mutated records cleanly") {
    std::mt19937 rng(12345);
    IndexRecord r;
    r.status = BlockStatus::kValid;
    r.height = 77;
    r.invalid_reason = "bad-pow";
    r.header = Bytes(90, 0x5a);
    const Bytes index = encode_index_record(r);
    const Bytes undo = encode_undo({{Bytes{1, 2, 3}, Bytes{4, 5}}, {Bytes{9}, std::nullopt}});
    int rejected = 0;
    for (int i = 0; i < 3000; ++i) {
        auto a = decode_index_record(mutate(index, rng));
        if (a.ok()) {
            CHECK(static_cast<int>(a->status) <= static_cast<int>(BlockStatus::kInvalidParent));
        } else {
            CHECK(a.status() == step::node::codes::kCorruptIndex);
            ++rejected;
        }
        auto u = decode_undo(mutate(undo, rng));
        if (!u.ok()) CHECK(u.status() == step::node::codes::kCorruptUndo);
    }
    CHECK(rejected > 0);
}

TEST_CASE("fuzz: the JSON-RPC dispatcher answers any body with a well-formed response") {
    std::mt19937 rng(6789);
    RpcDispatcher d;
    d.add("echo", false, [](const nlohmann::json& p) { return p; });
    d.add("secret", true, [](const nlohmann::json&) { return nlohmann::json::object(); });
    const std::string seed = R"([{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":[1,2,{"b":null}]}},)"
                             R"({"jsonrpc":"2.0","id":"x","method":"secret"}])";
    for (int i = 0; i < 3000; ++i) {
        const Bytes body = mutate(Bytes(seed.begin(), seed.end()), rng);
        int status = 0;
        const std::string out = d.handle(std::string(body.begin(), body.end()), false, status);
        CHECK((status == 200 || status == 400 || status == 401));
        if (out.empty()) continue;  // notifications only
        auto parsed = nlohmann::json::parse(out, nullptr, false);
        REQUIRE_FALSE(parsed.is_discarded());
        CHECK((parsed.is_object() || parsed.is_array()));
    }
}
