// The mempool survives a stepd restart through <datadir>/mempool.dat, and a bad file never stops
// stepd from starting (docs/node.md, "Mempool persistence").
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/bytes.h"
#include "consensus/encoding.h"
#include "consensus/keys.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/transaction.h"
#include "tests/functional/stepd_process.h"
#include "tests/functional/transfers.h"
#include "tests/support/fifo.h"

using nlohmann::json;
using step::test::StepdProcess;
namespace cs = step::consensus;

namespace {

using step::test::address;
using step::test::read_file;
using step::test::seed_of;
using step::test::stop_cleanly;
using step::test::transfer_hex;

}  // namespace

TEST_CASE("pending transactions survive a stepd restart and are mined after it") {
    const std::string root = step::test::make_temp_dir("mempool-restart");
    StepdProcess node(root);
    REQUIRE(node.start());
    node.result("generate", {{"count", 2}, {"address", address(1)}});
    // Two nonces of one sender and one of another: the restart must replay them in order.
    const std::string first = node.result("sendtransaction", {{"tx", transfer_hex(1, 2, 0, 1'000)}})["txid"];
    const std::string second = node.result("sendtransaction", {{"tx", transfer_hex(1, 3, 1, 2'000)}})["txid"];
    REQUIRE(node.result("getmempoolinfo")["size"] == 2);

    stop_cleanly(node);
    REQUIRE(std::filesystem::exists(node.datadir() + "/mempool.dat"));

    REQUIRE(node.start());
    INFO(node.log());
    CHECK(node.log().find("loaded 2 of 2 transactions (0 dropped)") != std::string::npos);
    auto info = node.result("getmempoolinfo");
    CHECK(info["size"] == 2);
    CHECK(node.result("gettransaction", {{"txid", first}})["status"] == "mempool");
    CHECK(node.result("gettransaction", {{"txid", second}})["status"] == "mempool");
    CHECK(node.result("getaccount", {{"address", address(1)}})["next_nonce"] == 2);

    auto gen = node.result("generate", {{"count", 1}, {"address", address(4)}});
    CHECK(gen["height"] == 3);
    CHECK(node.result("gettransaction", {{"txid", first}})["status"] == "confirmed");
    CHECK(node.result("gettransaction", {{"txid", second}})["status"] == "confirmed");
    CHECK(node.result("getmempoolinfo")["size"] == 0);

    // Mined meanwhile: the next restart saves and loads an empty pool, nothing comes back.
    stop_cleanly(node);
    REQUIRE(node.start());
    CHECK(node.result("getmempoolinfo")["size"] == 0);
    CHECK(node.log().find("loaded 0 of 0 transactions (0 dropped)") != std::string::npos);
    stop_cleanly(node);
    std::filesystem::remove_all(root);
}

TEST_CASE("a garbage mempool.dat is set aside and stepd starts with an empty pool") {
    const std::string root = step::test::make_temp_dir("mempool-garbage");
    StepdProcess node(root);
    std::filesystem::create_directories(node.datadir());
    const std::string garbage = "definitely not a mempool file\n";
    {
        std::ofstream out(node.datadir() + "/mempool.dat", std::ios::binary);
        out << garbage;
    }
    REQUIRE(node.start());
    INFO(node.log());
    CHECK(node.result("getmempoolinfo")["size"] == 0);
    CHECK(node.log().find("mempool-file-magic") != std::string::npos);
    CHECK(read_file(node.datadir() + "/mempool.dat.bad") == garbage);
    CHECK_FALSE(std::filesystem::exists(node.datadir() + "/mempool.dat"));

    // The node works normally and its next save is a good file again.
    node.result("generate", {{"count", 1}, {"address", address(1)}});
    const std::string txid = node.result("sendtransaction", {{"tx", transfer_hex(1, 2, 0, 5)}})["txid"];
    stop_cleanly(node);
    REQUIRE(node.start());
    CHECK(node.result("gettransaction", {{"txid", txid}})["status"] == "mempool");
    stop_cleanly(node);
    std::filesystem::remove_all(root);
}

// Issue 11, defect 7: a FIFO named mempool.dat (or peers.dat) used to block start-up forever.
TEST_CASE("a FIFO named mempool.dat or peers.dat is set aside and stepd starts") {
    const std::string root = step::test::make_temp_dir("mempool-fifo");
    StepdProcess node(root);
    std::filesystem::create_directories(node.datadir());
    step::test::FifoTrap mempool(node.datadir() + "/mempool.dat");
    step::test::FifoTrap peers(node.datadir() + "/peers.dat");
    REQUIRE(mempool.made());
    REQUIRE(peers.made());
    REQUIRE(node.start());
    INFO(node.log());
    CHECK(node.result("getmempoolinfo")["size"] == 0);
    CHECK(node.log().find("not a regular file (a FIFO)") != std::string::npos);
    CHECK(step::test::is_fifo(node.datadir() + "/mempool.dat.bad"));
    CHECK(step::test::is_fifo(node.datadir() + "/peers.dat.bad"));
    stop_cleanly(node);
    CHECK_FALSE(step::test::is_fifo(node.datadir() + "/mempool.dat"));
    std::filesystem::remove_all(root);
}
