#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "node/metrics.h"
#include "node/rpc/dispatcher.h"
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
