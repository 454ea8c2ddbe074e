// Blob serve and fetch between in-memory peer managers over real blob stores: parallel fetch
// from two holders, resume after a disconnect, a peer whose chunks fail their proofs, not
// found, names by dataset root, and the serve limits.
#include "tests/unit/p2p/p2p_fixture.h"

#include <nlohmann/json.hpp>

#include "common/merkle.h"
#include "common/rpc_errors.h"
#include "common/rpc_methods.h"
#include "consensus/errors.h"
#include "kernels/data.h"
#include "node/p2p/blob_names.h"
#include "node/p2p/errors.h"
#include "node/p2p/limits.h"
#include "node/rpc/blob_methods.h"
#include "verifier/proofs.h"

using namespace step;
using namespace step::node;
using namespace step::node::p2p;
using namespace step::node::p2p::testing;
using State = BlobFetchProgress::State;

namespace {

// A peer manager with a blob store in its node's database.
struct BlobNode : P2PNode {
    BlobNode(MemoryNetwork& net, Clocks& clocks, const std::string& name, uint64_t nonce)
        : P2PNode(net, clocks, name, nonce) {
        auto s = BlobStore::open(*node.db);
        REQUIRE(s.ok());
        store = std::move(*s);
        pm->set_blob_store(store.get());
    }
    ~BlobNode() { pm.reset(); }
    void put(const Bytes& blob) {
        const Hash256 root = blob_root(blob);
        for (uint64_t i = 0; i < blob_chunk_count(blob.size()); ++i) {
            auto p = verifier::make_chunk_proof(blob, i);
            REQUIRE(p.ok());
            REQUIRE(store->put_chunk(root, *p).ok());
        }
    }
    uint64_t have(const Hash256& root) const {
        auto info = store->info(root);
        return info ? info->have : 0;
    }
    Result<BlobFetchProgress> fetch(const wire::BlobName& name) {
        return pm->blob_fetcher().fetch_blob(name);
    }
    std::unique_ptr<BlobStore> store;
};

Bytes blob_of(size_t bytes, uint8_t salt) {
    Bytes b(bytes);
    for (size_t i = 0; i < bytes; ++i) b[i] = static_cast<uint8_t>(i * 31 + salt + (i >> 16));
    return b;
}

// Runs the network, stepping the P2P clock a little, until the fetch of `name` on `n` ends;
// returns how it ended (asking once more reports the end and forgets it).
BlobFetchProgress fetch_to_end(MemoryNetwork& net, Clocks& clocks, BlobNode& n,
                               const wire::BlobName& name, std::initializer_list<P2PNode*> nodes) {
    REQUIRE(n.fetch(name).ok());
    for (int i = 0; i < 200; ++i) {
        settle(net, nodes);
        auto p = n.fetch(name);
        REQUIRE(p.ok());
        if (p->ended()) return *p;
        clocks.p2p_ms += 100;
    }
    FAIL("the fetch did not end");
    return {};
}

// A blobinfo claiming to hold `blob` whole under `name`.
wire::BlobInfo claim_of(const wire::BlobName& name, const Bytes& blob) {
    auto proof = verifier::make_chunk_proof(blob, 0);
    REQUIRE(proof.ok());
    wire::BlobInfo claim;
    auto* h = claim.add_blobs();
    *h->mutable_name() = name;
    h->set_root(hash_to_field(blob_root(blob)));
    h->set_size(blob.size());
    h->set_chunks_root(hash_to_field(proof->chunks_root));
    h->set_complete(true);
    return claim;
}

// Chunk `index` of `blob` as a blobchunk, with its path.
wire::BlobChunk chunk_of(const Bytes& blob, uint64_t index) {
    auto p = verifier::make_chunk_proof(blob, index);
    REQUIRE(p.ok());
    wire::BlobChunk m;
    m.set_root(hash_to_field(blob_root(blob)));
    m.set_index(index);
    m.set_blob_size(p->blob_size);
    m.set_chunks_root(hash_to_field(p->chunks_root));
    m.set_chunk(std::string(p->chunk.begin(), p->chunk.end()));
    for (const Hash256& s : p->path) m.add_path(hash_to_field(s));
    return m;
}

uint64_t chunk_bytes_from(const P2PNode& n, PeerId peer) {
    auto info = info_of(n, peer);
    REQUIRE(info.has_value());
    auto it = info->bytes_received.find("blobchunk");
    return it == info->bytes_received.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("a blob is fetched by root from two holders in parallel") {
    MemoryNetwork net;
    Clocks clocks;
    BlobNode a(net, clocks, "blob-par-a", 1), b(net, clocks, "blob-par-b", 2),
        c(net, clocks, "blob-par-c", 3);
    const Bytes blob = blob_of(20 * kChunkBytes + 123, 1);
    const Hash256 root = blob_root(blob);
    a.put(blob);
    b.put(blob);
    auto [ca, ac] = net.connect(c.port, a.port);
    auto [cb, bc] = net.connect(c.port, b.port);
    settle(net, {&a, &b, &c});

    const BlobFetchProgress p = fetch_to_end(net, clocks, c, name_by_root(root), {&a, &b, &c});
    CHECK(p.state == State::kComplete);
    REQUIRE(p.root == root);
    CHECK(p.have == blob_chunk_count(blob.size()));
    CHECK(c.store->info(root)->complete());
    refresh(net, clocks, {&a, &b, &c});
    // Both holders served chunks, and no chunk came twice.
    CHECK(chunk_bytes_from(c, ca) > 0);
    CHECK(chunk_bytes_from(c, cb) > 0);
    CHECK(c.pm->counters().blob_chunks_received == blob_chunk_count(blob.size()));
    CHECK(a.pm->counters().blob_chunks_sent + b.pm->counters().blob_chunks_sent ==
          blob_chunk_count(blob.size()));
    CHECK(c.pm->counters().blobs_fetched == 1);
    CHECK(c.discouraged_reason().empty());
    (void)ac;
    (void)bc;
}

TEST_CASE("a blob fetch resumes from another holder after a disconnect") {
    MemoryNetwork net;
    Clocks clocks;
    BlobNode a(net, clocks, "blob-res-a", 1), b(net, clocks, "blob-res-b", 2),
        c(net, clocks, "blob-res-c", 3);
    const Bytes blob = blob_of(40 * kChunkBytes, 2);
    const Hash256 root = blob_root(blob);
    const uint64_t chunks = blob_chunk_count(blob.size());
    a.put(blob);
    b.put(blob);
    auto [ca, ac] = net.connect(c.port, a.port);
    net.connect(c.port, b.port);
    settle(net, {&a, &b, &c});

    // Run until C holds some chunks, then cut A off mid-fetch.
    REQUIRE(c.fetch(name_by_root(root)).ok());
    for (int i = 0; i < 10000 && c.have(root) < 4; ++i) {
        net.pump();
        for (P2PNode* n : {(P2PNode*)&a, (P2PNode*)&b, (P2PNode*)&c}) n->pm->run_once();
    }
    const uint64_t before = c.have(root);
    REQUIRE(before >= 4);
    REQUIRE(before < chunks);
    c.port.disconnect(ca);
    const BlobFetchProgress p = fetch_to_end(net, clocks, c, name_by_root(root), {&a, &b, &c});
    CHECK(p.state == State::kComplete);
    CHECK(c.store->info(root)->complete());
    refresh(net, clocks, {&a, &b, &c});
    // What C already had was not fetched again.
    CHECK(c.pm->counters().blob_chunks_received == chunks);
    (void)ac;
}

TEST_CASE("a peer whose chunk fails its proof is discouraged; the blob comes from another") {
    MemoryNetwork net;
    Clocks clocks;
    BlobNode b(net, clocks, "blob-bad-b", 2), c(net, clocks, "blob-bad-c", 3);
    Port& raw = net.add_port();
    const Bytes blob = blob_of(6 * kChunkBytes, 3);
    const Hash256 root = blob_root(blob);
    b.put(blob);
    const PeerId raw_id = handshake_raw(net, raw, c);
    net.connect(c.port, b.port);
    settle(net, {&b, &c});
    raw.received.clear();

    // C asks both; only C runs, so the liar answers first and gets chunk requests.
    REQUIRE(c.fetch(name_by_root(root)).ok());
    settle(net, {&c});
    auto asked = raw.take<wire::GetBlobInfo>();
    REQUIRE(asked.size() == 1);
    raw.send_message(raw_id, claim_of(asked[0].names(0), blob));
    settle(net, {&c});
    auto requests = raw.take<wire::GetBlobChunk>();
    REQUIRE(!requests.empty());
    wire::BlobChunk bad = chunk_of(blob, requests[0].index());
    bad.mutable_chunk()->at(7) ^= 1;
    raw.send_message(raw_id, bad);

    const BlobFetchProgress done = fetch_to_end(net, clocks, c, name_by_root(root), {&b, &c});
    CHECK(done.state == State::kComplete);
    CHECK(c.store->info(root)->complete());
    CHECK(c.discouraged_for(codes::kBadBlobChunk));
    CHECK(raw.closed.count(raw_id) == 1);
}

TEST_CASE("a blob no peer holds ends not found") {
    MemoryNetwork net;
    Clocks clocks;
    BlobNode a(net, clocks, "blob-nf-a", 1), b(net, clocks, "blob-nf-b", 2),
        c(net, clocks, "blob-nf-c", 3);
    net.connect(c.port, a.port);
    net.connect(c.port, b.port);
    settle(net, {&a, &b, &c});
    const Hash256 root = blob_root(blob_of(100, 4));

    const BlobFetchProgress p = fetch_to_end(net, clocks, c, name_by_root(root), {&a, &b, &c});
    CHECK(p.state == State::kNotFound);
    CHECK(p.error.is(rpc::codes::kBlobNotFound));
    CHECK(p.peers_asked == 2);
    CHECK(c.discouraged_reason().empty());
    // Reported once: the next request starts a new fetch.
    auto again = c.fetch(name_by_root(root));
    REQUIRE(again.ok());
    CHECK(again->state == State::kAsking);
}

TEST_CASE("a silent peer counts as not holding the blob after the info timeout") {
    MemoryNetwork net;
    Clocks clocks;
    BlobNode c(net, clocks, "blob-silent-c", 3);
    Port& raw = net.add_port();
    handshake_raw(net, raw, c);
    const wire::BlobName name = name_by_root(blob_root(blob_of(100, 5)));
    REQUIRE(c.fetch(name).ok());
    settle(net, {&c});
    auto p = c.fetch(name);
    REQUIRE(p.ok());
    CHECK(p->state == State::kAsking);
    clocks.p2p_ms += kBlobInfoTimeoutS * 1000;
    settle(net, {&c});
    c.pm->run_once();
    p = c.fetch(name);
    REQUIRE(p.ok());
    CHECK(p->state == State::kNotFound);
}

TEST_CASE("a dataset is fetched by its dataset root and checked whole") {
    MemoryNetwork net;
    Clocks clocks;
    BlobNode a(net, clocks, "blob-ds-a", 1), c(net, clocks, "blob-ds-c", 3);
    kernels::Dataset ds;
    ds.format = *kernels::record_format("mnist-u8");
    ds.bytes = blob_of(200 * kernels::kMnistRecordBytes, 6);
    a.put(ds.bytes);
    net.connect(c.port, a.port);
    settle(net, {&a, &c});

    const wire::BlobName name = name_by_dataset(kernels::dataset_root(ds));
    const BlobFetchProgress p = fetch_to_end(net, clocks, c, name, {&a, &c});
    CHECK(p.state == State::kComplete);
    CHECK(p.root == blob_root(ds.bytes));
    CHECK(c.store->info(blob_root(ds.bytes))->complete());

    // A name nobody's records hash to is not found, though A holds a blob of records.
    Bytes other = ds.bytes;
    other[0] ^= 1;
    const BlobFetchProgress q =
        fetch_to_end(net, clocks, c, name_by_dataset(blob_root(other)), {&a, &c});
    CHECK(q.state == State::kNotFound);
}

TEST_CASE("a holding whose root is not what the name allows is punished") {
    MemoryNetwork net;
    Clocks clocks;
    BlobNode c(net, clocks, "blob-mm-c", 3);
    Port& raw = net.add_port();
    const PeerId raw_id = handshake_raw(net, raw, c);
    raw.received.clear();
    const Bytes blob = blob_of(3 * kChunkBytes, 7), other = blob_of(3 * kChunkBytes, 8);
    REQUIRE(c.fetch(name_by_root(blob_root(blob))).ok());
    settle(net, {&c});
    auto asked = raw.take<wire::GetBlobInfo>();
    REQUIRE(asked.size() == 1);
    raw.send_message(raw_id, claim_of(asked[0].names(0), other));
    settle(net, {&c});
    CHECK(c.discouraged_for(codes::kBlobNameMismatch));
}

TEST_CASE(
    "serve limits: a burst per peer, then busy until the bucket refills or the queue drains") {
    MemoryNetwork net;
    Clocks clocks;
    BlobNode a(net, clocks, "blob-lim-a", 1);
    Port& raw = net.add_port();
    const Bytes blob = blob_of(64 * kChunkBytes, 9);
    const Hash256 root = blob_root(blob);
    a.put(blob);
    const PeerId raw_id = handshake_raw(net, raw, a);
    raw.received.clear();

    auto ask_all = [&] {
        for (uint64_t i = 0; i < blob_chunk_count(blob.size()); ++i) {
            wire::GetBlobChunk m;
            m.set_root(hash_to_field(root));
            m.set_index(i);
            raw.send_message(raw_id, m);
        }
        settle(net, {&a});
        size_t served = 0, busy = 0;
        for (const auto& c : raw.take<wire::BlobChunk>()) {
            if (!c.chunk().empty()) {
                auto p = verifier::ChunkProof{c.blob_size(),
                                              c.index(),
                                              Bytes(c.chunk().begin(), c.chunk().end()),
                                              *hash_from_field(c.chunks_root()),
                                              {}};
                for (const auto& s : c.path()) p.path.push_back(*hash_from_field(s));
                CHECK(verifier::verify_chunk_proof(root, p));
                ++served;
            } else {
                CHECK(c.blob_size() == blob.size());  // busy, not "not held"
                ++busy;
            }
        }
        return std::pair{served, busy};
    };
    const size_t burst = kBlobServeBurstBytes / kChunkBytes;
    auto [served, busy] = ask_all();
    CHECK(served == burst);
    CHECK(busy == blob_chunk_count(blob.size()) - burst);

    // A second later the bucket holds a second's worth (capped at the burst) again.
    clocks.p2p_ms += 1000;
    std::tie(served, busy) = ask_all();
    CHECK(served == std::min<uint64_t>(burst, kBlobServeBytesPerSecond / kChunkBytes));

    // A peer that does not read what it was sent gets nothing, whatever its bucket holds.
    clocks.p2p_ms += 10'000;
    a.port.queued_bytes = kMaxBlobServeQueueBytes;
    std::tie(served, busy) = ask_all();
    CHECK(served == 0);
    a.port.queued_bytes = 0;
    CHECK(a.discouraged_reason().empty());
}

TEST_CASE("a chunk of a blob nobody holds is answered as not held") {
    MemoryNetwork net;
    Clocks clocks;
    BlobNode a(net, clocks, "blob-nh-a", 1);
    Port& raw = net.add_port();
    const PeerId raw_id = handshake_raw(net, raw, a);
    raw.received.clear();
    wire::GetBlobChunk m;
    m.set_root(hash_to_field(blob_root(blob_of(10, 1))));
    raw.send_message(raw_id, m);
    settle(net, {&a});
    auto answers = raw.take<wire::BlobChunk>();
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].chunk().empty());
    CHECK(answers[0].blob_size() == 0);
}

TEST_CASE("blob chunks nobody asked for are a flood past the limit") {
    MemoryNetwork net;
    Clocks clocks;
    BlobNode c(net, clocks, "blob-flood-c", 3);
    Port& raw = net.add_port();
    const PeerId raw_id = handshake_raw(net, raw, c);
    const Bytes blob = blob_of(kChunkBytes, 2);
    const wire::BlobChunk m = chunk_of(blob, 0);
    for (uint32_t i = 0; i < kMaxUnrequestedBlobChunks; ++i) raw.send_message(raw_id, m);
    settle(net, {&c});
    CHECK(c.discouraged_reason().empty());
    raw.send_message(raw_id, m);
    settle(net, {&c});
    CHECK(c.discouraged_for(codes::kUnrequestedBlobChunks));
    CHECK(!c.store->info(blob_root(blob)));  // nothing unasked is stored
}

TEST_CASE("findblob: held, fetched from a peer while the caller polls, or not found") {
    using nlohmann::json;
    MemoryNetwork net;
    Clocks clocks;
    BlobNode a(net, clocks, "blob-rpc-a", 1), c(net, clocks, "blob-rpc-c", 3);
    const Bytes blob = blob_of(5 * kChunkBytes, 11), own = blob_of(100, 12);
    a.put(blob);
    c.put(own);
    net.connect(c.port, a.port);
    settle(net, {&a, &c});
    RpcDispatcher d;
    register_blob_methods(d, *c.store, *c.node.chain, &c.pm->blob_fetcher());
    auto find = [&](const json& params) {
        int status = 0;
        json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", rpc::kFindBlob}, {"params", params}};
        return json::parse(d.handle(req.dump(), false, status));
    };

    // Held here: answered at once, no fetch.
    auto held = find({{"blob_root", to_hex(blob_root(own))}})["result"];
    CHECK(held["state"] == rpc::kBlobComplete);
    CHECK(held["complete"] == true);
    CHECK(held["fetching"] == false);

    // Lacking: a fetch starts; polling reports progress until it is complete.
    const json by_root = {{"blob_root", to_hex(blob_root(blob))}};
    auto first = find(by_root)["result"];
    CHECK(first["state"] == rpc::kBlobAsking);
    CHECK(first["fetching"] == true);
    json last = json::object();
    for (int i = 0; i < 50 && last.value("complete", false) == false; ++i) {
        settle(net, {&a, &c});
        clocks.p2p_ms += 100;
        last = find(by_root)["result"];
    }
    CHECK(last["complete"] == true);
    CHECK(last["blob_size"] == blob.size());
    CHECK(c.store->info(blob_root(blob))->complete());

    // Nobody has it: blob-not-found once the peers have answered.
    const json missing = {{"blob_root", to_hex(blob_root(blob_of(7, 13)))}};
    CHECK(find(missing)["result"]["fetching"] == true);
    json err;
    for (int i = 0; i < 50 && err.is_null(); ++i) {
        settle(net, {&a, &c});
        clocks.p2p_ms += 100;
        auto r = find(missing);
        if (r.contains("error")) err = r["error"];
    }
    CHECK(err["code"] == rpc::kErrNotFound);
    CHECK(err["data"]["code"] == std::string(rpc::codes::kBlobNotFound.name));

    // Names the chain cannot check yet, and malformed requests.
    auto unknown = find({{"task_id", to_hex(Hash256{})}, {"round", 0}, {"unit", 0}, {"leaf", 1}});
    CHECK(unknown["error"]["code"] == rpc::kErrNotFound);
    CHECK(unknown["error"]["data"]["code"] == std::string(consensus::codes::kUnknownTask.name));
    CHECK(find({{"blob_root", to_hex(Hash256{})},
                {"dataset_root", to_hex(Hash256{})}})["error"]["code"] == rpc::kErrInvalidParams);
}

TEST_CASE("findblob without P2P: a blob the node lacks is not found") {
    using nlohmann::json;
    MemoryNetwork net;
    Clocks clocks;
    BlobNode c(net, clocks, "blob-rpc-off", 3);
    RpcDispatcher d;
    register_blob_methods(d, *c.store, *c.node.chain, nullptr);
    int status = 0;
    json req = {{"jsonrpc", "2.0"},
                {"id", 1},
                {"method", rpc::kFindBlob},
                {"params", {{"blob_root", to_hex(blob_root(blob_of(9, 1)))}}}};
    auto r = json::parse(d.handle(req.dump(), false, status));
    CHECK(r["error"]["code"] == rpc::kErrNotFound);
    CHECK(r["error"]["data"]["code"] == std::string(rpc::codes::kBlobNotFound.name));
}

TEST_CASE("findblob without P2P: a partly held blob answers partial, with its missing chunks") {
    using nlohmann::json;
    MemoryNetwork net;
    Clocks clocks;
    BlobNode c(net, clocks, "blob-rpc-partial", 3);
    const Bytes blob = blob_of(3 * kChunkBytes + 5, 4);
    const Hash256 root = blob_root(blob);
    auto proof = verifier::make_chunk_proof(blob, 1);
    REQUIRE(proof.ok());
    REQUIRE(c.store->put_chunk(root, *proof).ok());  // as an answered DataResponse leaves it
    RpcDispatcher d;
    register_blob_methods(d, *c.store, *c.node.chain, nullptr);
    int status = 0;
    json req = {{"jsonrpc", "2.0"},
                {"id", 1},
                {"method", rpc::kFindBlob},
                {"params", {{"blob_root", to_hex(root)}}}};
    const json r = json::parse(d.handle(req.dump(), false, status))["result"];
    CHECK(r["state"] == rpc::kBlobPartial);
    CHECK(r["complete"] == false);
    CHECK(r["fetching"] == false);
    CHECK(r["blob_root"] == to_hex(root));
    CHECK(r["missing"] == json::array({0, 2, 3}));
}

TEST_CASE("results nobody reads do not keep new fetches out") {
    MemoryNetwork net;
    Clocks clocks;
    BlobNode a(net, clocks, "blob-unread-a", 1), b(net, clocks, "blob-unread-b", 2);
    std::vector<Hash256> roots;
    for (uint8_t i = 0; i < kMaxActiveBlobFetches + 4; ++i) {
        const Bytes blob = blob_of(kChunkBytes - 1 - i, i);  // one chunk each
        a.put(blob);
        roots.push_back(blob_root(blob));
    }
    net.connect(b.port, a.port);
    settle(net, {&a, &b});
    // Each fetch is started and runs to its end, but nobody asks for its result again (as an
    // agent that found the blob in the store meanwhile).
    for (const Hash256& root : roots) {
        auto started = b.fetch(name_by_root(root));
        REQUIRE(started.ok());
        for (int i = 0; i < 20 && b.have(root) == 0; ++i) {
            settle(net, {&a, &b});
            clocks.p2p_ms += 100;
        }
        CHECK(b.have(root) == 1);
    }
}

// A liar that claims a blob whole and then serves nothing (silent, or "busy" forever) must not
// keep the fetch, and the agent polling findblob, from ending: it stops counting as a holder.
TEST_CASE("a holder that never delivers a chunk stops counting after kBlobHolderStallS") {
    const bool busy = GENERATE(false, true);
    MemoryNetwork net;
    Clocks clocks;
    BlobNode c(net, clocks, busy ? "blob-stall-busy" : "blob-stall-silent", 3);
    Port& raw = net.add_port();
    const PeerId raw_id = handshake_raw(net, raw, c);
    const Bytes blob = blob_of(3 * kChunkBytes, 9);
    const wire::BlobName name = name_by_root(blob_root(blob));
    REQUIRE(c.fetch(name).ok());
    settle(net, {&c});
    auto asked = raw.take<wire::GetBlobInfo>();
    REQUIRE(asked.size() == 1);
    raw.send_message(raw_id, claim_of(asked[0].names(0), blob));
    settle(net, {&c});

    const auto state_after = [&](uint64_t ms) {
        for (uint64_t t = 0; t < ms; t += kBlobBusyBackoffMs) {
            clocks.p2p_ms += kBlobBusyBackoffMs;
            settle(net, {&c});
            for (const wire::GetBlobChunk& r : raw.take<wire::GetBlobChunk>()) {
                if (!busy) continue;
                wire::BlobChunk refusal;
                refusal.set_root(r.root());
                refusal.set_index(r.index());
                refusal.set_blob_size(blob.size());
                refusal.set_chunks_root(hash_to_field(verifier::make_chunk_proof(blob, 0)->chunks_root));
                raw.send_message(raw_id, refusal);
            }
            settle(net, {&c});
        }
        auto p = c.fetch(name);
        REQUIRE(p.ok());
        INFO(p->error.to_string());
        return p->state;
    };
    // Still a holder just before the limit (the chunk timeout alone re-asks, it does not end).
    CHECK(state_after(kBlobHolderStallS * 1000 - 2 * kBlobBusyBackoffMs) == State::kFetching);
    CHECK(state_after(2 * kBlobBusyBackoffMs) == State::kNotFound);
    CHECK(c.have(blob_root(blob)) == 0);
    INFO(c.discouraged_reason());
    CHECK(c.discouraged_reason().empty());  // not punished: it may have pruned it meanwhile
}
