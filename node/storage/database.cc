#include "node/storage/database.h"
#include "node/errors.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <cstdio>
#include <cstdlib>

namespace step::node {
namespace {

leveldb::Slice slice(ByteSpan s) { return {reinterpret_cast<const char*>(s.data()), s.size()}; }
ByteSpan span(const leveldb::Slice& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

[[noreturn]] void fatal_io(const char* what, const leveldb::Status& s) {
    std::fprintf(stderr, "stepd: fatal storage error in %s: %s\n", what, s.ToString().c_str());
    std::abort();
}

}  // namespace

struct WriteBatch::Impl {
    leveldb::WriteBatch batch;
};

WriteBatch::WriteBatch() : impl_(std::make_unique<Impl>()) {}
WriteBatch::~WriteBatch() = default;
WriteBatch::WriteBatch(WriteBatch&&) noexcept = default;
WriteBatch& WriteBatch::operator=(WriteBatch&&) noexcept = default;
void WriteBatch::put(ByteSpan key, ByteSpan value) { impl_->batch.Put(slice(key), slice(value)); }
void WriteBatch::erase(ByteSpan key) { impl_->batch.Delete(slice(key)); }

struct Database::Impl {
    std::unique_ptr<leveldb::DB> db;
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::open(const std::string& path) {
    leveldb::Options options;
    options.create_if_missing = true;
    options.paranoid_checks = true;
    leveldb::DB* raw = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, path, &raw);
    if (!s.ok()) return Status::error(codes::kDbOpen, "cannot open database " + path + ": " + s.ToString());
    auto impl = std::make_unique<Impl>();
    impl->db.reset(raw);
    return std::unique_ptr<Database>(new Database(std::move(impl)));
}

std::optional<Bytes> Database::get(ByteSpan key) const {
    std::string value;
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    leveldb::Status s = impl_->db->Get(ro, slice(key), &value);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) fatal_io("get", s);
    return Bytes(value.begin(), value.end());
}

Status Database::write(WriteBatch& batch, bool sync) {
    leveldb::WriteOptions wo;
    wo.sync = sync;
    leveldb::Status s = impl_->db->Write(wo, &batch.impl_->batch);
    if (!s.ok()) return Status::error(codes::kDbWrite, s.ToString());
    return Status::ok_status();
}

void Database::scan(ByteSpan prefix, const std::function<bool(ByteSpan, ByteSpan)>& fn) const {
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;
    std::unique_ptr<leveldb::Iterator> it(impl_->db->NewIterator(ro));
    for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
        ByteSpan key = span(it->key());
        if (key.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), key.begin())) break;
        if (!fn(key, span(it->value()))) break;
    }
    if (!it->status().ok()) fatal_io("scan", it->status());
}

}  // namespace step::node
