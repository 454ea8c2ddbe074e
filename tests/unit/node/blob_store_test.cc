// The blob store on a real LevelDB in a temporary directory: chunks verified before they are
// stored, proofs rebuilt from stored hashes, limits with their codes, pruning, and the RPC layer.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "node/answered_chunks.h"
#include "node/rpc/blob_methods.h"
#include "node/storage/blob_store.h"
#include "node/storage/block_store.h"
#include "node/storage/database.h"
#include "verifier/proofs.h"
#include "verifier/errors.h"
#include "consensus/errors.h"
#include "node/errors.h"
#include "common/rpc_errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::node;
using nlohmann::json;

namespace {

struct TempDb {
    explicit TempDb(const std::string& name)
        : dir((std::filesystem::temp_directory_path() /
               ("step-blob-test-" + name + "-" + std::to_string(::getpid())))
                  .string()) {
        std::filesystem::remove_all(dir);
        auto opened = Database::open(dir);
        REQUIRE(opened.ok());
        db = std::move(*opened);
    }
    ~TempDb() {
        db.reset();
        std::filesystem::remove_all(dir);
    }
    // Every key under one prefix byte.
    size_t count(uint8_t prefix) const {
        size_t n = 0;
        db->scan(Bytes{prefix}, [&](ByteSpan, ByteSpan) { return ++n, true; });
        return n;
    }
    std::string dir;
    std::unique_ptr<Database> db;
};

// A deterministic blob: 3 full chunks and a short last one (1,000 bytes).
Bytes sample_blob(size_t size = 3 * kChunkBytes + 1000, uint8_t seed = 7) {
    Bytes b(size);
    uint32_t x = seed;
    for (auto& v : b) {
        x = x * 1103515245u + 12345u;
        v = static_cast<uint8_t>(x >> 16);
    }
    return b;
}

verifier::ChunkProof proof_of(const Bytes& blob, uint64_t index) {
    auto p = verifier::make_chunk_proof(blob, index);
    REQUIRE(p.ok());
    return *p;
}

std::unique_ptr<BlobStore> open_store(Database& db, BlobLimits limits = {}) {
    auto s = BlobStore::open(db, limits);
    REQUIRE(s.ok());
    return std::move(*s);
}

}  // namespace

TEST_CASE("blob store: stores every chunk and serves each with a proof that verifies") {
    TempDb t("roundtrip");
    auto store = open_store(*t.db);
    const Bytes blob = sample_blob();
    const Hash256 root = blob_root(blob);
    const uint64_t chunks = blob_chunk_count(blob.size());
    REQUIRE(chunks == 4);

    // Out of order, so completeness does not depend on arrival order.
    for (uint64_t i : {2u, 0u, 3u, 1u}) {
        auto put = store->put_chunk(root, proof_of(blob, i));
        REQUIRE(put.ok());
        CHECK(put->stored);
        CHECK(put->info.complete() == (i == 1));
    }
    auto info = store->info(root);
    REQUIRE(info);
    CHECK(info->size == blob.size());
    CHECK(info->have == chunks);
    CHECK(store->missing(root, 100).empty());
    CHECK(store->reserved_bytes() == blob.size());

    Bytes rebuilt;
    for (uint64_t i = 0; i < chunks; ++i) {
        auto served = store->get_chunk(root, i);
        REQUIRE(served.ok());
        CHECK(verifier::verify_chunk_proof(root, *served));
        CHECK(*served == proof_of(blob, i));
        rebuilt.insert(rebuilt.end(), served->chunk.begin(), served->chunk.end());
    }
    CHECK(rebuilt == blob);
    // The last chunk is the short remainder.
    CHECK(store->get_chunk(root, 3)->chunk.size() == 1000);
    CHECK(store->get_chunk(root, 4).status() == step::verifier::codes::kBadChunkIndex);

    // A chunk sent again is accepted without a write.
    auto again = store->put_chunk(root, proof_of(blob, 0));
    REQUIRE(again.ok());
    CHECK_FALSE(again->stored);
    CHECK(again->info.have == chunks);
}

TEST_CASE("blob store: a blob of one short chunk round-trips") {
    TempDb t("single");
    auto store = open_store(*t.db);
    const Bytes blob = sample_blob(10);
    const Hash256 root = blob_root(blob);
    auto put = store->put_chunk(root, proof_of(blob, 0));
    REQUIRE(put.ok());
    CHECK(put->info.complete());
    auto served = store->get_chunk(root, 0);
    REQUIRE(served.ok());
    CHECK(served->chunk == blob);
    CHECK(served->path.empty());
    CHECK(verifier::verify_chunk_proof(root, *served));
}

TEST_CASE("blob store: a chunk with a bad proof is refused and nothing is stored") {
    TempDb t("badproof");
    auto store = open_store(*t.db);
    const Bytes blob = sample_blob();
    const Hash256 root = blob_root(blob);

    auto flipped = proof_of(blob, 1);
    flipped.chunk[100] ^= 1;
    CHECK(store->put_chunk(root, flipped).status() == step::consensus::codes::kBadChunkProof);

    auto wrong_path = proof_of(blob, 1);
    wrong_path.path[0][0] ^= 1;
    CHECK(store->put_chunk(root, wrong_path).status() == step::consensus::codes::kBadChunkProof);

    // A valid chunk of another blob, offered under this root.
    const Bytes other = sample_blob(blob.size(), 9);
    CHECK(store->put_chunk(root, proof_of(other, 1)).status() == step::consensus::codes::kBadChunkProof);

    // The last chunk padded to full length, and a full chunk truncated.
    auto padded = proof_of(blob, 3);
    padded.chunk.resize(kChunkBytes);
    CHECK(store->put_chunk(root, padded).status() == step::consensus::codes::kBadChunkProof);
    auto shifted = proof_of(blob, 2);
    shifted.index = 1;
    CHECK(store->put_chunk(root, shifted).status() == step::consensus::codes::kBadChunkProof);

    CHECK_FALSE(store->info(root));
    CHECK(t.count(keys::kBlob) == 0);
    CHECK(t.count(keys::kBlobChunk) == 0);
    CHECK(t.count(keys::kBlobChunkHash) == 0);
    CHECK(store->reserved_bytes() == 0);

    // With the blob started, a bad chunk still changes nothing.
    REQUIRE(store->put_chunk(root, proof_of(blob, 0)).ok());
    CHECK(store->put_chunk(root, flipped).status() == step::consensus::codes::kBadChunkProof);
    CHECK(store->info(root)->have == 1);
    CHECK(t.count(keys::kBlobChunk) == 1);
}

TEST_CASE("blob store: limits are enforced with their codes") {
    TempDb t("limits");
    BlobLimits limits;
    limits.max_blob_bytes = 2 * kChunkBytes;
    limits.max_total_bytes = 3 * kChunkBytes;
    auto store = open_store(*t.db, limits);

    const Bytes big = sample_blob(2 * kChunkBytes + 1);
    CHECK(store->put_chunk(blob_root(big), proof_of(big, 0)).status() == step::rpc::codes::kBlobTooLarge);

    // A proof claiming size 0 (no chunk exists to prove).
    verifier::ChunkProof empty;
    CHECK(store->put_chunk(blob_root(Bytes{}), empty).status() == step::rpc::codes::kEmptyBlob);

    const Bytes a = sample_blob(2 * kChunkBytes, 1);  // reserves 2 of 3 chunks' worth
    REQUIRE(store->put_chunk(blob_root(a), proof_of(a, 0)).ok());
    auto idx = proof_of(a, 1);
    idx.index = 2;
    CHECK(store->put_chunk(blob_root(a), idx).status() == step::verifier::codes::kBadChunkIndex);

    const Bytes b = sample_blob(kChunkBytes + 1, 2);  // would need 2 more
    CHECK(store->put_chunk(blob_root(b), proof_of(b, 0)).status() == step::node::codes::kBlobStoreFull);
    CHECK_FALSE(store->info(blob_root(b)));
    // The reservation covers the rest of `a`: its remaining chunk is still accepted.
    REQUIRE(store->put_chunk(blob_root(a), proof_of(a, 1)).ok());
    const Bytes c = sample_blob(kChunkBytes, 3);  // exactly what is left
    REQUIRE(store->put_chunk(blob_root(c), proof_of(c, 0)).ok());
    CHECK(store->reserved_bytes() == 3 * kChunkBytes);

    // Pruning frees the room.
    REQUIRE(store->prune(blob_root(a)).ok());
    CHECK(store->put_chunk(blob_root(b), proof_of(b, 0)).ok());
}

TEST_CASE("blob store: prune removes the record, every chunk and every hash") {
    TempDb t("prune");
    auto store = open_store(*t.db);
    const Bytes keep = sample_blob(kChunkBytes + 5, 4);
    const Bytes gone = sample_blob();
    for (uint64_t i = 0; i < 2; ++i) REQUIRE(store->put_chunk(blob_root(keep), proof_of(keep, i)).ok());
    // A partial blob: chunks 0 and 2 of 4.
    for (uint64_t i : {0u, 2u}) REQUIRE(store->put_chunk(blob_root(gone), proof_of(gone, i)).ok());
    CHECK(store->missing(blob_root(gone), 10) == std::vector<uint64_t>{1, 3});
    CHECK(store->missing(blob_root(gone), 1) == std::vector<uint64_t>{1});
    CHECK(store->get_chunk(blob_root(gone), 0).status() == step::rpc::codes::kBlobIncomplete);

    auto freed = store->prune(blob_root(gone));
    REQUIRE(freed.ok());
    CHECK(*freed == gone.size());
    CHECK_FALSE(store->info(blob_root(gone)));
    CHECK(store->get_chunk(blob_root(gone), 0).status() == step::rpc::codes::kUnknownBlob);
    CHECK(store->prune(blob_root(gone)).status() == step::rpc::codes::kUnknownBlob);
    CHECK(t.count(keys::kBlob) == 1);
    CHECK(t.count(keys::kBlobChunk) == 2);
    CHECK(t.count(keys::kBlobChunkHash) == 2);
    CHECK(store->reserved_bytes() == keep.size());
    CHECK(store->get_chunk(blob_root(keep), 1).ok());
}

TEST_CASE("blob store: a reopened store keeps partial blobs and their reservation") {
    TempDb t("reopen");
    const Bytes blob = sample_blob();
    const Hash256 root = blob_root(blob);
    {
        auto store = open_store(*t.db);
        for (uint64_t i : {0u, 1u}) REQUIRE(store->put_chunk(root, proof_of(blob, i)).ok());
    }
    auto store = open_store(*t.db);
    CHECK(store->reserved_bytes() == blob.size());
    CHECK(store->missing(root, 10) == std::vector<uint64_t>{2, 3});
    for (uint64_t i : {2u, 3u}) REQUIRE(store->put_chunk(root, proof_of(blob, i)).ok());
    CHECK(store->info(root)->complete());
    CHECK(verifier::verify_chunk_proof(root, *store->get_chunk(root, 3)));
}

TEST_CASE("blob RPC: put, info, get, list and prune through the dispatcher") {
    TempDb t("rpc");
    auto store = open_store(*t.db);
    RpcDispatcher d;
    register_blob_methods(d, *store);
    auto call = [&](const std::string& method, const json& params, bool auth = true) {
        int status = 0;
        json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
        return json::parse(d.handle(req.dump(), auth, status));
    };
    const Bytes blob = sample_blob(kChunkBytes + 77);
    const Hash256 root = blob_root(blob);
    auto put_params = [&](uint64_t i) {
        auto p = proof_of(blob, i);
        json proof = json::array();
        for (const auto& h : p.path) proof.push_back(to_hex(h));
        return json{{"blob_root", to_hex(root)}, {"blob_size", p.blob_size},
                    {"chunks_root", to_hex(p.chunks_root)}, {"index", i},
                    {"chunk", to_hex(p.chunk)}, {"proof", proof}};
    };

    CHECK(call(rpc::kPutBlobChunk, put_params(0), false)["error"]["code"] == rpc::kErrUnauthorized);
    auto unknown = call(rpc::kGetBlobInfo, {{"blob_root", to_hex(root)}}, false);
    CHECK(unknown["error"]["code"] == rpc::kErrNotFound);
    CHECK(unknown["error"]["data"]["code"] == name_of(step::rpc::codes::kUnknownBlob));

    auto bad = put_params(1);
    bad["chunk"] = to_hex(Bytes(77, 0));
    auto refused = call(rpc::kPutBlobChunk, bad);
    CHECK(refused["error"]["code"] == rpc::kErrBlobRejected);
    CHECK(refused["error"]["data"]["code"] == name_of(step::consensus::codes::kBadChunkProof));

    auto first = call(rpc::kPutBlobChunk, put_params(1))["result"];
    CHECK(first["have"] == 1);
    CHECK(first["complete"] == false);
    auto info = call(rpc::kGetBlobInfo, {{"blob_root", to_hex(root)}}, false)["result"];
    CHECK(info["missing"] == json::array({0}));
    CHECK(info["blob_size"] == blob.size());
    CHECK(call(rpc::kGetBlobChunk, {{"blob_root", to_hex(root)}, {"index", 1}}, false)["error"]["data"]["code"] ==
          name_of(step::rpc::codes::kBlobIncomplete));
    CHECK(call(rpc::kPutBlobChunk, put_params(0))["result"]["complete"] == true);
    auto past_end = call(rpc::kGetBlobChunk, {{"blob_root", to_hex(root)}, {"index", 2}}, false)["error"];
    CHECK(past_end["code"] == rpc::kErrNotFound);
    CHECK(past_end["data"]["code"] == name_of(step::verifier::codes::kBadChunkIndex));

    // The served fields are exactly a ChunkProof that verifies against the root.
    auto served = call(rpc::kGetBlobChunk, {{"blob_root", to_hex(root)}, {"index", 1}}, false)["result"];
    verifier::ChunkProof p;
    p.blob_size = served["blob_size"].get<uint64_t>();
    p.index = served["index"].get<uint64_t>();
    p.chunk = *from_hex(served["chunk"].get<std::string>());
    p.chunks_root = *hash_from_hex(served["chunks_root"].get<std::string>());
    for (const auto& h : served["proof"]) p.path.push_back(*hash_from_hex(h.get<std::string>()));
    CHECK(verifier::verify_chunk_proof(root, p));
    CHECK(p.chunk.size() == 77);

    auto listed = call(rpc::kListBlobs, json::object(), false)["result"];
    REQUIRE(listed["blobs"].size() == 1);
    CHECK(listed["blobs"][0]["blob_root"] == to_hex(root));
    CHECK(listed["reserved_bytes"] == blob.size());
    CHECK(call(rpc::kListBlobs, {{"limit", 1}}, false)["result"]["blobs"].size() == 1);
    // A page size outside 1..max is refused, as listtasks refuses it.
    for (const json& limit : {json(0), json(rpc::kMaxListBlobs + 1), json(-1), json("5")})
        CHECK(call(rpc::kListBlobs, {{"limit", limit}}, false)["error"]["code"] == rpc::kErrInvalidParams);

    CHECK(call(rpc::kPruneBlob, {{"blob_root", to_hex(root)}}, false)["error"]["code"] == rpc::kErrUnauthorized);
    CHECK(call(rpc::kPruneBlob, {{"blob_root", to_hex(root)}})["result"]["freed_bytes"] == blob.size());
    CHECK(call(rpc::kGetBlobChunk, {{"blob_root", to_hex(root)}, {"index", 0}}, false)["error"]["data"]["code"] ==
          name_of(step::rpc::codes::kUnknownBlob));
    CHECK(call(rpc::kGetBlobInfo, {{"blob_root", "zz"}}, false)["error"]["code"] == rpc::kErrInvalidParams);
}

namespace {

// A block transaction carrying chunk `index` of `blob` as a DataResponse of `kind`.
pb::Transaction response_of(const Bytes& blob, uint64_t index, pb::DataKind kind) {
    const verifier::ChunkProof p = proof_of(blob, index);
    const Hash256 root = blob_root(blob);
    pb::Transaction tx;
    auto* r = tx.mutable_data_response();
    r->set_kind(kind);
    r->set_blob_root(root.data(), root.size());
    r->set_chunk_index(index);
    r->set_blob_size(p.blob_size);
    r->set_chunks_root(p.chunks_root.data(), p.chunks_root.size());
    r->set_chunk(p.chunk.data(), p.chunk.size());
    for (const auto& h : p.path) r->add_proof(h.data(), h.size());
    return tx;
}

}  // namespace

TEST_CASE("blob store: a block's answered chunks are stored, other transactions ignored") {
    TempDb t("answered");
    auto store = open_store(*t.db);
    const Bytes blob = sample_blob();
    const Hash256 root = blob_root(blob);
    pb::Block block;
    *block.add_transactions() = response_of(blob, 2, pb::DATA_CHECKPOINT);
    *block.add_transactions() = response_of(blob, 3, pb::DATA_FINAL_STATE);
    *block.add_transactions() = response_of(blob, 0, pb::DATA_DATASET);  // a record, not a chunk
    pb::Transaction bad = response_of(blob, 1, pb::DATA_CHECKPOINT);
    bad.mutable_data_response()->set_chunks_root("short");
    *block.add_transactions() = bad;
    block.add_transactions()->mutable_transfer();
    CHECK(store_answered_chunks(*store, block) == 2);
    auto info = store->info(root);
    REQUIRE(info);
    CHECK(info->have == 2);
    CHECK(store->missing(root, 10) == std::vector<uint64_t>{0, 1});
    // Connected again (a reorganisation back): already there, nothing changes.
    CHECK(store_answered_chunks(*store, block) == 2);
    CHECK(store->info(root)->have == 2);
}
