#include "node/p2p/peers_file.h"

#include "common/coding.h"
#include "node/log.h"
#include "node/p2p/errors.h"

namespace step::node::p2p {

namespace {

Bytes encode_entry(const KnownAddress& e) {
    Bytes out;
    append_bytes_u32(out, as_bytes(e.address.host));
    append_u16le(out, e.address.port);
    append_u64le(out, e.last_seen);
    append_u64le(out, e.last_try);
    append_u64le(out, e.last_success);
    append_u32le(out, e.failures);
    append_bytes_u32(out, as_bytes(e.source_group));
    return out;
}

Result<KnownAddress> decode_entry(ByteSpan record) {
    ByteReader r(record);
    KnownAddress e;
    Bytes host, source;
    uint16_t port = 0;
    const bool read = r.read_bytes_u32(host) && r.read_u16le(port) && r.read_u64le(e.last_seen) &&
                      r.read_u64le(e.last_try) && r.read_u64le(e.last_success) &&
                      r.read_u32le(e.failures) && r.read_bytes_u32(source);
    if (!read || !r.done())
        return Status::error(codes::kPeersFileMalformed, "an entry does not parse");
    const std::string host_text(host.begin(), host.end());
    // The host as parse_endpoint spells it, so a hand-edited or foreign entry cannot smuggle in
    // a second spelling of an address (or a name to look up).
    auto at = net::parse_endpoint(host_text.find(':') == std::string::npos
                                      ? host_text + ":" + std::to_string(port)
                                      : "[" + host_text + "]:" + std::to_string(port));
    if (!at.ok() || at->host != host_text)
        return Status::error(codes::kPeersFileMalformed, "'" + host_text + "' port " +
                                                             std::to_string(port) +
                                                             " is not a canonical numeric address");
    e.address = *at;
    e.source_group.assign(source.begin(), source.end());
    return e;
}

// Every entry must parse: the checksum held, so a bad one means a wrong writer and the whole
// file is suspect.
Status decode_entries(const std::vector<Bytes>& records, std::vector<KnownAddress>& out) {
    out.clear();
    out.reserve(records.size());
    for (const Bytes& record : records) {
        auto e = decode_entry(record);
        if (!e.ok()) return e.status();
        out.push_back(std::move(*e));
    }
    return Status();
}

}  // namespace

RecordFileFormat peers_file_format() {
    RecordFileFormat f;
    f.name = "peers";
    f.magic = {'S', 'T', 'E', 'P', 'P', 'E', 'E', 'R'};
    f.version = kPeersFileVersion;
    f.max_record_bytes = kMaxPeersRecordBytes;
    f.max_file_bytes = kMaxPeersFileBytes;
    f.codes = {
        codes::kPeersFileMissing,      codes::kPeersFileIo,       codes::kPeersFileTooLarge,
        codes::kPeersFileMagic,        codes::kPeersFileVersion,  codes::kPeersFileTruncated,
        codes::kPeersFileTrailingData, codes::kPeersFileChecksum, codes::kPeersFileMalformed};
    return f;
}

Bytes encode_peers_file(const std::vector<KnownAddress>& entries) {
    std::vector<Bytes> records;
    records.reserve(entries.size());
    for (const KnownAddress& e : entries) {
        Bytes record = encode_entry(e);
        if (record.size() <= kMaxPeersRecordBytes) records.push_back(std::move(record));
    }
    return encode_record_file(peers_file_format(), records);
}

Result<std::vector<KnownAddress>> decode_peers_file(ByteSpan file) {
    auto records = decode_record_file(file, peers_file_format());
    if (!records.ok()) return records.status();
    std::vector<KnownAddress> entries;
    STEP_TRY(decode_entries(*records, entries));
    return entries;
}

std::string peers_file_path(const std::string& datadir) {
    return datadir + "/" + std::string(kPeersFileName);
}

Status save_peers_file(const std::string& path, const AddressBook& book) {
    return write_file_atomically(path, encode_peers_file(book.entries()), peers_file_format());
}

PeersLoadReport load_peers_file(const std::string& path, AddressBook& book, uint64_t now) {
    std::vector<KnownAddress> entries;
    const auto parse_all = [&](const std::vector<Bytes>& records) {
        return decode_entries(records, entries);
    };
    const RecordFileLoad load =
        load_record_file(path, peers_file_format(), "an empty address book", parse_all);
    PeersLoadReport report;
    report.file_status = load.file_status;
    if (!load.loaded) return report;
    book.load(entries, now);
    report.loaded = book.size();
    log_info("peers: loaded ", report.loaded, " of ", entries.size(), " addresses from ", path);
    return report;
}

}  // namespace step::node::p2p
