#include "node/storage/database.h"
#include "node/errors.h"

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/write_batch.h>

#include <atomic>
#include <mutex>

#include "consensus/kv.h"

namespace step::node {
namespace {

leveldb::Slice slice(ByteSpan s) { return {reinterpret_cast<const char*>(s.data()), s.size()}; }
ByteSpan span(const leveldb::Slice& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// A failed read as the code that names it: damaged files, or the file system failing.
Status read_failure(const char* what, const leveldb::Status& s) {
    const ErrorCode& code = s.IsCorruption() ? codes::kDbCorruption : codes::kDbRead;
    return Status::error(code, std::string("database ") + what + ": " + s.ToString());
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
    std::function<void(const Status&)> on_write_failure;
    std::atomic<bool> failed{false};
    std::mutex failure_mutex;  // guards first_failure
    Status first_failure;
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::open(const std::string& path,
                                                 DatabaseOptions options) {
    leveldb::Options lo;
    lo.create_if_missing = true;
    lo.paranoid_checks = true;
    if (options.env) lo.env = options.env;
    leveldb::DB* raw = nullptr;
    leveldb::Status s = leveldb::DB::Open(lo, path, &raw);
    if (!s.ok()) {
        const ErrorCode& code = s.IsCorruption() ? codes::kDbCorruption : codes::kDbOpen;
        return Status::error(code, "cannot open database " + path + ": " + s.ToString());
    }
    auto impl = std::make_unique<Impl>();
    impl->db.reset(raw);
    impl->on_write_failure = std::move(options.on_write_failure);
    return std::unique_ptr<Database>(new Database(std::move(impl)));
}

std::optional<Bytes> Database::get(ByteSpan key) const {
    std::string value;
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    leveldb::Status s = impl_->db->Get(ro, slice(key), &value);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) throw consensus::KvReadError(read_failure("read", s));
    return Bytes(value.begin(), value.end());
}

Status Database::write(WriteBatch& batch, bool sync) {
    if (impl_->failed) {
        std::lock_guard lock(impl_->failure_mutex);
        return Status::error(codes::kDbWrite, "refused after an earlier failed write (" +
                                                  impl_->first_failure.message() + ")");
    }
    leveldb::WriteOptions wo;
    wo.sync = sync;
    leveldb::Status s = impl_->db->Write(wo, &batch.impl_->batch);
    if (s.ok()) return Status::ok_status();
    Status failure = Status::error(codes::kDbWrite, "database write: " + s.ToString());
    {
        std::lock_guard lock(impl_->failure_mutex);
        if (impl_->failed.exchange(true)) return failure;  // another writer failed first
        impl_->first_failure = failure;
    }
    if (impl_->on_write_failure) impl_->on_write_failure(failure);
    return failure;
}

bool Database::failed() const { return impl_->failed; }

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
    if (!it->status().ok()) throw consensus::KvReadError(read_failure("scan", it->status()));
}

}  // namespace step::node
