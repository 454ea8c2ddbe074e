// Every P2P limit, each with the reason for its value (one owner: node/net and node/p2p both
// read these; docs/p2p.md quotes them). Values are the same on every network.
#pragma once

#include <cstdint>

namespace step::node::p2p {

inline constexpr uint32_t kProtocolVersion = 1;

// --- Framing (node/net) ---
// magic (4) + type (2, LE) + payload length (4, LE) + checksum (4: first bytes of the tagged
// SHA-256 of the payload).
inline constexpr uint32_t kFrameHeaderBytes = 14;
// The handshake is small: a version message with a 256-byte user agent fits in 1 KiB.
inline constexpr uint32_t kMaxHandshakePayloadBytes = 1024;
// A user agent longer than this is refused: it is shown to operators and kept per peer.
inline constexpr uint32_t kMaxUserAgentBytes = 256;
// Bytes a peer may have queued for sending before it is dropped as a slow reader: a few
// maximal blocks, so one honest slow link still gets a block through.
inline constexpr uint64_t kMaxSendQueueBytes = 64ull << 20;
// Received, not yet processed bytes per peer before reading from it pauses.
inline constexpr uint64_t kMaxReceiveQueueBytes = 40ull << 20;

// --- Handshake and liveness ---
inline constexpr uint64_t kHandshakeTimeoutS = 10;   // version + verack must complete in this
inline constexpr uint64_t kPingIntervalS = 60;       // one ping per peer per minute
inline constexpr uint64_t kInactivityTimeoutS = 300; // nothing received for this long: drop

// --- Header sync ---
// A locator holds ~log2(height) + 10 hashes; 101 covers any chain a 64-bit height can reach.
inline constexpr uint32_t kMaxLocatorHashes = 101;
// Headers per message: 2,000 headers of ~200 bytes stay well under 1 MB.
inline constexpr uint32_t kMaxHeadersPerMessage = 2000;

// --- Block download ---
inline constexpr uint32_t kMaxBlocksInFlightPerPeer = 16;  // keeps one peer from hoarding the window
inline constexpr uint32_t kBlockDownloadWindow = 1024;     // blocks ahead of the tip we request
inline constexpr uint64_t kBlockStallTimeoutS = 2;         // doubles per staller, reset on progress
inline constexpr uint64_t kMaxBlockStallTimeoutS = 64;

// --- Relay ---
inline constexpr uint32_t kMaxInvPerMessage = 50000;       // as Bitcoin: bounds one inv/getdata
inline constexpr uint32_t kMaxAddrPerMessage = 1000;       // addr gossip cap per message

// --- Connections ---
inline constexpr uint32_t kDefaultMaxConnections = 125;
inline constexpr uint32_t kDefaultOutboundTarget = 8;

}  // namespace step::node::p2p
