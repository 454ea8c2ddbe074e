#include "tests/functional/p2p_messages.h"

#include <random>

#include "consensus/pow.h"
#include "node/p2p/limits.h"

namespace step::test {

using node::p2p::MessageType;
namespace wire = node::p2p::wire;
namespace cs = consensus;

namespace {

uint64_t random_u64() {
    static std::mt19937_64 rng{std::random_device{}()};
    return rng();
}

std::string field(const Hash256& h) {
    return std::string(h.begin(), h.end());
}

std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
}

}  // namespace

P2pTestPeer devnet_peer(uint16_t port, const std::string& source_host) {
    return P2pTestPeer(port, cs::devnet_params().p2p_magic, source_host);
}

wire::Version devnet_version() {
    const cs::Params& p = cs::devnet_params();
    wire::Version v;
    v.set_protocol_version(node::p2p::kProtocolVersion);
    v.set_chain_id(p.chain_id);
    v.set_genesis_hash(field(cs::header_hash(cs::genesis_block(p).header())));
    v.set_services(wire::SERVICE_FULL_BLOCKS);
    v.set_nonce(random_u64() | 1);
    v.set_user_agent("step-test-peer");
    v.set_best_work(field(cs::genesis_tip(p).cumulative_work.to_be()));
    return v;
}

bool complete_handshake(P2pTestPeer& peer, std::chrono::milliseconds timeout) {
    if (!send(peer, devnet_version()) || !send(peer, wire::Verack())) return false;
    return await_message(peer, MessageType::kVerack, timeout).has_value();
}

std::optional<node::net::Frame> await_message(P2pTestPeer& peer, MessageType type,
                                              std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = left_until(deadline);
        if (left.count() <= 0) return std::nullopt;
        auto frame = peer.receive(left);
        if (!frame) return std::nullopt;
        if (frame->type == type) return frame;
    }
}

bool ping_answered(P2pTestPeer& peer, std::chrono::milliseconds timeout) {
    wire::Ping ping;
    ping.set_nonce(random_u64());
    if (!send(peer, ping)) return false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (left_until(deadline).count() > 0) {
        auto pong = await_message(peer, MessageType::kPong, left_until(deadline));
        if (!pong) return false;
        if (decode<wire::Pong>(*pong).nonce() == ping.nonce()) return true;
    }
    return false;
}

TestBranch::TestBranch(uint8_t salt)
    : params_(cs::devnet_params()), salt_(salt), tip_(cs::genesis_tip(params_)) {}

pb::BlockHeader TestBranch::child() const {
    pb::BlockHeader h;
    h.set_version(params_.block_version);
    h.set_height(tip_.height + 1);
    h.set_prev_hash(field(tip_.hash));
    // On schedule from genesis (BLOCK_TIME apart): after the median time past, long before
    // now, and so at the genesis target on devnet.
    h.set_timestamp(params_.genesis_timestamp + params_.block_time_s * (tip_.height + 1));
    h.set_target(field(cs::next_target(tip_.height, tip_.timestamp, params_).to_be()));
    h.set_miner(std::string(20, static_cast<char>(salt_)));
    h.set_tx_root(field(cs::compute_tx_root(pb::Block())));
    h.set_state_root(std::string(32, static_cast<char>(salt_)));
    return h;
}

pb::BlockHeader TestBranch::next() {
    pb::BlockHeader h = child();
    while (!cs::check_pow(h, params_)) h.set_nonce(h.nonce() + 1);
    tip_ = cs::next_tip(tip_, h, params_);
    return h;
}

pb::BlockHeader TestBranch::with_bad_pow() const {
    pb::BlockHeader h = child();
    while (cs::check_pow(h, params_)) h.set_nonce(h.nonce() + 1);
    return h;
}

pb::Block TestBranch::empty_block(const pb::BlockHeader& header) {
    pb::Block b;
    *b.mutable_header() = header;
    return b;
}

}  // namespace step::test
