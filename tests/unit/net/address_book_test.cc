// The address book (node/p2p/address_book.h): bounds per source netgroup and overall, gossip
// timestamps, dial outcomes, samples; the addr token bucket.
#include <catch2/catch.hpp>
#include <set>

#include "node/p2p/address_book.h"

using namespace step::node;
using namespace step::node::p2p;
using net::Endpoint;

namespace {

constexpr uint64_t kNow = 1'800'000'000;

// 127.a.b.c: 256 distinct /16 netgroups on loopback.
Endpoint addr(uint32_t n, uint16_t port = 18444) {
    return Endpoint{"127." + std::to_string((n >> 16) & 0xff) + "." +
                        std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff),
                    port};
}

}  // namespace

TEST_CASE("add keeps one entry per address and refreshes its last sighting") {
    AddressBook book;
    CHECK(book.add(addr(1), kNow - 100, "127.9", kNow));
    CHECK_FALSE(book.add(addr(1), kNow - 50, "127.8", kNow));
    CHECK_FALSE(book.add(addr(1), kNow - 70, "127.8", kNow));  // older news changes nothing
    REQUIRE(book.size() == 1);
    const KnownAddress e = book.entries()[0];
    CHECK(e.last_seen == kNow - 50);
    CHECK(e.source_group == "127.9");                 // the first source keeps the entry
    CHECK(book.add(addr(1, 18445), kNow, "", kNow));  // another port is another address
    CHECK(book.size() == 2);
}

TEST_CASE("Gossiped timestamps: future ones are now, stale ones are ignored") {
    AddressBook book;
    CHECK(book.add(addr(1), kNow + 1'000'000, "127.9", kNow));
    CHECK(book.entries()[0].last_seen == kNow);
    CHECK_FALSE(book.add(addr(2), kNow - kAddrHorizonS - 1, "127.9", kNow));
    CHECK(book.add(addr(2), kNow - kAddrHorizonS, "127.9", kNow));
}

TEST_CASE("One source netgroup holds at most its share; its new addresses replace its oldest") {
    AddressBook book(100, 10);
    for (uint32_t i = 0; i < 25; ++i) book.add(addr(i), kNow - 1000 + i, "127.66", kNow);
    CHECK(book.size() == 10);
    CHECK(book.count_from("127.66") == 10);
    // What is kept is the newest ten of that source.
    for (const auto& e : book.entries()) CHECK(e.last_seen >= kNow - 1000 + 15);
    // Another source is not squeezed out by the first one's flood.
    for (uint32_t i = 100; i < 105; ++i) CHECK(book.add(addr(i), kNow, "127.7", kNow));
    for (uint32_t i = 25; i < 50; ++i) book.add(addr(i), kNow, "127.66", kNow);
    CHECK(book.count_from("127.7") == 5);
    CHECK(book.size() == 15);
    // Our own knowledge ("") counts against no source group.
    CHECK(book.add(addr(200), kNow, "", kNow));
    CHECK(book.count_from("") == 0);
}

TEST_CASE("A full book drops its worst: most failures, then least recently seen") {
    AddressBook book(3, 3);
    book.add(addr(1), kNow - 10, "", kNow);
    book.add(addr(2), kNow - 20, "", kNow);
    book.add(addr(3), kNow - 5, "", kNow);
    book.record_dial(addr(3), false, kNow);
    CHECK(book.add(addr(4), kNow, "", kNow));
    std::set<Endpoint> kept;
    for (const auto& e : book.entries()) kept.insert(e.address);
    CHECK(kept == std::set<Endpoint>{addr(1), addr(2), addr(4)});
    CHECK(book.add(addr(5), kNow, "", kNow));
    kept.clear();
    for (const auto& e : book.entries()) kept.insert(e.address);
    CHECK(kept == std::set<Endpoint>{addr(1), addr(4), addr(5)});
}

TEST_CASE("Dial outcomes are recorded for the dialer") {
    AddressBook book;
    book.add(addr(1), kNow - 500, "127.9", kNow);
    book.record_dial(addr(1), false, kNow);
    book.record_dial(addr(1), false, kNow + 60);
    auto c = book.dial_candidates();
    REQUIRE(c.size() == 1);
    CHECK(c[0].failures == 2);
    CHECK(c[0].last_try == kNow + 60);
    book.record_dial(addr(1), true, kNow + 200);
    const KnownAddress e = book.entries()[0];
    CHECK(e.failures == 0);
    CHECK(e.last_success == kNow + 200);
    CHECK(e.last_seen == kNow + 200);
    book.record_dial(addr(9), true, kNow);  // unknown: nothing to record
    CHECK(book.size() == 1);
}

TEST_CASE("A getaddr sample is bounded, fresh and varies with the draw") {
    AddressBook book;
    for (uint32_t i = 0; i < 50; ++i) book.add(addr(i), kNow, "", kNow);
    book.add(addr(99), kNow - kAddrHorizonS + 10, "", kNow);
    CHECK(book.sample(10, kNow, 1).size() == 10);
    CHECK(book.sample(1000, kNow, 1).size() == 51);
    CHECK(book.sample(1000, kNow + 20, 1).size() == 50);  // the old one passed the horizon
    CHECK(book.sample(10, kNow, 1) != book.sample(10, kNow, 2));
}

TEST_CASE("load applies the same bounds as add") {
    std::vector<KnownAddress> saved;
    for (uint32_t i = 0; i < 20; ++i) saved.push_back({addr(i), kNow - i, "127.66", 0, 0, 0});
    saved.push_back({addr(100), kNow - kAddrHorizonS - 1, "", 0, 0, 0});  // too old
    saved.push_back(saved[0]);                                            // a duplicate
    AddressBook book(100, 8);
    book.add(addr(500), kNow, "", kNow);  // replaced by the load
    book.load(saved, kNow);
    CHECK(book.size() == 8);
    CHECK(book.count_from("127.66") == 8);
    for (const auto& e : book.entries()) CHECK(e.last_seen > kNow - 20);
}

TEST_CASE("The addr token bucket: one token, then 0.1 a second, a whole message after getaddr") {
    using Clock = AddrTokenBucket::Clock;
    const Clock::time_point t0{};
    AddrTokenBucket bucket(t0);
    CHECK(bucket.take(1000, t0) == 1);
    CHECK(bucket.take(1000, t0) == 0);
    CHECK(bucket.take(1000, t0 + std::chrono::seconds(100)) == 10);
    bucket.allow_getaddr_answer();
    CHECK(bucket.take(5000, t0 + std::chrono::seconds(100)) == kMaxAddrPerMessage);
    // Never more than the bucket's depth, however long the peer was quiet.
    CHECK(bucket.take(1'000'000, t0 + std::chrono::hours(24 * 365)) ==
          static_cast<size_t>(kMaxAddrTokens));
    // A clock that goes backwards adds nothing.
    CHECK(bucket.take(10, t0) == 0);
}
