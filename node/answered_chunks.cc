#include "node/answered_chunks.h"

#include "consensus/transaction.h"
#include "node/log.h"

namespace step::node {

size_t store_answered_chunks(BlobStore& blobs, const pb::Block& block) {
    size_t stored = 0;
    for (const auto& tx : block.transactions()) {
        if (!tx.has_data_response() || tx.data_response().kind() == pb::DATA_DATASET) continue;
        Hash256 root{};
        const auto proof = consensus::response_chunk_proof(tx.data_response(), &root);
        if (!proof) continue;  // consensus refused such a response: never in a valid block
        auto put = blobs.put_chunk(root, *proof);
        if (put.ok()) {
            ++stored;
        } else {
            log_warn("answered chunk ", proof->index, " of blob ", to_hex(root),
                     " not stored: ", put.status().to_string());
        }
    }
    return stored;
}

}  // namespace step::node
