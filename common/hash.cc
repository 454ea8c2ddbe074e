#include "common/hash.h"

#include <cryptopp/cpu.h>
#include <cryptopp/sha.h>

namespace step {

Hash256 sha256(ByteSpan data) {
    Hash256 out;
    CryptoPP::SHA256().CalculateDigest(out.data(), data.data(), data.size());
    return out;
}

struct TaggedHasher::Impl {
    CryptoPP::SHA256 prefix;  // state after absorbing SHA256(tag) || SHA256(tag)
    CryptoPP::SHA256 running;
};

TaggedHasher::TaggedHasher(std::string_view tag) : impl_(std::make_unique<Impl>()) {
    Hash256 t = sha256(as_bytes(tag));
    impl_->prefix.Update(t.data(), t.size());
    impl_->prefix.Update(t.data(), t.size());
    impl_->running = impl_->prefix;
}

TaggedHasher::~TaggedHasher() = default;
TaggedHasher::TaggedHasher(const TaggedHasher& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
TaggedHasher& TaggedHasher::operator=(const TaggedHasher& o) {
    *impl_ = *o.impl_;
    return *this;
}

TaggedHasher& TaggedHasher::update(ByteSpan data) {
    impl_->running.Update(data.data(), data.size());
    return *this;
}

Hash256 TaggedHasher::finish() {
    Hash256 out;
    impl_->running.Final(out.data());
    impl_->running = impl_->prefix;
    return out;
}

Hash256 tagged_hash(std::string_view tag, ByteSpan data) {
    return TaggedHasher(tag).update(data).finish();
}

bool sha256_hardware_accelerated() {
#if CRYPTOPP_SHANI_AVAILABLE
    return CryptoPP::HasSHA();
#else
    return false;
#endif
}

}  // namespace step
