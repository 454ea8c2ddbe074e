// stepd when its storage fails (issue 11, defects 2 and 4; docs/storage.md "When storage
// fails"): a damaged table file at start-up is a clear line and exit kExitStorage, never an
// abort; a disk that fills (a real 3 MiB tmpfs, when the test runs as root) stops the node
// cleanly with kExitStorage, and once room is made it starts again with every block it
// acknowledged.
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "node/init.h"
#include "tests/functional/stepd_process.h"
#include "tests/functional/transfers.h"
#include "tests/support/leveldb_faults.h"

using step::test::StepdProcess;
using step::test::stop_cleanly;

namespace {

bool exited_with(int wstatus, int code) {
    return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == code;
}

uint64_t height(const StepdProcess& node) {
    return node.result("getchaininfo")["height"].get<uint64_t>();
}

// A tmpfs of `size` mounted on `dir` for the guard's life (root only); unmounted on every way
// out, after whatever used it (declare it first).
class TmpfsMount {
public:
    TmpfsMount(std::string dir, const std::string& size) : dir_(std::move(dir)) {
        std::filesystem::create_directories(dir_);
        mounted_ = ::geteuid() == 0 &&
                   ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    }
    ~TmpfsMount() {
        if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    }
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;
    bool mounted() const { return mounted_; }

private:
    std::string dir_;
    bool mounted_ = false;
};

uint64_t free_bytes(const std::string& dir) {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) != 0) return 0;
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

// Takes all but `leave` bytes of the file system of `dir` with one file.
void fill(const std::string& path, uint64_t leave) {
    const uint64_t free = free_bytes(std::filesystem::path(path).parent_path().string());
    std::ofstream out(path, std::ios::binary);
    const std::string block(4096, 'x');
    for (uint64_t written = 0; written + leave < free; written += block.size()) out << block;
}

}  // namespace

TEST_CASE(
    "a damaged table index at start-up is a clear error and exit kExitStorage, not an abort") {
    const std::string root = step::test::make_temp_dir("storage-index");
    StepdProcess node(root);
    REQUIRE(node.start());
    node.result("generate", {{"count", 5}, {"address", step::test::address(1)}});
    stop_cleanly(node);
    REQUIRE(node.start());  // the reopen turns LevelDB's log into a table file
    stop_cleanly(node);
    const auto tables = step::test::table_files(node.datadir() + "/chain");
    REQUIRE_FALSE(tables.empty());
    for (const auto& t : tables) REQUIRE(step::test::flip_byte(t, step::test::kTableIndexLastByte));

    CHECK_FALSE(node.start());
    INFO(node.log());
    CHECK(exited_with(node.start_exit_status(), step::node::kExitStorage));
    CHECK(node.log().find("db-corruption") != std::string::npos);
    CHECK(node.log().find("damaged or unreadable") != std::string::npos);
    std::filesystem::remove_all(root);
}

namespace {

// The full-disk scenario with its datadir on a 3 MiB tmpfs under `root`.
void full_disk_run(const std::string& root) {
    const std::string mnt = root + "/tmpfs";
    TmpfsMount tmpfs(mnt, "3m");
    if (!tmpfs.mounted()) {
        WARN("skipped: mounting a tmpfs needs root (and CAP_SYS_ADMIN)");
        return;
    }
    // The datadir on the tmpfs, the test's log (root/stepd.log) off it.
    StepdProcess node(root);
    std::filesystem::create_directory_symlink(mnt, root + "/data");
    REQUIRE(node.start());
    const std::string filler = mnt + "/filler";
    fill(filler, 192 << 10);

    uint64_t acknowledged = 0;
    for (int i = 0; i < 5000 && node.running(); ++i) {
        const auto r = node.call("generate", {{"count", 1}, {"address", step::test::address(1)}});
        if (!r.contains("result")) break;
        acknowledged = height(node);
    }
    INFO(node.log());
    REQUIRE(acknowledged > 0);
    const int wstatus = node.wait_exit(60);
    CHECK(exited_with(wstatus, step::node::kExitStorage));
    CHECK(node.log().find("storage failure: db-write") != std::string::npos);

    std::filesystem::remove(filler);
    REQUIRE(node.start());
    CHECK(height(node) >= acknowledged);
    node.result("generate", {{"count", 1}, {"address", step::test::address(1)}});
    stop_cleanly(node);
}

}  // namespace

TEST_CASE("a full disk stops stepd cleanly; once room is made it restarts with its chain") {
    const std::string root = step::test::make_temp_dir("storage-full");
    full_disk_run(root);
    std::filesystem::remove_all(root);  // after the unmount
}
