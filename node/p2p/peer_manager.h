// The protocol's front: receives everything the transport reports, queues it, and processes it
// on its own worker thread, handing each message to the job it belongs to (handshake.h,
// header_sync.h, block_fetch.h, tx_relay.h, blob_serve.h, blob_fetch.h). Misbehaviour is judged in
// one place (misbehavior.h, through PeerContext).
//
// Threading: the TransportListener methods run on the transport's I/O thread and only queue
// (under the inbox lock, never held while calling anything else). The worker takes one message
// from each peer with messages waiting per round, so a flood from one peer does not delay
// another's; a peer that does not read what we send (its send queue over
// kPauseProcessingSendQueueBytes) gets its requests processed only once it has read them, so it
// cannot make us build answers without bound (Bitcoin's fPauseSend); a peer whose queue passes
// kMaxQueuedMessagesPerPeer or kMaxReceiveQueueBytes is paused at the transport until its queue
// drains. Peer state lives on the worker thread alone; RPC reads snapshots. The worker holds no
// lock of its own while it calls into Node.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <variant>
#include <vector>

#include "node/p2p/addr_relay.h"
#include "node/p2p/blob_fetch.h"
#include "node/p2p/blob_serve.h"
#include "node/p2p/block_fetch.h"
#include "node/p2p/context.h"
#include "node/p2p/handshake.h"
#include "node/p2p/header_sync.h"
#include "node/p2p/tx_relay.h"

namespace step::node::p2p {

// One peer as getpeerinfo shows it.
struct PeerInfo {
    PeerId id = 0;
    net::Endpoint address;
    net::Endpoint local;
    std::optional<net::Endpoint> listening;  // its host and the listen port its version gave
    bool inbound = false;
    bool handshake_done = false;
    uint32_t version = 0;
    uint64_t services = 0;
    std::string user_agent;
    uint64_t start_height = 0;
    std::string start_work_hex;
    uint64_t best_known_height = 0;
    std::optional<int64_t> ping_ms;
    std::optional<int64_t> min_ping_ms;
    int64_t connected_ms = 0;                                     // on the P2P clock
    std::map<std::string, uint64_t, std::less<>> bytes_sent;      // by message type
    std::map<std::string, uint64_t, std::less<>> bytes_received;  // by message type
    size_t blocks_in_flight = 0;
    uint64_t blocks_received = 0;
    uint64_t txs_received = 0;
    std::string misbehavior;
};

class PeerManager final : public TransportListener {
public:
    // `discouragement` is shared with the transport (which keeps discouraged addresses out of
    // scarce slots) and RPC (listbanned); the protocol adds to it when it punishes a peer.
    // `book` (may be null in tests) receives gossiped addresses and answers getaddr.
    PeerManager(Node& node, Transport& transport, net::Discouragement& discouragement,
                P2POptions options = {}, AddressBook* book = nullptr);
    ~PeerManager() override;

    void start();  // the worker thread
    void stop();   // joins it; safe to call twice

    // TransportListener: queue only (the transport's I/O thread).
    void on_connected(PeerId peer, const ConnectionInfo& info) override;
    void on_connect_failed(const net::Endpoint& to, const Status& why) override;
    void on_message(PeerId peer, MessageType type, std::string payload) override;
    void on_framing_error(PeerId peer, const Status& why) override;
    void on_disconnected(PeerId peer) override;

    // A transaction entered our mempool (Node's hook; any thread): it will be announced.
    void tx_accepted(const Hash256& txid);

    // The blob store served to peers and fetched into; set before start(). Without one the
    // node serves no blobs and every fetch fails.
    void set_blob_store(BlobStore* store);
    // What RPC (findblob) asks to fetch blobs from peers through; any thread.
    BlobFetcher& blob_fetcher() { return blob_fetch_; }

    // One pass of the worker: connection events, then one message from each peer with messages
    // waiting, then timers, downloads and announcements. True when it processed something.
    // The worker thread loops on it; unit tests call it directly instead of start().
    bool run_once();

    // Snapshots, refreshed by the worker at least every 100 ms of its clock (any thread).
    std::vector<PeerInfo> peer_info() const;
    NetCounters counters() const;
    uint64_t nonce() const { return ctx_.options.nonce; }
    int64_t now_ms() const { return ctx_.now_ms(); }

private:
    struct Connected {
        PeerId peer;
        ConnectionInfo info;
    };
    struct Disconnected {
        PeerId peer;
    };
    struct FramingError {
        PeerId peer;
        Status why;
    };
    struct ConnectFailed {
        net::Endpoint to;
        Status why;
    };
    struct TxAccepted {
        Hash256 txid;
    };
    using Event = std::variant<Connected, Disconnected, FramingError, ConnectFailed, TxAccepted>;
    struct Message {
        PeerId peer;
        MessageType type;
        std::string payload;
    };
    struct PeerQueue {
        std::deque<Message> messages;
        uint64_t bytes = 0;
        bool paused = false;
    };

    void push_event(Event e);
    // Tells P2POptions::listener_seen that a listening peer connected or left.
    void note_listener(const Peer& peer, bool connected);
    // Under the inbox lock: the events, and one message from each peer's queue.
    // Peers in `not_reading` (their send queues are over kPauseProcessingSendQueueBytes) keep
    // their messages waiting.
    void take_work(std::deque<Event>& events, std::vector<Message>& messages,
                   std::vector<PeerId>& resume, const std::set<PeerId>& not_reading);
    void handle(const Event& e);
    void dispatch(Peer& peer, MessageType type, const std::string& payload);
    // Decodes the payload as M and hands it to f; a malformed payload is the peer's fault.
    template <class M, class F>
    void decoded(Peer& peer, const std::string& payload, F&& f);
    void on_getdata(Peer& peer, const wire::GetData& m);
    void on_notfound(Peer& peer, const wire::NotFound& m);
    void on_inv(Peer& peer, const wire::Inv& m);
    void tick();
    void publish(bool force);
    void worker();
    // run_once, with a database failure under it (consensus::KvReadError) reported to
    // Node::storage_failed instead of ending the thread.
    bool run_once_guarded();

    PeerContext ctx_;
    Handshake handshake_;
    HeaderSync header_sync_;
    BlockFetch block_fetch_;
    TxRelay tx_relay_;
    AddrRelay addr_relay_;
    BlobServe blob_serve_;
    BlobFetch blob_fetch_;

    // Inbox (the I/O thread writes, the worker reads).
    mutable std::mutex inbox_mutex_;
    std::condition_variable inbox_cv_;
    std::deque<Event> events_;
    std::map<PeerId, PeerQueue> queues_;
    // A message arrived since the worker last took work: wakes it. (Waiting messages of peers
    // that do not read must not keep it spinning.)
    bool new_messages_ = false;

    // Worker-only.
    std::optional<Hash256> last_tip_;
    int64_t last_schedule_ms_ = 0;
    int64_t last_publish_ms_ = 0;
    bool schedule_due_ = false;

    // Snapshots.
    mutable std::mutex snapshot_mutex_;
    std::vector<PeerInfo> peer_info_;
    NetCounters counters_;

    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace step::node::p2p
