// JSON-RPC 2.0 client for stepd (RPC_CONTRACT.md): HTTP/1.1 POST, HTTP Basic auth from the
// node's cookie file for the methods that need it. The HTTP machinery stays in rpc_client.cc.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"

namespace step::wallet {

struct RpcUrl {
    std::string host;    // without brackets for IPv6 literals
    std::string port;    // decimal
    std::string target;  // HTTP path, "/" by default
    std::string text;    // as given, for messages
};

// Accepts http://HOST[:PORT][/PATH] (port 80 if absent) and HOST:PORT; bad-rpc-url otherwise
// (https included: stepd serves plain HTTP on loopback; tunnel it for remote use).
Result<RpcUrl> parse_rpc_url(std::string_view url);

// Where the node's cookie is: an explicit --cookie FILE, else the default datadir's cookie.
struct CookieLocation {
    std::optional<std::string> explicit_path;
    std::optional<std::string> default_path;  // nullopt when $HOME is unset
};

// The "user:secret" credentials from the cookie file (one line, "__cookie__:<hex>").
// rpc-cookie-missing, with a message saying how to provide it, when no file can be read;
// rpc-cookie-invalid when the file does not hold a cookie.
Result<std::string> load_cookie(const CookieLocation& where);

enum class RpcAuth {
    kNone,      // read-only methods: no credentials are sent
    kRequired,  // methods that change anything: fail before connecting without a cookie
};

// True for 127.0.0.0/8, ::1 and "localhost". The default cookie (the local node's) is only sent
// to such hosts: a --rpc pointing elsewhere must name its cookie with --cookie, so the local
// node's secret never leaves the machine by accident.
bool is_loopback_host(std::string_view host);

// Error codes returned by call():
//   rpc-unreachable     connection refused / host unknown (the message names the URL)
//   rpc-timeout         no answer in time
//   rpc-unauthorized    HTTP 401: the cookie is stale or wrong
//   rpc-bad-response    not an HTTP/JSON-RPC answer
//   rpc-cookie-missing / rpc-cookie-invalid (kRequired only)
//   <error.data.code>   a JSON-RPC error with data.code (e.g. a consensus rejection reason),
//                       in the category of error.data.category (internal when absent)
//   rpc-error           a JSON-RPC error without data.code
// JSON-RPC error messages read "<node's message> (rpc error <code>[, <data.code>])".
class RpcClient {
public:
    RpcClient(RpcUrl url, CookieLocation cookie,
              std::chrono::seconds timeout = std::chrono::seconds(60));

    // Calls `method` with `params` (a JSON object) and returns the `result` member.
    Result<nlohmann::json> call(const std::string& method, const nlohmann::json& params,
                                RpcAuth auth) const;

    // The credentials a kRequired call would send, or why there are none: lets a command fail
    // before it prompts for anything.
    Result<std::string> credentials() const;

    const RpcUrl& url() const { return url_; }
    void set_timeout(std::chrono::seconds timeout) { timeout_ = timeout; }

private:
    RpcUrl url_;
    CookieLocation cookie_;
    std::chrono::seconds timeout_;
};

}  // namespace step::wallet
