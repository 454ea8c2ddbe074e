#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "node/datadir.h"
#include "node/errors.h"
#include "tests/support/status_check.h"

using namespace step::node;

namespace {

std::string temp_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("step-node-test-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    return dir.string();
}

}  // namespace

TEST_CASE("datadir lock excludes a second holder until released") {
    const std::string dir = temp_dir("lock");
    {
        auto first = lock_datadir(dir + "/nested");
        REQUIRE(first.ok());
        auto second = lock_datadir(dir + "/nested");
        REQUIRE_FALSE(second.ok());
        CHECK(second.status() == step::node::codes::kDatadirLocked);
    }
    auto again = lock_datadir(dir + "/nested");
    CHECK(again.ok());
    std::filesystem::remove_all(dir);
}

TEST_CASE("cookie is written with mode 0600, fresh each time, and removed") {
    const std::string dir = temp_dir("cookie");
    std::filesystem::create_directories(dir);
    auto c1 = write_cookie(dir);
    REQUIRE(c1.ok());
    CHECK(c1->rfind("__cookie__:", 0) == 0);
    CHECK(c1->size() == std::string("__cookie__:").size() + 64);
    struct stat st {};
    REQUIRE(::stat((dir + "/.cookie").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    std::ifstream in(dir + "/.cookie");
    std::string content((std::istreambuf_iterator<char>(in)), {});
    CHECK(content == *c1);
    auto c2 = write_cookie(dir);
    REQUIRE(c2.ok());
    CHECK(*c2 != *c1);
    remove_cookie(dir);
    CHECK_FALSE(std::filesystem::exists(dir + "/.cookie"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("a CookieFile removes its cookie when it goes, once, whoever holds it") {
    const std::string dir = temp_dir("cookie-file");
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/.cookie";
    {
        auto cookie = CookieFile::write(dir);
        REQUIRE(cookie.ok());
        std::ifstream in(path);
        std::string content((std::istreambuf_iterator<char>(in)), {});
        CHECK(content == cookie->credential());
        {
            CookieFile moved = std::move(*cookie);  // the moved-from one removes nothing
        }
        CHECK_FALSE(std::filesystem::exists(path));
        REQUIRE(write_cookie(dir).ok());
    }
    // The emptied Result's CookieFile went without touching the second cookie.
    CHECK(std::filesystem::exists(path));
    std::filesystem::remove_all(dir);
}

TEST_CASE("basic auth matches only the exact credential") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("__cookie__:ab") == "X19jb29raWVfXzphYg==");
    const std::string cred = "__cookie__:00ff";
    CHECK(basic_auth_matches("Basic " + base64_encode(cred), cred));
    CHECK_FALSE(basic_auth_matches("Basic " + base64_encode("__cookie__:00fe"), cred));
    CHECK_FALSE(basic_auth_matches("Bearer " + base64_encode(cred), cred));
    // The scheme name is case-insensitive.
    CHECK(basic_auth_matches("basic " + base64_encode(cred), cred));
    CHECK(basic_auth_matches("BASIC  " + base64_encode(cred), cred));
    CHECK_FALSE(basic_auth_matches("Basic" + base64_encode(cred), cred));
    CHECK_FALSE(basic_auth_matches("Basic ", cred));
    CHECK_FALSE(basic_auth_matches("", cred));
}
