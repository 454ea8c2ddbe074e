// The files stepd opens at start are refused unless they are regular files: a FIFO (or device,
// or directory) bearing their name never blocks start-up (issue 11, defect 7). Each test puts a
// FIFO where the file belongs; tests/support/fifo.h releases a blocked open, so a regression
// fails the test rather than hanging it.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "node/datadir.h"
#include "node/errors.h"
#include "node/init.h"
#include "node/log.h"
#include "node/mempool_persistence.h"
#include "node/p2p/address_book.h"
#include "node/p2p/errors.h"
#include "node/p2p/peers_file.h"
#include "node/regular_file.h"
#include "tests/support/fifo.h"
#include "tests/support/status_check.h"
#include "tests/unit/node/test_node.h"

using namespace step;
using namespace step::node;
using step::test::FifoTrap;
using step::test::is_fifo;

namespace {

std::string temp_dir(const std::string& name) {
    return testing::fresh_temp_dir("step-start-files", name);
}

}  // namespace

TEST_CASE("open_regular_file opens regular files and refuses a FIFO or a directory unopened") {
    const std::string dir = temp_dir("open");
    const OpenedFile created = open_regular_file(dir + "/plain", O_RDWR | O_CREAT);
    REQUIRE(created.ok());
    CHECK(::write(created.fd, "abc", 3) == 3);
    ::close(created.fd);
    const OpenedFile plain = open_regular_file(dir + "/plain", O_RDONLY);
    REQUIRE(plain.ok());
    CHECK(plain.size == 3);
    Bytes content;
    CHECK(read_up_to(plain.fd, 10, content));
    CHECK(content == Bytes{'a', 'b', 'c'});
    ::close(plain.fd);

    FifoTrap fifo(dir + "/fifo");
    REQUIRE(fifo.made());
    for (int flags : {O_RDONLY, O_RDWR, O_WRONLY | O_APPEND}) {
        const OpenedFile f = open_regular_file(fifo.path(), flags);
        CHECK_FALSE(f.ok());
        CHECK(f.not_regular);
        CHECK(f.why() == "not a regular file (a FIFO)");
    }
    const OpenedFile d = open_regular_file(dir, O_RDONLY);
    CHECK(d.not_regular);
    CHECK(open_regular_file(dir + "/none", O_RDONLY).missing());
    std::filesystem::remove_all(dir);
}

TEST_CASE("a FIFO named mempool.dat is set aside and the pool starts empty") {
    const std::string dir = temp_dir("mempool");
    FifoTrap fifo(mempool_file_path(dir));
    REQUIRE(fifo.made());
    size_t submitted = 0;
    const MempoolLoadReport report =
        load_mempool(dir, {1 << 20, 1 << 16}, [&](const pb::Transaction&) -> Result<Hash256> {
            ++submitted;
            return Hash256{};
        });
    CHECK(report.file_status == codes::kMempoolFileIo);
    CHECK(report.total == 0);
    CHECK(submitted == 0);
    CHECK(is_fifo(mempool_file_path(dir) + std::string(kMempoolBadFileSuffix)));
    CHECK_FALSE(std::filesystem::exists(mempool_file_path(dir)));
    std::filesystem::remove_all(dir);
}

TEST_CASE("a FIFO named peers.dat is set aside and the address book starts empty") {
    const std::string dir = temp_dir("peers");
    const std::string path = p2p::peers_file_path(dir);
    FifoTrap fifo(path);
    REQUIRE(fifo.made());
    p2p::AddressBook book;
    const p2p::PeersLoadReport report = p2p::load_peers_file(path, book, 1000);
    CHECK(report.file_status == p2p::codes::kPeersFileIo);
    CHECK(report.loaded == 0);
    CHECK(is_fifo(path + std::string(kBadFileSuffix)));
    std::filesystem::remove_all(dir);
}

TEST_CASE("a FIFO left as mempool.dat.tmp does not block the next save") {
    const std::string dir = temp_dir("tmp");
    const std::string path = mempool_file_path(dir);
    FifoTrap fifo(path + ".tmp");
    REQUIRE(fifo.made());
    REQUIRE(write_mempool_file(path, {}).ok());
    auto records = read_mempool_file(path, {1 << 20, 1 << 16});
    REQUIRE(records.ok());
    CHECK(records->empty());
    std::filesystem::remove_all(dir);
}

TEST_CASE("a FIFO named .lock or debug.log is refused, not waited on") {
    const std::string dir = temp_dir("lock");
    {
        FifoTrap lock_fifo(dir + "/.lock");
        REQUIRE(lock_fifo.made());
        auto lock = lock_datadir(dir);
        REQUIRE_FALSE(lock.ok());
        CHECK(lock.status() == codes::kDatadirIo);
    }
    FifoTrap log_fifo(dir + "/debug.log");
    REQUIRE(log_fifo.made());
    CHECK_FALSE(set_log_file(log_fifo.path()));
    set_log_file("");
    std::filesystem::remove_all(dir);
}

TEST_CASE("a FIFO given as the config file is refused with bad-config-file") {
    const std::string dir = temp_dir("config");
    FifoTrap fifo(dir + "/stepd.conf");
    REQUIRE(fifo.made());
    std::vector<std::string> args = {"stepd", "--config", fifo.path(), "--datadir", dir};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    auto config = read_config(static_cast<int>(argv.size()), argv.data());
    REQUIRE_FALSE(config.ok());
    CHECK(config.status() == codes::kBadConfigFile);
    std::filesystem::remove_all(dir);
}
