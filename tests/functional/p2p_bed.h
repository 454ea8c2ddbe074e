// The bed for the P2P defence tests (label p2p): an honest stepd and the node under test, which
// dials it (--connect) and syncs from it, both real processes on 127.0.0.1. A test peer then
// misbehaves against the node from its own address (kAttackerHost), and the bed checks what
// every such case must show: the attacker disconnected (and discouraged, where the rules of
// docs/p2p.md say so) with the reason logged, listed and counted by its code; the node's memory
// bounded; the honest peer connected throughout, still relaying a transaction and a block to the
// node; and the node answering another peer's ping. Every wait is bounded (kP2pWait).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "tests/functional/p2p_messages.h"
#include "tests/functional/stepd_process.h"

namespace step::test {

// Where attackers connect from: its own /16, so nothing else the node knows shares its host.
inline constexpr char kAttackerHost[] = "127.66.0.1";
// Growth of the node's resident memory an attack may cause: several times what a devnet node
// uses in all (~20 MiB), far below what an unbounded buffer or index would take.
inline constexpr uint64_t kMaxRssGrowthKib = 64 * 1024;

// Polls `done` every 50 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = kP2pWait);
// VmRSS of a process in KiB (0 when it cannot be read).
uint64_t rss_kib(pid_t pid);
// Lines of `log` that contain every one of `parts`.
size_t count_log_lines(const std::string& log, const std::vector<std::string>& parts);

class DefenceBed {
public:
    // The honest node mines `blocks` blocks (to a funded test key), then the node under test
    // starts, dials it and syncs to its tip.
    DefenceBed(const std::string& name, uint64_t blocks);

    StepdProcess& node() { return *node_; }
    StepdProcess& honest() { return honest_; }
    // The attacker: a test peer connected from kAttackerHost (one per bed).
    P2pTestPeer& connect_attacker();
    // The attacker, connected and through the handshake as an honest peer would be.
    P2pTestPeer& ready_attacker();

    // The node disconnected the attacker, discouraged its host for `code` (listbanned,
    // getnetworkinfo's count, one log line), and everything the bed checks after any attack.
    void expect_discouraged(const ErrorCode& code);
    // The node disconnected the attacker for `code` (logged) without discouraging it.
    void expect_dropped(const ErrorCode& code);

private:
    bool synced() const;
    // Memory bounded, the honest peer connected throughout and relaying, another peer's ping
    // answered.
    void expect_unharmed();

    StepdProcess honest_;
    std::unique_ptr<StepdProcess> node_;  // started once the honest node listens
    std::unique_ptr<P2pTestPeer> attacker_;
    uint64_t honest_peer_id_ = 0;
    uint64_t rss_before_kib_ = 0;
    uint64_t next_nonce_ = 0;  // of the funded key's transfers
};

}  // namespace step::test
