#include "node/rpc/dispatcher.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/rpc_errors.h"
#include "common/rpc_methods.h"
#include "consensus/kv.h"
#include "node/log.h"
#include "node/metrics.h"
#include "node/rpc_limits.h"

namespace step::node {

using nlohmann::json;

namespace {

json error_response(const json& id, int code, const std::string& message,
                    const std::string& data_code = "", const std::string& data_category = "") {
    json err = {{"code", code}, {"message", message}};
    if (!data_code.empty()) err["data"] = {{"code", data_code}, {"category", data_category}};
    return {{"jsonrpc", "2.0"}, {"id", id}, {"error", err}};
}

json limit_error(const json& id, const ErrorCode& code, const std::string& message) {
    return error_response(id, rpc::kErrLimit, message, std::string(code.name),
                          std::string(category_name(code.category)));
}

// Replace rather than throw on invalid UTF-8 a handler might echo back.
std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The id of a request object when it is a valid one (string, number or null), else nullopt.
// Checked before anything copies it: an id is an untrusted value of any shape.
std::optional<json> valid_id(const json& request) {
    auto it = request.find("id");
    if (it == request.end() || it->is_null()) return json(nullptr);
    if (!it->is_string() && !it->is_number()) return std::nullopt;
    return *it;
}

}  // namespace

void RpcDispatcher::add(const std::string& method, bool needs_auth, RpcHandler handler) {
    methods_[method] = Method{needs_auth, std::move(handler)};
}

std::string rpc_too_large_body() {
    return error_response(nullptr, rpc::kErrInvalidRequest, "request too large").dump();
}

bool json_nesting_within(std::string_view body, size_t max_depth) {
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (in_string) {
            if (c == '\\')
                ++i;  // skip the escaped character, which may be a quote
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) return false;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;  // unbalanced closers are the parser's to refuse
        }
    }
    return true;
}

json RpcDispatcher::call(const json& req, bool authorized, bool& unauthorized) const {
    if (!req.is_object())
        return error_response(nullptr, rpc::kErrInvalidRequest, "request must be a JSON object");
    const bool is_notification = !req.contains("id");
    const std::optional<json> id = valid_id(req);
    if (!id)
        return error_response(nullptr, rpc::kErrInvalidRequest,
                              "id must be a string, number or null");
    if (req.value("jsonrpc", json()) != "2.0")
        return error_response(*id, rpc::kErrInvalidRequest, "jsonrpc must be \"2.0\"");
    auto method_it = req.find("method");
    if (method_it == req.end() || !method_it->is_string())
        return error_response(*id, rpc::kErrInvalidRequest, "method must be a string");
    const std::string& method = method_it->get_ref<const std::string&>();
    // Params are read in place, never copied.
    static const json kNoParams = json::object();
    auto params_it = req.find("params");
    const json& params = params_it == req.end() || params_it->is_null() ? kNoParams : *params_it;
    auto it = methods_.find(method);
    json response;
    const auto start = std::chrono::steady_clock::now();
    if (it == methods_.end()) {
        response = error_response(*id, rpc::kErrMethodNotFound, "method not found: " + method);
    } else if (it->second.needs_auth && !authorized) {
        unauthorized = true;
        response = error_response(*id, rpc::kErrUnauthorized,
                                  "unauthorized: " + method + " needs the cookie credential");
    } else if (!params.is_object()) {
        response = error_response(*id, rpc::kErrInvalidParams, "params must be a JSON object");
    } else {
        try {
            response = {{"jsonrpc", "2.0"}, {"id", *id}, {"result", it->second.handler(params)}};
        } catch (const RpcError& e) {
            response = error_response(*id, e.code, e.what(), e.data_code, e.data_category);
        } catch (const json::exception& e) {
            // Type errors while reading params are the caller's mistake.
            response = error_response(*id, rpc::kErrInvalidParams,
                                      std::string("invalid params: ") + e.what());
        } catch (const consensus::KvReadError& e) {
            // The database failed under the call (damaged table, I/O error): an error with its
            // code (db-corruption, db-read), logged; the node goes on serving.
            log_error("rpc ", method, ": ", e.status().to_string());
            response = error_response(*id, rpc::kErrInternal, e.status().message(),
                                      e.status().code(), std::string(e.status().category_name()));
        } catch (const std::exception& e) {
            log_error("rpc ", method, " failed: ", e.what());
            response =
                error_response(*id, rpc::kErrInternal, std::string("internal error: ") + e.what());
        }
        if (metrics_) {
            const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
            metrics_->observe_rpc_latency(method, elapsed.count());
        }
    }
    return is_notification ? json() : response;
}

// Each answer is printed as soon as its call returns, so the batch holds one printed answer, not
// a tree of them; once that text reaches kMaxAnswerBytes, the remaining calls are not run.
std::string RpcDispatcher::answer_batch(const json& batch, bool authorized,
                                        bool& unauthorized) const {
    std::string out = "[";
    bool any = false;
    for (const json& req : batch) {
        json one;
        if (out.size() < rpc_limits::kMaxAnswerBytes) {
            one = call(req, authorized, unauthorized);
        } else if (req.is_object() && req.contains("id")) {
            one = limit_error(valid_id(req).value_or(nullptr), rpc::codes::kAnswerTooLarge,
                              "not run: the batch's answer reached " +
                                  std::to_string(rpc_limits::kMaxAnswerBytes) + " bytes");
        }
        if (one.is_null()) continue;
        if (any) out += ',';
        out += dump(one);
        any = true;
    }
    if (!any) return std::string();
    out += ']';
    return out;
}

std::string RpcDispatcher::handle(const std::string& body, bool authorized,
                                  int& http_status) const {
    http_status = 200;
    // Before parsing: a deep value would overflow the stack wherever it is copied or printed.
    if (!json_nesting_within(body, rpc_limits::kMaxJsonDepth)) {
        http_status = 400;
        return dump(limit_error(
            nullptr, rpc::codes::kJsonTooDeep,
            "JSON nested deeper than " + std::to_string(rpc_limits::kMaxJsonDepth) + " levels"));
    }
    const json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded()) {
        http_status = 400;
        return error_response(nullptr, rpc::kErrParse, "parse error: body is not valid JSON")
            .dump();
    }
    bool unauthorized = false;
    std::string out;
    if (!request.is_array()) {
        out = dump(call(request, authorized, unauthorized));
        if (out == "null") out.clear();
    } else if (request.empty()) {
        out = dump(error_response(nullptr, rpc::kErrInvalidRequest, "empty batch"));
    } else if (request.size() > rpc_limits::kMaxBatchLength) {
        out = dump(limit_error(
            nullptr, rpc::codes::kBatchTooLong,
            "a batch holds at most " + std::to_string(rpc_limits::kMaxBatchLength) + " calls"));
    } else {
        out = answer_batch(request, authorized, unauthorized);
    }
    if (unauthorized) http_status = 401;
    return out;
}

}  // namespace step::node
