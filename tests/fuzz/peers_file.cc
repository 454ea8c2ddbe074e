// <datadir>/peers.dat at start-up: the file decoder and each address record.
#include "node/p2p/peers_file.h"
#include "tests/fuzz/fuzz.h"

STEP_FUZZ_TARGET(peers_file) {
    using namespace step;
    fuzz::Input in(data, size);
    const bool fix = in.byte() & 1;
    const auto file = fuzz::record_file_bytes(in.rest(), fix);
    auto entries = node::p2p::decode_peers_file(file);
    if (!entries.ok()) return;
    STEP_FUZZ_CHECK(node::p2p::encode_peers_file(*entries) == file);
}
