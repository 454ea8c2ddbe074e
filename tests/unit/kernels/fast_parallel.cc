// The persistent pool: every index exactly once, nesting, and the FP control state checks.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cfloat>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <xmmintrin.h>

#include "kernels/fp_control.h"
#include "kernels/parallel.h"
#include "kernels/errors.h"
#include "tests/support/status_check.h"

using namespace step::kernels;

namespace {
constexpr unsigned kFtz = 1u << 15;
constexpr unsigned kDaz = 1u << 6;
constexpr unsigned kRoundUp = 2u << 13;

// Runs `body` in a forked child with its output silenced; returns the wait status.
template <class F>
int in_child(F body) {
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        // Catch's own SIGABRT handler would report from the child: let the abort through.
        std::signal(SIGABRT, SIG_DFL);
        std::freopen("/dev/null", "w", stderr);
        std::freopen("/dev/null", "w", stdout);
        body();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

bool aborted(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT; }
}  // namespace

TEST_CASE("parallel_for calls every index exactly once", "[kernels][pool]") {
    for (unsigned threads : {1u, 2u, 3u, 4u}) {
        ThreadPool pool(threads);
        REQUIRE(pool.size() == threads);
        for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{7}, size_t{1000}}) {
            for (int rep = 0; rep < 20; ++rep) {
                std::vector<std::atomic<int>> hits(n);
                pool.parallel_for(n, [&](size_t i) { hits[i].fetch_add(1); });
                for (size_t i = 0; i < n; ++i) REQUIRE(hits[i].load() == 1);
            }
        }
    }
}

TEST_CASE("parallel_for spreads work over more than one thread", "[kernels][pool]") {
    ThreadPool pool(3);
    std::atomic<int> on_caller{0}, elsewhere{0};
    auto caller = std::this_thread::get_id();
    // Sleeping indices give the workers time to wake and take a share.
    for (int rep = 0; rep < 500 && elsewhere.load() == 0; ++rep)
        pool.parallel_for(12, [&](size_t) {
            (std::this_thread::get_id() == caller ? on_caller : elsewhere).fetch_add(1);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        });
    REQUIRE(elsewhere.load() > 0);
}

TEST_CASE("nested parallel_for runs inline without deadlock", "[kernels][pool]") {
    ThreadPool pool(2);
    std::vector<std::atomic<int>> hits(8 * 8);
    pool.parallel_for(8, [&](size_t i) {
        pool.parallel_for(8, [&](size_t j) { hits[i * 8 + j].fetch_add(1); });
    });
    for (auto& h : hits) REQUIRE(h.load() == 1);
}

TEST_CASE("check_fp_control reports FTZ, DAZ and rounding on the calling thread",
          "[kernels][fp]") {
    unsigned saved = _mm_getcsr();
    REQUIRE(check_fp_control().ok());
    for (unsigned bad : {kFtz, kDaz, kRoundUp}) {
        _mm_setcsr(saved | bad);
        bool exact = fp_control_exact();
        auto st = check_fp_control();
        _mm_setcsr(saved);
        REQUIRE_FALSE(exact);
        REQUIRE(st == codes::kFpControlState);
    }
    _mm_setcsr(saved | kFtz | kDaz);
    set_fp_control_exact();
    bool fixed = fp_control_exact();
    _mm_setcsr(saved);
    REQUIRE(fixed);
}

TEST_CASE("workers reset an inherited flush-to-zero state at start-up", "[kernels][fp]") {
    unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | kFtz | kDaz);  // new threads inherit the creator's MXCSR
    ThreadPool pool(3);
    _mm_setcsr(saved);
    constexpr size_t n = 24;
    std::vector<int> exact(n, 0);
    std::vector<float> product(n, 0.0f);
    volatile float tiny = FLT_MIN;  // a*b below FLT_MIN must stay subnormal, not flush to zero
    pool.parallel_for(n, [&](size_t i) {
        exact[i] = fp_control_exact();
        product[i] = tiny * 0.5f;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    for (size_t i = 0; i < n; ++i) {
        REQUIRE(exact[i] == 1);
        REQUIRE(product[i] == FLT_MIN / 2);
    }
}

TEST_CASE("a caller with flush-to-zero on is refused with an abort", "[kernels][fp]") {
    int status = in_child([] {
        ThreadPool pool(2);
        _mm_setcsr(_mm_getcsr() | kFtz);
        pool.parallel_for(4, [](size_t) {});
    });
    REQUIRE(aborted(status));
}

TEST_CASE("a worker whose state a job changed aborts on its next job", "[kernels][fp]") {
    int status = in_child([] {
        ThreadPool pool(2);
        auto caller = std::this_thread::get_id();
        std::atomic<bool> worker_changed{false};
        for (int rep = 0; rep < 200 && !worker_changed.load(); ++rep)
            pool.parallel_for(8, [&](size_t) {
                if (std::this_thread::get_id() != caller) {
                    _mm_setcsr(_mm_getcsr() | kDaz);
                    worker_changed = true;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            });
        if (!worker_changed.load()) _exit(3);  // the worker never ran: the test cannot judge
        // The worker checks its state when it joins a job; give it jobs until it joins one.
        for (int rep = 0; rep < 200; ++rep)
            pool.parallel_for(8, [](size_t) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            });
        _exit(0);  // reached only if the worker never noticed its wrong state
    });
    REQUIRE(aborted(status));
}
