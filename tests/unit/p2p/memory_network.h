// An in-memory transport for the protocol's unit tests: ports joined by links, each port the
// Transport of one PeerManager or a raw test peer that records what it receives and sends what
// the test scripts. Nothing is delivered until pump(), so a test controls every interleaving.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "node/p2p/codec.h"
#include "node/p2p/transport.h"

namespace step::node::p2p::testing {

class MemoryNetwork;

struct Received {
    PeerId peer;
    MessageType type;
    std::string payload;
};

class Port final : public Transport {
public:
    explicit Port(MemoryNetwork& net) : net_(net) {}

    void send(PeerId peer, MessageType type, std::string payload) override;
    void disconnect(PeerId peer) override;
    void mark_handshake_done(PeerId peer) override { handshake_done.insert(peer); }
    void set_receive_paused(PeerId peer, bool paused) override {
        if (paused)
            this->paused.insert(peer);
        else
            this->paused.erase(peer);
    }
    uint64_t send_queue_bytes(PeerId peer) const override {
        auto it = send_queue.find(peer);
        return it == send_queue.end() ? queued_bytes : it->second;
    }
    void connect(const net::Endpoint& to) override { dialled.push_back(to); }

    // A raw port's test sends as its peer `peer` would (framing already passed).
    template <class M>
    void send_message(PeerId peer, const M& m) {
        send(peer, message_type_of<M>(), encode_payload(m));
    }
    // Messages of type `type` received (raw ports), decoded; cleared by take.
    template <class M>
    std::vector<M> take() {
        std::vector<M> out;
        for (auto it = received.begin(); it != received.end();) {
            if (it->type != message_type_of<M>()) {
                ++it;
                continue;
            }
            out.push_back(*decode_payload<M>(it->payload));
            it = received.erase(it);
        }
        return out;
    }

    TransportListener* listener = nullptr;  // null: a raw port, messages go to `received`
    std::vector<Received> received;
    std::set<PeerId> handshake_done;
    std::set<PeerId> paused;
    std::set<PeerId> closed;
    std::map<PeerId, uint64_t> send_queue;  // per peer, overriding queued_bytes (tests set it)
    std::vector<net::Endpoint> dialled;
    uint64_t queued_bytes = 0;  // what send_queue_bytes reports for every peer (a slow reader)

private:
    MemoryNetwork& net_;
};

class MemoryNetwork {
public:
    Port& add_port() {
        ports_.push_back(std::make_unique<Port>(*this));
        return *ports_.back();
    }

    // Joins two ports: `from` dialled `to`. Returns each side's id for the other.
    std::pair<PeerId, PeerId> connect(Port& from, Port& to) {
        const PeerId a = next_id_++, b = next_id_++;
        links_[a] = {&to, b};
        links_[b] = {&from, a};
        const net::Endpoint ea{"127.0.0.1", static_cast<uint16_t>(20000 + a)};
        const net::Endpoint eb{"127.0.0.1", static_cast<uint16_t>(20000 + b)};
        queue_.push_back({&from, a, Kind::kConnected, {}, {}, ConnectionInfo{eb, ea, false}});
        queue_.push_back({&to, b, Kind::kConnected, {}, {}, ConnectionInfo{ea, eb, true}});
        return {a, b};
    }

    // Delivers everything queued so far (and what that causes, in order). Returns the count.
    size_t pump() {
        size_t n = 0;
        while (!queue_.empty()) {
            Delivery d = std::move(queue_.front());
            queue_.pop_front();
            ++n;
            if (d.kind != Kind::kDisconnected && d.port->closed.count(d.peer)) continue;
            if (d.kind == Kind::kMessage && d.port->paused.count(d.peer)) {
                held_.push_back(std::move(d));  // the transport would not read it yet
                continue;
            }
            deliver(d);
        }
        for (auto& d : held_) queue_.push_back(std::move(d));
        held_.clear();
        return n;
    }
    bool idle() const { return queue_.empty(); }

private:
    friend class Port;
    enum class Kind { kConnected, kMessage, kDisconnected };
    struct Delivery {
        Port* port;
        PeerId peer;
        Kind kind;
        MessageType type{};
        std::string payload;
        ConnectionInfo info;
    };
    struct End {
        Port* port = nullptr;
        PeerId id = 0;
    };

    void deliver(Delivery& d) {
        if (d.kind == Kind::kDisconnected) {
            if (d.port->listener) d.port->listener->on_disconnected(d.peer);
            return;
        }
        if (!d.port->listener) {
            if (d.kind == Kind::kMessage)
                d.port->received.push_back({d.peer, d.type, std::move(d.payload)});
            return;
        }
        if (d.kind == Kind::kConnected)
            d.port->listener->on_connected(d.peer, d.info);
        else
            d.port->listener->on_message(d.peer, d.type, std::move(d.payload));
    }

    void send(PeerId from, MessageType type, std::string payload) {
        auto it = links_.find(from);
        if (it == links_.end()) return;
        queue_.push_back(
            {it->second.port, it->second.id, Kind::kMessage, type, std::move(payload), {}});
    }

    void close(Port& port, PeerId peer) {
        if (port.closed.count(peer)) return;
        auto it = links_.find(peer);
        port.closed.insert(peer);
        queue_.push_back({&port, peer, Kind::kDisconnected, {}, {}, {}});
        if (it == links_.end()) return;
        it->second.port->closed.insert(it->second.id);
        queue_.push_back({it->second.port, it->second.id, Kind::kDisconnected, {}, {}, {}});
    }

    std::vector<std::unique_ptr<Port>> ports_;
    std::map<PeerId, End> links_;
    std::deque<Delivery> queue_;
    std::vector<Delivery> held_;
    PeerId next_id_ = 1;
};

inline void Port::send(PeerId peer, MessageType type, std::string payload) {
    if (closed.count(peer)) return;
    net_.send(peer, type, std::move(payload));
}
inline void Port::disconnect(PeerId peer) {
    net_.close(*this, peer);
}

}  // namespace step::node::p2p::testing
