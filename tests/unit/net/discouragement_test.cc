// Discouraged addresses (node/net/discouragement.h): by host, expiring, bounded.
#include <catch2/catch.hpp>

#include "node/net/discouragement.h"

using namespace step::node;
using namespace step::node::net;

TEST_CASE("A discouraged host is discouraged on every port until it expires") {
    Discouragement d;
    d.discourage(Endpoint{"127.0.0.5", 1000}, "frame-bad-checksum: ...", 100);
    CHECK(d.is_discouraged(Endpoint{"127.0.0.5", 2000}, 100));
    CHECK(d.is_discouraged(Endpoint{"127.0.0.5", 1000}, 100 + p2p::kDiscourageDurationS - 1));
    CHECK_FALSE(d.is_discouraged(Endpoint{"127.0.0.5", 1000}, 100 + p2p::kDiscourageDurationS));
    CHECK_FALSE(d.is_discouraged(Endpoint{"127.0.0.6", 1000}, 100));
    const auto found = d.find(Endpoint{"127.0.0.5", 1}, 200);
    REQUIRE(found);
    CHECK(found->reason == "frame-bad-checksum: ...");
    CHECK(found->until == 100 + p2p::kDiscourageDurationS);
}

TEST_CASE("Discouraging again extends and keeps the latest reason") {
    Discouragement d;
    d.discourage(Endpoint{"127.0.0.5", 1}, "first", 100, 50);
    d.discourage(Endpoint{"127.0.0.5", 1}, "second", 120, 50);
    CHECK(d.find(Endpoint{"127.0.0.5", 1}, 160)->reason == "second");
    CHECK(d.find(Endpoint{"127.0.0.5", 1}, 160)->until == 170);
}

TEST_CASE("The list is bounded: the entry expiring first is forgotten") {
    Discouragement d(2);
    d.discourage(Endpoint{"127.0.0.1", 1}, "a", 0, 300);
    d.discourage(Endpoint{"127.0.0.2", 1}, "b", 0, 100);
    d.discourage(Endpoint{"127.0.0.3", 1}, "c", 0, 200);
    const auto all = d.list(0);
    REQUIRE(all.size() == 2);
    CHECK(all[0].host == "127.0.0.1");
    CHECK(all[1].host == "127.0.0.3");
}

TEST_CASE("list, remove and clear") {
    Discouragement d;
    d.discourage(Endpoint{"127.0.0.1", 1}, "a", 0, 10);
    d.discourage(Endpoint{"::1", 1}, "b", 0, 100);
    CHECK(d.list(0).size() == 2);
    CHECK(d.list(10).size() == 1);  // the first expired
    CHECK(d.remove(Endpoint{"::1", 7}));
    CHECK_FALSE(d.remove(Endpoint{"::1", 7}));
    CHECK(d.list(0).size() == 1);
    d.clear();
    CHECK(d.list(0).empty());
}
