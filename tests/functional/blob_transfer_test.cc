// Blobs through a real stepd: step-wallet uploads a dataset file and downloads it back
// byte-identical; an upload cut off by SIGKILL resumes after a restart, sending only the missing
// chunks; a served chunk, carried in a DataResponse, passes the same proof check consensus runs.
#ifdef STEP_HAVE_WALLET

#include <csignal>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/merkle.h"
#include "consensus/proto/chain.pb.h"
#include "tests/functional/stepd_process.h"
#include "tests/functional/wallet_cli.h"
#include "verifier/proofs.h"
#include "common/rpc_errors.h"
#include "consensus/errors.h"
#include "tests/support/status_check.h"

using nlohmann::json;
using step::test::StepdProcess;

namespace {

const std::string kDatasetFile = std::string(STEP_SOURCE_DIR) + "/tests/fixtures/mnist-train-500.rec";

step::Bytes read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return step::Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

json put_params(const step::Bytes& blob, uint64_t index) {
    auto p = step::verifier::make_chunk_proof(blob, index);
    REQUIRE(p.ok());
    json proof = json::array();
    for (const auto& h : p->path) proof.push_back(step::to_hex(h));
    return {{"blob_root", step::to_hex(step::blob_root(blob))}, {"blob_size", p->blob_size},
            {"chunks_root", step::to_hex(p->chunks_root)}, {"index", index},
            {"chunk", step::to_hex(p->chunk)}, {"proof", proof}};
}

// Hex as the raw bytes a protobuf bytes field holds.
std::string raw(const std::string& hex) {
    auto b = step::from_hex(hex);
    REQUIRE(b);
    return std::string(b->begin(), b->end());
}

// The fields getblobchunk serves, pasted into a DataResponse, serialised and parsed back, then
// checked the way consensus/market_data.cc checks a response's chunk.
bool data_response_proves(const json& served) {
    step::pb::DataResponse dr;
    dr.set_blob_root(raw(served["blob_root"].get<std::string>()));
    dr.set_chunk_index(served["index"].get<uint64_t>());
    dr.set_chunk(raw(served["chunk"].get<std::string>()));
    for (const auto& h : served["proof"]) dr.add_proof(raw(h.get<std::string>()));
    dr.set_blob_size(served["blob_size"].get<uint64_t>());
    dr.set_chunks_root(raw(served["chunks_root"].get<std::string>()));
    dr.set_kind(step::pb::DATA_CHECKPOINT);
    step::pb::DataResponse wire;
    REQUIRE(wire.ParseFromString(dr.SerializeAsString()));

    step::verifier::ChunkProof proof;
    proof.blob_size = wire.blob_size();
    proof.index = wire.chunk_index();
    proof.chunk.assign(wire.chunk().begin(), wire.chunk().end());
    std::copy(wire.chunks_root().begin(), wire.chunks_root().end(), proof.chunks_root.begin());
    for (const auto& s : wire.proof()) {
        step::Hash256 h{};
        REQUIRE(s.size() == 32);
        std::copy(s.begin(), s.end(), h.begin());
        proof.path.push_back(h);
    }
    step::Hash256 root{};
    std::copy(wire.blob_root().begin(), wire.blob_root().end(), root.begin());
    return step::verifier::verify_chunk_proof(root, proof);
}

}  // namespace

TEST_CASE("step-wallet blob put and blob get move a dataset file through stepd byte-identical") {
    const std::string root = step::test::make_temp_dir("blob");
    StepdProcess node(root);
    REQUIRE(node.start());
    const step::test::WalletCli cli(node, root);
    const step::Bytes data = read_file(kDatasetFile);
    REQUIRE(data.size() == 392500);
    const std::string blob_root = step::to_hex(step::blob_root(data));

    auto put = cli.run({"blob", "put", kDatasetFile});
    INFO(put.out);
    REQUIRE(put.exit_code == 0);
    const json put_out = json::parse(put.out);
    CHECK(put_out["blob_root"] == blob_root);
    CHECK(put_out["chunks"] == 6);
    CHECK(put_out["uploaded"] == 6);
    const json info = node.result("getblobinfo", {{"blob_root", blob_root}});
    CHECK(info["complete"] == true);
    CHECK(info["have"] == 6);
    CHECK(info["blob_size"] == data.size());

    // A second put finds everything stored and sends nothing.
    auto again = cli.run({"blob", "put", kDatasetFile});
    REQUIRE(again.exit_code == 0);
    CHECK(json::parse(again.out)["uploaded"] == 0);

    const std::string out_file = root + "/downloaded.rec";
    auto get = cli.run({"blob", "get", blob_root, out_file});
    INFO(get.out);
    REQUIRE(get.exit_code == 0);
    CHECK(read_file(out_file) == data);

    // The last, short chunk (392500 - 5 * 65536 = 64820 bytes) answers a DataResponse check.
    const json served = node.result("getblobchunk", {{"blob_root", blob_root}, {"index", 5}});
    CHECK(served["chunk"].get<std::string>().size() == 2 * 64820);
    CHECK(data_response_proves(served));
    json tampered = served;
    tampered["index"] = 4;
    CHECK_FALSE(data_response_proves(tampered));

    // An unknown root downloads nothing and leaves no file.
    const std::string unknown = std::string(64, 'a');
    auto missing = cli.run({"blob", "get", unknown, root + "/nothing.rec"});
    CHECK(missing.exit_code == 1);
    CHECK_FALSE(std::filesystem::exists(root + "/nothing.rec"));

    CHECK(node.result("pruneblob", {{"blob_root", blob_root}})["freed_bytes"] == data.size());
    CHECK(node.call("getblobinfo", {{"blob_root", blob_root}}, false)["error"]["data"]["code"] == name_of(step::rpc::codes::kUnknownBlob));
    node.stop(SIGTERM);
    std::filesystem::remove_all(root);
}

TEST_CASE("an upload cut off by SIGKILL resumes after restart with only the missing chunks") {
    const std::string root = step::test::make_temp_dir("blob-crash");
    StepdProcess node(root);
    REQUIRE(node.start());
    const step::Bytes data = read_file(kDatasetFile);
    const std::string blob_root = step::to_hex(step::blob_root(data));
    for (uint64_t i : {0u, 2u, 5u}) {  // of 6
        const json r = node.result("putblobchunk", put_params(data, i));
        CHECK(r["stored"] == true);
    }
    // Refused without the cookie, and a chunk that does not prove is refused with its code.
    CHECK(node.call("putblobchunk", put_params(data, 1), false)["error"]["code"] == -32001);
    json bad = put_params(data, 1);
    bad["index"] = 3;
    CHECK(node.call("putblobchunk", bad)["error"]["data"]["code"] == name_of(step::consensus::codes::kBadChunkProof));
    node.stop(SIGKILL);

    REQUIRE(node.start());
    const json info = node.result("getblobinfo", {{"blob_root", blob_root}});
    CHECK(info["have"] == 3);
    CHECK(info["complete"] == false);
    CHECK(info["missing"] == json::array({1, 3, 4}));
    CHECK(node.call("getblobchunk", {{"blob_root", blob_root}, {"index", 0}}, false)["error"]["data"]["code"] ==
          name_of(step::rpc::codes::kBlobIncomplete));

    const step::test::WalletCli cli(node, root);
    auto put = cli.run({"blob", "put", kDatasetFile});
    INFO(put.out);
    REQUIRE(put.exit_code == 0);
    const json out = json::parse(put.out);
    CHECK(out["uploaded"] == 3);
    CHECK(out["already_stored"] == 3);
    CHECK(node.result("getblobinfo", {{"blob_root", blob_root}})["complete"] == true);

    const std::string out_file = root + "/resumed.rec";
    REQUIRE(cli.run({"blob", "get", blob_root, out_file}).exit_code == 0);
    CHECK(read_file(out_file) == data);
    node.stop(SIGTERM);
    std::filesystem::remove_all(root);
}

#endif  // STEP_HAVE_WALLET
