// stepd's P2P options against a real process: a devnet node never dials out of the machine.
#include <catch2/catch.hpp>

#include "node/net/errors.h"
#include "tests/functional/stepd_process.h"

using step::test::StepdProcess;

TEST_CASE("a devnet stepd refuses to start with a --connect or --addnode outside 127.0.0.0/8") {
    for (const char* option : {"--connect", "--addnode"}) {
        INFO(option);
        const std::string root = step::test::make_temp_dir(std::string("p2p-dial-refused") + option);
        StepdProcess refused(root, {option, "10.0.0.1:18444"});
        CHECK_FALSE(refused.start());
        CHECK(refused.log().find(step::node::net::codes::kDialRefused.name) != std::string::npos);
        CHECK(refused.log().find("127.0.0.0/8") != std::string::npos);
        // The same option on loopback starts.
        StepdProcess loopback(root + "/ok", {option, "127.0.0.2:18444"});
        CHECK(loopback.start());
    }
}
