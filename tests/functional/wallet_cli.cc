#include "tests/functional/wallet_cli.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace step::test {

WalletCli::WalletCli(const StepdProcess& node, std::string home)
    : node_(node), home_(std::move(home)), passphrase_file_(home_ + "/pass.txt") {
    std::ofstream(passphrase_file_) << "correct horse battery staple\n";
    std::filesystem::permissions(passphrase_file_, std::filesystem::perms::owner_read |
                                                       std::filesystem::perms::owner_write);
}

pid_t WalletCli::spawn(std::vector<std::string> args, const std::string& out_path,
                       const std::string& program) const {
    const char* bin_dir = std::getenv("STEP_BIN_DIR");
    args.insert(args.begin(),
                std::string(bin_dir ? bin_dir : STEP_BINARY_DIR "/bin") + "/" + program);
    args.insert(args.end(), {"--network", "devnet", "--rpc",
                             "http://127.0.0.1:" + std::to_string(node_.port()), "--cookie",
                             node_.datadir() + "/.cookie", "--passphrase-file", passphrase_file_,
                             "--output", "json"});
    std::fflush(stdout);  // else the child's freopen flushes our buffered output a second time
    pid_t pid = ::fork();
    if (pid == 0) {
        if (!std::freopen(out_path.c_str(), "w", stdout)) ::_exit(126);
        ::setenv("HOME", home_.c_str(), 1);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return pid;
}

WalletRun WalletCli::run(std::vector<std::string> args) const {
    const std::string out_path = home_ + "/wallet.out";
    const pid_t pid = spawn(std::move(args), out_path);
    int status = 0;
    ::waitpid(pid, &status, 0);
    WalletRun r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(out_path);
    r.out.assign(std::istreambuf_iterator<char>(in), {});
    return r;
}

}  // namespace step::test
