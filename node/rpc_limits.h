// Every limit of the node's HTTP/JSON-RPC server, each with its reason (docs/node.md "RPC limits"
// quotes this file). The port is open to anyone on the machine, and to any page in the operator's
// browser, before any credential is checked: each limit bounds what one unauthenticated client
// can make the node spend (stack, memory, connection slots, time).
#pragma once

#include <chrono>
#include <cstddef>

#include "consensus/params.h"

namespace step::node::rpc_limits {

// Deepest nesting of arrays and objects in a request body, checked by a linear scan before the
// body is parsed: every method's params nest under 5 levels, and values this shallow can never
// exhaust the stack when they are copied, printed or destroyed.
inline constexpr size_t kMaxJsonDepth = 64;

// Calls in one batch; a longer batch is refused whole (geth's default, and far above what the
// wallet sends).
inline constexpr size_t kMaxBatchLength = 1000;

// Bytes of one answer: once a batch's answer reaches this, its remaining calls are not run and
// each gets the error answer-too-large. One maximal block as hex (getblock) fits.
inline constexpr size_t kMaxAnswerBytes = 32u << 20;

// Connections open at once; beyond it the one waiting longest for its request is closed for the
// newcomer, or the newcomer is answered 503 when every connection is busy with a call.
inline constexpr size_t kMaxConnections = 64;

// A request's header must arrive complete this long after the connection opens or the previous
// answer is sent: a loopback client needs microseconds, and a slow sender frees its slot soon.
inline constexpr std::chrono::seconds kHeaderTimeout{10};

// A body, or an answer, that stops moving for this long ends the connection.
inline constexpr std::chrono::seconds kIdleTimeout{60};

// Bytes of a request's header (request line and fields): the project's clients send ~200.
inline constexpr size_t kMaxHeaderBytes = 8 * 1024;

// Server-Sent Events streams (GET /events, the dashboard's live updates) open at once. Each is a
// browser tab left open for hours: they get their own cap, apart from kMaxConnections, so open
// dashboards never take the slots JSON-RPC clients need, and a client opening streams without end
// is refused (503) at this many, each costing one socket and a small queue.
inline constexpr size_t kMaxEventStreams = 32;

// An event stream with nothing to say sends a comment this often: browsers and proxies that drop
// silent connections keep it, and a client that went away is noticed by the failed write.
inline constexpr std::chrono::seconds kEventKeepAlive{15};

// Events queued for one stream; a client that lets more pile up (it stopped reading) is closed
// rather than buffered without end (a browser's EventSource reconnects by itself).
inline constexpr size_t kMaxQueuedEvents = 64;

// Worker threads for POST handlers: a long `generate` occupies one while others keep serving.
inline constexpr size_t kHttpThreads = 4;

// Bytes of a request body; larger ones are refused with HTTP 413 before they are read in full.
// The largest legitimate request is a block for submitblock (max_block_bytes, twice that as hex)
// plus framing.
inline size_t max_body_bytes(const consensus::Params& p) {
    return static_cast<size_t>(2 * p.max_block_bytes) + (1u << 20);
}

}  // namespace step::node::rpc_limits
