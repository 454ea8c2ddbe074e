// step-wallet blob put/get against a scripted node on a loopback socket: uploads send only the
// chunks the node lacks, with proofs that verify; downloads refuse a chunk that does not prove
// into the root asked for and then write nothing.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <nlohmann/json.hpp>

#include "common/merkle.h"
#include "loopback_server.h"
#include "temp_dir.h"
#include "verifier/proofs.h"
#include "wallet/app.h"
#include "wallet/secure_file.h"
#include "wallet/errors.h"
#include "common/rpc_errors.h"
#include "consensus/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::wallet;
using namespace step::wallet::testing;
using nlohmann::json;

namespace {

class NoTerminal : public Terminal {
public:
    bool interactive() const override { return false; }
    Result<std::string> read_secret(const std::string&) override { return Status::error(step::wallet::codes::kNoTty, "none"); }
    Result<bool> confirm(const std::string&) override { return Status::error(step::wallet::codes::kNoTty, "none"); }
};

Bytes sample(size_t n) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i * 31 + i / 7) & 0xff);
    return b;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A node holding `blob` with the chunks in `have`; getblobchunk serves make_chunk_proof's answer,
// with chunk `tamper` (when set) altered by one bit.
class BlobNode {
public:
    BlobNode(Bytes blob, std::vector<bool> have) : blob_(std::move(blob)), have_(std::move(have)),
          server_([this](const std::string& raw) { return answer(raw); }) {}
    std::string url() const { return server_.url(); }
    std::optional<uint64_t> tamper;
    std::vector<json> puts;  // putblobchunk params, in order
    bool puts_authed = true;

private:
    std::string answer(const std::string& raw) {
        json req = json::parse(raw.substr(raw.find("\r\n\r\n") + 4));
        std::lock_guard<std::mutex> lock(mu_);
        const std::string method = req["method"];
        const json& params = req["params"];
        json reply = {{"jsonrpc", "2.0"}, {"id", req["id"]}};
        const uint64_t chunks = blob_chunk_count(blob_.size());
        if (method == "getblobinfo") {
            json missing = json::array();
            uint64_t have = 0;
            for (uint64_t i = 0; i < chunks; ++i) have_[i] ? ++have : (missing.push_back(i), 0);
            reply["result"] = {{"blob_root", to_hex(blob_root(blob_))}, {"blob_size", blob_.size()},
                               {"chunks", chunks}, {"have", have}, {"complete", have == chunks},
                               {"missing", missing}};
        } else if (method == "putblobchunk") {
            puts.push_back(params);
            puts_authed = puts_authed && raw.find("Authorization: Basic") != std::string::npos;
            const uint64_t i = params["index"];
            const bool was = have_[i];
            have_[i] = true;
            reply["result"] = {{"stored", !was}, {"index", i}};
        } else if (method == "getblobchunk") {
            auto p = verifier::make_chunk_proof(blob_, params["index"].get<uint64_t>());
            if (tamper && *tamper == p->index) p->chunk[0] ^= 1;
            json proof = json::array();
            for (const auto& h : p->path) proof.push_back(to_hex(h));
            reply["result"] = {{"blob_root", params["blob_root"]}, {"blob_size", p->blob_size},
                               {"chunks_root", to_hex(p->chunks_root)}, {"index", p->index},
                               {"chunk", to_hex(p->chunk)}, {"proof", proof}};
        }
        return LoopbackHttpServer::json_response(reply.dump());
    }
    Bytes blob_;
    std::vector<bool> have_;
    std::mutex mu_;
    LoopbackHttpServer server_;
};

struct Run {
    int code;
    std::string out, err;
};

Run run_blob_wallet(const TempDir& tmp, const BlobNode& node, std::vector<std::string> args) {
    const std::string cookie = tmp.sub("cookie");
    REQUIRE(atomic_write_file(cookie, "__cookie__:" + std::string(64, 'c'), 0600, WriteMode::kReplace).ok());
    args.insert(args.end(), {"--rpc", node.url(), "--cookie", cookie, "--output", "json"});
    NoTerminal t;
    std::ostringstream out, err;
    int code = run_wallet(args, t, out, err);
    return Run{code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("blob put uploads only the chunks the node lacks, each with a proof that verifies") {
    TempDir tmp;
    const Bytes blob = sample(3 * kChunkBytes + 123);
    const Hash256 root = blob_root(blob);
    const std::string file = tmp.sub("data.bin");
    REQUIRE(atomic_write_file(file, std::string(blob.begin(), blob.end()), 0644, WriteMode::kReplace).ok());
    BlobNode node(blob, {true, false, true, false});
    Run r = run_blob_wallet(tmp, node, {"blob", "put", file});
    INFO(r.err);
    REQUIRE(r.code == 0);
    const json out = json::parse(r.out);
    CHECK(out["blob_root"] == to_hex(root));
    CHECK(out["uploaded"] == 2);
    CHECK(out["already_stored"] == 2);
    REQUIRE(node.puts.size() == 2);
    CHECK(node.puts_authed);
    for (const json& p : node.puts) {
        verifier::ChunkProof proof;
        proof.blob_size = p["blob_size"];
        proof.index = p["index"];
        proof.chunk = *from_hex(p["chunk"].get<std::string>());
        proof.chunks_root = *hash_from_hex(p["chunks_root"].get<std::string>());
        for (const auto& h : p["proof"]) proof.path.push_back(*hash_from_hex(h.get<std::string>()));
        CHECK(verifier::verify_chunk_proof(root, proof));
        CHECK(p["blob_root"] == to_hex(root));
    }
    CHECK(node.puts[0]["index"] == 1);
    CHECK(node.puts[1]["index"] == 3);
    CHECK(node.puts[1]["chunk"].get<std::string>().size() == 2 * 123);
}

TEST_CASE("blob put refuses an empty file before contacting the node") {
    TempDir tmp;
    const std::string file = tmp.sub("empty");
    REQUIRE(atomic_write_file(file, "", 0644, WriteMode::kReplace).ok());
    BlobNode node(sample(10), {false});
    Run r = run_blob_wallet(tmp, node, {"blob", "put", file});
    CHECK(r.code == 1);
    CHECK(json::parse(r.err)["error"]["code"] == name_of(step::rpc::codes::kEmptyBlob));
    CHECK(node.puts.empty());
}

TEST_CASE("blob get verifies every chunk and writes nothing when one does not prove") {
    TempDir tmp;
    const Bytes blob = sample(2 * kChunkBytes + 5);
    const std::string root = to_hex(blob_root(blob));
    BlobNode node(blob, {true, true, true});
    const std::string out_file = tmp.sub("out.bin");

    Run ok = run_blob_wallet(tmp, node, {"blob", "get", root, out_file});
    INFO(ok.err);
    REQUIRE(ok.code == 0);
    CHECK(read_all(out_file) == std::string(blob.begin(), blob.end()));

    REQUIRE(atomic_write_file(out_file, "old contents", 0644, WriteMode::kReplace).ok());
    node.tamper = 2;
    Run bad = run_blob_wallet(tmp, node, {"blob", "get", root, out_file});
    CHECK(bad.code == 1);
    CHECK(json::parse(bad.err)["error"]["code"] == name_of(step::consensus::codes::kBadChunkProof));
    CHECK(read_all(out_file) == "old contents");  // the earlier file is untouched

    CHECK(run_blob_wallet(tmp, node, {"blob", "get", "nothex", out_file}).code == 2);
}
