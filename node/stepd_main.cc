// stepd: the Stepchain full node. The parts and the order they start and stop in are
// node/init.h's; this file reads the configuration, starts the node, waits for SIGINT/SIGTERM
// and stops it.
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "node/init.h"
#include "node/log.h"

namespace step::node {
namespace {

// Signals are taken by sigwait in the main thread: they must be blocked before any thread
// starts (threads inherit the mask). Dispositions are reset first: a shell starts background
// jobs with SIGINT ignored, and an ignored signal is discarded before sigwait could see it.
sigset_t block_shutdown_signals() {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return signals;
}

int run(int argc, char** argv) {
    const sigset_t signals = block_shutdown_signals();
    auto config = read_config(argc, argv);
    if (!config.ok()) {
        std::cerr << "stepd: " << config.status().to_string() << "\n" << config_usage();
        return kExitUsage;
    }
    if (config->help) {
        std::cout << config_usage();
        return kExitOk;
    }
    set_log_level(config->log_level);
    int code = kExitOk;
    {
        NodeContext ctx;
        // A storage failure stops the node as a signal does: the main thread wakes from sigwait.
        ctx.request_stop = [] { ::kill(::getpid(), SIGTERM); };
        if (!apply_config(ctx, *config)) return kExitUsage;
        if (const int failed = start_node(ctx); failed != kExitOk) return failed;
        int sig = 0;
        sigwait(&signals, &sig);
        if (ctx.storage_failure)
            log_info("shutting down after the storage failure");
        else
            log_info("received ", sig == SIGINT ? "SIGINT" : "SIGTERM", ", shutting down");
        stop_node(ctx);
        code = exit_code(ctx);
    }  // every part closes here, in reverse order (NodeContext)
    log_info("shutdown complete", code == kExitOk ? "" : ", exit " + std::to_string(code));
    set_log_file("");
    return code;
}

}  // namespace
}  // namespace step::node

int main(int argc, char** argv) {
    try {
        return step::node::run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "stepd: fatal: " << e.what() << "\n";
        return step::node::kExitFailure;
    }
}
