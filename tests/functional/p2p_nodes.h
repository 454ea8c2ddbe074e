// Shared by the multi-node P2P functional tests: how to name a node's P2P address, and bounded
// waits that poll RPC until nodes agree. The waits are generous (kP2pWait: a loaded 2-core CI
// machine runs several nodes at once); no test asserts how long anything took.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/functional/p2p_bed.h"       // wait_until
#include "tests/functional/p2p_messages.h"  // kP2pWait
#include "tests/functional/stepd_process.h"

namespace step::test {

// "127.0.0.1:PORT": where `node` accepts peers (for --connect, --addnode and addnode).
std::string p2p_address(const StepdProcess& node);

// Mines `count` blocks on `node` with generate (instant on devnet), paying address(miner) of
// transfers.h, and returns the new tip's hash.
std::string mine(const StepdProcess& node, uint64_t count, uint8_t miner);

// getchaininfo without failing the test when the node does not answer (null then): for polls
// of a node that may be busy or stopping.
nlohmann::json chain_info(const StepdProcess& node);

// The peers whose handshake is done (getpeerinfo), empty when the node does not answer.
std::vector<nlohmann::json> ready_peers(const StepdProcess& node);

// The ready peer of `node` that listens at `other`'s P2P address (by the address it dialled or
// the listening address it announced), or null.
nlohmann::json peer_entry(const StepdProcess& node, const StepdProcess& other);

// Waits until every node in `nodes` has `best_hash` as its tip.
bool wait_for_tip(const std::vector<const StepdProcess*>& nodes, const std::string& best_hash,
                  std::chrono::milliseconds limit = kP2pWait);

// Waits until `node` and `other` are connected with the handshake done (seen from `node`).
bool wait_for_peer(const StepdProcess& node, const StepdProcess& other,
                   std::chrono::milliseconds limit = kP2pWait);

// Checks (CHECK, not REQUIRE) that `a` and `b` hold the same tip and byte-identical state.
void check_same_state(const StepdProcess& a, const StepdProcess& b);

}  // namespace step::test
