// step-wallet as a function, so tests run exactly what the binary runs.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "wallet/terminal.h"

namespace step::wallet {

namespace agent {
struct Deviation;
}

// Exit codes (docs/wallet.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // the command failed: bad input value, node error, I/O...
inline constexpr int kExitUsage = 2;  // the command line is malformed

// Runs one command line (argv without argv[0]). Results go to `out` (text or JSON), errors to
// `err` ("error: <message>", or {"error": {"code", "message"}} with --output json).
int run_wallet(const std::vector<std::string>& args, Terminal& terminal, std::ostream& out,
               std::ostream& err);
// The same with a deviation for `agent` (wallet/agent_deviation.h): the adversary suite's test
// program (tests/adversary/step_deviant.cc) only; step-wallet itself never passes one.
int run_wallet(const std::vector<std::string>& args, Terminal& terminal, std::ostream& out,
               std::ostream& err, std::shared_ptr<const agent::Deviation> deviation);

}  // namespace step::wallet
