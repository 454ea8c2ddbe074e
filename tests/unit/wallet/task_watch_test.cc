// task watch: the view a person sees, computed from node answers without a node.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "consensus/params.h"
#include "wallet/task_watch.h"

using nlohmann::json;
using namespace step;
using namespace step::wallet;

namespace {

const consensus::Params& devnet() { return *consensus::params_by_name("devnet"); }

json task_answer() { return {{"task_id", std::string(64, 'a')}, {"submit_height", 10}}; }

json progress_answer(uint64_t height, uint64_t final_units, json committed) {
    return {{"task_id", std::string(64, 'a')}, {"height", height}, {"units_final", final_units},
            {"units_total", 8}, {"rounds", 4}, {"current_round", final_units / 2},
            {"done", false}, {"cancelled", false}, {"committed_units", committed}};
}

}  // namespace

TEST_CASE("the watch view counts units, finds the nearest deadline and extrapolates the blocks left") {
    const consensus::UnitWindows w = consensus::unit_windows(30, devnet());
    // Two units final in the 20 blocks since submission: 10 blocks a unit, 6 units left.
    const json committed = json::array({{{"round", 1}, {"unit", 0}, {"commit_height", 30}, {"reported_loss", 2.0}},
                                        {{"round", 1}, {"unit", 1}, {"commit_height", 0}, {"reported_loss", 1.5}}});
    auto v = make_watch_view(task_answer(), progress_answer(30, 2, committed), devnet());
    REQUIRE(v.ok());
    CHECK(v->units_final == 2);
    CHECK(v->current_round == 1u);
    CHECK(v->losses == std::vector<double>{2.0, 1.5});
    REQUIRE(v->blocks_to_deadline);
    CHECK(*v->blocks_to_deadline == w.commit_end - 30);  // the first window still ahead
    REQUIRE(v->blocks_left);
    CHECK(*v->blocks_left == 60);
    const json j = watch_json(*v, 2.0);
    CHECK(j["blocks_left"] == 60);
    CHECK(j["seconds_left"] == 120.0);
    CHECK(j["next_deadline"]["blocks"] == w.commit_end - 30);
    const auto lines = render_watch(*v, 2.0);
    REQUIRE(lines.size() == 5);
    CHECK(lines[1].find("2/8 units final, round 2 of 4") != std::string::npos);
    CHECK(lines[4].find("about 60 blocks (2 min)") != std::string::npos);
}

TEST_CASE("the watch view's deadline follows a unit's window_delay") {
    // A late-answered data challenge moved unit 1/0's windows after assignment by 3 blocks.
    const consensus::UnitWindows w = consensus::unit_windows(30, devnet(), 3);
    REQUIRE(w.commit_end == consensus::unit_windows(30, devnet()).commit_end + 3);
    const json committed = json::array({{{"round", 1},
                                         {"unit", 0},
                                         {"commit_height", 30},
                                         {"window_delay", 3},
                                         {"reported_loss", 2.0}}});
    auto v = make_watch_view(task_answer(), progress_answer(30, 2, committed), devnet());
    REQUIRE(v.ok());
    REQUIRE(v->blocks_to_deadline);
    CHECK(*v->blocks_to_deadline == w.commit_end - 30);
}

TEST_CASE("the watch view of a finished task has no deadline and no estimate") {
    json p = progress_answer(50, 8, json::array());
    p["done"] = true;
    p["current_round"] = nullptr;
    auto v = make_watch_view(task_answer(), p, devnet());
    REQUIRE(v.ok());
    CHECK(v->finished());
    CHECK_FALSE(v->current_round);
    CHECK_FALSE(v->blocks_to_deadline);
    CHECK_FALSE(v->blocks_left);
    CHECK(render_watch(*v, std::nullopt)[1].find("done") != std::string::npos);
}

TEST_CASE("the watch view refuses an answer without its counts") {
    json p = progress_answer(50, 1, json::array());
    p.erase("units_total");
    CHECK_FALSE(make_watch_view(task_answer(), p, devnet()).ok());
}

TEST_CASE("the loss sparkline scales from the lowest to the highest loss and keeps the latest") {
    CHECK(loss_sparkline({3.0, 2.0, 1.0}, 10) == "█▅▁");
    CHECK(loss_sparkline({1.0, 1.0}, 10) == "▅▅");
    CHECK(loss_sparkline({5.0, 4.0, 3.0, 2.0}, 2) == "█▁");
    CHECK(loss_sparkline({}, 10).empty());
}

TEST_CASE("a fixed sequence of progress snapshots draws the expected lines") {
    const consensus::UnitWindows w = consensus::unit_windows(12, devnet());
    json unit0 = {{"round", 0}, {"unit", 0}, {"commit_height", 12}, {"reported_loss", 2.25}};
    json unit1 = {{"round", 0}, {"unit", 1}, {"commit_height", 12}, {"reported_loss", 1.75}};
    const std::string id = std::string(16, 'a') + "...";
    // 1: submitted at 10, nothing committed yet at 11.
    auto first = make_watch_view(task_answer(), progress_answer(11, 0, json::array()), devnet());
    REQUIRE(first.ok());
    CHECK(render_watch(*first, std::nullopt) ==
          std::vector<std::string>{"task " + id + "  height 11",
                                   "[..............................] 0/8 units final, round 1 of 4"});
    // 2: both units of round 0 committed at 12; at 13 the audits' commit window is ahead.
    auto second = make_watch_view(task_answer(), progress_answer(13, 0, json::array({unit0, unit1})), devnet());
    REQUIRE(second.ok());
    CHECK(render_watch(*second, std::nullopt) ==
          std::vector<std::string>{
              "task " + id + "  height 13",
              "[..............................] 0/8 units final, round 1 of 4",
              "reported loss █▁ 1.7500 (self-reported by solvers)",
              "next deadline: audit commit in " + std::to_string(w.commit_end - 13) + " block(s)"});
    // 3: round 0 final at 30 (20 blocks for 2 units): 60 blocks left at 10 blocks a unit, 1 s each.
    json progress = progress_answer(30, 2, json::array({unit0, unit1}));
    auto third = make_watch_view(task_answer(), progress, devnet());
    REQUIRE(third.ok());
    const auto lines = render_watch(*third, 1.0);
    REQUIRE(lines.size() >= 4);
    CHECK(lines[1] == "[#######.......................] 2/8 units final, round 2 of 4");
    CHECK(lines.back() == "left: about 60 blocks (60 s)");
    CHECK(second->change_key() != third->change_key());
    CHECK(first->change_key() != second->change_key());
}
