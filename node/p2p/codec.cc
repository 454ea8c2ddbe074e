#include "node/p2p/codec.h"

#include <cstring>

#include "common/merkle.h"
#include "consensus/canonical.h"
#include "node/p2p/errors.h"
#include "node/p2p/limits.h"

namespace step::node::p2p {
namespace {

Status over_limit(std::string_view what, size_t n, size_t max) {
    return Status::error(codes::kPayloadOverLimit, std::string(what) + ": " + std::to_string(n) +
                                                       " > " + std::to_string(max));
}

Status bad_field(std::string_view what) {
    return Status::error(codes::kBadPayloadField, std::string(what) + " has the wrong shape");
}

bool is_hash(const std::string& field) {
    return field.size() == 32;
}
bool is_hash_or_empty(const std::string& field) {
    return field.empty() || field.size() == 32;
}

Status check_inventory(const google::protobuf::RepeatedPtrField<wire::InvItem>& items,
                       std::string_view what) {
    if (static_cast<uint32_t>(items.size()) > kMaxInvPerMessage)
        return over_limit(what, static_cast<size_t>(items.size()), kMaxInvPerMessage);
    for (const auto& item : items) {
        if (item.type() != wire::INV_TX && item.type() != wire::INV_BLOCK)
            return bad_field("inventory type");
        if (!is_hash(item.hash())) return bad_field("inventory hash");
    }
    return Status();
}

Status check_name(const wire::BlobName& n) {
    switch (n.name_case()) {
        case wire::BlobName::kRoot:
            return is_hash(n.root()) ? Status() : bad_field("blob root");
        case wire::BlobName::kDatasetRoot:
            return is_hash(n.dataset_root()) ? Status() : bad_field("dataset root");
        case wire::BlobName::kUnitLeaf:
            return is_hash(n.unit_leaf().unit().task_id()) ? Status() : bad_field("unit task id");
        case wire::BlobName::NAME_NOT_SET:
            break;
    }
    return bad_field("blob name");
}

// Per-message limits beyond what the parser checks. One overload per message of p2p.proto.
Status check(const wire::Version& m) {
    if (m.user_agent().size() > kMaxUserAgentBytes)
        return over_limit("user agent bytes", m.user_agent().size(), kMaxUserAgentBytes);
    if (!is_hash(m.genesis_hash()) || !is_hash(m.best_work())) return bad_field("version hash");
    if (m.listen_port() > 65535) return bad_field("listen port");
    return Status();
}
Status check(const wire::Verack&) {
    return Status();
}
Status check(const wire::Ping&) {
    return Status();
}
Status check(const wire::Pong&) {
    return Status();
}
Status check(const wire::GetHeaders& m) {
    if (static_cast<uint32_t>(m.locator_size()) > kMaxLocatorHashes)
        return over_limit("locator hashes", static_cast<size_t>(m.locator_size()),
                          kMaxLocatorHashes);
    for (const auto& h : m.locator())
        if (!is_hash(h)) return bad_field("locator hash");
    return is_hash_or_empty(m.stop_hash()) ? Status() : bad_field("stop hash");
}
Status check(const wire::Headers& m) {
    if (static_cast<uint32_t>(m.headers_size()) > kMaxHeadersPerMessage)
        return over_limit("headers", static_cast<size_t>(m.headers_size()), kMaxHeadersPerMessage);
    return Status();
}
Status check(const wire::Inv& m) {
    return check_inventory(m.items(), "inv items");
}
Status check(const wire::GetData& m) {
    return check_inventory(m.items(), "getdata items");
}
Status check(const wire::NotFound& m) {
    return check_inventory(m.items(), "notfound items");
}
Status check(const wire::BlockMessage& m) {
    return m.has_block() ? Status() : bad_field("block");
}
Status check(const wire::TxMessage& m) {
    return m.has_tx() ? Status() : bad_field("transaction");
}
Status check(const wire::GetAddr&) {
    return Status();
}
Status check(const wire::Addr& m) {
    if (static_cast<uint32_t>(m.addresses_size()) > kMaxAddrPerMessage)
        return over_limit("addresses", static_cast<size_t>(m.addresses_size()), kMaxAddrPerMessage);
    for (const auto& a : m.addresses()) {
        if (a.ip().size() != 4 && a.ip().size() != 16) return bad_field("address ip");
        if (a.port() == 0 || a.port() > 65535) return bad_field("address port");
    }
    return Status();
}
Status check(const wire::SendHeaders&) {
    return Status();
}
Status check(const wire::GetBlobInfo& m) {
    if (static_cast<uint32_t>(m.names_size()) > kMaxBlobNamesPerMessage)
        return over_limit("blob names", static_cast<size_t>(m.names_size()),
                          kMaxBlobNamesPerMessage);
    for (const auto& n : m.names()) STEP_TRY(check_name(n));
    return Status();
}
Status check(const wire::BlobInfo& m) {
    if (static_cast<uint32_t>(m.blobs_size()) > kMaxBlobNamesPerMessage)
        return over_limit("blob holdings", static_cast<size_t>(m.blobs_size()),
                          kMaxBlobNamesPerMessage);
    for (const auto& b : m.blobs()) {
        STEP_TRY(check_name(b.name()));
        if (!is_hash_or_empty(b.root()) || !is_hash_or_empty(b.chunks_root()))
            return bad_field("blob holding");
    }
    return Status();
}
Status check(const wire::GetBlobChunk& m) {
    return is_hash(m.root()) ? Status() : bad_field("blob root");
}
Status check(const wire::BlobChunk& m) {
    if (!is_hash(m.root()) || !is_hash(m.chunks_root())) return bad_field("blob chunk root");
    if (m.chunk().size() > kChunkBytes)
        return over_limit("chunk bytes", m.chunk().size(), kChunkBytes);
    if (static_cast<uint32_t>(m.path_size()) > kMaxChunkProofHashes)
        return over_limit("chunk proof hashes", static_cast<size_t>(m.path_size()),
                          kMaxChunkProofHashes);
    for (const auto& h : m.path())
        if (!is_hash(h)) return bad_field("chunk proof hash");
    return Status();
}

}  // namespace

std::string encode_payload(const google::protobuf::Message& message) {
    const Bytes bytes = consensus::detail::encode_message(message);
    return std::string(bytes.begin(), bytes.end());
}

template <class M>
Result<M> decode_payload(std::string_view payload) {
    const MessageType type = message_type_of<M>();
    const std::string name(message_type_name(type));
    if (payload.size() > max_payload_bytes(type))
        return Status::error(
            codes::kMalformedPayload,
            name + " payload of " + std::to_string(payload.size()) + " bytes is over its cap");
    // The consensus decoder: parses, refuses unknown fields and non-canonical bytes.
    auto m = consensus::detail::decode_message<M>(as_bytes(payload), name.c_str());
    if (!m.ok()) return Status::error(codes::kMalformedPayload, m.status().to_string());
    STEP_TRY(check(*m));
    return m;
}

template Result<wire::Version> decode_payload<wire::Version>(std::string_view);
template Result<wire::Verack> decode_payload<wire::Verack>(std::string_view);
template Result<wire::Ping> decode_payload<wire::Ping>(std::string_view);
template Result<wire::Pong> decode_payload<wire::Pong>(std::string_view);
template Result<wire::GetHeaders> decode_payload<wire::GetHeaders>(std::string_view);
template Result<wire::Headers> decode_payload<wire::Headers>(std::string_view);
template Result<wire::Inv> decode_payload<wire::Inv>(std::string_view);
template Result<wire::GetData> decode_payload<wire::GetData>(std::string_view);
template Result<wire::BlockMessage> decode_payload<wire::BlockMessage>(std::string_view);
template Result<wire::TxMessage> decode_payload<wire::TxMessage>(std::string_view);
template Result<wire::NotFound> decode_payload<wire::NotFound>(std::string_view);
template Result<wire::GetAddr> decode_payload<wire::GetAddr>(std::string_view);
template Result<wire::Addr> decode_payload<wire::Addr>(std::string_view);
template Result<wire::SendHeaders> decode_payload<wire::SendHeaders>(std::string_view);
template Result<wire::GetBlobInfo> decode_payload<wire::GetBlobInfo>(std::string_view);
template Result<wire::BlobInfo> decode_payload<wire::BlobInfo>(std::string_view);
template Result<wire::GetBlobChunk> decode_payload<wire::GetBlobChunk>(std::string_view);
template Result<wire::BlobChunk> decode_payload<wire::BlobChunk>(std::string_view);

std::optional<Hash256> hash_from_field(const std::string& field) {
    if (field.size() != 32) return std::nullopt;
    Hash256 h;
    std::memcpy(h.data(), field.data(), h.size());
    return h;
}

}  // namespace step::node::p2p
