// fuzz-seeds SOURCE_DIR OUT_DIR: writes the seed corpora, OUT_DIR/<target>/seed-<what>, from real
// encodings made by the project's own encoders (signed transactions of every payload kind, the
// genesis blocks, a chunk proof, a fraud proof, record files, a key file, RPC requests, P2P
// frames and messages). Run by hand when a format changes; the output is committed under
// tests/fuzz/corpus/. Nothing here is random: the same tree writes the same seeds.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "common/hash.h"
#include "common/merkle.h"
#include "consensus/block.h"
#include "consensus/encoding.h"
#include "consensus/keys.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/task_spec.h"
#include "consensus/transaction.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "node/mempool_file.h"
#include "node/net/endpoint.h"
#include "node/net/framing.h"
#include "node/p2p/codec.h"
#include "node/p2p/peers_file.h"
#include "node/p2p/proto/p2p.pb.h"
#include "node/record_file.h"
#include "verifier/fraud_proof.h"
#include "verifier/proofs.h"
#include "wallet/keystore.h"

namespace fs = std::filesystem;
using namespace step;
namespace p2p = step::node::p2p;

namespace {

fs::path g_out;

void write(const std::string& target, const std::string& what, std::string_view bytes) {
    const fs::path dir = g_out / target;
    fs::create_directories(dir);
    std::ofstream(dir / ("seed-" + what), std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
void write(const std::string& target, const std::string& what, const Bytes& bytes) {
    write(target, what,
          std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}
Bytes cat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}
std::string str(const Bytes& b) {
    return std::string(b.begin(), b.end());
}
std::string str(const Hash256& h) {
    return std::string(h.begin(), h.end());
}
std::string read_text(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

const consensus::SecretSeed kSeed = {7, 7, 7};

pb::Transaction signed_tx(uint64_t nonce, const std::function<void(pb::Transaction&)>& payload) {
    pb::Transaction tx;
    tx.set_chain_id(consensus::devnet_params().chain_id);
    tx.set_nonce(nonce);
    tx.set_fee(consensus::devnet_params().min_fee);
    payload(tx);
    consensus::sign_transaction(tx, kSeed);
    return tx;
}

void set_unit(pb::UnitRef* u, uint32_t round, uint32_t unit) {
    u->set_task_id(std::string(32, '\x11'));
    u->set_round(round);
    u->set_unit(unit);
}

// A blob of one full chunk and a short one: the proof of the short chunk has a path.
const Bytes& blob() {
    static const Bytes b = [] {
        Bytes out(kChunkBytes + 40);
        for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 31);
        return out;
    }();
    return b;
}

std::vector<std::pair<std::string, pb::Transaction>> transactions(const pb::TaskSpec& spec) {
    std::vector<std::pair<std::string, pb::Transaction>> txs;
    txs.emplace_back("transfer", signed_tx(0, [](pb::Transaction& t) {
                         t.mutable_transfer()->set_to(std::string(20, '\x22'));
                         t.mutable_transfer()->set_amount(5000);
                     }));
    txs.emplace_back("bond", signed_tx(1, [](pb::Transaction& t) {
                         t.mutable_bond()->set_role(pb::BOND_ROLE_SOLVER);
                         t.mutable_bond()->set_amount(1000);
                     }));
    txs.emplace_back("unbond", signed_tx(2, [](pb::Transaction& t) {
                         t.mutable_unbond()->set_role(pb::BOND_ROLE_VERIFIER);
                         t.mutable_unbond()->set_amount(1);
                     }));
    txs.emplace_back("submit-task", signed_tx(3, [&](pb::Transaction& t) {
                         t.mutable_submit_task()->set_spec(str(consensus::encode_task_spec(spec)));
                         t.mutable_submit_task()->set_budget(6000000000);
                         t.mutable_submit_task()->set_unit_bond(5000000000);
                     }));
    txs.emplace_back("claim-unit", signed_tx(4, [](pb::Transaction& t) {
                         set_unit(t.mutable_claim_unit()->mutable_unit(), 1, 0);
                     }));
    txs.emplace_back("data-challenge", signed_tx(5, [](pb::Transaction& t) {
                         auto* dc = t.mutable_data_challenge();
                         set_unit(dc->mutable_unit(), 0, 1);
                         dc->set_leaf(2);
                         dc->set_chunk_index(1);
                         dc->set_kind(pb::DATA_CHECKPOINT);
                     }));
    auto chunk = verifier::make_chunk_proof(blob(), 1);
    txs.emplace_back("data-response-chunk", signed_tx(6, [&](pb::Transaction& t) {
                         auto* dr = t.mutable_data_response();
                         dr->set_blob_root(str(blob_root(blob())));
                         dr->set_chunk_index(chunk->index);
                         dr->set_chunk(str(chunk->chunk));
                         for (const auto& h : chunk->path) dr->add_proof(str(h));
                         set_unit(dr->mutable_unit(), 0, 1);
                         dr->set_leaf(2);
                         dr->set_blob_size(chunk->blob_size);
                         dr->set_chunks_root(str(chunk->chunks_root));
                         dr->set_kind(pb::DATA_CHECKPOINT);
                     }));
    txs.emplace_back("data-response-record", signed_tx(7, [](pb::Transaction& t) {
                         auto* dr = t.mutable_data_response();
                         set_unit(dr->mutable_unit(), 0, 0);
                         dr->set_kind(pb::DATA_DATASET);
                         dr->set_record(1);
                         dr->set_record_bytes(std::string(16, '\x05'));
                         dr->add_proof(std::string(32, '\x06'));
                     }));
    txs.emplace_back("fraud-proof", signed_tx(8, [](pb::Transaction& t) {
                         auto* fp = t.mutable_fraud_proof();
                         set_unit(fp->mutable_unit(), 0, 0);
                         fp->set_leaf_index(1);
                         fp->set_proof(std::string(40, '\x01'));
                     }));
    return txs;
}

void block_seeds(const std::vector<std::pair<std::string, pb::Transaction>>& txs) {
    for (const auto* p : {&consensus::devnet_params(), &consensus::mainnet_params()}) {
        const pb::Block genesis = consensus::genesis_block(*p);
        write("block", "genesis-" + std::to_string(p->chain_id), consensus::encode_block(genesis));
        write("header", "genesis-" + std::to_string(p->chain_id),
              consensus::encode_header(genesis.header()));
    }
    pb::Block b = consensus::genesis_block(consensus::devnet_params());
    b.mutable_header()->set_height(1);
    const Hash256 parent = consensus::header_hash(b.header());
    b.mutable_header()->set_prev_hash(str(parent));
    for (const auto& [name, tx] : txs) *b.add_transactions() = tx;
    b.mutable_header()->set_tx_root(str(consensus::compute_tx_root(b)));
    write("block", "with-transactions", consensus::encode_block(b));
    write("header", "child", consensus::encode_header(b.header()));
}

void fraud_proof_seeds(const kernels::TaskSpec& small) {
    std::vector<Hash256> leaves(5);
    for (size_t i = 0; i < leaves.size(); ++i) leaves[i][0] = static_cast<uint8_t>(i + 1);
    verifier::FraudProof zero;
    zero.claimed = verifier::make_leaf_proof(leaves, 0);
    write("fraud_proof", "leaf-0", verifier::encode_fraud_proof(zero));
    verifier::FraudProof seg;
    seg.leaf = 2;
    seg.claimed = verifier::make_leaf_proof(leaves, 2);
    seg.previous = verifier::make_leaf_proof(leaves, 1);
    auto state = kernels::init_state(small);
    if (state.ok()) seg.pre_state = kernels::state_to_bytes(*state);
    seg.records = {{3, Bytes(8, 3)}, {9, Bytes(8, 9)}};
    seg.record_proof = {leaves[3], leaves[4]};
    write("fraud_proof", "segment", verifier::encode_fraud_proof(seg));
    verifier::FraudProof finals;
    finals.claimed = verifier::make_leaf_proof(leaves, 0);
    finals.previous_finals = {seg.pre_state, seg.pre_state};
    write("fraud_proof", "previous-finals", verifier::encode_fraud_proof(finals));
}

void file_seeds(const std::vector<std::pair<std::string, pb::Transaction>>& txs) {
    std::vector<pb::Transaction> pool;
    for (size_t i = 0; i < 3; ++i) pool.push_back(txs[i].second);
    write("mempool_file", "three-transactions", cat({1}, node::encode_mempool_file(pool)));
    write("mempool_file", "empty", cat({1}, node::encode_mempool_file({})));

    // record_file's control byte 0xff: max file 1009 bytes, records up to 24 bytes.
    node::RecordFileFormat format = node::mempool_file_format({4096, 64});
    format.max_file_bytes = 1 + 63 * 16;
    format.max_record_bytes = 24;
    write("record_file", "three-records",
          cat({0xff}, node::encode_record_file(format, {Bytes(24, 1), Bytes(), Bytes(3, 2)})));

    std::vector<p2p::KnownAddress> peers(3);
    const char* hosts[3] = {"127.0.0.1:18444", "[::1]:18445", "10.1.2.3:9"};
    for (size_t i = 0; i < peers.size(); ++i) {
        peers[i].address = *node::net::parse_endpoint(hosts[i]);
        peers[i].last_seen = 1700000000 + i;
        peers[i].failures = static_cast<uint32_t>(i);
        peers[i].source_group = i == 1 ? "" : "10.1";
    }
    write("peers_file", "three-peers", cat({1}, p2p::encode_peers_file(peers)));
}

void keystore_seeds() {
    const fs::path dir = g_out / ".keystore";
    fs::remove_all(dir);
    wallet::Keystore store(dir.string());
    wallet::KeyIdentity id;
    const consensus::SecretSeed seed = {1, 2, 3};
    const auto pub = consensus::public_key_from_seed(seed);
    id.public_key.assign(pub.begin(), pub.end());
    id.address = consensus::encode_address(consensus::address_from_pubkey(pub));
    wallet::Seed s(seed);
    (void)store.add("k", s, id, "fuzz", wallet::KdfParams{4, 8, 1});  // the harness's passphrase
    write("keystore", "cheap-kdf", read_text(store.key_path("k")));
    (void)store.add("real", s, id, "pw", wallet::KdfParams{});
    std::string real = read_text(store.key_path("real"));
    const size_t at = real.find("\"real\"");
    if (at != std::string::npos) real.replace(at, 6, "\"k\"");  // the harness reads key "k"
    write("keystore", "default-kdf", real);
    fs::remove_all(dir);
}

void rpc_seeds(const std::vector<std::pair<std::string, pb::Transaction>>& txs) {
    const std::string task = std::string(64, '1');
    const std::string hash = to_hex(
        consensus::header_hash(consensus::genesis_block(consensus::devnet_params()).header()));
    const std::string addr = consensus::encode_address(consensus::Address{});
    auto chunk = verifier::make_chunk_proof(blob(), 1);
    std::string path = "[";
    for (size_t i = 0; i < chunk->path.size(); ++i)
        path += (i ? ",\"" : "\"") + to_hex(chunk->path[i]) + "\"";
    path += "]";
    const std::vector<std::pair<std::string, std::string>> calls = {
        {"getchaininfo", "{}"},
        {"getblock", "{\"height\":1}"},
        {"getblock-hash", "{\"hash\":\"" + hash + "\"}"},
        {"sendtransaction", "{\"tx\":\"" + to_hex(consensus::encode_tx(txs[0].second)) + "\"}"},
        {"gettransaction", "{\"txid\":\"" + hash + "\"}"},
        {"getaccount", "{\"address\":\"" + addr + "\"}"},
        {"getstateproof", "{\"address\":\"" + addr + "\"}"},
        {"getmempoolinfo", "{}"},
        {"generate", "{\"count\":1,\"address\":\"" + addr + "\"}"},
        {"submitblock",
         "{\"block\":\"" +
             to_hex(consensus::encode_block(consensus::genesis_block(consensus::devnet_params()))) +
             "\"}"},
        {"getstatehash", "{\"height\":0}"},
        {"gettask", "{\"task_id\":\"" + task + "\"}"},
        {"getunit", "{\"task_id\":\"" + task + "\",\"round\":0,\"unit\":1}"},
        {"listtasks", "{\"filter\":\"open\"}"},
        {"gettaskprogress", "{\"task_id\":\"" + task + "\"}"},
        {"gettaskledger", "{\"task_id\":\"" + task + "\"}"},
        {"getledger", "{\"address\":\"" + addr + "\"}"},
        {"getproofcommitment", "{\"commitment\":\"" + task + "\"}"},
        {"putblobchunk", "{\"blob_root\":\"" + to_hex(blob_root(blob())) + "\",\"blob_size\":" +
                             std::to_string(blob().size()) + ",\"index\":1,\"chunk\":\"" +
                             to_hex(chunk->chunk) + "\",\"chunks_root\":\"" +
                             to_hex(chunk->chunks_root) + "\",\"proof\":" + path + "}"},
        {"getblobchunk", "{\"blob_root\":\"" + to_hex(blob_root(blob())) + "\",\"index\":1}"},
        {"getblobinfo", "{\"blob_root\":\"" + to_hex(blob_root(blob())) + "\"}"},
        {"listblobs", "{\"limit\":2,\"start_after\":\"" + task + "\"}"},
        {"pruneblob", "{\"blob_root\":\"" + task + "\"}"},
    };
    std::string batch = "[";
    for (size_t i = 0; i < calls.size(); ++i) {
        const std::string method = calls[i].first.substr(0, calls[i].first.find('-'));
        const std::string req = "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(i) +
                                ",\"method\":\"" + method + "\",\"params\":" + calls[i].second +
                                "}";
        write("rpc", calls[i].first, req);
        if (i < 3) batch += (i ? "," : "") + req;
    }
    write("rpc", "batch", batch + ",{\"jsonrpc\":\"2.0\",\"method\":\"getchaininfo\"}]");
    write("rpc", "positional-params",
          "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"getblock\",\"params\":[1]}");
}

// One message of each type: (wire type, payload).
std::vector<std::pair<p2p::MessageType, std::string>> messages(
    const std::vector<std::pair<std::string, pb::Transaction>>& txs) {
    using p2p::MessageType;
    namespace wire = p2p::wire;
    const pb::Block genesis = consensus::genesis_block(consensus::devnet_params());
    const std::string hash = str(consensus::header_hash(genesis.header()));
    std::vector<std::pair<MessageType, std::string>> out;
    wire::Version v;
    v.set_protocol_version(1);
    v.set_chain_id(consensus::devnet_params().chain_id);
    v.set_genesis_hash(hash);
    v.set_services(3);
    v.set_nonce(42);
    v.set_user_agent("/stepd:0.1.0/");
    v.set_best_height(7);
    v.set_best_work(std::string(32, '\x01'));
    v.set_listen_port(18444);
    out.emplace_back(MessageType::kVersion, p2p::encode_payload(v));
    out.emplace_back(MessageType::kVerack, p2p::encode_payload(wire::Verack()));
    wire::Ping ping;
    ping.set_nonce(9);
    out.emplace_back(MessageType::kPing, p2p::encode_payload(ping));
    wire::GetHeaders gh;
    gh.add_locator(hash);
    out.emplace_back(MessageType::kGetHeaders, p2p::encode_payload(gh));
    wire::Headers hs;
    *hs.add_headers() = genesis.header();
    out.emplace_back(MessageType::kHeaders, p2p::encode_payload(hs));
    wire::Inv inv;
    auto* item = inv.add_items();
    item->set_type(wire::INV_BLOCK);
    item->set_hash(hash);
    out.emplace_back(MessageType::kInv, p2p::encode_payload(inv));
    wire::GetData gd;
    *gd.add_items() = *item;
    out.emplace_back(MessageType::kGetData, p2p::encode_payload(gd));
    wire::BlockMessage bm;
    *bm.mutable_block() = genesis;
    out.emplace_back(MessageType::kBlock, p2p::encode_payload(bm));
    wire::TxMessage tm;
    *tm.mutable_tx() = txs[0].second;
    out.emplace_back(MessageType::kTx, p2p::encode_payload(tm));
    wire::Addr addr;
    auto* a = addr.add_addresses();
    a->set_ip(std::string("\x7f\x00\x00\x01", 4));
    a->set_port(18444);
    a->set_services(1);
    a->set_last_seen(1700000000);
    out.emplace_back(MessageType::kAddr, p2p::encode_payload(addr));
    wire::GetBlobInfo gbi;
    gbi.add_names()->set_root(str(blob_root(blob())));
    auto* ul = gbi.add_names()->mutable_unit_leaf();
    set_unit(ul->mutable_unit(), 0, 1);
    ul->set_leaf(2);
    out.emplace_back(MessageType::kGetBlobInfo, p2p::encode_payload(gbi));
    wire::BlobInfo bi;
    auto* held = bi.add_blobs();
    held->mutable_name()->set_root(str(blob_root(blob())));
    held->set_root(str(blob_root(blob())));
    held->set_size(blob().size());
    held->set_chunks_root(str(verifier::make_chunk_proof(blob(), 0)->chunks_root));
    held->set_complete(true);
    out.emplace_back(MessageType::kBlobInfo, p2p::encode_payload(bi));
    wire::GetBlobChunk gbc;
    gbc.set_root(str(blob_root(blob())));
    gbc.set_index(1);
    out.emplace_back(MessageType::kGetBlobChunk, p2p::encode_payload(gbc));
    auto chunk = verifier::make_chunk_proof(blob(), 1);
    wire::BlobChunk bc;
    bc.set_root(str(blob_root(blob())));
    bc.set_index(1);
    bc.set_blob_size(chunk->blob_size);
    bc.set_chunk(str(chunk->chunk));
    bc.set_chunks_root(str(chunk->chunks_root));
    for (const auto& h : chunk->path) bc.add_path(str(h));
    out.emplace_back(MessageType::kBlobChunk, p2p::encode_payload(bc));
    return out;
}

void p2p_seeds(const std::vector<std::pair<std::string, pb::Transaction>>& txs) {
    const auto msgs = messages(txs);
    for (const auto& [type, payload] : msgs) {
        const std::string name(p2p::message_type_name(type));
        write("p2p_message", name,
              std::string(1, static_cast<char>(static_cast<uint16_t>(type) - 1)) + payload);
        if (type == p2p::MessageType::kBlobChunk) write("blob_chunk", "short-chunk", payload);
    }
    // A handshake and a few messages, in pieces of at most 256 bytes (frame.cc's control bytes).
    const auto& magic = consensus::devnet_params().p2p_magic;
    std::string stream;
    for (size_t i : {0, 1, 2, 3, 5, 8})
        stream += node::net::encode_frame(magic, msgs[i].first, msgs[i].second);
    std::string pieces;
    for (size_t at = 0; at < stream.size(); at += 256) {
        const size_t n = std::min<size_t>(256, stream.size() - at);
        pieces += static_cast<char>(n - 1);
        pieces += stream.substr(at, n);
    }
    write("frame", "handshake-then-messages", pieces);
    write("frame", "one-byte-pieces", [&] {
        std::string s;
        for (char c : stream.substr(0, 200)) s += std::string(1, '\0') + c;
        return s;
    }());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: fuzz-seeds SOURCE_DIR OUT_DIR\n");
        return 2;
    }
    const fs::path src = argv[1];
    g_out = argv[2];
    auto spec = kernels::load_task_spec((src / "examples" / "demo-mlp.toml").string());
    if (!spec.ok()) {
        std::fprintf(stderr, "%s\n", spec.status().to_string().c_str());
        return 1;
    }
    const pb::TaskSpec proto = consensus::spec_to_proto(*spec, Hash256{0x33}, 500);
    const auto txs = transactions(proto);
    for (const auto& [name, tx] : txs) {
        write("tx", name, consensus::encode_tx(tx));
        if (name.rfind("data-", 0) == 0) write("data_response", name, consensus::encode_tx(tx));
    }
    block_seeds(txs);
    write("task_spec", "demo-mlp", cat({40, 40}, consensus::encode_task_spec(proto)));
    for (const char* f :
         {"examples/demo-mlp.toml", "examples/mnist-mlp.toml", "tests/golden/mnist-mlp-sgd.toml",
          "tests/golden/mnist-mlp-adamw-gelu.toml"})
        write("task_toml", fs::path(f).stem().string(), read_text(src / f));
    kernels::TaskSpec small = *spec;  // a state of a few hundred bytes for the fraud proofs
    small.model.dims = {4, 3, 2};
    fraud_proof_seeds(small);
    file_seeds(txs);
    keystore_seeds();
    rpc_seeds(txs);
    p2p_seeds(txs);
    return 0;
}
