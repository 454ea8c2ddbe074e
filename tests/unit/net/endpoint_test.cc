// The one HOST:PORT parser (node/net/endpoint.h), loopback and netgroups.
#include <catch2/catch.hpp>

#include "node/net/endpoint.h"
#include "node/net/errors.h"
#include "tests/support/status_check.h"

using namespace step::node::net;

namespace {

Endpoint parse_ok(std::string_view text, std::optional<uint16_t> default_port = std::nullopt) {
    auto r = parse_endpoint(text, default_port);
    INFO(text << " -> " << r.status().to_string());
    REQUIRE(r.ok());
    return *r;
}

}  // namespace

TEST_CASE("parse_endpoint reads IPv4 and bracketed IPv6 HOST:PORT") {
    CHECK(parse_ok("127.0.0.1:18444") == Endpoint{"127.0.0.1", 18444});
    CHECK(parse_ok("[::1]:1") == Endpoint{"::1", 1});
    CHECK(parse_ok("[2001:db8::7]:65535") == Endpoint{"2001:db8::7", 65535});
    CHECK(parse_ok("0.0.0.0:8444").host == "0.0.0.0");
}

TEST_CASE("parse_endpoint spells each address one way") {
    CHECK(parse_ok("[0:0:0:0:0:0:0:1]:5").host == "::1");
    CHECK(parse_ok("[2001:DB8:0::7]:5").host == "2001:db8::7");
    // An IPv4-mapped IPv6 address is the IPv4 address: one peer, one spelling, one netgroup.
    CHECK(parse_ok("[::ffff:127.0.0.9]:5") == Endpoint{"127.0.0.9", 5});
}

TEST_CASE("parse_endpoint takes a bare host only with a default port") {
    CHECK(parse_ok("127.0.0.1", 18444) == Endpoint{"127.0.0.1", 18444});
    CHECK(parse_ok("[::1]", 7) == Endpoint{"::1", 7});
    // A bare IPv6 host is refused even then: "::1:5" could mean [::1]:5 or [::1:5].
    CHECK(parse_endpoint("::1", 7).status() == codes::kBadEndpoint);
    CHECK(parse_endpoint("::1:5", 7).status() == codes::kBadEndpoint);
    CHECK(parse_ok("127.0.0.1:9", 18444).port == 9);
    CHECK(parse_endpoint("127.0.0.1").status() == codes::kBadEndpoint);
    CHECK(parse_endpoint("[::1]").status() == codes::kBadEndpoint);
}

TEST_CASE("parse_endpoint refuses what is not a numeric HOST:PORT") {
    for (const char* text : {"",
                             ":18444",
                             "localhost:18444",
                             "example.com:1",
                             "1.2.3:4",
                             "1.2.3.4.5:6",
                             "256.0.0.1:1",
                             "01.2.3.4:5",
                             "127.0.0.1:",
                             "127.0.0.1:0",
                             "127.0.0.1:65536",
                             "127.0.0.1:-1",
                             "127.0.0.1:+1",
                             "127.0.0.1:1x",
                             "127.0.0.1: 1",
                             " 127.0.0.1:1",
                             "::1:18444",
                             "[::1",
                             "[::1]x",
                             "[::1]:",
                             "[]:1",
                             "[fe80::1%eth0]:1",
                             "[::1]:99999"}) {
        auto r = parse_endpoint(text);
        INFO(text);
        CHECK(!r.ok());
        CHECK(r.status() == codes::kBadEndpoint);
        CHECK(!r.status().message().empty());
    }
}

TEST_CASE("parse_endpoint says why an IPv6 address needs brackets") {
    auto r = parse_endpoint("2001:db8::1");
    REQUIRE(!r.ok());
    CHECK(r.status().message().find("[2001:db8::1]:PORT") != std::string::npos);
}

TEST_CASE("Endpoint::to_string round-trips through parse_endpoint") {
    for (const Endpoint& e :
         {Endpoint{"127.0.0.1", 18444}, Endpoint{"::1", 1}, Endpoint{"2001:db8::7", 80}}) {
        CHECK(parse_ok(e.to_string()) == e);
    }
    CHECK(Endpoint{"::1", 1}.to_string() == "[::1]:1");
    CHECK(Endpoint{"10.1.2.3", 8}.to_string() == "10.1.2.3:8");
}

TEST_CASE("is_loopback is 127.0.0.0/8 and ::1 only") {
    CHECK(is_loopback(parse_ok("127.0.0.1:1")));
    CHECK(is_loopback(parse_ok("127.255.3.4:1")));
    CHECK(is_loopback(parse_ok("[::1]:1")));
    CHECK(is_loopback(parse_ok("[::ffff:127.1.2.3]:1")));
    CHECK_FALSE(is_loopback(parse_ok("128.0.0.1:1")));
    CHECK_FALSE(is_loopback(parse_ok("10.0.0.1:1")));
    CHECK_FALSE(is_loopback(parse_ok("0.0.0.0:1")));
    CHECK_FALSE(is_loopback(parse_ok("[::2]:1")));
    CHECK_FALSE(is_loopback(parse_ok("[::]:1")));
    CHECK_FALSE(is_loopback(Endpoint{"localhost", 1}));
}

TEST_CASE("netgroup is the /16 of IPv4 and the /32 of IPv6") {
    CHECK(netgroup(parse_ok("127.3.4.5:1")) == "127.3");
    CHECK(netgroup(parse_ok("127.3.200.1:2")) == "127.3");
    CHECK(netgroup(parse_ok("127.4.4.5:1")) != netgroup(parse_ok("127.3.4.5:1")));
    CHECK(netgroup(parse_ok("[2001:db8:1::1]:1")) == "2001:db8");
    CHECK(netgroup(parse_ok("[2001:db8:ffff::1]:1")) == netgroup(parse_ok("[2001:db8::2]:1")));
    CHECK(netgroup(parse_ok("[2001:db9::1]:1")) != netgroup(parse_ok("[2001:db8::1]:1")));
    // Ports do not matter, and a mapped address shares its IPv4 group.
    CHECK(netgroup(parse_ok("[::ffff:127.3.0.1]:9")) == "127.3");
}
