// Storage faults for the tests of node/storage (issue 11, defects 2 and 4), through the seam
// LevelDB offers: an Env (DatabaseOptions::env) that fails writes with ENOSPC, as a full disk
// does, or reads with EIO, on command; and a byte flipped in the table files of a closed
// database, as a damaged disk leaves it.
#pragma once

#include <leveldb/env.h>
#include <leveldb/status.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace step::test {

class FaultEnv : public leveldb::EnvWrapper {
public:
    FaultEnv() : EnvWrapper(leveldb::Env::Default()) {}

    // While set, a write stores only the first half of its bytes (the part that fit) and fails
    // with ENOSPC, and no new file can be created.
    void set_disk_full(bool full) { disk_full_ = full; }
    // While set, every read of a table file fails with EIO.
    void set_reads_fail(bool fail) { reads_fail_ = fail; }
    int failed_writes() const { return failed_writes_; }

    leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** out) override {
        if (disk_full_) return no_space(name);
        leveldb::WritableFile* file = nullptr;
        leveldb::Status s = target()->NewWritableFile(name, &file);
        if (s.ok()) *out = new FullDiskFile(file, name, *this);
        return s;
    }
    leveldb::Status NewAppendableFile(const std::string& name,
                                      leveldb::WritableFile** out) override {
        if (disk_full_) return no_space(name);
        leveldb::WritableFile* file = nullptr;
        leveldb::Status s = target()->NewAppendableFile(name, &file);
        if (s.ok()) *out = new FullDiskFile(file, name, *this);
        return s;
    }
    leveldb::Status NewRandomAccessFile(const std::string& name,
                                        leveldb::RandomAccessFile** out) override {
        if (reads_fail_) return io_error(name);
        leveldb::RandomAccessFile* file = nullptr;
        leveldb::Status s = target()->NewRandomAccessFile(name, &file);
        if (s.ok()) *out = new FailingReadFile(file, name, *this);
        return s;
    }

private:
    leveldb::Status no_space(const std::string& name) {
        ++failed_writes_;
        return leveldb::Status::IOError(name, std::strerror(ENOSPC));
    }
    static leveldb::Status io_error(const std::string& name) {
        return leveldb::Status::IOError(name, std::strerror(EIO));
    }

    class FullDiskFile : public leveldb::WritableFile {
    public:
        FullDiskFile(leveldb::WritableFile* base, std::string name, FaultEnv& env)
            : base_(base), name_(std::move(name)), env_(env) {}
        ~FullDiskFile() override { delete base_; }
        leveldb::Status Append(const leveldb::Slice& data) override {
            if (!env_.disk_full_) return base_->Append(data);
            // write(2) on a full disk stores what fits, then fails: a torn record.
            base_->Append(leveldb::Slice(data.data(), data.size() / 2));
            base_->Flush();
            return env_.no_space(name_);
        }
        leveldb::Status Close() override { return base_->Close(); }
        leveldb::Status Flush() override {
            return env_.disk_full_ ? env_.no_space(name_) : base_->Flush();
        }
        leveldb::Status Sync() override {
            return env_.disk_full_ ? env_.no_space(name_) : base_->Sync();
        }

    private:
        leveldb::WritableFile* base_;
        std::string name_;
        FaultEnv& env_;
    };

    class FailingReadFile : public leveldb::RandomAccessFile {
    public:
        FailingReadFile(leveldb::RandomAccessFile* base, std::string name, FaultEnv& env)
            : base_(base), name_(std::move(name)), env_(env) {}
        ~FailingReadFile() override { delete base_; }
        leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                             char* scratch) const override {
            if (env_.reads_fail_) return io_error(name_);
            return base_->Read(offset, n, result, scratch);
        }

    private:
        leveldb::RandomAccessFile* base_;
        std::string name_;
        FaultEnv& env_;
    };

    std::atomic<bool> disk_full_{false};
    std::atomic<bool> reads_fail_{false};
    std::atomic<int> failed_writes_{0};
};

// The table files (*.ldb) of the closed database in `dir`.
inline std::vector<std::string> table_files(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".ldb") out.push_back(e.path().string());
    return out;
}

// Flips every bit of the byte at `offset` of `path` (from the end when negative).
inline bool flip_byte(const std::string& path, long long offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    if (!f) return false;
    f.seekg(0, std::ios::end);
    const long long size = f.tellg();
    const long long at = offset < 0 ? size + offset : offset;
    if (at < 0 || at >= size) return false;
    char c = 0;
    f.seekg(at);
    f.read(&c, 1);
    c = static_cast<char>(~c);
    f.seekp(at);
    f.write(&c, 1);
    return static_cast<bool>(f);
}

// A table file ends with its index block, that block's 5-byte trailer (type, CRC) and the
// 48-byte footer: this offset (from the end) is the index block's last byte.
inline constexpr long long kTableIndexLastByte = -(48 + 5 + 1);

}  // namespace step::test
