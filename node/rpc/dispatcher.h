// JSON-RPC 2.0 request handling, independent of sockets: parse, authorise, dispatch, format.
// Handlers return the result object or throw RpcError; the dispatcher turns everything else
// (bad JSON, unknown methods, exceptions) into the error codes of common/rpc_methods.h.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/status.h"
#include "node/http_server.h"

namespace step::node {

class Metrics;

// A JSON-RPC error. A code or Status, when given, becomes error.data = {code, category}: the
// machine-readable reason and its kind (common/status.h, docs/rpc.md).
struct RpcError : std::runtime_error {
    RpcError(int code, const std::string& message) : std::runtime_error(message), code(code) {}
    RpcError(int code, const std::string& message, const ErrorCode& data)
        : std::runtime_error(message),
          code(code),
          data_code(data.name),
          data_category(category_name(data.category)) {}
    RpcError(int code, const Status& s)
        : std::runtime_error(s.message()),
          code(code),
          data_code(s.code()),
          data_category(s.category_name()) {}
    int code;
    std::string data_code;  // empty: no error.data
    std::string data_category;
};

using RpcHandler = std::function<nlohmann::json(const nlohmann::json& params)>;

class RpcDispatcher {
public:
    explicit RpcDispatcher(Metrics* metrics = nullptr) : metrics_(metrics) {}

    // needs_auth: the method changes something and requires the cookie credential.
    void add(const std::string& method, bool needs_auth, RpcHandler handler);
    bool has(const std::string& method) const { return methods_.count(method) != 0; }

    // Handles one HTTP body (a request object or a batch array): the JSON-RPC request parser's
    // one entry point, over untrusted bytes. `authorized` says whether the HTTP request carried
    // the right credential. Sets http_status (200, 400 parse error or nesting too deep, 401).
    // Returns the response body; empty for a lone notification. Bounded by node/rpc_limits.h:
    // nesting depth, batch length, answer bytes.
    std::string handle(const std::string& body, bool authorized, int& http_status) const;

private:
    struct Method {
        bool needs_auth;
        RpcHandler handler;
    };
    // One call of a request or batch; null json for a notification (no answer). Sets
    // `unauthorized` when the call needed the credential the request lacked.
    nlohmann::json call(const nlohmann::json& request, bool authorized, bool& unauthorized) const;
    std::string answer_batch(const nlohmann::json& batch, bool authorized, bool& unauthorized) const;
    Metrics* metrics_;
    std::map<std::string, Method> methods_;
};

// One row of a method table (node/rpc/*_methods.cc, as Bitcoin Core's rpc/blockchain.cpp): the
// name from common/rpc_methods.h, whether it needs the cookie credential, and the named function
// that serves it with the group's context (what its methods read: the node, a store, ...).
template <class Context>
struct RpcMethod {
    const char* name;
    bool needs_auth;
    nlohmann::json (*handler)(const Context& context, const nlohmann::json& params);
};

// Adds every method of `table`, each served with its own copy of `context`.
template <class Context>
void add_methods(RpcDispatcher& dispatcher, std::span<const RpcMethod<Context>> table,
                 const Context& context) {
    for (const RpcMethod<Context>& m : table)
        dispatcher.add(m.name, m.needs_auth,
                       [context, handler = m.handler](const nlohmann::json& params) {
                           return handler(context, params);
                       });
}

// The JSON-RPC error body used for a request over the size limit (served with HTTP 413).
std::string rpc_too_large_body();

// Whether `body`'s arrays and objects nest at most `max_depth` deep, by one linear pass that
// parses nothing (so it cannot itself recurse): the guard run before a body is parsed.
bool json_nesting_within(std::string_view body, size_t max_depth);

}  // namespace step::node
