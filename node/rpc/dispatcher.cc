#include "node/rpc/dispatcher.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "node/log.h"
#include "node/metrics.h"

namespace step::node {

using nlohmann::json;

namespace {

json error_response(const json& id, int code, const std::string& message, const std::string& data_code = "",
                    const std::string& data_category = "") {
    json err = {{"code", code}, {"message", message}};
    if (!data_code.empty()) err["data"] = {{"code", data_code}, {"category", data_category}};
    return {{"jsonrpc", "2.0"}, {"id", id}, {"error", err}};
}

}  // namespace

void RpcDispatcher::add(const std::string& method, bool needs_auth, RpcHandler handler) {
    methods_[method] = Method{needs_auth, std::move(handler)};
}

std::string rpc_too_large_body() {
    return error_response(nullptr, rpc::kErrInvalidRequest, "request too large").dump();
}

std::string RpcDispatcher::handle(const std::string& body, bool authorized, int& http_status) const {
    http_status = 200;
    json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded()) {
        http_status = 400;
        return error_response(nullptr, rpc::kErrParse, "parse error: body is not valid JSON").dump();
    }

    bool unauthorized = false;
    // One call; returns null json for a notification (no id: no response).
    auto call = [&](const json& req) -> json {
        if (!req.is_object())
            return error_response(nullptr, rpc::kErrInvalidRequest, "request must be a JSON object");
        const bool is_notification = !req.contains("id");
        json id = is_notification ? json(nullptr) : req["id"];
        if (!id.is_null() && !id.is_string() && !id.is_number())
            return error_response(nullptr, rpc::kErrInvalidRequest, "id must be a string, number or null");
        if (req.value("jsonrpc", json()) != "2.0")
            return error_response(id, rpc::kErrInvalidRequest, "jsonrpc must be \"2.0\"");
        if (!req.contains("method") || !req["method"].is_string())
            return error_response(id, rpc::kErrInvalidRequest, "method must be a string");
        const std::string method = req["method"];
        json params = req.contains("params") ? req["params"] : json::object();
        if (params.is_null()) params = json::object();
        auto it = methods_.find(method);
        json response;
        const auto start = std::chrono::steady_clock::now();
        if (it == methods_.end()) {
            response = error_response(id, rpc::kErrMethodNotFound, "method not found: " + method);
        } else if (it->second.needs_auth && !authorized) {
            unauthorized = true;
            response = error_response(id, rpc::kErrUnauthorized, "unauthorized: " + method +
                                                                     " needs the cookie credential");
        } else if (!params.is_object()) {
            response = error_response(id, rpc::kErrInvalidParams, "params must be a JSON object");
        } else {
            try {
                response = {{"jsonrpc", "2.0"}, {"id", id}, {"result", it->second.handler(params)}};
            } catch (const RpcError& e) {
                response = error_response(id, e.code, e.what(), e.data_code, e.data_category);
            } catch (const json::exception& e) {
                // Type errors while reading params are the caller's mistake.
                response = error_response(id, rpc::kErrInvalidParams, std::string("invalid params: ") + e.what());
            } catch (const std::exception& e) {
                log_error("rpc ", method, " failed: ", e.what());
                response = error_response(id, rpc::kErrInternal, std::string("internal error: ") + e.what());
            }
            if (metrics_) {
                const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
                metrics_->observe_rpc_latency(method, elapsed.count());
            }
        }
        return is_notification ? json() : response;
    };

    json out;
    if (request.is_array()) {
        if (request.empty()) return error_response(nullptr, rpc::kErrInvalidRequest, "empty batch").dump();
        out = json::array();
        for (const auto& r : request) {
            json one = call(r);
            if (!one.is_null()) out.push_back(std::move(one));
        }
        if (out.empty()) out = json();
    } else {
        out = call(request);
    }
    if (unauthorized) http_status = 401;
    // Replace rather than throw on invalid UTF-8 a handler might echo back.
    return out.is_null() ? std::string() : out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace step::node
