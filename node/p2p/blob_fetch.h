// Fetching blobs from peers on demand (docs/p2p.md "Blobs"). RPC (findblob) asks for a blob by
// name; the worker asks every ready peer getblobinfo, takes as holders those that report it
// complete under a root the name allows (the root itself, or one whose leaf digest is the one
// the chain committed), and requests its missing chunks from the holders in parallel, at most
// kMaxBlobChunksInFlightPerPeer each. Every chunk is checked against its Merkle proof
// (verify_chunk_proof) before BlobStore::put_chunk stores it, so a partial blob survives a
// disconnect or a restart and the fetch resumes from the chunks that are still missing, from
// whichever holders remain. A dataset is checked whole against its dataset root once complete.
//
// Punished (through PeerContext::misbehaving): a chunk that fails its proof (bad-blob-chunk), a
// holding whose root is not what the chain committed or whose size and chunks root do not give
// its root (blob-name-mismatch), more than kMaxUnrequestedBlobChunks chunks for blobs we are not
// fetching. Not punished: a peer that lacks a blob, refuses a chunk as busy, or answers late.
//
// A fetch ends complete, or not found once every ready peer has said it lacks the blob (or not
// answered within kBlobInfoTimeoutS) and no holder is left, or failed (the store refused the
// blob, or the name cannot be checked). Its end is reported once through fetch_blob and
// forgotten after kBlobResultKeepS.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "node/p2p/blob_fetcher.h"
#include "node/p2p/blob_names.h"
#include "node/p2p/context.h"

namespace step::node::p2p {

class BlobFetch final : public BlobFetcher {
public:
    explicit BlobFetch(PeerContext& ctx) : ctx_(ctx) {}

    // The store fetched into; null (the default): every fetch fails (P2P without blobs).
    void set_store(BlobStore* store);

    // BlobFetcher (any thread): queues the request for the worker.
    Result<BlobFetchProgress> fetch_blob(const wire::BlobName& name) override;

    // Worker thread.
    void on_blobinfo(Peer& peer, const wire::BlobInfo& m);
    void on_blobchunk(Peer& peer, const wire::BlobChunk& m);
    // Starts queued fetches, asks new peers, expires requests, requests chunks, ends fetches
    // and publishes their progress.
    void tick();
    void peer_gone(PeerId peer);

private:
    // Under mutex_: drops the ended result that ended first (kMaxBlobResults).
    void forget_oldest_result_locked();

    struct Holder {
        std::map<uint64_t, int64_t> in_flight;  // chunk index -> asked at (ms)
        int64_t busy_until_ms = 0;
        int64_t progress_ms = 0;  // taken as holder, or last delivered a chunk (kBlobHolderStallS)
    };
    struct Fetch {
        wire::BlobName name;
        BlobTarget target;
        std::optional<Hash256> root;  // from the first holder whose claim checks out
        uint64_t size = 0;
        std::optional<PeerId> named_by;    // that holder (blamed if a dataset mismatches)
        std::map<PeerId, int64_t> asking;  // getblobinfo sent at (ms), not answered
        std::set<PeerId> lacking;          // answered "not held", or never answered
        std::map<PeerId, Holder> holders;
        BlobFetchProgress progress;
    };
    using Fetches = std::map<std::string, Fetch>;  // by blob_name_key

    void start(const wire::BlobName& name);
    void ask_peers(Fetch& f);
    void expire(Fetch& f, int64_t now);
    void request_chunks(Fetch& f, int64_t now);
    void check_end(Fetch& f);
    void end(Fetch& f, BlobFetchProgress::State state, Status why = Status());
    void take_holding(Peer& peer, Fetch& f, const wire::BlobHolding& h);
    bool take_chunk(Peer& peer, Fetch& f, const wire::BlobChunk& m);
    Fetch* fetch_of_root(const Hash256& root);
    void publish();

    PeerContext& ctx_;
    std::unique_ptr<BlobLocator> locator_;
    Fetches fetches_;                         // worker only; ended ones leave at publish
    std::map<PeerId, uint32_t> unrequested_;  // chunks of blobs we were not fetching

    // Shared with RPC threads.
    std::mutex mutex_;
    std::deque<wire::BlobName> requests_;
    std::map<std::string, BlobFetchProgress> published_;
};

}  // namespace step::node::p2p
