// Blobs between real stepd processes (issue 10, "Blobs"; docs/p2p.md): a node that lacks a blob
// fetches it from its peer when asked for it by name (findblob), by dataset root and by root.
// The chunks come over P2P: the node's counters show them and nothing was uploaded to it by RPC.
// A blob no peer holds ends in blob-not-found.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "common/merkle.h"
#include "common/rpc_errors.h"
#include "common/rpc_methods.h"
#include "kernels/data.h"
#include "tests/functional/p2p_bed.h"
#include "verifier/proofs.h"

using nlohmann::json;
using step::test::StepdProcess;

namespace {

const std::string kDatasetFile =
    std::string(STEP_SOURCE_DIR) + "/tests/fixtures/mnist-train-500.rec";

step::Bytes read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return step::Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void upload(const StepdProcess& node, const step::Bytes& blob) {
    for (uint64_t i = 0; i < step::blob_chunk_count(blob.size()); ++i) {
        auto p = step::verifier::make_chunk_proof(blob, i);
        REQUIRE(p.ok());
        json proof = json::array();
        for (const auto& h : p->path) proof.push_back(step::to_hex(h));
        node.result(step::rpc::kPutBlobChunk, {{"blob_root", step::to_hex(step::blob_root(blob))},
                                               {"blob_size", p->blob_size},
                                               {"chunks_root", step::to_hex(p->chunks_root)},
                                               {"index", i},
                                               {"chunk", step::to_hex(p->chunk)},
                                               {"proof", proof}});
    }
}

// Polls findblob for `name` until it answers `complete` (true) or an error (false, in `error`).
bool find_until_complete(const StepdProcess& node, const json& name, json* error = nullptr) {
    bool complete = false;
    step::test::wait_until([&] {
        const json r = node.call(step::rpc::kFindBlob, name, false);
        if (r.contains("error")) {
            if (error) *error = r["error"];
            return error != nullptr;  // a fetch ended: report it, or ask again
        }
        complete = r["result"]["complete"] == true;
        return complete;
    });
    return complete;
}

}  // namespace

TEST_CASE("p2p: findblob fetches blobs from a peer stepd by dataset root and by root", "[p2p]") {
    StepdProcess holder(step::test::make_temp_dir("p2p-blob-holder"));
    REQUIRE(holder.start());
    const step::Bytes dataset = read_file(kDatasetFile);
    step::Bytes state(3 * step::kChunkBytes + 5);
    for (size_t i = 0; i < state.size(); ++i) state[i] = static_cast<uint8_t>(i * 7);
    upload(holder, dataset);
    upload(holder, state);

    StepdProcess node(step::test::make_temp_dir("p2p-blob-node"));
    REQUIRE(node.start());
    node.result("addnode", {{"address", "127.0.0.1:" + std::to_string(holder.p2p_port())},
                            {"command", "onetry"}});

    step::kernels::Dataset ds{*step::kernels::record_format("mnist-u8"), dataset};
    REQUIRE(find_until_complete(node,
                                {{"dataset_root", step::to_hex(step::kernels::dataset_root(ds))}}));
    REQUIRE(find_until_complete(node, {{"blob_root", step::to_hex(step::blob_root(state))}}));
    const json held =
        node.result("getblobinfo", {{"blob_root", step::to_hex(step::blob_root(dataset))}});
    CHECK(held["complete"] == true);

    // Every chunk came over P2P (the counters are refreshed every 100 ms).
    const uint64_t chunks =
        step::blob_chunk_count(dataset.size()) + step::blob_chunk_count(state.size());
    CHECK(step::test::wait_until(
        [&] { return node.result("getnetworkinfo")["blob_chunks_received"] == chunks; }));
    CHECK(node.result("getnetworkinfo")["blobs_fetched"] == 2);
    CHECK(step::test::wait_until(
        [&] { return holder.result("getnetworkinfo")["blob_chunks_sent"] == chunks; }));

    // Nobody holds this one.
    json error;
    CHECK(!find_until_complete(node, {{"blob_root", step::to_hex(step::Hash256{})}}, &error));
    CHECK(error["code"] == step::rpc::kErrNotFound);
    CHECK(error["data"]["code"] == std::string(step::rpc::codes::kBlobNotFound.name));
}
