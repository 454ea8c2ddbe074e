// Internal to consensus/: the canonical protobuf encoder and strict decoder that every
// consensus message (wire and state values) goes through. The P2P codec (node/p2p/codec.cc)
// uses them too: its messages embed consensus ones and must be exactly as strict.
#pragma once

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/errors.h"

namespace step::consensus::detail {

namespace gp = google::protobuf;

inline Bytes encode_message(const gp::Message& m) {
    const size_t n = m.ByteSizeLong();
    Bytes out(n);
    gp::io::ArrayOutputStream array(out.data(), static_cast<int>(n));
    gp::io::CodedOutputStream coded(&array);
    // Deterministic: map entries sorted, fields in number order. Our schema has no maps, but
    // the flag is the library's promise of a stable order, so we always set it.
    coded.SetSerializationDeterministic(true);
    m.SerializeWithCachedSizes(&coded);
    return out;
}

// Unknown fields would be silently carried and re-emitted by protobuf, so they are looked for
// explicitly in every nested message.
inline bool has_unknown_fields(const gp::Message& m) {
    const gp::Reflection* r = m.GetReflection();
    if (!r->GetUnknownFields(m).empty()) return true;
    std::vector<const gp::FieldDescriptor*> fields;
    r->ListFields(m, &fields);
    for (const auto* f : fields) {
        if (f->cpp_type() != gp::FieldDescriptor::CPPTYPE_MESSAGE) continue;
        if (f->is_repeated()) {
            for (int i = 0; i < r->FieldSize(m, f); ++i)
                if (has_unknown_fields(r->GetRepeatedMessage(m, f, i))) return true;
        } else if (has_unknown_fields(r->GetMessage(m, f))) {
            return true;
        }
    }
    return false;
}

template <class M>
Result<M> decode_message(ByteSpan bytes, const char* what) {
    M m;
    if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
        !m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
        return Status::error(codes::kMalformed, std::string(what) + " does not parse");
    if (has_unknown_fields(m))
        return Status::error(codes::kUnknownField, std::string(what) + " has an unknown field");
    const Bytes again = encode_message(m);
    if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()))
        return Status::error(codes::kNonCanonicalEncoding,
                             std::string(what) + " bytes differ from their canonical encoding");
    return m;
}

// A record read back from the state: one that does not decode means the stored state is corrupt
// ("corrupt-state"), whatever the decoder's own code.
template <class M>
Result<M> decode_record(ByteSpan bytes, const char* what) {
    auto m = decode_message<M>(bytes, what);
    if (!m.ok())
        return Status::error(codes::kCorruptState, std::string(what) + ": " + m.status().message());
    return m;
}

}  // namespace step::consensus::detail
