// Message-level helpers for the wire test peer (p2p_test_peer.h): the handshake an honest devnet
// peer performs, awaiting a message of one type, a ping answered, and devnet headers and blocks
// the test grinds itself (devnet's target passes every other hash), so a test peer can feed a
// node valid proof of work that no honest node has.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "consensus/block.h"
#include "consensus/params.h"
#include "node/p2p/codec.h"
#include "tests/functional/p2p_test_peer.h"

namespace step::test {

// The same bound for every wait on the node: generous for a loaded CI machine.
inline constexpr std::chrono::milliseconds kP2pWait{60'000};

// A test peer from `source_host` (127.a.b.c) to a devnet node's P2P port.
P2pTestPeer devnet_peer(uint16_t port, const std::string& source_host = "127.0.0.1");

template <class M>
bool send(P2pTestPeer& peer, const M& message) {
    return peer.send_message(node::p2p::message_type_of<M>(), node::p2p::encode_payload(message));
}

// An honest devnet version (protocol version, chain id, genesis) with a random nonce.
node::p2p::wire::Version devnet_version();

// Sends version and verack and waits for the node's verack: the node then reads everything
// this peer sends by the post-handshake rules. False when the node closed or did not answer.
bool complete_handshake(P2pTestPeer& peer, std::chrono::milliseconds timeout = kP2pWait);

// Receives until a message of `type` arrives (others are dropped); nullopt on timeout or close.
std::optional<node::net::Frame> await_message(P2pTestPeer& peer, node::p2p::MessageType type,
                                              std::chrono::milliseconds timeout = kP2pWait);

// Decodes a frame's payload as M; an empty M when the node sent bytes that do not decode.
template <class M>
M decode(const node::net::Frame& frame) {
    auto m = node::p2p::decode_payload<M>(frame.payload);
    return m.ok() ? *m : M();
}

// Pings with a fresh nonce; true once the pong echoing it arrives within `timeout`.
bool ping_answered(P2pTestPeer& peer, std::chrono::milliseconds timeout = kP2pWait);

// A devnet branch of the test's own, from genesis: each next() header is valid (height,
// prev hash, timestamps on schedule, the ASERT target, proof of work ground here), so it is
// judged by the node's work and spam rules alone. `salt` (the miner field) keeps branches apart.
class TestBranch {
public:
    explicit TestBranch(uint8_t salt);
    pb::BlockHeader next();
    // A child of the branch's tip that is valid in everything but its proof of work.
    pb::BlockHeader with_bad_pow() const;
    // An empty block with this header's fields (its tx_root matches; nothing else is checked
    // by a node that never asked for it).
    static pb::Block empty_block(const pb::BlockHeader& header);
    const consensus::ChainTip& tip() const { return tip_; }

private:
    pb::BlockHeader child() const;  // everything but the nonce

    const consensus::Params& params_;
    uint8_t salt_;
    consensus::ChainTip tip_;
};

}  // namespace step::test
