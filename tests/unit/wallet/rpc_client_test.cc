#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "loopback_server.h"
#include "temp_dir.h"
#include "wallet/rpc_client.h"
#include "wallet/secure_file.h"
#include "consensus/errors.h"
#include "wallet/errors.h"
#include "tests/support/status_check.h"

using namespace step::wallet;
using namespace step::wallet::testing;
using nlohmann::json;

namespace {

const std::string kCookie = "__cookie__:" + std::string(64, 'a');

std::string write_cookie(const TempDir& tmp) {
    std::string path = tmp.sub(".cookie");
    REQUIRE(atomic_write_file(path, kCookie + "\n", 0600, WriteMode::kReplace).ok());
    return path;
}

RpcClient client_for(const std::string& url, CookieLocation cookie = {}) {
    auto parsed = parse_rpc_url(url);
    REQUIRE(parsed.ok());
    return RpcClient(*parsed, std::move(cookie));
}

json request_body(const std::string& raw) {
    return json::parse(raw.substr(raw.find("\r\n\r\n") + 4));
}

}  // namespace

TEST_CASE("a call posts a JSON-RPC 2.0 request and returns its result") {
    LoopbackHttpServer server(LoopbackHttpServer::json_response(
        R"({"jsonrpc":"2.0","id":1,"result":{"height":7}})"));
    auto result = client_for(server.url()).call("getchaininfo", json::object(),
                                                RpcAuth::kNone);
    REQUIRE(result.ok());
    CHECK((*result)["height"] == 7);
    std::string raw = server.request();
    CHECK(raw.rfind("POST / HTTP/1.1\r\n", 0) == 0);
    json body = request_body(raw);
    CHECK(body["jsonrpc"] == "2.0");
    CHECK(body["method"] == "getchaininfo");
    CHECK(body["params"].is_object());
    CHECK(raw.find("Authorization:") == std::string::npos);  // read-only: no credentials
}

TEST_CASE("read-only calls never send the cookie, even when one is found") {
    TempDir tmp;
    std::string cookie = write_cookie(tmp);
    LoopbackHttpServer server(
        LoopbackHttpServer::json_response(R"({"jsonrpc":"2.0","id":1,"result":{}})"));
    auto result = client_for(server.url(), CookieLocation{cookie, cookie})
                      .call("getaccount", json::object(), RpcAuth::kNone);
    REQUIRE(result.ok());
    CHECK(server.request().find("Authorization:") == std::string::npos);
}

TEST_CASE("the default cookie is only sent to a node on this machine") {
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.8.9.10"));
    CHECK(is_loopback_host("localhost"));
    CHECK(is_loopback_host("::1"));
    CHECK_FALSE(is_loopback_host("192.0.2.1"));
    CHECK_FALSE(is_loopback_host("node.example"));
    TempDir tmp;
    std::string cookie = write_cookie(tmp);
    // 192.0.2.0/24 is TEST-NET-1: the call must fail before any connection attempt.
    auto remote = client_for("http://192.0.2.1:18443", CookieLocation{std::nullopt, cookie})
                      .call("sendtransaction", json::object(), RpcAuth::kRequired);
    REQUIRE_FALSE(remote.ok());
    CHECK(remote.status() == step::wallet::codes::kRpcCookieMissing);
    CHECK(remote.status().message().find("--cookie FILE") != std::string::npos);
}

TEST_CASE("the cookie travels as HTTP Basic auth") {
    TempDir tmp;
    std::string cookie = write_cookie(tmp);
    LoopbackHttpServer server(
        LoopbackHttpServer::json_response(R"({"jsonrpc":"2.0","id":1,"result":{"txid":"ab"}})"));
    auto result = client_for(server.url(), CookieLocation{cookie, std::nullopt})
                      .call("sendtransaction", json{{"tx", "00"}}, RpcAuth::kRequired);
    REQUIRE(result.ok());
    // base64("__cookie__:" + 64 x 'a')
    CHECK(server.request().find("Authorization: Basic X19jb29raWVfXzphYWFhYWFhYWFhYWFhYWFhYWFh"
                                "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh") !=
          std::string::npos);
}

TEST_CASE("a method that needs auth fails before connecting when no cookie is found") {
    TempDir tmp;
    int port = unused_loopback_port();
    auto result =
        client_for("http://127.0.0.1:" + std::to_string(port),
                   CookieLocation{std::nullopt, tmp.sub("devnet/.cookie")})
            .call("generate", json{{"count", 1}}, RpcAuth::kRequired);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status() == step::wallet::codes::kRpcCookieMissing);
    CHECK(result.status().message().find("--cookie FILE") != std::string::npos);
    CHECK(result.status().message().find(tmp.sub("devnet/.cookie")) != std::string::npos);
}

TEST_CASE("cookie discovery: an explicit file wins over the default, which is used otherwise") {
    TempDir tmp;
    std::string def = tmp.sub("default.cookie"), expl = tmp.sub("explicit.cookie");
    REQUIRE(atomic_write_file(def, "__cookie__:1111\n", 0600, WriteMode::kReplace).ok());
    REQUIRE(atomic_write_file(expl, "__cookie__:2222", 0600, WriteMode::kReplace).ok());
    CHECK(*load_cookie({std::nullopt, def}) == "__cookie__:1111");
    CHECK(*load_cookie({expl, def}) == "__cookie__:2222");
    CHECK(load_cookie({tmp.sub("nope"), def}).status() == step::wallet::codes::kRpcCookieMissing);
    CHECK(load_cookie({std::nullopt, std::nullopt}).status() == step::wallet::codes::kRpcCookieMissing);
    REQUIRE(atomic_write_file(expl, "password\n", 0600, WriteMode::kReplace).ok());
    CHECK(load_cookie({expl, def}).status() == step::wallet::codes::kRpcCookieInvalid);
}

TEST_CASE("JSON-RPC errors keep the node's message, data.code and data.category") {
    LoopbackHttpServer server(LoopbackHttpServer::json_response(
        R"({"jsonrpc":"2.0","id":1,"error":{"code":-32010,"message":"transaction rejected: nonce too low","data":{"code":"bad-nonce","category":"consensus"}}})"));
    auto result = client_for(server.url()).call("getaccount", json::object(),
                                                RpcAuth::kNone);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status() == step::consensus::codes::kBadNonce);
    CHECK(result.status().message() ==
          "transaction rejected: nonce too low (rpc error -32010, bad-nonce)");
}

TEST_CASE("a JSON-RPC error without data.category counts as internal") {
    LoopbackHttpServer server(LoopbackHttpServer::json_response(
        R"({"jsonrpc":"2.0","id":1,"error":{"code":-32010,"message":"rejected","data":{"code":"bad-nonce"}}})"));
    auto result = client_for(server.url()).call("getaccount", json::object(),
                                                RpcAuth::kNone);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == name_of(step::consensus::codes::kBadNonce));
    CHECK(result.status().category() == step::ErrorCategory::kInternal);
}

TEST_CASE("HTTP 401 is reported as a refused cookie") {
    LoopbackHttpServer server(LoopbackHttpServer::json_response(
        R"({"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"unauthorized"}})", 401,
        "Unauthorized"));
    auto result = client_for(server.url()).call("getaccount", json::object(),
                                                RpcAuth::kNone);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status() == step::wallet::codes::kRpcUnauthorized);
}

TEST_CASE("connection refused names the URL") {
    std::string url = "http://127.0.0.1:" + std::to_string(unused_loopback_port());
    auto result = client_for(url).call("getchaininfo", json::object(), RpcAuth::kNone);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status() == step::wallet::codes::kRpcUnreachable);
    CHECK(result.status().message().find(url) != std::string::npos);
}

TEST_CASE("a non-JSON answer is a bad response") {
    LoopbackHttpServer server("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    auto result = client_for(server.url()).call("getchaininfo", json::object(),
                                                RpcAuth::kNone);
    CHECK(result.status() == step::wallet::codes::kRpcBadResponse);
}

TEST_CASE("RPC URLs parse host, port and path") {
    auto u = parse_rpc_url("http://127.0.0.1:18443");
    REQUIRE(u.ok());
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == "18443");
    CHECK(u->target == "/");
    auto v = parse_rpc_url("http://[::1]:8443/rpc");
    REQUIRE(v.ok());
    CHECK(v->host == "::1");
    CHECK(v->target == "/rpc");
    CHECK(parse_rpc_url("localhost:9")->port == "9");
    CHECK(parse_rpc_url("http://node.example")->port == "80");
    for (const char* bad : {"https://h:1", "ftp://h", "http://:1", "http://h:", "http://h:0",
                            "http://h:70000", "http://h:x", "http://u:p@h:1", "http://[::1"}) {
        INFO(bad);
        CHECK(parse_rpc_url(bad).status() == step::wallet::codes::kBadRpcUrl);
    }
}
