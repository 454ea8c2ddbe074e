#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/rpc_errors.h"
#include "common/rpc_methods.h"
#include "node/metrics.h"
#include "node/rpc/dispatcher.h"
#include "node/rpc_limits.h"
#include "consensus/errors.h"
#include "tests/support/status_check.h"

using namespace step::node;
using nlohmann::json;

namespace {

RpcDispatcher make_dispatcher(Metrics* metrics = nullptr) {
    RpcDispatcher d(metrics);
    d.add("echo", false, [](const json& params) { return json{{"got", params}}; });
    d.add("secret", true, [](const json&) { return json{{"ok", true}}; });
    d.add("needs_x", false, [](const json& params) {
        if (!params.contains("x")) throw RpcError(step::rpc::kErrInvalidParams, "missing x");
        return json{{"x", params.at("x").get<int>()}};
    });
    d.add("reject", false, [](const json&) -> json {
        throw RpcError(step::rpc::kErrTxRejected, "bad nonce", step::consensus::codes::kBadNonce);
    });
    d.add("boom", false, [](const json&) -> json { throw std::runtime_error("disk on fire"); });
    return d;
}

json call(const RpcDispatcher& d, const std::string& body, bool authorized, int& status) {
    std::string out = d.handle(body, authorized, status);
    return out.empty() ? json() : json::parse(out);
}

}  // namespace

TEST_CASE("dispatcher answers a valid call with result and the same id") {
    auto d = make_dispatcher();
    int status = 0;
    auto r = call(d, R"({"jsonrpc":"2.0","id":7,"method":"echo","params":{"a":1}})", false, status);
    CHECK(status == 200);
    CHECK(r["id"] == 7);
    CHECK(r["jsonrpc"] == "2.0");
    CHECK(r["result"]["got"]["a"] == 1);
    r = call(d, R"({"jsonrpc":"2.0","id":"s","method":"echo"})", false, status);
    CHECK(r["id"] == "s");
    CHECK(r["result"]["got"] == json::object());
}

TEST_CASE("dispatcher maps malformed requests to standard error codes") {
    auto d = make_dispatcher();
    int status = 0;
    auto r = call(d, "{not json", false, status);
    CHECK(status == 400);
    CHECK(r["error"]["code"] == step::rpc::kErrParse);
    CHECK(r["id"].is_null());

    r = call(d, R"({"jsonrpc":"1.0","id":1,"method":"echo"})", false, status);
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidRequest);
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":5})", false, status);
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidRequest);
    r = call(d, R"("just a string")", false, status);
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidRequest);
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"nope"})", false, status);
    CHECK(r["error"]["code"] == step::rpc::kErrMethodNotFound);
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[1,2]})", false, status);
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidParams);
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"needs_x","params":{}})", false, status);
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidParams);
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"needs_x","params":{"x":"str"}})", false, status);
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidParams);
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"needs_x","params":{"x":3}})", false, status);
    CHECK(r["result"]["x"] == 3);
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"boom"})", false, status);
    CHECK(r["error"]["code"] == step::rpc::kErrInternal);
    CHECK(status == 200);
}

TEST_CASE("dispatcher carries a machine-readable reason in error.data.code") {
    auto d = make_dispatcher();
    int status = 0;
    auto r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"reject"})", false, status);
    CHECK(r["error"]["code"] == step::rpc::kErrTxRejected);
    CHECK(r["error"]["data"]["code"] == name_of(step::consensus::codes::kBadNonce));
    CHECK(r["error"]["data"]["category"] == "consensus");
    CHECK(r["error"]["message"] == "bad nonce");
}

TEST_CASE("dispatcher refuses authenticated methods without credentials") {
    auto d = make_dispatcher();
    int status = 0;
    auto r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"secret"})", false, status);
    CHECK(status == 401);
    CHECK(r["error"]["code"] == step::rpc::kErrUnauthorized);
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"secret"})", true, status);
    CHECK(status == 200);
    CHECK(r["result"]["ok"] == true);
}

TEST_CASE("dispatcher handles batches and notifications") {
    Metrics metrics;
    auto d = make_dispatcher(&metrics);
    int status = 0;
    auto r = call(d,
                  R"([{"jsonrpc":"2.0","id":1,"method":"echo"},{"jsonrpc":"2.0","method":"echo"},)"
                  R"({"jsonrpc":"2.0","id":2,"method":"nope"}])",
                  false, status);
    REQUIRE(r.is_array());
    REQUIRE(r.size() == 2);  // the notification gets no response
    CHECK(r[0]["id"] == 1);
    CHECK(r[1]["error"]["code"] == step::rpc::kErrMethodNotFound);
    CHECK(d.handle(R"({"jsonrpc":"2.0","method":"echo"})", false, status).empty());
    r = call(d, "[]", false, status);
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidRequest);
    CHECK(metrics.render().find("stepd_rpc_latency_seconds_count{method=\"echo\"} 3") != std::string::npos);
}

TEST_CASE("metrics render gauges, counters and the latency histogram in Prometheus text") {
    Metrics m;
    m.set_gauge("stepd_chain_height", "Height", 12);
    m.set_gauge("stepd_chain_height", "Height", 13);
    m.add_counter("stepd_blocks_mined_total", "Mined");
    m.add_counter("stepd_blocks_mined_total", "Mined", 2);
    m.set_counter("stepd_blocks_validated_total", "Validated", 40);
    m.observe_rpc_latency("getblock", 0.002);
    m.observe_rpc_latency("getblock", 2.0);
    const std::string text = m.render();
    CHECK(text.find("# TYPE stepd_chain_height gauge\nstepd_chain_height 13\n") != std::string::npos);
    CHECK(text.find("# TYPE stepd_blocks_mined_total counter\nstepd_blocks_mined_total 3\n") != std::string::npos);
    CHECK(text.find("stepd_blocks_validated_total 40\n") != std::string::npos);
    CHECK(text.find("stepd_rpc_latency_seconds_bucket{method=\"getblock\",le=\"0.001\"} 0\n") != std::string::npos);
    CHECK(text.find("stepd_rpc_latency_seconds_bucket{method=\"getblock\",le=\"0.005\"} 1\n") != std::string::npos);
    CHECK(text.find("stepd_rpc_latency_seconds_bucket{method=\"getblock\",le=\"+Inf\"} 2\n") != std::string::npos);
    CHECK(text.find("stepd_rpc_latency_seconds_count{method=\"getblock\"} 2\n") != std::string::npos);
}

namespace {
std::string nested(size_t depth, const std::string& leaf = "1") {
    return std::string(depth, '[') + leaf + std::string(depth, ']');
}
}  // namespace

TEST_CASE("dispatcher refuses JSON nested deeper than kMaxJsonDepth before parsing it") {
    using step::node::rpc_limits::kMaxJsonDepth;
    auto d = make_dispatcher();
    int status = 0;
    // Deep enough to overflow the stack of any recursive copy, print or destruction.
    const std::string deep = nested(150000);
    for (const std::string& body :
         std::vector<std::string>{R"({"jsonrpc":"2.0","id":)" + deep + R"(,"method":"echo"})",
          R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"p":)" + deep + "}}",
          std::string("[") + R"({"jsonrpc":"2.0","id":1,"method":"echo","params":)" + deep + "}]"}) {
        auto r = call(d, body, false, status);
        CHECK(status == 400);
        CHECK(r["error"]["code"] == step::rpc::kErrLimit);
        CHECK(r["error"]["data"]["code"] == name_of(step::rpc::codes::kJsonTooDeep));
    }
    // The request object is one level, its params another: kMaxJsonDepth in all is accepted.
    auto r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"p":)" + nested(kMaxJsonDepth - 2) + "}}",
                  false, status);
    CHECK(status == 200);
    CHECK(r.contains("result"));
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"p":)" + nested(kMaxJsonDepth - 1) + "}}", false,
             status);
    CHECK(status == 400);
    CHECK(r["error"]["data"]["code"] == name_of(step::rpc::codes::kJsonTooDeep));
    // Brackets inside strings, escaped quotes included, are not nesting.
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"s":"\")" + std::string(1000, '[') + "\"}}",
             false, status);
    CHECK(status == 200);
    CHECK(r["result"]["got"]["s"].get<std::string>().size() == 1001);
}

TEST_CASE("json_nesting_within counts arrays and objects outside strings") {
    CHECK(json_nesting_within("", 0));
    CHECK(json_nesting_within("1", 0));
    CHECK_FALSE(json_nesting_within("[]", 0));
    CHECK(json_nesting_within("[{}]", 2));
    CHECK_FALSE(json_nesting_within("[{}]", 1));
    CHECK(json_nesting_within(R"(["[[[", "\\", "\"{{"])", 1));
    CHECK(json_nesting_within("]]]][]", 1));  // stray closers do not lend depth
}

TEST_CASE("dispatcher refuses a batch longer than kMaxBatchLength") {
    using step::node::rpc_limits::kMaxBatchLength;
    auto d = make_dispatcher();
    int status = 0;
    auto batch_of = [](size_t n) {
        std::string body = "[";
        for (size_t i = 0; i < n; ++i)
            body += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"echo"})";
        return body + "]";
    };
    auto r = call(d, batch_of(kMaxBatchLength), false, status);
    REQUIRE(r.is_array());
    CHECK(r.size() == kMaxBatchLength);
    r = call(d, batch_of(kMaxBatchLength + 1), false, status);
    REQUIRE(r.is_object());
    CHECK(r["error"]["code"] == step::rpc::kErrLimit);
    CHECK(r["error"]["data"]["code"] == name_of(step::rpc::codes::kBatchTooLong));
}

TEST_CASE("dispatcher stops running a batch once its answer reaches kMaxAnswerBytes") {
    using step::node::rpc_limits::kMaxAnswerBytes;
    RpcDispatcher d;
    size_t runs = 0;
    const std::string mib(1 << 20, 'x');
    d.add("big", false, [&](const json&) {
        ++runs;
        return json(mib);
    });
    const size_t calls = kMaxAnswerBytes / mib.size() + 8;
    std::string body = "[";
    for (size_t i = 0; i < calls; ++i)
        body += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"big"})";
    body += "]";
    int status = 0;
    const std::string out = d.handle(body, false, status);
    CHECK(out.size() < kMaxAnswerBytes + 2 * mib.size());
    const json r = json::parse(out);
    REQUIRE(r.size() == calls);
    CHECK(runs < calls);
    CHECK(runs * mib.size() >= kMaxAnswerBytes);
    for (size_t i = 0; i < calls; ++i) {
        CHECK(r[i]["id"] == i);
        if (i < runs) {
            CHECK(r[i]["result"].get<std::string>().size() == mib.size());
        } else {
            CHECK(r[i]["error"]["code"] == step::rpc::kErrLimit);
            CHECK(r[i]["error"]["data"]["code"] == name_of(step::rpc::codes::kAnswerTooLarge));
        }
    }
}
