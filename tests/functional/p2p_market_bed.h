// Shared by the multi-node market tests (p2p_market_test.cc, p2p_whistle_test.cc): one market
// party's own HOME (keys, passphrase), node and wallet, and the node counters that show where a
// node's blobs came from (uploaded by RPC or fetched over P2P).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "tests/functional/stepd_process.h"
#include "tests/functional/wallet_cli.h"

namespace step::test {

struct MarketRole {
    std::string home;
    std::string address;
    std::unique_ptr<StepdProcess> node;
    std::unique_ptr<WalletCli> cli;

    WalletRun wallet(std::vector<std::string> args) const { return cli->run(std::move(args)); }
    nlohmann::json call(const std::string& method,
                        const nlohmann::json& params = nlohmann::json::object()) const {
        return node->result(method, params);
    }
    uint64_t balance(const std::string& who) const {
        return std::stoull(
            call(rpc::kGetAccount, {{"address", who}})["balance"].get<std::string>());
    }
};

// How many putblobchunk calls the node has handled (0 when /metrics names none).
uint64_t putblobchunk_calls(const StepdProcess& node);

// A counter of getnetworkinfo (blobs_fetched, blob_chunks_received ...).
uint64_t net_counter(const StepdProcess& node, const char* name);

}  // namespace step::test
