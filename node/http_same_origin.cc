#include "node/http_same_origin.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace step::node {
namespace {

constexpr uint16_t kDefaultHttpPort = 80;  // the port a Host or Origin without one means

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
}

bool is_wildcard(const std::string& host) {
    return host == "0.0.0.0" || host == "::";
}

}  // namespace

bool authority_allowed(std::string_view authority, const net::Endpoint& bound) {
    std::string text = lower(authority);
    // "localhost" is the one name allowed: it cannot be rebound (browsers resolve it to loopback).
    constexpr std::string_view kLocalhost = "localhost";
    if (text.starts_with(kLocalhost) &&
        (text.size() == kLocalhost.size() || text[kLocalhost.size()] == ':'))
        text.replace(0, kLocalhost.size(), "127.0.0.1");
    auto at = net::parse_endpoint(text, kDefaultHttpPort);  // numeric hosts only: names fail here
    if (!at.ok() || at->port != bound.port) return false;
    return net::is_loopback(*at) || at->host == bound.host || is_wildcard(bound.host);
}

std::optional<HttpResponse> refuse_cross_site(const HttpRequest& request,
                                              const net::Endpoint& bound) {
    // GET and HEAD only read health, metrics and static pages: a scraper may name the node as it
    // likes, and what a rebinding page could read there is no secret.
    if (request.method == "GET" || request.method == "HEAD") return std::nullopt;
    if (!request.host.empty() && !authority_allowed(request.host, bound))
        return HttpResponse{403, "text/plain", "host not allowed (docs/node.md \"Browsers\")\n",
                            false};
    if (!request.origin.empty()) {
        constexpr std::string_view kScheme = "http://";
        const std::string origin = lower(request.origin);
        if (!origin.starts_with(kScheme) ||
            !authority_allowed(std::string_view(origin).substr(kScheme.size()), bound))
            return HttpResponse{403, "text/plain",
                                "cross-origin request refused (docs/node.md \"Browsers\")\n",
                                false};
    }
    if (request.method == "POST") {
        const std::string_view type =
            std::string_view(request.content_type).substr(0, request.content_type.find(';'));
        std::string media = lower(type);
        media.erase(std::remove(media.begin(), media.end(), ' '), media.end());
        if (media != "application/json")
            return HttpResponse{415, "text/plain", "Content-Type must be application/json\n",
                                false};
    }
    return std::nullopt;
}

}  // namespace step::node
