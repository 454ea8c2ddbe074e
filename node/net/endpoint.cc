#include "node/net/endpoint.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

#include "node/net/errors.h"

namespace step::node::net {
namespace {

Status bad(std::string_view text, const std::string& why) {
    return Status::error(codes::kBadEndpoint, "'" + std::string(text) + "': " + why);
}

// The 4 (IPv4) or 16 (IPv6) address bytes of a numeric host; an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d) is the IPv4 address it maps, so one peer has one spelling.
struct Address {
    bool v4 = false;
    std::array<uint8_t, 16> bytes{};
};

std::optional<Address> parse_address(const std::string& host) {
    Address a;
    if (::inet_pton(AF_INET, host.c_str(), a.bytes.data()) == 1) {
        a.v4 = true;
        return a;
    }
    if (::inet_pton(AF_INET6, host.c_str(), a.bytes.data()) != 1) return std::nullopt;
    static constexpr std::array<uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0,    0,
                                                           0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), a.bytes.begin())) {
        std::copy(a.bytes.begin() + 12, a.bytes.end(), a.bytes.begin());
        a.v4 = true;
    }
    return a;
}

std::string format_address(const Address& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(a.v4 ? AF_INET : AF_INET6, a.bytes.data(), buf, sizeof buf);
    return buf;
}

Result<uint16_t> parse_port(std::string_view text, std::string_view port) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || ptr != port.data() + port.size())
        return bad(text, "the port must be a decimal number");
    if (value == 0 || value > 65535) return bad(text, "the port must be in 1..65535");
    return static_cast<uint16_t>(value);
}

// Splits TEXT into host and port text; port is empty when TEXT names a bare host.
Result<std::pair<std::string_view, std::string_view>> split_host_port(std::string_view text) {
    if (text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos) return bad(text, "no ']' after an IPv6 address");
        const std::string_view rest = text.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return bad(text, "expected ':PORT' after ']'");
        if (rest == ":") return bad(text, "no port after ':'");
        return std::pair{text.substr(1, close - 1), rest.empty() ? rest : rest.substr(1)};
    }
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) return std::pair{text, std::string_view{}};
    if (text.find(':', colon + 1) != std::string_view::npos)  // a bare IPv6 host, no port
        return std::pair{text, std::string_view{}};
    if (colon + 1 == text.size()) return bad(text, "no port after ':'");
    return std::pair{text.substr(0, colon), text.substr(colon + 1)};
}

}  // namespace

std::string Endpoint::to_string() const {
    const std::string p = std::to_string(port);
    return host.find(':') == std::string::npos ? host + ":" + p : "[" + host + "]:" + p;
}

Result<Endpoint> parse_endpoint(std::string_view text, std::optional<uint16_t> default_port) {
    if (text.empty()) return bad(text, "empty address");
    auto parts = split_host_port(text);
    if (!parts.ok()) return parts.status();
    const auto [host_text, port_text] = *parts;
    if (host_text.empty()) return bad(text, "no host");
    const std::string host(host_text);
    const auto address = parse_address(host);
    if (!address) return bad(text, "the host must be a numeric IPv4 or IPv6 address");
    if (!address->v4 && text.front() != '[')  // "::1:5" could be [::1]:5 or [::1:5]: never guess
        return bad(text, "write an IPv6 address in brackets: [" + host + "]:PORT");
    Endpoint e;
    e.host = format_address(*address);
    if (port_text.empty()) {
        if (!default_port) return bad(text, "no port: expected HOST:PORT");
        e.port = *default_port;
        return e;
    }
    auto port = parse_port(text, port_text);
    if (!port.ok()) return port.status();
    e.port = *port;
    return e;
}

bool is_loopback(const Endpoint& e) {
    const auto a = parse_address(e.host);
    if (!a) return false;
    if (a->v4) return a->bytes[0] == 127;
    static constexpr std::array<uint8_t, 16> kV6Loopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                         0, 0, 0, 0, 0, 0, 0, 1};
    return a->bytes == kV6Loopback;
}

std::string netgroup(const Endpoint& e) {
    const auto a = parse_address(e.host);
    if (!a) return e.host;  // not numeric: its own group (never produced by parse_endpoint)
    char buf[16] = {};
    if (a->v4) {
        std::snprintf(buf, sizeof buf, "%u.%u", a->bytes[0], a->bytes[1]);
    } else {
        std::snprintf(buf, sizeof buf, "%x:%x", (a->bytes[0] << 8) | a->bytes[1],
                      (a->bytes[2] << 8) | a->bytes[3]);
    }
    return buf;
}

}  // namespace step::node::net
