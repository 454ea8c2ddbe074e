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
// While more than this waits in a peer's send queue, its messages are not processed (they wait,
// and reading pauses once they fill its receive queue): a peer that does not read cannot make
// us build answers without bound. Several blocks' worth, so a syncing peer's next getdata is
// ready when it has read the last answer.
inline constexpr uint64_t kPauseProcessingSendQueueBytes = 4ull << 20;
// Received, not yet processed bytes per peer before reading from it pauses.
inline constexpr uint64_t kMaxReceiveQueueBytes = 40ull << 20;

// --- Handshake and liveness ---
inline constexpr uint64_t kHandshakeTimeoutS = 10;    // version + verack must complete in this
inline constexpr uint64_t kPingIntervalS = 60;        // one ping per peer per minute
inline constexpr uint64_t kInactivityTimeoutS = 300;  // nothing received for this long: drop

// --- Header sync ---
// A locator holds ~log2(height) + 10 hashes; 101 covers any chain a 64-bit height can reach.
inline constexpr uint32_t kMaxLocatorHashes = 101;
// Headers per message: 2,000 headers of ~200 bytes stay well under 1 MB.
inline constexpr uint32_t kMaxHeadersPerMessage = 2000;

// --- Block download ---
inline constexpr uint32_t kMaxBlocksInFlightPerPeer =
    16;                                                 // keeps one peer from hoarding the window
inline constexpr uint32_t kBlockDownloadWindow = 1024;  // blocks ahead of the tip we request
inline constexpr uint64_t kBlockStallTimeoutS = 2;      // doubles per staller, reset on progress
inline constexpr uint64_t kMaxBlockStallTimeoutS = 64;

// --- Relay ---
inline constexpr uint32_t kMaxInvPerMessage = 50000;  // as Bitcoin: bounds one inv/getdata
inline constexpr uint32_t kMaxAddrPerMessage = 1000;  // addr gossip cap per message

// --- Connections ---
inline constexpr uint32_t kDefaultMaxConnections = 125;
inline constexpr uint32_t kDefaultOutboundTarget = 8;

// --- Connections: node/net (sockets, slots, dialling) ---
// --max-connections is at most this: each connection holds a file descriptor, a read buffer
// and its queues, and a process runs out of descriptors well before more peers would help.
inline constexpr uint32_t kMaxConnectionsLimit = 4096;
// A TCP connect that has not completed in this long is given up: a live peer answers within
// a round trip, and a dial slot should not be held by an address that drops SYNs.
inline constexpr uint64_t kConnectTimeoutS = 5;
// Bytes read from a socket at once: large enough for few system calls per block, small enough
// that what is read ahead of the framing's checks stays small.
inline constexpr uint32_t kReadChunkBytes = 64 * 1024;
// After a failed dial an address waits this long, doubling per further failure up to
// kDialRetryMaxS: a dead address costs a few dials a day, and a live one is found again.
inline constexpr uint64_t kDialRetryBaseS = 60;
inline constexpr uint64_t kDialRetryMaxS = 24 * 3600;
// An address from the book is dialled at most this often even when its last dial succeeded: a
// peer that accepts and then drops us (a duplicate connection, another chain) is not redialled
// every tick.
inline constexpr uint64_t kMinRedialIntervalS = 60;
// An --addnode peer is kept connected: retried after 1 s, doubling to a minute, for ever.
inline constexpr uint64_t kAddnodeRetryBaseS = 1;
inline constexpr uint64_t kAddnodeRetryMaxS = 60;
// A discouraged address (one that misbehaved) is not preferred for this long: a day, as
// Bitcoin's discouragement filter, long enough that a flood costs the attacker its address.
inline constexpr uint64_t kDiscourageDurationS = 24 * 3600;
// Addresses remembered as discouraged; past this the one that expires first is forgotten, so
// an attacker with many addresses cannot grow the list without bound.
inline constexpr uint32_t kMaxDiscouragedAddresses = 10000;
// A discouraged host's inbound connections are admitted at most once per this interval; the
// rest are closed unread: a misbehaving host that reconnects in a loop then costs an accept and
// a close, not a read, a log line and the protocol's work each time (the garbage flood of
// scripts/bench-p2p.sh). Hosts remembered: kMaxDiscouragedAddresses, stale ones dropped first.
inline constexpr uint64_t kDiscouragedAcceptIntervalMs = 1000;
// A discouraged --addnode peer waits at least this long before it is dialled again.
inline constexpr uint64_t kDiscouragedAddnodeRetryS = 600;

// --- Address book and addr gossip: node/p2p/address_book ---
// Addresses the book holds: ~100 bytes each in memory and in peers.dat (~2 MB at most), far
// more than a node needs to find 8 outbound peers in distinct netgroups.
inline constexpr uint32_t kMaxAddressBookEntries = 16384;
// Addresses held from the gossip of one source netgroup: whoever controls one /16 fills at
// most 1/16 of the book; past it, its new addresses replace its own oldest ones.
inline constexpr uint32_t kMaxAddrPerSourceGroup = 1024;
// addr gossip a peer may have processed, in addresses per second, and the bucket's depth:
// Bitcoin's MAX_ADDR_RATE_PER_SECOND; a whole addr message after our getaddr is allowed.
inline constexpr double kAddrTokensPerSecond = 0.1;
inline constexpr double kMaxAddrTokens = kMaxAddrPerMessage;
// An address not heard of for this long is neither gossiped nor kept across restarts.
inline constexpr uint64_t kAddrHorizonS = 30 * 24 * 3600;
// Gossiped addresses dropped past a peer's tokens before it is punished: an honest peer relays
// a few addresses a minute and one answer to our getaddr; ten whole messages past the rate is
// a flood.
inline constexpr uint64_t kMaxAddrDroppedPerPeer = 10 * kMaxAddrPerMessage;
// A newly connected listening peer's address is forwarded to this many other peers (as
// Bitcoin relays a self-announcement to two): enough to spread through a small network.
inline constexpr uint32_t kAddrForwardFanout = 2;
// At most one forwarded address per peer this often: the receiver's kAddrTokensPerSecond and a
// tenth more (jitter in transit never makes one arrive early), so an honest node never loses a
// forward to the receiver's rate limit nor looks like a flooder.
inline constexpr int64_t kAddrForwardIntervalMs = static_cast<int64_t>(1100 / kAddrTokensPerSecond);
// Addresses waiting to be forwarded to one peer; past it the oldest are dropped.
inline constexpr uint32_t kMaxQueuedAddrForwards = 100;
// Addresses answered to one getaddr (kMaxAddrPerMessage at most per message anyway).
inline constexpr uint32_t kMaxAddrPerGetAddr = kMaxAddrPerMessage;

// ===== Protocol (node/p2p: codec, handshake, sync, download, relay, misbehaviour) =====

// --- Payloads (codec.cc) ---
// Blob names per getblobinfo/blobinfo: an agent asks for one task's checkpoints at a time.
inline constexpr uint32_t kMaxBlobNamesPerMessage = 1024;
// Sibling hashes in a chunk proof: 64 levels cover any blob a 64-bit size can describe.
inline constexpr uint32_t kMaxChunkProofHashes = 64;

// --- Header spam (node/chain/header_index.cc; docs/p2p.md "Header spam") ---
// Headers are stored only if the chain they end has at least our best header chain's work
// minus this many blocks of work (at the best header's target): a branch further behind
// cannot overtake soon, and on devnet's easy target it costs its sender nothing.
inline constexpr uint64_t kHeaderReachBlocks = 144;
// Header-only entries the index keeps off its best header chain (all peers together): honest
// forks within reach fit many times over; past it, side headers are refused (a branch that
// raises the best header chain still comes in whole), after pruning those fallen out of reach.
inline constexpr uint64_t kMaxSideHeaders = 20000;

// --- Liveness (handshake.cc) ---
// A ping unanswered this long means the peer is gone (as inactivity).
inline constexpr uint64_t kPingTimeoutS = 120;

// --- Header sync (header_sync.cc) ---
// Headers messages in a row that connect to nothing we know before the peer is punished:
// honest races cause one or two (a block announced before its parent reached us).
inline constexpr uint32_t kMaxNonConnectingHeaders = 10;
// Side-branch headers (stored or refused, not raising our best header work) a peer may send
// before it is punished, plus one for every header of it that raised our best header chain's
// work: honest peers send a few per fork race, a spammer thousands.
inline constexpr uint64_t kSideHeaderAllowance = 2 * kHeaderReachBlocks;
// New blocks announced by sending their headers; more than this and only the tip is sent (the
// peer asks for the rest with getheaders), as Bitcoin's MAX_BLOCKS_TO_ANNOUNCE.
inline constexpr uint32_t kMaxBlocksToAnnounce = 8;

// --- Block download (block_fetch.cc) ---
// Blocks nobody asked for that are not the child of our tip: ignored; past this many the
// peer is flooding (an honest peer never sends a block it was not asked for).
inline constexpr uint32_t kMaxUnrequestedBlocks = 16;

// --- Relay (tx_relay.cc) ---
// Mean of the randomised per-peer delay before transaction inventory is sent (trickle): hides
// which peer a transaction came from first and batches announcements.
inline constexpr uint64_t kTxTrickleMeanMs = 500;
// Hashes remembered per peer as known to it (sent or received): nothing is announced twice.
inline constexpr uint32_t kMaxKnownInventory = 50000;
// Transaction announcements queued to one peer; past it the oldest are dropped (a slow peer
// costs bounded memory, and it still sees the transactions in blocks).
inline constexpr uint32_t kMaxQueuedAnnouncements = 10000;
// Transactions asked of one peer and not yet delivered; more inventory from it is ignored.
inline constexpr uint32_t kMaxTxsInFlightPerPeer = 1000;
// A requested transaction unanswered this long is forgotten (another peer may announce it).
inline constexpr uint64_t kTxRequestTimeoutS = 60;
// Recently refused transaction ids remembered, so a flood of the same one costs one check.
inline constexpr uint32_t kMaxRecentRejects = 50000;

// --- Blob fetch (blob_fetch.cc; docs/p2p.md "Blobs") ---
// Blobs fetched at once (RPC findblob starts them): each holds a few KiB of state per peer, and
// an agent waits on one or two at a time.
inline constexpr uint32_t kMaxActiveBlobFetches = 16;
// Chunks asked of one holder and not yet answered: 8 x 64 KiB = 512 KiB per round trip keeps a
// loopback or LAN link busy without one peer taking every chunk of a blob.
inline constexpr uint32_t kMaxBlobChunksInFlightPerPeer = 8;
// A getblobinfo unanswered this long counts as "does not hold it": a live peer answers within
// a round trip, and a fetch must be able to end with "not found".
inline constexpr uint64_t kBlobInfoTimeoutS = 10;
// A requested chunk unanswered this long is asked of another holder (the slow one is not
// punished: it may be serving others under its own limits).
inline constexpr uint64_t kBlobChunkTimeoutS = 20;
// A holder that stored no chunk with us for this long is taken as not holding the blob (not
// punished: it may have pruned it, or be saturated), so a peer that claims a blob and then never
// serves it (silent, or "busy" forever) cannot keep a fetch, and the agent waiting on it, from
// ending "not found": the agent then challenges the data on chain. Three chunk timeouts: a live
// holder under its serve limits (kBlobServeBytesPerSecond) delivers a chunk well inside it.
inline constexpr uint64_t kBlobHolderStallS = 3 * kBlobChunkTimeoutS;
// A holder that refused a chunk as busy (its serve limits) is not asked again for this long.
inline constexpr uint64_t kBlobBusyBackoffMs = 500;
// Blob chunks a peer may send for blobs we are not fetching (late answers after a timeout are
// normal) before it is punished as a flood.
inline constexpr uint32_t kMaxUnrequestedBlobChunks = 64;
// An ended fetch's result waits this long for RPC to read it (agents poll every few seconds);
// unread, it is forgotten so it does not hold one of the kMaxActiveBlobFetches slots.
inline constexpr uint64_t kBlobResultKeepS = 60;
// Fetch results (ended, unread) kept at most, with the fetches under way: past it the oldest
// ended one is forgotten, so callers that never read cannot grow the table.
inline constexpr uint32_t kMaxBlobResults = 4 * kMaxActiveBlobFetches;

// --- Blob serve (blob_serve.cc) ---
// Chunk bytes served to one peer per second, refilled continuously, and the bucket's depth: one
// peer takes a 64 MiB blob in 16 s, and several peers fetching from us share our upload.
inline constexpr uint64_t kBlobServeBytesPerSecond = 4ull << 20;
inline constexpr uint64_t kBlobServeBurstBytes = 2ull << 20;
// While this many bytes wait in a peer's send queue it gets no chunks (answered "busy"): it is
// not reading what we already sent, and chunks must not crowd out its blocks.
inline constexpr uint64_t kMaxBlobServeQueueBytes = 2ull << 20;
// Names per getblobinfo resolved by scanning the blob store (a unit's leaf or a dataset root:
// the chain holds digests, not blob roots); further such names are answered "not held". A
// fetch asks one name at a time; a root is a direct look-up and not counted.
inline constexpr uint32_t kMaxBlobNameScansPerMessage = 16;

// --- Worker (peer_manager.cc) ---
// Received messages waiting per peer before reading from it pauses (with kMaxReceiveQueueBytes):
// counted in messages too, so a flood of tiny messages is bounded as well.
inline constexpr uint32_t kMaxQueuedMessagesPerPeer = 1000;

}  // namespace step::node::p2p
