// The only translation unit of the wallet that includes Boost.Beast.
#include "wallet/rpc_client.h"

#include <atomic>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <crypto++/base64.h>
#include <crypto++/filters.h>
#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "wallet/secure_file.h"
#include "wallet/errors.h"

namespace step::wallet {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

// A JSON-RPC answer larger than this is not one stepd sends (a block is at most a few MiB).
constexpr size_t kMaxResponseBytes = 64 * 1024 * 1024;
constexpr size_t kMaxCookieBytes = 1024;

std::string base64(const std::string& text) {
    std::string out;
    CryptoPP::StringSource src(text, true,
                               new CryptoPP::Base64Encoder(new CryptoPP::StringSink(out),
                                                           /*insertLineBreaks=*/false));
    return out;
}

Status bad_url(std::string_view url, const std::string& why) {
    return Status::error(codes::kBadRpcUrl, "invalid RPC URL '" + std::string(url) + "': " + why);
}

// Runs one asynchronous operation to completion, so that the stream's deadline applies to it.
template <class Start>
beast::error_code run_one(asio::io_context& ioc, Start&& start) {
    beast::error_code result = asio::error::would_block;
    start([&](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
}

Status transport_error(const RpcUrl& url, const beast::error_code& ec, const char* stage) {
    if (ec == beast::error::timeout)
        return Status::error(codes::kRpcTimeout, "the node at " + url.text + " did not answer in time");
    if (ec == asio::error::connection_refused)
        return Status::error(codes::kRpcUnreachable, "cannot connect to the node at " + url.text +
                                                    ": connection refused (is stepd running? "
                                                    "use --rpc URL for another node)");
    return Status::error(codes::kRpcUnreachable, std::string("cannot ") + stage + " the node at " +
                                                url.text + ": " + ec.message());
}

// error.data.<name> of a JSON-RPC error when it is a string, else "".
std::string data_field(const json& err, const char* name) {
    if (!err.contains("data") || !err["data"].is_object()) return "";
    const json& data = err["data"];
    return data.contains(name) && data[name].is_string() ? data[name].get<std::string>() : "";
}

}  // namespace

Result<RpcUrl> parse_rpc_url(std::string_view url) {
    RpcUrl out;
    out.text = std::string(url);
    std::string_view rest = url;
    if (rest.rfind("https://", 0) == 0)
        return bad_url(url, "https is not supported (stepd serves plain HTTP; tunnel it)");
    if (rest.rfind("http://", 0) == 0) rest.remove_prefix(7);
    if (rest.find("://") != std::string_view::npos) return bad_url(url, "use http://");
    size_t slash = rest.find('/');
    out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    std::string_view authority = rest.substr(0, slash);
    if (authority.find('@') != std::string_view::npos)
        return bad_url(url, "credentials belong in the cookie file, not the URL");
    std::string_view host_part = authority, port_part;
    if (!authority.empty() && authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad_url(url, "unclosed '['");
        host_part = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad_url(url, "junk after ']'");
            port_part = after.substr(1);
        }
    } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host_part = authority.substr(0, colon);
        port_part = authority.substr(colon + 1);
    }
    if (host_part.empty()) return bad_url(url, "missing host");
    out.host = std::string(host_part);
    if (port_part.empty() && authority.find(':') == std::string_view::npos) {
        out.port = "80";
    } else {
        if (port_part.empty() || port_part.size() > 5 ||
            port_part.find_first_not_of("0123456789") != std::string_view::npos ||
            std::stoul(std::string(port_part)) == 0 || std::stoul(std::string(port_part)) > 65535)
            return bad_url(url, "bad port");
        out.port = std::string(port_part);
    }
    return out;
}

bool is_loopback_host(std::string_view host) {
    if (host == "localhost" || host == "::1") return true;
    boost::system::error_code ec;
    auto addr = asio::ip::make_address_v4(std::string(host), ec);
    return !ec && addr.is_loopback();
}

Result<std::string> load_cookie(const CookieLocation& where) {
    std::optional<std::string> path = where.explicit_path ? where.explicit_path
                                                          : where.default_path;
    const std::string how =
        "this command needs the node's RPC cookie: start stepd with the default datadir or "
        "pass --cookie FILE";
    if (!path) return Status::error(codes::kRpcCookieMissing, how + " ($HOME is not set)");
    auto text = read_small_file(*path, kMaxCookieBytes);
    if (!text.ok()) {
        if (text.status().is(codes::kFileNotFound))
            return Status::error(codes::kRpcCookieMissing, how + " (no cookie at " + *path + ")");
        return Status::error(codes::kRpcCookieMissing, how + " (" + text.status().message() + ")");
    }
    std::string cookie = *text;
    while (!cookie.empty() && (cookie.back() == '\n' || cookie.back() == '\r')) cookie.pop_back();
    std::string prefix = std::string(rpc::kCookieUser) + ":";
    if (cookie.rfind(prefix, 0) != 0 || cookie.size() == prefix.size() ||
        cookie.find_first_of(" \t\r\n") != std::string::npos)
        return Status::error(codes::kRpcCookieInvalid, "'" + *path + "' does not hold an RPC cookie");
    return cookie;
}

RpcClient::RpcClient(RpcUrl url, CookieLocation cookie, std::chrono::seconds timeout)
    : url_(std::move(url)), cookie_(std::move(cookie)), timeout_(timeout) {}

Result<std::string> RpcClient::credentials() const {
    if (!cookie_.explicit_path && !is_loopback_host(url_.host))
        return Status::error(codes::kRpcCookieMissing,
                             "this command needs the RPC cookie of the node at " + url_.text +
                                 ": pass --cookie FILE (the local node's cookie is only used "
                                 "for a node on this machine)");
    return load_cookie(cookie_);
}

Result<json> RpcClient::call(const std::string& method, const json& params, RpcAuth auth) const {
    std::optional<std::string> credentials;
    if (auth == RpcAuth::kRequired) {
        auto cookie = this->credentials();
        if (!cookie.ok()) return cookie.status();
        credentials = *cookie;
    }

    static std::atomic<uint64_t> next_id{1};
    uint64_t id = next_id++;
    json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};

    http::request<http::string_body> req{http::verb::post, url_.target, 11};
    // An IPv6 host goes in brackets ("[::1]:18443"), as in the URL (the node checks Host).
    const bool v6 = url_.host.find(':') != std::string::npos;
    req.set(http::field::host, (v6 ? "[" + url_.host + "]" : url_.host) + ":" + url_.port);
    req.set(http::field::user_agent, "step-wallet");
    req.set(http::field::content_type, "application/json");
    if (credentials) req.set(http::field::authorization, "Basic " + base64(*credentials));
    req.body() = request.dump();
    req.prepare_payload();

    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto endpoints = resolver.resolve(url_.host, url_.port, ec);
    if (ec) return transport_error(url_, ec, "resolve");
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout_);
    ec = run_one(ioc, [&](auto handler) { stream.async_connect(endpoints, handler); });
    if (ec) return transport_error(url_, ec, "connect to");
    ec = run_one(ioc, [&](auto handler) { http::async_write(stream, req, handler); });
    if (ec) return transport_error(url_, ec, "send to");
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    ec = run_one(ioc, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
    if (ec) return transport_error(url_, ec, "read from");
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);

    const auto& res = parser.get();
    if (res.result() == http::status::unauthorized)
        return Status::error(codes::kRpcUnauthorized,
                             "the node at " + url_.text +
                                 " refused the RPC cookie (stepd rewrites it at each start; "
                                 "pass --cookie FILE for a node with another datadir)");
    json reply = json::parse(res.body(), nullptr, /*allow_exceptions=*/false);
    if (reply.is_discarded() || !reply.is_object())
        return Status::error(codes::kRpcBadResponse, "the node at " + url_.text + " answered HTTP " +
                                                     std::to_string(res.result_int()) +
                                                     " without a JSON-RPC reply");
    if (reply.contains("error") && !reply["error"].is_null()) {
        const json& err = reply["error"];
        std::string message = err.value("message", std::string("unknown error"));
        int code = err.contains("code") && err["code"].is_number_integer() ? err["code"].get<int>()
                                                                           : 0;
        const std::string data_code = data_field(err, "code");
        std::string text = message + " (rpc error " + std::to_string(code) +
                           (data_code.empty() ? "" : ", " + data_code) + ")";
        if (code == rpc::kErrUnauthorized) return Status::error(codes::kRpcUnauthorized, text);
        if (data_code.empty()) return Status::error(codes::kRpcError, text);
        // The node names the code's category too; a node that does not is treated as internal.
        const auto category = category_from_name(data_field(err, "category"));
        return Status::from_received(data_code, category.value_or(ErrorCategory::kInternal), text);
    }
    if (!reply.contains("result"))
        return Status::error(codes::kRpcBadResponse, "JSON-RPC reply without result or error");
    return reply["result"];
}

}  // namespace step::wallet
