#include "wallet/terminal.h"

#include <cctype>
#include <csignal>
#include <iostream>
#include <termios.h>
#include <unistd.h>

#include "wallet/secure_file.h"
#include "wallet/errors.h"

namespace step::wallet {
namespace {

constexpr size_t kMaxPassphraseFileBytes = 64 * 1024;

Result<std::string> read_line_from_stdin() {
    std::string line;
    if (!std::getline(std::cin, line))
        return Status::error(codes::kNoInput, "no answer: standard input ended");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// The first line of the file, without its line ending: `echo secret > f` works as expected.
Result<std::string> read_passphrase_file(const std::string& path) {
    auto text = read_small_file(path, kMaxPassphraseFileBytes);
    if (!text.ok())
        return Status::error(codes::kPassphraseFile,
                             "cannot read passphrase file: " + text.status().message());
    std::string line = text->substr(0, text->find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// While echo is off, an interrupt must not leave the user's terminal silent: restore the mode,
// then die of the signal as usual.
termios g_saved_mode{};

extern "C" void restore_echo_and_reraise(int sig) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_mode);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

Status needs_passphrase(const std::string& key_name) {
    return Status::error(codes::kPassphraseNeeded,
                         "key '" + key_name +
                             "' needs a passphrase: stdin is not a terminal, pass "
                             "--passphrase-file FILE");
}

}  // namespace

bool ConsoleTerminal::interactive() const { return ::isatty(STDIN_FILENO) == 1; }

Result<std::string> ConsoleTerminal::read_secret(const std::string& prompt) {
    if (!interactive()) return Status::error(codes::kNoTty, "stdin is not a terminal");
    std::cerr << prompt << std::flush;
    termios old_mode{};
    bool restore = ::tcgetattr(STDIN_FILENO, &old_mode) == 0;
    using Handler = void (*)(int);
    Handler old_int = SIG_DFL, old_term = SIG_DFL;
    if (restore) {
        g_saved_mode = old_mode;
        old_int = std::signal(SIGINT, restore_echo_and_reraise);
        old_term = std::signal(SIGTERM, restore_echo_and_reraise);
        termios quiet = old_mode;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    auto line = read_line_from_stdin();
    if (restore) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
        std::signal(SIGINT, old_int);
        std::signal(SIGTERM, old_term);
    }
    std::cerr << "\n";
    return line;
}

Result<bool> ConsoleTerminal::confirm(const std::string& prompt) {
    if (!interactive()) return Status::error(codes::kNoTty, "stdin is not a terminal");
    std::cerr << prompt << " [y/N] " << std::flush;
    auto line = read_line_from_stdin();
    if (!line.ok()) return line.status();
    std::string answer;
    for (char c : *line) answer.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return answer == "y" || answer == "yes";
}

Result<std::string> obtain_passphrase(Terminal& terminal,
                                      const std::optional<std::string>& passphrase_file,
                                      const std::string& key_name) {
    if (passphrase_file) return read_passphrase_file(*passphrase_file);
    if (!terminal.interactive()) return needs_passphrase(key_name);
    return terminal.read_secret("Passphrase for key '" + key_name + "': ");
}

Result<std::string> obtain_new_passphrase(Terminal& terminal,
                                          const std::optional<std::string>& passphrase_file,
                                          const std::string& key_name) {
    std::string passphrase;
    if (passphrase_file) {
        auto p = read_passphrase_file(*passphrase_file);
        if (!p.ok()) return p;
        passphrase = *p;
    } else {
        if (!terminal.interactive()) return needs_passphrase(key_name);
        auto first = terminal.read_secret("New passphrase for key '" + key_name + "': ");
        if (!first.ok()) return first;
        auto second = terminal.read_secret("Repeat the passphrase: ");
        if (!second.ok()) return second;
        if (*first != *second)
            return Status::error(codes::kPassphraseMismatch, "the two passphrases differ");
        passphrase = *first;
    }
    if (passphrase.empty())
        return Status::error(codes::kEmptyPassphrase, "refusing an empty passphrase for key '" +
                                                     key_name + "'");
    return passphrase;
}

}  // namespace step::wallet
