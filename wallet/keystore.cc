#include "wallet/keystore.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <crypto++/aes.h>
#include <crypto++/gcm.h>
#include <crypto++/misc.h>
#include <crypto++/osrng.h>
#include <crypto++/scrypt.h>
#include <crypto++/secblock.h>
#include <nlohmann/json.hpp>

#include "wallet/secure_file.h"
#include "wallet/errors.h"

namespace step::wallet {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kFormatVersion = 1;
constexpr size_t kSaltBytes = 32;
constexpr size_t kNonceBytes = 12;  // GCM's native nonce size
constexpr size_t kTagBytes = 16;
constexpr size_t kMaxKeyFileBytes = 64 * 1024;
// Bounds on parameters read from a file, so a crafted file cannot ask for gigabytes: 2^20 * r=8
// is 1 GiB of scrypt memory.
constexpr uint32_t kMaxLog2N = 20;
constexpr uint32_t kMaxR = 16;
constexpr uint32_t kMaxP = 16;
constexpr mode_t kKeyFileMode = 0600;

Status corrupt(const std::string& path, const std::string& why) {
    return Status::error(codes::kKeystoreCorrupt, "key file '" + path + "' is invalid: " + why);
}

Status check_params(const KdfParams& p) {
    if (p.log2_n < 1 || p.log2_n > kMaxLog2N || p.r < 1 || p.r > kMaxR || p.p < 1 || p.p > kMaxP)
        return Status::error(codes::kBadKdfParams, "scrypt parameters out of range");
    return Status();
}

CryptoPP::SecByteBlock derive_key(const std::string& passphrase, ByteSpan salt,
                                  const KdfParams& p) {
    CryptoPP::SecByteBlock key(32);
    CryptoPP::Scrypt scrypt;
    scrypt.DeriveKey(key, key.size(), reinterpret_cast<const CryptoPP::byte*>(passphrase.data()),
                     passphrase.size(), salt.data(), salt.size(), uint64_t{1} << p.log2_n, p.r,
                     p.p);
    return key;
}

Bytes hex_field(const json& j, const char* name, size_t expected_size, bool& ok) {
    if (!j.contains(name) || !j[name].is_string()) {
        ok = false;
        return {};
    }
    auto b = from_hex(j[name].get<std::string>());
    if (!b || b->size() != expected_size) {
        ok = false;
        return {};
    }
    return *b;
}

// Reads and parses a key file; the name must match the file's.
Result<json> load_key_json(const std::string& path, const std::string& name) {
    auto text = read_small_file(path, kMaxKeyFileBytes);
    if (!text.ok()) {
        if (text.status().is(codes::kFileNotFound))
            return Status::error(codes::kKeyNotFound, "no key named '" + name + "'");
        return text.status();
    }
    json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return corrupt(path, "not a JSON object");
    // Compared as JSON values, never read with value(), which throws when a field holds another
    // type than its default's (a damaged file must be keystore-corrupt, not an abort).
    if (!j.contains("version") || j["version"] != kFormatVersion) return corrupt(path, "unknown version");
    if (!j.contains("name") || j["name"] != name) return corrupt(path, "name does not match file name");
    if (!j.contains("address") || !j["address"].is_string())
        return corrupt(path, "missing address");
    if (!j.contains("crypto") || !j["crypto"].is_object()) return corrupt(path, "missing crypto");
    return j;
}

Result<KeyRecord> record_from_json(const json& j, const std::string& path) {
    bool ok = true;
    KeyRecord rec;
    rec.name = j["name"].get<std::string>();
    rec.identity.address = j["address"].get<std::string>();
    rec.identity.public_key = hex_field(j, "public_key", 32, ok);
    if (!ok) return corrupt(path, "bad public_key");
    return rec;
}

}  // namespace

Seed::~Seed() { CryptoPP::SecureWipeArray(bytes_.data(), bytes_.size()); }

Seed random_seed() {
    Seed seed;
    CryptoPP::AutoSeededRandomPool rng;
    rng.GenerateBlock(seed.mutable_bytes().data(), seed.mutable_bytes().size());
    return seed;
}

Result<Seed> parse_seed_hex(const std::string& text) {
    size_t b = text.find_first_not_of(" \t\r\n");
    size_t e = text.find_last_not_of(" \t\r\n");
    std::string_view hex =
        b == std::string::npos ? std::string_view() : std::string_view(text).substr(b, e - b + 1);
    auto bytes = hex.size() == 64 ? from_hex(hex) : std::nullopt;
    if (!bytes)
        return Status::error(codes::kSeedFormat,
                             "a seed file must hold exactly 64 hex digits (a 32-byte Ed25519 "
                             "seed)");
    std::array<uint8_t, 32> raw{};
    std::copy(bytes->begin(), bytes->end(), raw.begin());
    CryptoPP::SecureWipeArray(bytes->data(), bytes->size());
    return Seed(raw);
}

KdfParams kdf_params_for_new_keys() {
    KdfParams p;
    if (const char* v = std::getenv("STEP_WALLET_INSECURE_SCRYPT_LOG2N")) {
        int n = std::atoi(v);
        if (n >= 1 && static_cast<uint32_t>(n) <= kMaxLog2N) p.log2_n = static_cast<uint32_t>(n);
    }
    return p;
}

Status validate_key_name(const std::string& name) {
    auto bad = [&](const std::string& why) {
        return Status::error(codes::kBadKeyName, "invalid key name '" + name + "': " + why);
    };
    if (name.empty() || name.size() > 64) return bad("use 1 to 64 characters");
    if (!std::isalnum(static_cast<unsigned char>(name[0])))
        return bad("must start with a letter or digit");
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ||
            static_cast<unsigned char>(c) >= 0x80)
            return bad("use only letters, digits, '_' and '-'");
    if (looks_like_address(name)) return bad("names starting with 'step1' look like addresses");
    return Status();
}

bool looks_like_address(std::string_view text) {
    constexpr std::string_view kPrefix = "step1";
    if (text.size() < kPrefix.size()) return false;
    for (size_t i = 0; i < kPrefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[i])) != kPrefix[i]) return false;
    return true;
}

std::string Keystore::key_path(const std::string& name) const {
    return (fs::path(dir_) / (name + ".json")).string();
}

std::string Keystore::default_path() const { return (fs::path(dir_) / "default").string(); }

Result<KeyRecord> Keystore::add(const std::string& name, const Seed& seed,
                                const KeyIdentity& identity, const std::string& passphrase,
                                const KdfParams& params) {
    STEP_TRY(validate_key_name(name));
    STEP_TRY(check_params(params));
    if (identity.public_key.size() != 32)
        return Status::error(codes::kBadPublicKey, "public key must be 32 bytes");
    STEP_TRY(ensure_private_dir(dir_));
    // Decide on the default before writing, so the first key becomes the default even if the
    // default file is written after the key.
    auto current_default = default_name();
    if (!current_default.ok()) return current_default.status();

    CryptoPP::AutoSeededRandomPool rng;
    Bytes salt(kSaltBytes), nonce(kNonceBytes);
    rng.GenerateBlock(salt.data(), salt.size());
    rng.GenerateBlock(nonce.data(), nonce.size());
    CryptoPP::SecByteBlock key = derive_key(passphrase, salt, params);

    Bytes ciphertext(seed.bytes().size()), tag(kTagBytes);
    CryptoPP::GCM<CryptoPP::AES>::Encryption enc;
    enc.SetKeyWithIV(key, key.size(), nonce.data(), nonce.size());
    enc.EncryptAndAuthenticate(ciphertext.data(), tag.data(), tag.size(), nonce.data(),
                               static_cast<int>(nonce.size()),
                               reinterpret_cast<const CryptoPP::byte*>(identity.address.data()),
                               identity.address.size(), seed.bytes().data(), seed.bytes().size());

    json j = {
        {"version", kFormatVersion},
        {"name", name},
        {"address", identity.address},
        {"public_key", to_hex(identity.public_key)},
        {"crypto",
         {{"kdf", "scrypt"},
          {"kdf_params",
           {{"log2_n", params.log2_n}, {"r", params.r}, {"p", params.p}, {"salt", to_hex(salt)}}},
          {"cipher", "aes-256-gcm"},
          {"nonce", to_hex(nonce)},
          {"ciphertext", to_hex(ciphertext)},
          {"tag", to_hex(tag)},
          {"associated_data", "address"}}},
    };
    Status written =
        atomic_write_file(key_path(name), j.dump(2) + "\n", kKeyFileMode, WriteMode::kCreateNew);
    if (!written.ok()) {
        if (written.is(codes::kFileExists))
            return Status::error(codes::kKeyExists, "a key named '" + name + "' already exists");
        return written;
    }
    KeyRecord rec{name, identity, false};
    if (!current_default->has_value()) {
        STEP_TRY(set_default(name));
        rec.is_default = true;
    }
    return rec;
}

namespace {

// Adds `path`'s verdict to `warnings`; keystore-insecure when others may write it.
Status check_private(const std::string& path, const char* what, std::vector<std::string>& warnings) {
    auto exposure = exposure_of(path);
    if (!exposure.ok()) return exposure.status().is(codes::kFileNotFound) ? Status() : exposure.status();
    if (*exposure == Exposure::kWritableByOthers)
        return Status::error(codes::kKeystoreInsecure, exposure_text(what, path, *exposure) +
                                                           ": refusing to use it; run chmod go-w on it");
    if (*exposure == Exposure::kReadableByOthers)
        warnings.push_back(exposure_text(what, path, *exposure) + "; run chmod go-rwx on it");
    return Status();
}

}  // namespace

Status Keystore::check_permissions(std::vector<std::string>& warnings) const {
    std::error_code ec;
    if (!fs::exists(dir_, ec)) return Status();
    STEP_TRY(check_private(dir_, "keystore folder", warnings));
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        const std::string file = entry.path().filename().string();
        if (file.empty() || file[0] == '.') continue;  // interrupted writes' temporaries
        STEP_TRY(check_private(entry.path().string(), "keystore file", warnings));
    }
    if (ec) return Status::error(codes::kIoError, "cannot list '" + dir_ + "': " + ec.message());
    return Status();
}

Result<std::vector<KeyRecord>> Keystore::list() const {
    std::vector<KeyRecord> out;
    std::error_code ec;
    if (!fs::exists(dir_, ec)) return out;
    auto def = default_name();
    if (!def.ok()) return def.status();
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        std::string file = entry.path().filename().string();
        // Hidden files include interrupted writes' temporaries: never keys.
        if (file.empty() || file[0] == '.' || entry.path().extension() != ".json") continue;
        std::string name = entry.path().stem().string();
        auto rec = get(name);
        if (!rec.ok()) return rec.status();
        out.push_back(*rec);
    }
    if (ec) return Status::error(codes::kIoError, "cannot list '" + dir_ + "': " + ec.message());
    std::sort(out.begin(), out.end(),
              [](const KeyRecord& a, const KeyRecord& b) { return a.name < b.name; });
    return out;
}

Result<KeyRecord> Keystore::get(const std::string& name) const {
    if (!validate_key_name(name).ok())
        return Status::error(codes::kKeyNotFound, "no key named '" + name + "'");
    std::string path = key_path(name);
    auto j = load_key_json(path, name);
    if (!j.ok()) return j.status();
    auto rec = record_from_json(*j, path);
    if (!rec.ok()) return rec;
    auto def = default_name();
    if (!def.ok()) return def.status();
    rec->is_default = def->has_value() && **def == name;
    return rec;
}

Result<Seed> Keystore::unlock(const std::string& name, const std::string& passphrase) const {
    if (!validate_key_name(name).ok())
        return Status::error(codes::kKeyNotFound, "no key named '" + name + "'");
    std::string path = key_path(name);
    auto loaded = load_key_json(path, name);
    if (!loaded.ok()) return loaded.status();
    const json& c = (*loaded)["crypto"];
    if (!c.contains("kdf") || c["kdf"] != "scrypt" || !c.contains("cipher") || c["cipher"] != "aes-256-gcm" ||
        !c.contains("kdf_params") || !c["kdf_params"].is_object())
        return corrupt(path, "unsupported kdf or cipher");
    const json& kp = c["kdf_params"];
    KdfParams params;
    try {
        params.log2_n = kp.at("log2_n").get<uint32_t>();
        params.r = kp.at("r").get<uint32_t>();
        params.p = kp.at("p").get<uint32_t>();
    } catch (const json::exception&) {
        return corrupt(path, "bad kdf_params");
    }
    if (!check_params(params).ok()) return corrupt(path, "kdf_params out of range");
    bool ok = true;
    Bytes salt = hex_field(kp, "salt", kSaltBytes, ok);
    Bytes nonce = hex_field(c, "nonce", kNonceBytes, ok);
    Bytes ciphertext = hex_field(c, "ciphertext", 32, ok);
    Bytes tag = hex_field(c, "tag", kTagBytes, ok);
    if (!ok) return corrupt(path, "bad salt, nonce, ciphertext or tag");

    std::string address = (*loaded)["address"].get<std::string>();
    CryptoPP::SecByteBlock key = derive_key(passphrase, salt, params);
    CryptoPP::GCM<CryptoPP::AES>::Decryption dec;
    dec.SetKeyWithIV(key, key.size(), nonce.data(), nonce.size());
    Seed seed;
    bool authentic = dec.DecryptAndVerify(
        seed.mutable_bytes().data(), tag.data(), tag.size(), nonce.data(),
        static_cast<int>(nonce.size()), reinterpret_cast<const CryptoPP::byte*>(address.data()),
        address.size(), ciphertext.data(), ciphertext.size());
    if (!authentic)
        return Status::error(codes::kWrongPassphrase, "wrong passphrase for key '" + name + "'");
    return seed;
}

Result<std::optional<std::string>> Keystore::default_name() const {
    auto text = read_small_file(default_path(), 256);
    if (!text.ok()) {
        if (text.status().is(codes::kFileNotFound)) return std::optional<std::string>();
        return text.status();
    }
    std::string name = *text;
    while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
    if (name.empty()) return std::optional<std::string>();
    return std::optional<std::string>(name);
}

Status Keystore::set_default(const std::string& name) {
    auto rec = get(name);
    if (!rec.ok()) return rec.status();
    return atomic_write_file(default_path(), name + "\n", kKeyFileMode, WriteMode::kReplace);
}

}  // namespace step::wallet
