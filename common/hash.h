// SHA-256 and tagged hashing (PROTOCOL.md section 2):
//   H_tag(x) = SHA256(SHA256(tag) || SHA256(tag) || x), as BIP-340.
// Every use has its own tag; the tags themselves live in hash_tags.h (one owner per fact).
#pragma once

#include <memory>
#include <string_view>

#include "common/bytes.h"

namespace step {

Hash256 sha256(ByteSpan data);

// Incremental tagged hasher. The tag prefix (64 bytes) is one SHA-256 block, so its midstate is
// computed once per tag and copied for each new hash.
class TaggedHasher {
public:
    explicit TaggedHasher(std::string_view tag);
    ~TaggedHasher();
    TaggedHasher(const TaggedHasher&);
    TaggedHasher& operator=(const TaggedHasher&);

    TaggedHasher& update(ByteSpan data);
    TaggedHasher& update(const Hash256& h) { return update(ByteSpan(h)); }
    // Finishes and returns the digest; the hasher is then reset to the bare tag prefix.
    Hash256 finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

Hash256 tagged_hash(std::string_view tag, ByteSpan data);

// True when the CPU offers the SHA extensions Crypto++ uses (informational, for benchmarks).
bool sha256_hardware_accelerated();

}  // namespace step
