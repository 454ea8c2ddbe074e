// Command-line grammar of step-wallet: options may stand before or after the subcommand
// (`step-wallet --network testnet balance` == `step-wallet balance --network testnet`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "wallet/network.h"

namespace step::wallet {

enum class OutputFormat { kText, kJson };

struct Options {
    Network network = Network::kDevnet;
    OutputFormat output = OutputFormat::kText;
    std::optional<std::string> rpc_url;          // --rpc; default from network
    std::optional<std::string> wallet_dir;       // --wallet-dir; default from $HOME
    std::optional<std::string> cookie_file;      // --cookie; default from $HOME and network
    std::optional<std::string> passphrase_file;  // --passphrase-file
    std::optional<std::string> from;             // --from NAME (send, bond, unbond)
    std::optional<std::string> fee;              // --fee STEP (send, bond, unbond), parsed later
    // agent (docs/wallet.md "Market agents")
    std::optional<std::string> role;             // --role solver|verifier|owner|whistleblower
    std::optional<std::string> data_file;        // --data FILE: the task records
    std::optional<std::string> state_dir;        // --state-dir DIR
    std::optional<std::string> poll_ms;          // --poll-ms N, parsed by the agent
    std::optional<std::string> backend;          // --backend auto|cpu|cuda (agent)
    std::optional<std::string> cpu_share;        // --cpu-share FRACTION (whistleblower)
    bool exit_when_idle = false;                 // --exit-when-idle
    std::optional<std::string> model_format;     // --format state|safetensors (task model)
    std::optional<std::string> sample;           // --sample N: task model generates N bytes
    std::optional<std::string> prompt;           // --prompt TEXT (with --sample)
    std::optional<std::string> temperature;      // --temperature T (with --sample; 0: greedy)
    std::optional<std::string> seed;             // --seed N (with --sample)
    bool yes = false;                            // -y / --yes: no confirmation prompt
    bool help = false;                           // -h / --help
};

struct Invocation {
    Options options;
    std::vector<std::string> words;  // the subcommand and its positional arguments
};

// Parses argv without argv[0]. Errors carry the code "usage" (the CLI exits 2 on them).
// Accepted forms: `--opt value`, `--opt=value`, `-y`, and `--` to end options. A word that
// starts with '-' followed by a digit is positional, so "-5" reaches the amount parser and is
// reported as a negative amount rather than an unknown option.
Result<Invocation> parse_command_line(const std::vector<std::string>& args);

// The usage text shown by --help and after a usage error.
std::string usage_text();

}  // namespace step::wallet
