// step-wallet: see docs/wallet.md. All logic is in step_wallet_lib (wallet/app.h).
#include <iostream>

#include "wallet/app.h"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    step::wallet::ConsoleTerminal terminal;
    return step::wallet::run_wallet(args, terminal, std::cout, std::cerr);
}
