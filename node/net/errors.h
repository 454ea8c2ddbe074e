// Error codes of node/net (sockets, framing, connection slots), one owner for each. The framing
// codes all mean "the peer sent malformed data": the protocol (node/p2p) decides the punishment
// from that, never the transport.
#pragma once

namespace step::node::net::codes {

// --- Addresses (endpoint.h) ---
// Not a numeric HOST:PORT (the message says what is wrong).
inline constexpr char kBadEndpoint[] = "bad-endpoint";

// --- Framing (framing.h): the peer sent malformed data ---
// The first bytes are not this network's magic: another network, or not our protocol.
inline constexpr char kFrameBadMagic[] = "frame-bad-magic";
// A type number no message has.
inline constexpr char kFrameUnknownType[] = "frame-unknown-type";
// A payload length over the cap of its type (read from the header, before the payload).
inline constexpr char kFrameOversize[] = "frame-oversize";
// A type other than version/verack before the handshake completed.
inline constexpr char kFrameBeforeHandshake[] = "frame-before-handshake";
// The payload does not match the checksum in the header.
inline constexpr char kFrameBadChecksum[] = "frame-bad-checksum";

// --- Connections (tcp_transport.h) ---
// The dial rule forbids this address (devnet dials 127.0.0.0/8 only; port 0).
inline constexpr char kDialRefused[] = "dial-refused";
// Every outbound slot is taken.
inline constexpr char kNoConnectionSlot[] = "no-connection-slot";
// The TCP connection could not be made (refused, unreachable, timed out).
inline constexpr char kConnectFailed[] = "connect-failed";
// The peer read too slowly: its send queue passed its cap, so it was disconnected.
inline constexpr char kSendQueueFull[] = "send-queue-full";
// The node cannot listen on --p2p-bind.
inline constexpr char kBindFailed[] = "p2p-bind-failed";

}  // namespace step::node::net::codes
