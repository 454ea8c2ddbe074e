// Where the wallet asks people things: passphrases (not echoed) and confirmations. Commands
// take a Terminal so that scripts and tests can answer without a TTY.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace step::wallet {

class Terminal {
public:
    virtual ~Terminal() = default;
    // True when a person can answer prompts (stdin is a TTY).
    virtual bool interactive() const = 0;
    // Reads one line without echo; the prompt goes to stderr. no-tty when not interactive.
    virtual Result<std::string> read_secret(const std::string& prompt) = 0;
    // Asks a yes/no question; only "y" or "yes" (any case) is yes.
    virtual Result<bool> confirm(const std::string& prompt) = 0;
};

// The process's stdin/stderr.
class ConsoleTerminal : public Terminal {
public:
    bool interactive() const override;
    Result<std::string> read_secret(const std::string& prompt) override;
    Result<bool> confirm(const std::string& prompt) override;
};

// The passphrase of an existing key: the first line of --passphrase-file, else asked once on
// the terminal. passphrase-needed when neither is possible.
Result<std::string> obtain_passphrase(Terminal& terminal,
                                      const std::optional<std::string>& passphrase_file,
                                      const std::string& key_name);

// The passphrase of a new key: the first line of --passphrase-file, else asked twice
// (passphrase-mismatch when they differ). Empty passphrases are refused (empty-passphrase).
Result<std::string> obtain_new_passphrase(Terminal& terminal,
                                          const std::optional<std::string>& passphrase_file,
                                          const std::string& key_name);

}  // namespace step::wallet
