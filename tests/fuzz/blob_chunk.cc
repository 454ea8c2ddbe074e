// A blob chunk with its proof as a peer serves it (p2p blobchunk): the payload decoder and the
// proof check node/p2p/blob_fetch.cc runs against the blob root.
#include "node/p2p/codec.h"
#include "node/p2p/proto/p2p.pb.h"
#include "tests/fuzz/fuzz.h"
#include "verifier/proofs.h"

STEP_FUZZ_TARGET(blob_chunk) {
    using namespace step;
    namespace p2p = node::p2p;
    const std::string_view payload(reinterpret_cast<const char*>(data), size);
    auto m = p2p::decode_payload<p2p::wire::BlobChunk>(payload);
    if (!m.ok()) return;
    verifier::ChunkProof p;
    p.blob_size = m->blob_size();
    p.index = m->index();
    p.chunk.assign(m->chunk().begin(), m->chunk().end());
    auto chunks_root = p2p::hash_from_field(m->chunks_root());
    auto root = p2p::hash_from_field(m->root());
    STEP_FUZZ_CHECK(chunks_root && root);  // decode_payload checked both
    p.chunks_root = *chunks_root;
    for (const auto& s : m->path()) {
        auto h = p2p::hash_from_field(s);
        STEP_FUZZ_CHECK(h.has_value());
        p.path.push_back(*h);
    }
    (void)verifier::verify_chunk_proof(*root, p);
}
