// step-deviant: `step-wallet agent` with one deviation injected (tests/adversary/deviations.h),
// the deviating party of the adversary suite. Built with the tests only, never installed:
//   step-deviant --deviation NAME [--leaf N] [--until FILE] agent --role ROLE [options...]
// Everything after the deviation's options is step-wallet's command line, run by the same
// run_wallet as step-wallet itself.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "tests/adversary/deviations.h"
#include "wallet/app.h"

namespace {

int usage() {
    std::cerr << "usage: step-deviant --deviation NAME [--leaf N] [--until FILE] agent --role "
                 "ROLE [options]\n"
                 "deviations:\n";
    for (const auto& d : step::adversary::deviation_list())
        std::cerr << "  " << d.name << " (" << d.role << "): " << d.what << "\n";
    return step::wallet::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string name, until;
    uint32_t leaf = 1;
    size_t i = 0;
    for (; i + 1 < args.size() && args[i].rfind("--", 0) == 0; i += 2) {
        if (args[i] == "--deviation")
            name = args[i + 1];
        else if (args[i] == "--leaf")
            leaf = static_cast<uint32_t>(std::strtoul(args[i + 1].c_str(), nullptr, 10));
        else if (args[i] == "--until")
            until = args[i + 1];
        else
            break;
    }
    auto deviation = step::adversary::make_deviation(name, leaf, until);
    if (!deviation) return usage();
    args.erase(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
    step::wallet::ConsoleTerminal terminal;
    return step::wallet::run_wallet(args, terminal, std::cout, std::cerr, deviation);
}
