// A peer's address as the node dials, binds and gossips it: a numeric IPv4 or IPv6 host and a
// port. One parser reads every HOST:PORT option ("127.0.0.1:18444", "[::1]:18444").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace step::node::net {

struct Endpoint {
    std::string host;  // numeric: "127.0.0.1", "::1" (no brackets)
    uint16_t port = 0;

    // "127.0.0.1:18444" or "[::1]:18444".
    std::string to_string() const;
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
    friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

// Parses HOST:PORT (IPv6 always in brackets). With default_port set, a bare HOST ("127.0.0.1",
// "[::1]") is accepted too. Hosts are numeric only (no name lookups); ports are
// 1..65535. The host comes back in one canonical spelling ("::1", never "0:0::1"; an
// IPv4-mapped IPv6 address as the IPv4 address), so equal addresses compare equal.
// Errors: net::codes::kBadEndpoint, with a message that says what is wrong.
Result<Endpoint> parse_endpoint(std::string_view text,
                                std::optional<uint16_t> default_port = std::nullopt);

// True for 127.0.0.0/8 and ::1: the only addresses a devnet node dials.
bool is_loopback(const Endpoint& e);

// The /16 (IPv4) or /32 (IPv6) group used for eviction and outbound diversity ("127.3").
std::string netgroup(const Endpoint& e);

}  // namespace step::node::net
