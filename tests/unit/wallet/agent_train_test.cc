// The solver's resumable training (wallet/agent_train.h) and the background job that runs it
// (wallet/agent_worker.h): a unit trained in pieces, or resumed from a checkpoint after a kill,
// commits to exactly build_trace's leaves.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/merkle.h"
#include "tests/support/status_check.h"
#include "tests/unit/verifier/fixture.h"
#include "tests/unit/wallet/temp_dir.h"
#include "wallet/agent_train.h"
#include "wallet/agent_worker.h"
#include "wallet/errors.h"
#include "wallet/secure_file.h"

using namespace step;
using namespace step::wallet::agent;
using step::verifier::testing::Cpu;
using step::verifier::testing::fixture_data;
using step::verifier::testing::small_spec;

namespace {

// The fixture's unit 0/0: U = 16, L = 4, C = 8, so leaves 0..4 with checkpoints at 0, 2 and 4.
struct Bed {
    wallet::testing::TempDir dir;
    Cpu cpu;
    UnitTraining job;
    verifier::UnitTrace reference;

    Bed() {
        job.spec = small_spec();
        job.shape = *verifier::trace_shape(job.spec);
        job.unit = {verifier::testing::task_id(), 0, 0};
        job.start = *kernels::init_state(job.spec);
        job.data = &fixture_data();
        job.backend = cpu.backend.get();
        job.exec = cpu.ex;
        job.state_dir = dir.path();
        job.progress_path = dir.sub("unit.progress");
        reference = *verifier::build_trace(*cpu.backend, cpu.ex, job.spec, fixture_data(), job.unit,
                                           job.start);
    }

    // The finished run's progress file cut back to leaf `leaf` (and no loss yet), as a kill right
    // after that piece leaves it.
    void cut_progress_to(uint32_t leaf) const {
        auto text = wallet::read_small_file(job.progress_path, 1u << 20);
        REQUIRE(text.ok());
        nlohmann::json j = nlohmann::json::parse(*text);
        j["leaves"].erase(j["leaves"].begin() + leaf + 1, j["leaves"].end());
        j.erase("loss_bits");
        REQUIRE(wallet::atomic_write_file(job.progress_path, j.dump(), 0600,
                                          wallet::WriteMode::kReplace)
                    .ok());
    }

    void check_equals_reference(const TrainedUnit& t) const {
        CHECK(t.leaves == reference.leaves);
        CHECK(t.root == reference.root);
        CHECK(std::bit_cast<uint32_t>(t.last_loss) == std::bit_cast<uint32_t>(reference.last_loss));
        // Every state the solver serves is on disk under its leaf, with the bytes build_trace made.
        for (const auto& c : reference.checkpoints) {
            auto f = wallet::read_small_file(
                state_file_path(job.state_dir, reference.leaves[c.leaf]), 1u << 24);
            REQUIRE(f.ok());
            CHECK(Bytes(f->begin(), f->end()) == c.bytes);
        }
    }
};

}  // namespace

TEST_CASE(
    "a unit trained in checkpoint pieces is build_trace's, and a second run finds it trained") {
    Bed bed;
    const std::atomic<bool> stop{false};
    auto first = train_unit(bed.job, stop);
    REQUIRE(first.ok());
    bed.check_equals_reference(*first);
    CHECK(first->resumed_from == 0);
    CHECK(first->steps_trained == 16);
    CHECK(served_leaves(bed.job.shape) == std::vector<uint32_t>{0, 2, 4});
    // A restart after training and before the commitment: nothing is trained again.
    auto again = train_unit(bed.job, stop);
    REQUIRE(again.ok());
    bed.check_equals_reference(*again);
    CHECK(again->resumed_from == 4);
    CHECK(again->steps_trained == 0);
}

TEST_CASE(
    "a killed training resumes from its last checkpoint, or from the start when that is unusable") {
    Bed bed;
    const std::atomic<bool> stop{false};
    REQUIRE(train_unit(bed.job, stop).ok());

    SECTION("killed after the checkpoint at leaf 2") {
        bed.cut_progress_to(2);
        auto resumed = train_unit(bed.job, stop);
        REQUIRE(resumed.ok());
        CHECK(resumed->resumed_from == 2);
        CHECK(resumed->steps_trained == 8);
        bed.check_equals_reference(*resumed);
    }
    SECTION("killed before the progress named leaf 3's checkpoint: leaf 3 is not one, so leaf 2") {
        bed.cut_progress_to(3);
        auto resumed = train_unit(bed.job, stop);
        REQUIRE(resumed.ok());
        CHECK(resumed->resumed_from == 2);
        bed.check_equals_reference(*resumed);
    }
    SECTION("the checkpoint's file is torn: the start") {
        bed.cut_progress_to(2);
        std::ofstream(state_file_path(bed.job.state_dir, bed.reference.leaves[2]), std::ios::trunc)
            << "torn";
        auto resumed = train_unit(bed.job, stop);
        REQUIRE(resumed.ok());
        CHECK(resumed->resumed_from == 0);
        CHECK(resumed->steps_trained == 16);
        bed.check_equals_reference(*resumed);
    }
    SECTION("the progress belongs to another start state (the round before was redone)") {
        bed.job.start.values[0] += 1.0f;
        auto other = train_unit(bed.job, stop);
        REQUIRE(other.ok());
        CHECK(other->resumed_from == 0);
        CHECK(other->leaves[0] != bed.reference.leaves[0]);
    }
}

TEST_CASE("a stopped training stops before its next piece and keeps what it made") {
    Bed bed;
    const std::atomic<bool> stop{true};
    auto stopped = train_unit(bed.job, stop);
    CHECK(stopped.status() == wallet::codes::kCancelled);
    CHECK_FALSE(std::filesystem::exists(bed.job.progress_path));
}

TEST_CASE("the step rate is measured on one leaf interval of the task") {
    Bed bed;
    auto rate = measure_step_rate(*bed.cpu.backend, bed.cpu.ex, bed.job.spec, fixture_data(),
                                  bed.job.unit.task_id);
    REQUIRE(rate.ok());
    CHECK(*rate > 0);
}

TEST_CASE("a background job hands its result to the thread that takes it, and stops when asked") {
    Background<int> job;
    CHECK_FALSE(job.busy());
    CHECK_FALSE(job.take().has_value());
    job.start([](const std::atomic<bool>&) -> Result<int> { return 42; });
    CHECK(job.busy());
    std::optional<Result<int>> r;
    for (int i = 0; i < 2000 && !(r = job.take()); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    REQUIRE(r.has_value());
    REQUIRE(r->ok());
    CHECK(**r == 42);
    CHECK_FALSE(job.busy());

    // A job that runs until it is stopped: stop() returns once it has, and drops its result.
    std::atomic<bool> running{false};
    job.start([&](const std::atomic<bool>& stop) -> Result<int> {
        running.store(true);
        while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return Status::error(wallet::codes::kCancelled, "stopped");
    });
    while (!running.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    job.stop();
    CHECK_FALSE(job.busy());
    CHECK_FALSE(job.take().has_value());
}
