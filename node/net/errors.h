// Error codes of node/net (sockets, framing, connection slots), one owner for each. The framing
// codes all mean "the peer sent malformed data" (category kMalformed): the protocol (node/p2p)
// decides the punishment from that, never the transport. Refusals by the node's own rules are
// kPolicy; a socket that fails is kInternal.
#pragma once

#include "common/status.h"

namespace step::node::net::codes {

// --- Addresses (endpoint.h) ---
// Not a numeric HOST:PORT (the message says what is wrong).
inline constexpr ErrorCode kBadEndpoint{"bad-endpoint", ErrorCategory::kMalformed};

// --- Framing (framing.h): the peer sent malformed data ---
// The first bytes are not this network's magic: another network, or not our protocol.
inline constexpr ErrorCode kFrameBadMagic{"frame-bad-magic", ErrorCategory::kMalformed};
// A type number no message has.
inline constexpr ErrorCode kFrameUnknownType{"frame-unknown-type", ErrorCategory::kMalformed};
// A payload length over the cap of its type (read from the header, before the payload).
inline constexpr ErrorCode kFrameOversize{"frame-oversize", ErrorCategory::kMalformed};
// A type other than version/verack before the handshake completed.
inline constexpr ErrorCode kFrameBeforeHandshake{"frame-before-handshake",
                                                 ErrorCategory::kMalformed};
// The payload does not match the checksum in the header.
inline constexpr ErrorCode kFrameBadChecksum{"frame-bad-checksum", ErrorCategory::kMalformed};

// --- Connections (tcp_transport.h) ---
// The dial rule forbids this address (devnet dials 127.0.0.0/8 only; port 0).
inline constexpr ErrorCode kDialRefused{"dial-refused", ErrorCategory::kPolicy};
// The address is banned by the operator (setban): neither dialled nor accepted.
inline constexpr ErrorCode kAddressBanned{"address-banned", ErrorCategory::kPolicy};
// Every outbound slot is taken.
inline constexpr ErrorCode kNoConnectionSlot{"no-connection-slot", ErrorCategory::kPolicy};
// The TCP connection could not be made (refused, unreachable, timed out).
inline constexpr ErrorCode kConnectFailed{"connect-failed", ErrorCategory::kInternal};
// The peer read too slowly: its send queue passed its cap, so it was disconnected.
inline constexpr ErrorCode kSendQueueFull{"send-queue-full", ErrorCategory::kPolicy};
// The node cannot listen on --p2p-bind.
inline constexpr ErrorCode kBindFailed{"p2p-bind-failed", ErrorCategory::kInternal};

}  // namespace step::node::net::codes
