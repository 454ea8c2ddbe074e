#include "tests/functional/p2p_market_bed.h"

#include <catch2/catch.hpp>
#include <regex>

#include "tests/support/mini_http.h"

namespace step::test {

uint64_t putblobchunk_calls(const StepdProcess& node) {
    const auto metrics = http_request(node.port(), "GET", "/metrics");
    REQUIRE(metrics.status == 200);
    const std::regex line(std::string("stepd_rpc_latency_seconds_count\\{method=\"") +
                          rpc::kPutBlobChunk + "\"\\} ([0-9]+)");
    std::smatch m;
    return std::regex_search(metrics.body, m, line) ? std::stoull(m[1]) : 0;
}

uint64_t net_counter(const StepdProcess& node, const char* name) {
    return node.result(rpc::kGetNetworkInfo)[name].get<uint64_t>();
}

}  // namespace step::test
