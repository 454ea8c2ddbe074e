#include <catch2/catch.hpp>

#include <filesystem>
#include <sys/stat.h>

#include "temp_dir.h"
#include "wallet/keystore.h"
#include "wallet/secure_file.h"
#include "wallet/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::wallet;
using step::wallet::testing::TempDir;

namespace {

// Cheap scrypt so the suite stays fast; the format stores the parameters, so this is honoured
// on read exactly like the production default.
const KdfParams kTestKdf{4, 8, 1};

Seed seed_of(uint8_t fill) {
    std::array<uint8_t, 32> b{};
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(fill + i);
    return Seed(b);
}

KeyIdentity identity_of(uint8_t fill) {
    return KeyIdentity{"step1identity" + std::to_string(fill), Bytes(32, fill)};
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("keystore round trip: the seed decrypts with the right passphrase") {
    TempDir tmp;
    Keystore ks(tmp.sub("w"));
    auto rec = ks.add("alice", seed_of(1), identity_of(1), "correct horse", kTestKdf);
    REQUIRE(rec.ok());
    CHECK(rec->is_default);
    auto seed = ks.unlock("alice", "correct horse");
    REQUIRE(seed.ok());
    CHECK(seed->bytes() == seed_of(1).bytes());
    auto got = ks.get("alice");
    REQUIRE(got.ok());
    CHECK(got->identity.address == identity_of(1).address);
    CHECK(got->identity.public_key == identity_of(1).public_key);
}

TEST_CASE("a wrong passphrase is a clear error naming the key") {
    TempDir tmp;
    Keystore ks(tmp.sub("w"));
    REQUIRE(ks.add("alice", seed_of(1), identity_of(1), "right", kTestKdf).ok());
    auto seed = ks.unlock("alice", "wrong");
    REQUIRE_FALSE(seed.ok());
    CHECK(seed.status() == step::wallet::codes::kWrongPassphrase);
    CHECK(seed.status().message() == "wrong passphrase for key 'alice'");
}

TEST_CASE("the seed is not stored in clear and the address is bound to the ciphertext") {
    TempDir tmp;
    Keystore ks(tmp.sub("w"));
    Seed seed = seed_of(7);
    REQUIRE(ks.add("k", seed, identity_of(7), "pw", kTestKdf).ok());
    std::string text = *read_small_file(ks.key_path("k"), 1 << 16);
    CHECK(text.find(to_hex(seed.bytes())) == std::string::npos);
    CHECK(text.find(identity_of(7).address) != std::string::npos);  // readable without passphrase
    // Swap the clear address: decryption must fail, since the address is the associated data.
    std::string forged = text;
    forged.replace(forged.find(identity_of(7).address), identity_of(7).address.size(),
                   "step1identity8");
    std::filesystem::remove(ks.key_path("k"));
    REQUIRE(atomic_write_file(ks.key_path("k"), forged, 0600, WriteMode::kCreateNew).ok());
    CHECK(ks.unlock("k", "pw").status() == step::wallet::codes::kWrongPassphrase);
}

TEST_CASE("key files are 0600 in a 0700 directory, whatever the umask") {
    TempDir tmp;
    mode_t old = ::umask(0);
    Keystore ks(tmp.sub("nested/w"));
    auto rec = ks.add("alice", seed_of(1), identity_of(1), "pw", kTestKdf);
    ::umask(old);
    REQUIRE(rec.ok());
    CHECK(mode_of(ks.key_path("alice")) == 0600);
    CHECK(mode_of(tmp.sub("nested/w")) == 0700);
    CHECK(mode_of(tmp.sub("nested/w/default")) == 0600);
}

TEST_CASE("an existing key name is never overwritten") {
    TempDir tmp;
    Keystore ks(tmp.sub("w"));
    REQUIRE(ks.add("alice", seed_of(1), identity_of(1), "pw", kTestKdf).ok());
    std::string before = *read_small_file(ks.key_path("alice"), 1 << 16);
    auto again = ks.add("alice", seed_of(2), identity_of(2), "pw", kTestKdf);
    REQUIRE_FALSE(again.ok());
    CHECK(again.status() == step::wallet::codes::kKeyExists);
    CHECK(*read_small_file(ks.key_path("alice"), 1 << 16) == before);
    CHECK(ks.unlock("alice", "pw")->bytes() == seed_of(1).bytes());
}

TEST_CASE("the first key is the default and set_default moves it") {
    TempDir tmp;
    Keystore ks(tmp.sub("w"));
    CHECK_FALSE(ks.default_name()->has_value());
    REQUIRE(ks.add("bob", seed_of(1), identity_of(1), "pw", kTestKdf).ok());
    auto second = ks.add("alice", seed_of(2), identity_of(2), "pw", kTestKdf);
    REQUIRE(second.ok());
    CHECK_FALSE(second->is_default);
    CHECK(**ks.default_name() == "bob");
    REQUIRE(ks.set_default("alice").ok());
    CHECK(**ks.default_name() == "alice");
    CHECK(ks.set_default("carol") == step::wallet::codes::kKeyNotFound);
    auto keys = ks.list();
    REQUIRE(keys.ok());
    REQUIRE(keys->size() == 2);
    CHECK((*keys)[0].name == "alice");
    CHECK((*keys)[0].is_default);
    CHECK((*keys)[1].name == "bob");
    CHECK_FALSE((*keys)[1].is_default);
}

TEST_CASE("an interrupted write leaves no key and does not block the next one") {
    TempDir tmp;
    Keystore ks(tmp.sub("w"));
    REQUIRE(ks.add("alice", seed_of(1), identity_of(1), "pw", kTestKdf).ok());
    // A crash between writing the temporary and moving it into place leaves only the hidden
    // temporary behind.
    auto temp = write_temp_file(ks.key_path("bob"), "{\"partial", 0600);
    REQUIRE(temp.ok());
    CHECK(is_temp_file_name(std::filesystem::path(*temp).filename().string()));
    CHECK(ks.get("bob").status() == step::wallet::codes::kKeyNotFound);
    auto keys = ks.list();
    REQUIRE(keys.ok());
    CHECK(keys->size() == 1);
    REQUIRE(ks.add("bob", seed_of(2), identity_of(2), "pw", kTestKdf).ok());
    CHECK(ks.unlock("bob", "pw")->bytes() == seed_of(2).bytes());
}

TEST_CASE("atomic replace leaves either the old or the new content, and no temporaries") {
    TempDir tmp;
    std::string path = tmp.sub("f");
    REQUIRE(atomic_write_file(path, "old", 0600, WriteMode::kReplace).ok());
    auto temp = write_temp_file(path, "new", 0600);
    REQUIRE(temp.ok());
    CHECK(*read_small_file(path, 16) == "old");  // before the commit: old content intact
    REQUIRE(commit_temp_file(*temp, path, WriteMode::kReplace).ok());
    CHECK(*read_small_file(path, 16) == "new");
    CHECK(atomic_write_file(path, "x", 0600, WriteMode::kCreateNew) == step::wallet::codes::kFileExists);
    CHECK(*read_small_file(path, 16) == "new");
    size_t entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
        (void)e;
        ++entries;
    }
    CHECK(entries == 1);
}

TEST_CASE("key names are validated") {
    CHECK(validate_key_name("alice").ok());
    CHECK(validate_key_name("a_b-9").ok());
    for (const std::string& bad : std::vector<std::string>{"", "-x", "_x", "a b", "a/b", "../x", "a.json", "step1abc",
                            std::string(65, 'a'), std::string("caf\xc3\xa9")}) {
        INFO(bad);
        CHECK(validate_key_name(bad) == step::wallet::codes::kBadKeyName);
    }
}

TEST_CASE("seed files hold 64 hex digits") {
    auto s = parse_seed_hex("  " + std::string(62, '0') + "ff\n");
    REQUIRE(s.ok());
    CHECK(s->bytes()[31] == 0xff);
    CHECK(parse_seed_hex(std::string(62, '0')).status() == step::wallet::codes::kSeedFormat);
    CHECK(parse_seed_hex(std::string(64, 'g')).status() == step::wallet::codes::kSeedFormat);
    CHECK(parse_seed_hex(std::string(66, '0')).status() == step::wallet::codes::kSeedFormat);
}

TEST_CASE("corrupt key files are reported, not skipped") {
    TempDir tmp;
    Keystore ks(tmp.sub("w"));
    REQUIRE(ks.add("alice", seed_of(1), identity_of(1), "pw", kTestKdf).ok());
    REQUIRE(atomic_write_file(ks.key_path("bob"), "not json", 0600, WriteMode::kCreateNew).ok());
    CHECK(ks.get("bob").status() == step::wallet::codes::kKeystoreCorrupt);
    CHECK(ks.list().status() == step::wallet::codes::kKeystoreCorrupt);
}

TEST_CASE("key file fields of the wrong JSON type are corrupt, not an abort") {
    TempDir tmp;
    Keystore ks(tmp.sub("w"));
    REQUIRE(ks.add("alice", seed_of(1), identity_of(1), "pw", kTestKdf).ok());
    // Found by the keystore fuzzer: a version or name of another type threw out of get().
    const std::string address = identity_of(1).address;
    for (const std::string& text :
         {std::string(R"({"version":"x","name":"bob","address":"a","crypto":{}})"),
          std::string(R"({"version":1,"name":7,"address":"a","crypto":{}})")}) {
        std::filesystem::remove(ks.key_path("bob"));
        REQUIRE(atomic_write_file(ks.key_path("bob"), text, 0600, WriteMode::kCreateNew).ok());
        CHECK(ks.get("bob").status() == step::wallet::codes::kKeystoreCorrupt);
    }
    // ... and a kdf or cipher of another type, met while unlocking.
    std::filesystem::remove(ks.key_path("bob"));
    const std::string kdf = R"({"version":1,"name":"bob","address":")" + address +
                            R"(","public_key":"00","crypto":{"kdf":7,"cipher":["x"],"kdf_params":{}}})";
    REQUIRE(atomic_write_file(ks.key_path("bob"), kdf, 0600, WriteMode::kCreateNew).ok());
    CHECK(ks.unlock("bob", "pw").status() == step::wallet::codes::kKeystoreCorrupt);
}
