// What every JSON-RPC method file needs to read its params and write its answers the same way:
// amounts as decimal strings, raw bytes as hex, 20-byte accounts as step1 addresses, and
// invalid params as error -32602 naming the param (docs/rpc.md "Errors").
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/rpc_methods.h"
#include "consensus/keys.h"
#include "node/rpc/dispatcher.h"

namespace step::node::rpc_params {

inline std::string amount(uint64_t v) { return std::to_string(v); }  // decimal strings (RPC_CONTRACT.md)

inline std::string hex_of(const std::string& raw) { return to_hex(as_bytes(raw)); }

// A 20-byte account as its address; anything else (empty for burns and pool moves) as hex.
inline std::string address_of(const std::string& raw) {
    if (raw.size() != 20) return hex_of(raw);
    consensus::Address a;
    std::copy(raw.begin(), raw.end(), a.begin());
    return consensus::encode_address(a);
}

inline RpcError bad_params(const std::string& msg) { return RpcError(rpc::kErrInvalidParams, msg); }

inline std::string require_string(const nlohmann::json& params, const char* name) {
    if (!params.contains(name) || !params[name].is_string())
        throw bad_params(std::string("missing string param '") + name + "'");
    return params[name].get<std::string>();
}

inline uint64_t require_u64(const nlohmann::json& params, const char* name) {
    if (!params.contains(name) || !params[name].is_number_unsigned())
        throw bad_params(std::string("missing unsigned integer param '") + name + "'");
    return params[name].get<uint64_t>();
}

// A page size: `fallback` when absent, else an unsigned integer in 1..max (0 would answer
// nothing and look like the end of the list; more than max is refused, not silently cut).
inline uint64_t optional_limit(const nlohmann::json& params, const char* name, uint64_t fallback,
                               uint64_t max) {
    if (!params.contains(name)) return fallback;
    const nlohmann::json& v = params[name];
    if (!v.is_number_unsigned() || v.get<uint64_t>() == 0 || v.get<uint64_t>() > max)
        throw bad_params(std::string("param '") + name + "' must be 1.." + std::to_string(max));
    return v.get<uint64_t>();
}

inline Hash256 require_hash(const nlohmann::json& params, const char* name) {
    auto h = hash_from_hex(require_string(params, name));
    if (!h) throw bad_params(std::string("param '") + name + "' must be 64 hex digits");
    return *h;
}

inline Bytes require_hex(const nlohmann::json& params, const char* name) {
    auto b = from_hex(require_string(params, name));
    if (!b) throw bad_params(std::string("param '") + name + "' must be hex");
    return *b;
}

inline consensus::Address require_address(const nlohmann::json& params, const char* name) {
    auto addr = consensus::decode_address(require_string(params, name));
    if (!addr.ok()) throw RpcError(rpc::kErrInvalidParams, addr.status());
    return *addr;
}

}  // namespace step::node::rpc_params
