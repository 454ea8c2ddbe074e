// Runs the real step-wallet binary against a StepdProcess, as a user would: its own HOME, a
// passphrase file, the node's RPC URL and cookie, JSON output.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "tests/functional/stepd_process.h"

namespace step::test {

struct WalletRun {
    int exit_code = -1;
    std::string out;  // stdout
};

class WalletCli {
public:
    // Writes a passphrase file under `home`; `node` must outlive this object.
    WalletCli(const StepdProcess& node, std::string home);

    // step-wallet ARGS --network devnet --rpc URL --cookie FILE --passphrase-file F --output json
    WalletRun run(std::vector<std::string> args) const;
    // The same command started in the background with stdout to `out_path`: its pid. `program`
    // is a binary of the build's bin folder that takes step-wallet's command line (step-deviant,
    // the adversary suite's deviating agents, tests/adversary).
    pid_t spawn(std::vector<std::string> args, const std::string& out_path,
                const std::string& program = "step-wallet") const;

private:
    const StepdProcess& node_;
    std::string home_;
    std::string passphrase_file_;
};

}  // namespace step::test
