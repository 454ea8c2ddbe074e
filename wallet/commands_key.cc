// key new / import / list / show / default: everything here works without a node.
#include <algorithm>

#include "wallet/commands.h"
#include "wallet/secure_file.h"
#include "wallet/tx_builder.h"
#include "wallet/errors.h"

namespace step::wallet {
namespace {

nlohmann::json key_json(const KeyRecord& k) {
    return {{"name", k.name},
            {"address", k.identity.address},
            {"public_key", to_hex(k.identity.public_key)},
            {"default", k.is_default}};
}

std::string key_text(const KeyRecord& k) {
    return "name:       " + k.name + (k.is_default ? " (default)" : "") +
           "\naddress:    " + k.identity.address +
           "\npublic key: " + to_hex(k.identity.public_key) + "\n";
}

Result<CommandOutput> add_key(Context& ctx, const std::string& name, const Seed& seed,
                              const char* verb) {
    STEP_TRY(validate_key_name(name));
    auto ks = ctx.keystore();
    if (!ks.ok()) return ks.status();
    // Refuse a taken name before asking for a passphrase twice.
    if (ks->get(name).ok())
        return Status::error(codes::kKeyExists, "a key named '" + name + "' already exists");
    if (ctx.options.passphrase_file) ctx.warn_if_exposed(*ctx.options.passphrase_file, "passphrase file");
    auto passphrase = obtain_new_passphrase(*ctx.terminal, ctx.options.passphrase_file, name);
    if (!passphrase.ok()) return passphrase.status();
    auto rec = ks->add(name, seed, identity_from_seed(seed), *passphrase,
                       kdf_params_for_new_keys());
    if (!rec.ok()) return rec.status();
    return CommandOutput{key_json(*rec), std::string(verb) + " key '" + name + "'\n" +
                                             key_text(*rec)};
}

}  // namespace

Result<CommandOutput> cmd_key(Context& ctx, const CommandArgs& args) {
    const std::string sub = args.empty() ? "" : args[0];
    if (sub == "new" && args.size() == 2) return add_key(ctx, args[1], random_seed(), "Created");
    if (sub == "import" && args.size() == 3) {
        auto text = read_small_file(args[2], 4096);
        if (!text.ok()) return text.status();
        auto seed = parse_seed_hex(*text);
        if (!seed.ok()) return seed.status();
        return add_key(ctx, args[1], *seed, "Imported");
    }
    auto ks = ctx.keystore();
    if (!ks.ok()) return ks.status();
    if (sub == "list" && args.size() == 1) {
        auto keys = ks->list();
        if (!keys.ok()) return keys.status();
        CommandOutput out{{{"keys", nlohmann::json::array()}}, ""};
        size_t width = 0;
        for (const auto& k : *keys) width = std::max(width, k.name.size());
        for (const auto& k : *keys) {
            out.json["keys"].push_back(key_json(k));
            std::string name = k.name;
            name.resize(width, ' ');
            out.text += (k.is_default ? "* " : "  ") + name + "  " + k.identity.address + "\n";
        }
        if (keys->empty()) out.text = "no keys in " + ks->dir() + "\n";
        return out;
    }
    if (sub == "show" && args.size() == 2) {
        auto k = ks->get(args[1]);
        if (!k.ok()) return k.status();
        return CommandOutput{key_json(*k), key_text(*k)};
    }
    if (sub == "default" && args.size() == 2) {
        STEP_TRY(ks->set_default(args[1]));
        auto k = ks->get(args[1]);
        if (!k.ok()) return k.status();
        return CommandOutput{key_json(*k), "default key is now '" + args[1] + "'\n"};
    }
    return usage("expected: key new NAME | key import NAME FILE | key list | key show NAME | "
                 "key default NAME");
}

}  // namespace step::wallet
