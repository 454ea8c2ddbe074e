// step-wallet key files (<keystore>/<name>.json): the reader behind `key list`, `key show` and
// unlocking. The file is written to a private temporary keystore and read back through the
// public API. scrypt itself is not fuzzed: unlock runs only when the file asks for a cheap cost
// (the file's parameters decide the cost, and the API has no way to lower them), so a file
// asking for the real cost is only parsed.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/fuzz/fuzz.h"
#include "wallet/keystore.h"

namespace {

constexpr uint32_t kCheapLog2N = 6;  // 64 x 128 r bytes: microseconds
constexpr uint32_t kCheapR = 8;
constexpr uint32_t kCheapP = 2;

// The scrypt cost unlock would pay for this file: cheap unless every parameter reads as a
// number and together they name a cost above the cheap bounds (out-of-range costs are refused
// before scrypt runs, so those are cheap too).
bool cheap_to_unlock(std::string_view text) {
    using nlohmann::json;
    const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return true;
    const auto crypto = j.find("crypto");
    if (crypto == j.end() || !crypto->is_object()) return true;
    const auto kp = crypto->find("kdf_params");
    if (kp == crypto->end() || !kp->is_object()) return true;
    uint32_t v[3] = {0, 0, 0};
    const char* names[3] = {"log2_n", "r", "p"};
    for (int i = 0; i < 3; ++i) {
        const auto f = kp->find(names[i]);
        if (f == kp->end() || !f->is_number()) return true;
        v[i] = f->get<uint32_t>();
    }
    const bool in_range =
        v[0] >= 1 && v[0] <= 20 && v[1] >= 1 && v[1] <= 16 && v[2] >= 1 && v[2] <= 16;
    return !in_range || (v[0] <= kCheapLog2N && v[1] <= kCheapR && v[2] <= kCheapP);
}

// A private keystore folder for the process, removed at exit.
struct TempKeystore {
    std::string dir;
    TempKeystore() {
        std::string templ = "/tmp/step-fuzz-keystore-XXXXXX";
        STEP_FUZZ_CHECK(::mkdtemp(templ.data()) != nullptr);
        dir = templ;
    }
    ~TempKeystore() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

const std::string& keystore_dir() {
    static const TempKeystore keystore;
    return keystore.dir;
}

}  // namespace

STEP_FUZZ_TARGET(keystore) {
    using namespace step;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    wallet::Keystore store(keystore_dir());
    {
        std::ofstream f(store.key_path("k"), std::ios::binary | std::ios::trunc);
        f.write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    (void)store.get("k");
    (void)store.list();
    if (cheap_to_unlock(text)) (void)store.unlock("k", "fuzz");
}
