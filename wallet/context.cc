#include "wallet/context.h"

#include "consensus/keys.h"
#include "wallet/paths.h"
#include "wallet/secure_file.h"
#include "wallet/tx_builder.h"
#include "wallet/errors.h"

namespace step::wallet {

Status usage(const std::string& message) { return Status::error(codes::kUsage, message); }

Result<Keystore> Context::keystore() const {
    std::string dir;
    if (options.wallet_dir) {
        dir = *options.wallet_dir;
    } else {
        auto def = default_wallet_dir(home, options.network);
        if (!def.ok()) return def.status();
        dir = *def;
    }
    Keystore ks(dir);
    if (!keystore_checked_) {
        std::vector<std::string> warnings;
        STEP_TRY(ks.check_permissions(warnings));
        for (const std::string& w : warnings)
            if (err) *err << "warning: " << w << "\n";
        keystore_checked_ = true;
    }
    return ks;
}

void Context::warn_if_exposed(const std::string& path, const std::string& what) const {
    auto exposure = exposure_of(path);
    if (!exposure.ok() || *exposure == Exposure::kPrivate || err == nullptr) return;
    *err << "warning: " << exposure_text(what, path, *exposure) << "; run chmod go-rwx on it\n";
}

std::string Context::rpc_url_text() const {
    return options.rpc_url ? *options.rpc_url : default_rpc_url(options.network);
}

Result<RpcClient> Context::rpc() const {
    auto url = parse_rpc_url(rpc_url_text());
    if (!url.ok()) return url.status();
    return RpcClient(*url, cookie_location());
}

CookieLocation Context::cookie_location() const {
    CookieLocation cookie;
    cookie.explicit_path = options.cookie_file;
    auto def = default_cookie_path(home, options.network);
    if (def.ok()) cookie.default_path = *def;
    return cookie;
}

Result<KeyRecord> Context::signing_key() const {
    auto ks = keystore();
    if (!ks.ok()) return ks.status();
    if (options.from) return ks->get(*options.from);
    auto def = ks->default_name();
    if (!def.ok()) return def.status();
    if (!def->has_value())
        return Status::error(codes::kNoDefaultKey,
                             "no default key in " + ks->dir() +
                                 ": create one with 'step-wallet key new NAME' or pass --from");
    return ks->get(**def);
}

Result<std::string> Context::resolve_address(
    const std::optional<std::string>& name_or_address) const {
    if (!name_or_address) {
        auto key = signing_key();
        if (!key.ok()) return key.status();
        return key->identity.address;
    }
    const std::string& arg = *name_or_address;
    // Key names cannot start with "step1" in any case (validate_key_name), so this split is
    // unambiguous. An all-uppercase address is valid bech32: the node indexes the lowercase form.
    if (looks_like_address(arg)) {
        STEP_TRY(check_address(arg));
        return consensus::encode_address(*consensus::decode_address(arg));
    }
    auto ks = keystore();
    if (!ks.ok()) return ks.status();
    auto key = ks->get(arg);
    if (!key.ok()) {
        if (key.status().is(codes::kKeyNotFound))
            return Status::error(codes::kKeyNotFound,
                                 "'" + arg + "' is neither a step1 address nor a key name");
        return key.status();
    }
    return key->identity.address;
}

Result<Seed> Context::unlock(const KeyRecord& key) const {
    auto ks = keystore();
    if (!ks.ok()) return ks.status();
    if (options.passphrase_file) warn_if_exposed(*options.passphrase_file, "passphrase file");
    auto passphrase = obtain_passphrase(*terminal, options.passphrase_file, key.name);
    if (!passphrase.ok()) return passphrase.status();
    auto seed = ks->unlock(key.name, *passphrase);
    if (!seed.ok()) return seed;
    // The clear address is authenticated by GCM; the public key is not, so compare it too.
    KeyIdentity id = identity_from_seed(*seed);
    if (id.address != key.identity.address || id.public_key != key.identity.public_key)
        return Status::error(codes::kKeystoreCorrupt,
                             "key '" + key.name + "' decrypts to a different key than its file "
                                                  "names");
    return seed;
}

Result<uint64_t> json_u64(const nlohmann::json& j, const char* key) {
    if (j.is_object() && j.contains(key)) {
        const auto& v = j[key];
        if (v.is_number_unsigned()) return v.get<uint64_t>();
        if (v.is_number_integer() && v.get<int64_t>() >= 0)
            return static_cast<uint64_t>(v.get<int64_t>());
        if (v.is_string()) {
            auto a = parse_base_units(v.get<std::string>());
            if (a.ok()) return a->units();
        }
    }
    return Status::error(codes::kRpcBadResponse,
                         std::string("node reply lacks a valid '") + key + "' field");
}

Result<Amount> json_amount(const nlohmann::json& j, const char* key) {
    auto v = json_u64(j, key);
    if (!v.ok()) return v.status();
    return Amount::from_units(*v);
}

Result<std::string> json_string(const nlohmann::json& j, const char* key) {
    if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    return Status::error(codes::kRpcBadResponse,
                         std::string("node reply lacks a valid '") + key + "' field");
}

}  // namespace step::wallet
