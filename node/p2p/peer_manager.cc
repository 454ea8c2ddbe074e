#include "node/p2p/peer_manager.h"
#include "consensus/kv.h"

#include "node/log.h"
#include "node/p2p/errors.h"
#include "node/p2p/limits.h"

namespace step::node::p2p {
namespace {

// The worker sleeps at most this long between passes when idle: timers need no finer grain.
constexpr auto kIdleWait = std::chrono::milliseconds(50);
// Downloads are rescheduled at least this often (and after every block, header or notfound).
constexpr int64_t kScheduleIntervalMs = 100;
// Snapshots for RPC are refreshed at least this often while anything happens.
constexpr int64_t kPublishIntervalMs = 100;

std::vector<Hash256> hashes_of(const google::protobuf::RepeatedPtrField<wire::InvItem>& items,
                               wire::InvType type) {
    std::vector<Hash256> out;
    for (const auto& item : items)
        if (item.type() == type) out.push_back(*hash_from_field(item.hash()));
    return out;
}

}  // namespace

PeerManager::PeerManager(Node& node, Transport& transport, net::Discouragement& discouragement,
                         P2POptions options, AddressBook* book)
    : ctx_(node, transport, discouragement, std::move(options)),
      handshake_(ctx_,
                 [this](Peer& peer) {
                     note_listener(peer, true);  // before addr_relay_ puts it in the book
                     header_sync_.start(peer);
                     if (!peer.gone) addr_relay_.on_ready(peer);
                     if (!peer.gone) tx_relay_.on_ready(peer);
                 }),
      header_sync_(ctx_),
      block_fetch_(ctx_),
      tx_relay_(ctx_),
      addr_relay_(ctx_, book),
      blob_serve_(ctx_),
      blob_fetch_(ctx_) {}

void PeerManager::note_listener(const Peer& peer, bool connected) {
    if (ctx_.options.listener_seen && peer.version && peer.version->listen_port != 0)
        ctx_.options.listener_seen(net::Endpoint{peer.conn.remote.host, peer.version->listen_port},
                                   connected);
}

PeerManager::~PeerManager() {
    stop();
}

void PeerManager::set_blob_store(BlobStore* store) {
    blob_serve_.set_store(store);
    blob_fetch_.set_store(store);
}

void PeerManager::start() {
    if (thread_.joinable()) return;
    stop_ = false;
    thread_ = std::thread([this] { worker(); });
}

void PeerManager::stop() {
    stop_ = true;
    inbox_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void PeerManager::worker() {
    while (!stop_) {
        if (run_once_guarded()) continue;
        std::unique_lock lock(inbox_mutex_);
        inbox_cv_.wait_for(lock, kIdleWait,
                           [this] { return stop_ || !events_.empty() || new_messages_; });
    }
}

// --- Inbox (transport I/O thread) ----------------------------------------------------------

void PeerManager::push_event(Event e) {
    {
        std::lock_guard lock(inbox_mutex_);
        events_.push_back(std::move(e));
    }
    inbox_cv_.notify_one();
}

void PeerManager::on_connected(PeerId peer, const ConnectionInfo& info) {
    push_event(Connected{peer, info});
}
void PeerManager::on_connect_failed(const net::Endpoint& to, const Status& why) {
    push_event(ConnectFailed{to, why});
}
void PeerManager::on_framing_error(PeerId peer, const Status& why) {
    push_event(FramingError{peer, why});
}
void PeerManager::tx_accepted(const Hash256& txid) {
    push_event(TxAccepted{txid});
}

void PeerManager::on_disconnected(PeerId peer) {
    {
        std::lock_guard lock(inbox_mutex_);
        queues_.erase(peer);  // what it sent and we did not process yet is moot
        events_.push_back(Disconnected{peer});
    }
    inbox_cv_.notify_one();
}

void PeerManager::on_message(PeerId peer, MessageType type, std::string payload) {
    bool pause = false;
    {
        std::lock_guard lock(inbox_mutex_);
        PeerQueue& q = queues_[peer];
        q.bytes += payload.size();
        q.messages.push_back({peer, type, std::move(payload)});
        new_messages_ = true;
        if (!q.paused &&
            (q.messages.size() >= kMaxQueuedMessagesPerPeer || q.bytes >= kMaxReceiveQueueBytes))
            pause = q.paused = true;
    }
    if (pause) ctx_.transport.set_receive_paused(peer, true);  // outside the inbox lock
    inbox_cv_.notify_one();
}

void PeerManager::take_work(std::deque<Event>& events, std::vector<Message>& messages,
                            std::vector<PeerId>& resume, const std::set<PeerId>& not_reading) {
    std::lock_guard lock(inbox_mutex_);
    events.swap(events_);
    new_messages_ = false;
    for (auto it = queues_.begin(); it != queues_.end();) {
        PeerQueue& q = it->second;
        if (not_reading.count(it->first) || q.messages.empty()) {
            ++it;
            continue;
        }
        q.bytes -= q.messages.front().payload.size();
        messages.push_back(std::move(q.messages.front()));
        q.messages.pop_front();
        // Resume reading at half the caps, so a paused peer is not flipped on every message.
        if (q.paused && q.messages.size() <= kMaxQueuedMessagesPerPeer / 2 &&
            q.bytes <= kMaxReceiveQueueBytes / 2) {
            q.paused = false;
            resume.push_back(it->first);
        }
        it = q.messages.empty() && !q.paused ? queues_.erase(it) : std::next(it);
    }
}

// --- Worker --------------------------------------------------------------------------------

bool PeerManager::run_once_guarded() {
    try {
        return run_once();
    } catch (const consensus::KvReadError& e) {
        // The database failed under a message (a block or header read for a peer): the rest of
        // this pass is dropped and the node stops (Node::storage_failed).
        log_error("P2P: ", e.status().to_string());
        ctx_.node.storage_failed(e.status());
        return false;
    }
}

bool PeerManager::run_once() {
    std::deque<Event> events;
    std::vector<Message> messages;
    std::vector<PeerId> resume;
    std::set<PeerId> not_reading;  // asked before the inbox lock: never the transport under it
    for (const auto& [id, peer] : ctx_.peers)
        if (ctx_.transport.send_queue_bytes(id) > kPauseProcessingSendQueueBytes)
            not_reading.insert(id);
    take_work(events, messages, resume, not_reading);
    for (PeerId id : resume) ctx_.transport.set_receive_paused(id, false);
    for (const Event& e : events) handle(e);
    for (const Message& m : messages)
        if (Peer* peer = ctx_.find(m.peer)) dispatch(*peer, m.type, m.payload);
    tick();
    publish(!events.empty());
    return !events.empty() || !messages.empty();
}

void PeerManager::handle(const Event& e) {
    if (auto* c = std::get_if<Connected>(&e)) {
        Peer& peer = ctx_.peers[c->peer];
        peer.id = c->peer;
        peer.conn = c->info;
        peer.connected_ms = peer.last_receive_ms = ctx_.now_ms();
        handshake_.on_connected(peer);
    } else if (auto* d = std::get_if<Disconnected>(&e)) {
        auto it = ctx_.peers.find(d->peer);
        if (it == ctx_.peers.end()) return;
        if (it->second.handshake_done) note_listener(it->second, false);
        block_fetch_.peer_gone(d->peer);
        tx_relay_.peer_gone(it->second);
        blob_serve_.peer_gone(d->peer);
        blob_fetch_.peer_gone(d->peer);
        log_debug("peer ", d->peer, " (", it->second.conn.remote.to_string(), ") disconnected");
        ctx_.peers.erase(it);
        schedule_due_ = true;  // its blocks are free for others
    } else if (auto* f = std::get_if<FramingError>(&e)) {
        if (Peer* peer = ctx_.find(f->peer)) ctx_.misbehaving(*peer, f->why);
    } else if (auto* cf = std::get_if<ConnectFailed>(&e)) {
        log_debug("could not connect to ", cf->to.to_string(), ": ", cf->why.to_string());
    } else if (auto* t = std::get_if<TxAccepted>(&e)) {
        tx_relay_.on_accepted(t->txid);
    }
}

template <class M, class F>
void PeerManager::decoded(Peer& peer, const std::string& payload, F&& f) {
    auto m = decode_payload<M>(payload);
    if (!m.ok()) {
        ctx_.misbehaving(peer, m.status());  // malformed: the one path that punishes
        return;
    }
    f(*m);
}

void PeerManager::dispatch(Peer& peer, MessageType type, const std::string& payload) {
    peer.last_receive_ms = ctx_.now_ms();
    const std::string name(message_type_name(type));
    peer.bytes_received[name] += payload.size() + kFrameHeaderBytes;
    ctx_.counters.bytes_received[name] += payload.size() + kFrameHeaderBytes;
    if (!peer.handshake_done && !allowed_before_handshake(type)) {
        ctx_.misbehaving(peer, Status::error(codes::kHandshakeViolation,
                                             name + " before the handshake completed"));
        return;
    }
    switch (type) {
        case MessageType::kVersion:
            return decoded<wire::Version>(peer, payload,
                                          [&](auto& m) { handshake_.on_version(peer, m); });
        case MessageType::kVerack:
            return decoded<wire::Verack>(peer, payload, [&](auto&) { handshake_.on_verack(peer); });
        case MessageType::kPing:
            return decoded<wire::Ping>(peer, payload,
                                       [&](auto& m) { handshake_.on_ping(peer, m); });
        case MessageType::kPong:
            return decoded<wire::Pong>(peer, payload,
                                       [&](auto& m) { handshake_.on_pong(peer, m); });
        case MessageType::kGetHeaders:
            return decoded<wire::GetHeaders>(peer, payload,
                                             [&](auto& m) { header_sync_.on_getheaders(peer, m); });
        case MessageType::kHeaders:
            schedule_due_ = true;
            return decoded<wire::Headers>(peer, payload,
                                          [&](auto& m) { header_sync_.on_headers(peer, m); });
        case MessageType::kSendHeaders:
            return decoded<wire::SendHeaders>(peer, payload,
                                              [&](auto&) { peer.wants_headers = true; });
        case MessageType::kInv:
            return decoded<wire::Inv>(peer, payload, [&](auto& m) { on_inv(peer, m); });
        case MessageType::kGetData:
            return decoded<wire::GetData>(peer, payload, [&](auto& m) { on_getdata(peer, m); });
        case MessageType::kNotFound:
            schedule_due_ = true;
            return decoded<wire::NotFound>(peer, payload, [&](auto& m) { on_notfound(peer, m); });
        case MessageType::kBlock:
            schedule_due_ = true;
            return decoded<wire::BlockMessage>(peer, payload,
                                               [&](auto& m) { block_fetch_.on_block(peer, m); });
        case MessageType::kTx:
            return decoded<wire::TxMessage>(peer, payload,
                                            [&](auto& m) { tx_relay_.on_tx(peer, m); });
        case MessageType::kGetAddr:
            return decoded<wire::GetAddr>(peer, payload,
                                          [&](auto&) { addr_relay_.on_getaddr(peer); });
        case MessageType::kAddr:
            return decoded<wire::Addr>(peer, payload,
                                       [&](auto& m) { addr_relay_.on_addr(peer, m); });
        case MessageType::kGetBlobInfo:
            return decoded<wire::GetBlobInfo>(
                peer, payload, [&](auto& m) { blob_serve_.on_getblobinfo(peer, m); });
        case MessageType::kBlobInfo:
            return decoded<wire::BlobInfo>(peer, payload,
                                           [&](auto& m) { blob_fetch_.on_blobinfo(peer, m); });
        case MessageType::kGetBlobChunk:
            return decoded<wire::GetBlobChunk>(
                peer, payload, [&](auto& m) { blob_serve_.on_getblobchunk(peer, m); });
        case MessageType::kBlobChunk:
            return decoded<wire::BlobChunk>(peer, payload,
                                            [&](auto& m) { blob_fetch_.on_blobchunk(peer, m); });
    }
}

void PeerManager::on_inv(Peer& peer, const wire::Inv& m) {
    for (const Hash256& h : hashes_of(m.items(), wire::INV_BLOCK))
        header_sync_.on_block_announced(peer, h);
    if (peer.gone) return;
    tx_relay_.on_inventory(peer, hashes_of(m.items(), wire::INV_TX));
}

void PeerManager::on_getdata(Peer& peer, const wire::GetData& m) {
    wire::NotFound missing;
    for (const auto& item : m.items()) {
        if (peer.gone) return;
        const Hash256 h = *hash_from_field(item.hash());
        if (item.type() == wire::INV_BLOCK)
            block_fetch_.serve(peer, h, missing);
        else
            tx_relay_.serve(peer, h, missing);
    }
    if (missing.items_size() > 0) ctx_.send(peer, missing);
}

void PeerManager::on_notfound(Peer& peer, const wire::NotFound& m) {
    for (const auto& item : m.items()) {
        const Hash256 h = *hash_from_field(item.hash());
        if (item.type() == wire::INV_BLOCK)
            block_fetch_.on_not_found(peer, h);
        else
            tx_relay_.on_not_found(peer, h);
    }
}

void PeerManager::tick() {
    const int64_t now = ctx_.now_ms();
    for (auto& [id, peer] : ctx_.peers) {
        if (peer.gone) continue;
        handshake_.tick(peer);
        if (!peer.gone && peer.handshake_done) tx_relay_.tick(peer);
        if (!peer.gone && peer.handshake_done) addr_relay_.tick(peer);
    }
    const Hash256 tip = ctx_.node.chain().tip().hash;
    if (last_tip_ != tip) {
        last_tip_ = tip;
        header_sync_.announce_tip();
        schedule_due_ = true;
    }
    if (schedule_due_ || now - last_schedule_ms_ >= kScheduleIntervalMs) {
        schedule_due_ = false;
        last_schedule_ms_ = now;
        block_fetch_.schedule();
    }
    blob_fetch_.tick();
}

void PeerManager::publish(bool force) {
    const int64_t now = ctx_.now_ms();
    if (!force && now - last_publish_ms_ < kPublishIntervalMs) return;
    last_publish_ms_ = now;
    std::vector<PeerInfo> infos;
    for (const auto& [id, p] : ctx_.peers) {
        PeerInfo i;
        i.id = id;
        i.address = p.conn.remote;
        i.local = p.conn.local;
        i.inbound = p.conn.inbound;
        i.handshake_done = p.handshake_done;
        if (p.version) {
            i.version = p.version->protocol_version;
            i.services = p.version->services;
            i.user_agent = p.version->user_agent;
            i.start_height = p.version->start_height;
            i.start_work_hex = p.version->start_work.to_hex();
            if (p.version->listen_port != 0)
                i.listening = net::Endpoint{p.conn.remote.host, p.version->listen_port};
        }
        i.best_known_height = p.best_known_height;
        i.ping_ms = p.ping_ms;
        i.min_ping_ms = p.min_ping_ms;
        i.connected_ms = p.connected_ms;
        i.bytes_sent = p.bytes_sent;
        i.bytes_received = p.bytes_received;
        i.blocks_in_flight = block_fetch_.in_flight(id);
        i.blocks_received = p.blocks_received;
        i.txs_received = p.txs_received;
        i.misbehavior = p.misbehavior;
        infos.push_back(std::move(i));
    }
    std::lock_guard lock(snapshot_mutex_);
    peer_info_ = std::move(infos);
    counters_ = ctx_.counters;
}

std::vector<PeerInfo> PeerManager::peer_info() const {
    std::lock_guard lock(snapshot_mutex_);
    return peer_info_;
}

NetCounters PeerManager::counters() const {
    std::lock_guard lock(snapshot_mutex_);
    return counters_;
}

}  // namespace step::node::p2p
