// The encrypted keystore: one JSON file per key, <dir>/<name>.json, mode 0600 in a 0700 dir.
// The address and public key are stored in clear, so balances and listings never need the
// passphrase; the 32-byte Ed25519 seed is encrypted with AES-256-GCM under a key derived by
// scrypt from the passphrase (random salt and nonce per file, the address as associated data,
// so a file whose clear address was swapped fails to decrypt). The file format is described in
// docs/wallet.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace step::wallet {

// An Ed25519 seed (private key) that wipes itself when destroyed.
class Seed {
public:
    Seed() = default;
    explicit Seed(const std::array<uint8_t, 32>& bytes) : bytes_(bytes) {}
    Seed(const Seed&) = default;
    Seed& operator=(const Seed&) = default;
    ~Seed();
    const std::array<uint8_t, 32>& bytes() const { return bytes_; }
    std::array<uint8_t, 32>& mutable_bytes() { return bytes_; }

private:
    std::array<uint8_t, 32> bytes_{};
};

// A fresh seed from the operating system's generator (Crypto++ AutoSeededRandomPool).
Seed random_seed();

// Reads a seed from hex text (64 hex digits, surrounding whitespace ignored): seed-format.
Result<Seed> parse_seed_hex(const std::string& text);

// scrypt cost: N = 2^log2_n, block size r, parallelism p. The defaults (2^15, 8, 1) take about
// 32 MiB and 0.1 s; they are stored in each file, so reading follows what the file says.
struct KdfParams {
    uint32_t log2_n = 15;
    uint32_t r = 8;
    uint32_t p = 1;
};

// The parameters new keys get: the defaults, unless STEP_WALLET_INSECURE_SCRYPT_LOG2N is set
// (tests only: a small N keeps functional tests fast; the name says what it costs).
KdfParams kdf_params_for_new_keys();

// What a seed stands for on chain, computed by the caller from consensus' key functions.
struct KeyIdentity {
    std::string address;  // bech32m step1...
    Bytes public_key;     // 32 bytes
};

struct KeyRecord {
    std::string name;
    KeyIdentity identity;
    bool is_default = false;
};

// Key names: 1..64 of [A-Za-z0-9_-], first an ASCII letter or digit, not starting with "step1" in any case
// (so a name can never be read as an address). bad-key-name otherwise.
Status validate_key_name(const std::string& name);
// True when `text` starts with "step1" in any case: bech32 allows an all-uppercase address
// (QR codes use it), so no key name may take that shape either.
bool looks_like_address(std::string_view text);

class Keystore {
public:
    explicit Keystore(std::string dir) : dir_(std::move(dir)) {}
    const std::string& dir() const { return dir_; }

    // Encrypts and writes a new key; key-exists if the name is taken (never overwrites).
    // The first key of a keystore becomes its default.
    Result<KeyRecord> add(const std::string& name, const Seed& seed, const KeyIdentity& identity,
                          const std::string& passphrase, const KdfParams& params);

    // Keys sorted by name; keystore-corrupt if a key file cannot be read as one.
    Result<std::vector<KeyRecord>> list() const;
    // key-not-found when absent.
    Result<KeyRecord> get(const std::string& name) const;
    // Decrypts the seed: wrong-passphrase ("wrong passphrase for key 'x'") when the passphrase
    // (or the file) does not authenticate.
    Result<Seed> unlock(const std::string& name, const std::string& passphrase) const;

    // The default key's name, nullopt when none is set.
    Result<std::optional<std::string>> default_name() const;
    // key-not-found unless the key exists.
    Status set_default(const std::string& name);

    std::string key_path(const std::string& name) const;

    // The folder and its files must be private, as ssh wants of a private key:
    // keystore-insecure when group or others may write the folder or a file in it (they could
    // swap a key file for one of theirs, and the wallet would pay to their address); one line
    // in `warnings` for each that they may only read (the seeds are encrypted, but then the
    // passphrase is all that guards them). An absent folder passes.
    Status check_permissions(std::vector<std::string>& warnings) const;

private:
    std::string default_path() const;
    std::string dir_;
};

}  // namespace step::wallet
