// The market's read-only RPC methods over a chain built in-process by the market scenario driver
// (real blocks, keys, kernels and the MNIST fixture): each answer is checked against the records
// consensus stored.
#include <bit>
#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "node/rpc/market_methods.h"
#include "tests/unit/market/scenario.h"
#include "consensus/errors.h"
#include "node/errors.h"
#include "tests/support/status_check.h"

namespace cs = step::consensus;
namespace mt = step::consensus::market_test;
using nlohmann::json;
using step::node::RpcDispatcher;

namespace {

RpcDispatcher market_dispatcher(mt::World& w) {
    RpcDispatcher d;
    step::node::register_market_methods(d, mt::P(), [&w](const step::node::MarketStateFn& fn) {
        fn(w.sim.kv(), w.sim.height());
    });
    return d;
}

json call(const RpcDispatcher& d, const std::string& method, const json& params) {
    int http = 0;
    const json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
    return json::parse(d.handle(req.dump(), false, http));
}

std::string hex(const step::Hash256& h) { return step::to_hex(h); }

std::vector<std::string> codes_of(const json& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e["code"].get<std::string>());
    return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("market RPC reports a task, its units, progress and ledgers after an honest round",
          "[node][market]") {
    mt::World w;
    mt::RoundPlan plan;
    plan.solvers = w.solvers;
    const auto work = w.run_round(0, w.start_of(0, {}), plan);
    const RpcDispatcher d = market_dispatcher(w);

    const json task = call(d, step::rpc::kGetTask, {{"task_id", hex(w.task)}})["result"];
    const step::pb::Task t = w.sim.task(w.task);
    CHECK(task["owner"] == cs::encode_address(w.owner));
    CHECK(task["rounds"] == 2);
    CHECK(task["units_per_round"] == 2);
    CHECK(task["finalised_rounds"] == 1);
    CHECK(task["escrow"] == std::to_string(t.escrow()));
    CHECK(task["unit_pay"] == std::to_string(t.unit_pay()));
    CHECK(task["spec"]["steps"] == w.spec.steps);
    // spec_hex is the chain's spec bytes, hyper-parameter bits included: what agents train.
    CHECK(task["spec_hex"] == step::to_hex(cs::encode_task_spec(t.spec())));
    CHECK(task["height"] == w.sim.height());

    const json unit = call(d, step::rpc::kGetUnit, {{"task_id", hex(w.task)}, {"round", 0}, {"unit", 1}})["result"];
    const step::pb::Unit u = w.sim.unit(w.task, 0, 1);
    CHECK(unit["status"] == step::rpc::kUnitFinal);
    CHECK(unit["solver"] == cs::encode_address(w.solvers[1]));
    CHECK(unit["final_leaf"] == step::to_hex(step::as_bytes(u.final_leaf())));
    CHECK(unit["leaves"].size() == 5);
    CHECK(unit["reported_loss_bits"].get<std::string>().size() == 8);
    CHECK(unit["reported_loss"].get<double>() == static_cast<double>(work[1].last_loss));
    REQUIRE(unit["audits"].size() == static_cast<size_t>(u.audits_size()));
    REQUIRE(u.audits_size() == static_cast<int>(w.spec.audit_verifiers));
    for (const auto& a : unit["audits"]) {
        CHECK(a["committed"] == true);
        CHECK(a["revealed"] == true);
        CHECK(a["verdict"] == "agreed");
        CHECK(a["leaves"].size() == w.spec.audit_leaves);
    }
    const auto settled = codes_of(unit["settlements"]);
    CHECK(contains(settled, cs::reasons::kUnitPay));
    CHECK(contains(settled, cs::reasons::kAuditFee));
    CHECK(contains(settled, cs::reasons::kBondRelease));
    for (const auto& e : unit["settlements"]) {
        CHECK(e["round"] == 0);
        CHECK(e["unit"] == 1);
    }

    // A unit of the next round is untouched: open, no solver, no loss.
    const json next = call(d, step::rpc::kGetUnit, {{"task_id", hex(w.task)}, {"round", 1}, {"unit", 0}})["result"];
    CHECK(next["status"] == step::rpc::kUnitOpen);
    CHECK(!next.contains("reported_loss"));

    const json prog = call(d, step::rpc::kGetTaskProgress, {{"task_id", hex(w.task)}})["result"];
    CHECK(prog["units_total"] == 4);
    CHECK(prog["units_final"] == 2);
    CHECK(prog["units_by_status"][step::rpc::kUnitFinal] == 2);
    CHECK(prog["units_by_status"][step::rpc::kUnitOpen] == 2);
    CHECK(prog["current_round"] == 1);
    REQUIRE(prog["committed_units"].size() == 2);
    for (const auto& e : prog["committed_units"]) {
        const uint32_t k = e["unit"].get<uint32_t>();
        CHECK(e["reported_loss"].get<double>() == static_cast<double>(work[k].last_loss));
        CHECK(e["window_delay"] == 0);  // no data challenge moved its windows
    }

    const json ledger = call(d, step::rpc::kGetLedger, {{"address", cs::encode_address(w.solvers[0])}})["result"];
    const auto solver_codes = codes_of(ledger["entries"]);
    CHECK(solver_codes.size() == w.sim.ledger(w.solvers[0]).size());
    CHECK(contains(solver_codes, cs::reasons::kUnitPay));
    CHECK(contains(solver_codes, cs::reasons::kUnitSubsidy));
    CHECK(contains(solver_codes, cs::reasons::kBondLock));

    const json task_ledger = call(d, step::rpc::kGetTaskLedger, {{"task_id", hex(w.task)}})["result"];
    CHECK(task_ledger["entries"].size() == w.sim.task_ledger(w.task).size());
    CHECK(task_ledger["entries"][0]["code"] == cs::reasons::kTaskEscrow);
}

TEST_CASE("listtasks lists open tasks, all tasks, and pages in task-id order", "[node][market]") {
    mt::World w;
    const step::Hash256 second = w.sim.submit(w.owner, w.spec);
    w.sim.block({w.sim.tx(w.owner, [&](auto& t) {
        t.mutable_cancel_task()->set_task_id(second.data(), second.size());
    })});
    REQUIRE(w.sim.task(second).cancelled());
    const RpcDispatcher d = market_dispatcher(w);

    const json open = call(d, step::rpc::kListTasks, json::object())["result"];
    CHECK(open["status"] == step::rpc::kUnitOpen);
    CHECK(open["more"] == false);
    REQUIRE(open["tasks"].size() == 1);
    const json& t = open["tasks"][0];
    CHECK(t["task_id"] == hex(w.task));
    CHECK(t["owner"] == cs::encode_address(w.owner));
    CHECK(t["budget"] == std::to_string(w.spec.budget));
    CHECK(t["unit_bond"] == std::to_string(w.spec.unit_bond));
    CHECK(t["model"] == "mlp{784,16,10}");
    CHECK(t["steps"] == w.spec.steps);
    CHECK_FALSE(t.contains("spec"));
    CHECK_FALSE(t.contains("spec_hex"));

    const json all = call(d, step::rpc::kListTasks, {{"status", step::rpc::kListTasksAll}})["result"];
    REQUIRE(all["tasks"].size() == 2);
    const std::string first_id = all["tasks"][0]["task_id"], last_id = all["tasks"][1]["task_id"];
    CHECK(first_id < last_id);  // hex of big-endian ids sorts as the ids do
    CHECK((first_id == hex(second) || last_id == hex(second)));

    const json page = call(d, step::rpc::kListTasks, {{"status", step::rpc::kListTasksAll}, {"limit", 1}})["result"];
    REQUIRE(page["tasks"].size() == 1);
    CHECK(page["tasks"][0]["task_id"] == first_id);
    CHECK(page["more"] == true);
    const json next = call(d, step::rpc::kListTasks,
                           {{"status", step::rpc::kListTasksAll}, {"limit", 1}, {"start_after", first_id}})["result"];
    REQUIRE(next["tasks"].size() == 1);
    CHECK(next["tasks"][0]["task_id"] == last_id);
    CHECK(next["more"] == false);

    for (const json& bad : {json{{"status", "done"}}, json{{"limit", 0}},
                            json{{"limit", step::rpc::kMaxListTasks + 1}}, json{{"start_after", "xyz"}}})
        CHECK(call(d, step::rpc::kListTasks, bad)["error"]["code"] == step::rpc::kErrInvalidParams);
}

TEST_CASE("market RPC shows a disagreeing verifier's verdict and its slash reason", "[node][market]") {
    mt::World w;
    mt::RoundPlan plan;
    plan.solvers = w.solvers;
    for (const auto& v : w.verifiers) plan.verifiers[v] = mt::Verifier::kLiar;
    w.run_round(0, w.start_of(0, {}), plan);
    const RpcDispatcher d = market_dispatcher(w);

    const json unit = call(d, step::rpc::kGetUnit, {{"task_id", hex(w.task)}, {"round", 0}, {"unit", 0}})["result"];
    REQUIRE(!unit["audits"].empty());
    for (const auto& a : unit["audits"]) CHECK(a["verdict"] == "disagreed");
    bool slash_seen = false;
    for (const auto& e : unit["settlements"])
        if (e["code"] == cs::reasons::kAuditUnproven) {
            slash_seen = true;
            CHECK(!e["reason"].get<std::string>().empty());
            CHECK(e["amount"] == std::to_string(mt::P().audit_bond));
        }
    CHECK(slash_seen);
    const std::string verifier = unit["audits"][0]["verifier"];
    const json ledger = call(d, step::rpc::kGetLedger, {{"address", verifier}})["result"];
    CHECK(contains(codes_of(ledger["entries"]), cs::reasons::kAuditUnproven));
}

TEST_CASE("market RPC rejects unknown tasks, out-of-range units and bad params", "[node][market]") {
    mt::World w;
    const RpcDispatcher d = market_dispatcher(w);
    const step::Hash256 unknown{};
    json r = call(d, step::rpc::kGetTask, {{"task_id", hex(unknown)}});
    CHECK(r["error"]["code"] == step::rpc::kErrNotFound);
    CHECK(r["error"]["data"]["code"] == name_of(step::consensus::codes::kUnknownTask));
    r = call(d, step::rpc::kGetUnit, {{"task_id", hex(w.task)}, {"round", 2}, {"unit", 0}});
    CHECK(r["error"]["code"] == step::rpc::kErrNotFound);
    CHECK(r["error"]["data"]["code"] == name_of(step::consensus::codes::kBadUnitRef));
    r = call(d, step::rpc::kGetUnit, {{"task_id", hex(w.task)}, {"round", 0}});
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidParams);
    r = call(d, step::rpc::kGetTaskProgress, {{"task_id", "xyz"}});
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidParams);
    r = call(d, step::rpc::kGetLedger, {{"address", "not-an-address"}});
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidParams);
    // A fresh account has an empty ledger, not an error.
    cs::Address fresh{};
    fresh.fill(0x77);
    r = call(d, step::rpc::kGetLedger, {{"address", cs::encode_address(fresh)}});
    CHECK(r["result"]["entries"].empty());
    // The freshly submitted task shows its escrow and no committed unit.
    r = call(d, step::rpc::kGetTaskProgress, {{"task_id", hex(w.task)}});
    CHECK(r["result"]["units_final"] == 0);
    CHECK(r["result"]["current_round"] == 0);
    CHECK(r["result"]["committed_units"].empty());
}

TEST_CASE("market RPC shows a pending proof commitment, then the false proof's settlements",
          "[node][market]") {
    mt::World w;
    mt::RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const auto active = w.active(0, c, work, plan);
    w.drive(cs::unit_windows(c, mt::P()).open_end, {active});
    // Leaf 3 is right: a "proof" that it is wrong from the true checkpoint at leaf 2 fails.
    auto pre = step::kernels::state_from_bytes(work[0].checkpoints[1].bytes);
    REQUIRE(pre.ok());
    auto proof = step::verifier::build_segment_proof(w.spec, mt::fixture(),
                                                     step::verifier::UnitRef{w.task, 0, 0},
                                                     work[0].leaves, 3, *pre);
    REQUIRE(proof.ok());
    const cs::Address prover = w.verifiers[2];
    const step::Hash256 commitment =
        step::verifier::fraud_proof_commitment(*proof, step::ByteSpan(prover.data(), prover.size()));
    const RpcDispatcher d = market_dispatcher(w);

    json r = call(d, step::rpc::kGetProofCommitment, {{"commitment", hex(commitment)}});
    CHECK(r["error"]["data"]["code"] == name_of(step::node::codes::kUnknownProofCommitment));
    w.drive(w.sim.height() + 1, {active},
            [&](uint64_t, auto& txs) { txs.push_back(mt::proof_commit_tx(w.sim, prover, *proof)); });
    r = call(d, step::rpc::kGetProofCommitment, {{"commitment", hex(commitment)}})["result"];
    CHECK(r["prover"] == cs::encode_address(prover));
    CHECK(r["commit_height"] == w.sim.height());
    CHECK(r["bond"] == std::to_string(mt::P().proof_bond));

    w.drive(w.sim.height() + 1, {active},
            [&](uint64_t, auto& txs) { txs.push_back(mt::fraud_tx(w.sim, prover, w.task, 0, 0, *proof)); });
    // Revealed: the commitment is gone and the unit's settlements carry the proof's outcome.
    r = call(d, step::rpc::kGetProofCommitment, {{"commitment", hex(commitment)}});
    CHECK(r["error"]["code"] == step::rpc::kErrNotFound);
    const json unit = call(d, step::rpc::kGetUnit, {{"task_id", hex(w.task)}, {"round", 0}, {"unit", 0}})["result"];
    CHECK(unit["status"] == step::rpc::kUnitOpened);
    const auto settled = codes_of(unit["settlements"]);
    CHECK(contains(settled, cs::reasons::kProofFailedBurn));
    CHECK(contains(settled, cs::reasons::kProofFailedToSolver));
}

TEST_CASE("market RPC lists pending data challenges of a unit and of a task's dataset",
          "[node][market]") {
    mt::World w;
    mt::RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const cs::Address who = w.verifiers[0];
    w.sim.block({w.sim.tx(who, [&](auto& t) {
                     auto* dc = t.mutable_data_challenge();
                     *dc->mutable_unit() = mt::ref(w.task, 0, 1);
                     dc->set_kind(step::pb::DATA_FINAL_STATE);
                     dc->set_leaf(4);
                 }),
                 w.sim.tx(who, [&](auto& t) {
                     auto* dc = t.mutable_data_challenge();
                     dc->mutable_unit()->set_task_id(w.task.data(), 32);
                     dc->set_kind(step::pb::DATA_DATASET);
                     dc->set_record(42);
                 })});
    const uint64_t h = w.sim.height();
    const RpcDispatcher d = market_dispatcher(w);
    const json task = call(d, step::rpc::kGetTask, {{"task_id", hex(w.task)}})["result"];
    REQUIRE(task["data_challenges"].size() == 1);
    const json& dc = task["data_challenges"][0];
    CHECK(dc["kind"] == "dataset");
    CHECK(dc["record"] == 42);
    CHECK(dc["challenger"] == cs::encode_address(who));
    CHECK(dc["height"] == h);
    CHECK(dc["deadline"] == h + mt::P().da_window);
    CHECK(dc["bond"] == std::to_string(mt::P().da_bond));
    const json unit = call(d, step::rpc::kGetUnit, {{"task_id", hex(w.task)}, {"round", 0}, {"unit", 1}})["result"];
    REQUIRE(unit["data_challenges"].size() == 1);
    CHECK(unit["data_challenges"][0]["kind"] == "final-state");
    CHECK(unit["data_challenges"][0]["leaf"] == 4);
    CHECK(unit["data_challenges"][0]["deadline"] == h + mt::P().da_window);
}

TEST_CASE("listunits pages a task's units in (round, unit) order, each as getunit gives it",
          "[node][market]") {
    mt::World w;
    mt::RoundPlan plan;
    plan.solvers = w.solvers;
    w.run_round(0, w.start_of(0, {}), plan);
    const RpcDispatcher d = market_dispatcher(w);
    const std::string id = hex(w.task);

    const json all = call(d, step::rpc::kListUnits, {{"task_id", id}})["result"];
    CHECK(all["total"] == 4);
    CHECK(all["more"] == false);
    REQUIRE(all["units"].size() == 4);
    for (uint32_t i = 0; i < 4; ++i) {
        json one = call(d, step::rpc::kGetUnit, {{"task_id", id}, {"round", i / 2}, {"unit", i % 2}})["result"];
        one.erase("height");
        CHECK(all["units"][i] == one);
    }
    CHECK(all["units"][0]["status"] == step::rpc::kUnitFinal);
    CHECK(all["units"][3]["status"] == step::rpc::kUnitOpen);

    const json page = call(d, step::rpc::kListUnits, {{"task_id", id}, {"start", 1}, {"limit", 2}})["result"];
    CHECK(page["start"] == 1);
    CHECK(page["more"] == true);
    REQUIRE(page["units"].size() == 2);
    CHECK(page["units"][0]["round"] == 0);
    CHECK(page["units"][0]["unit"] == 1);
    CHECK(page["units"][1]["round"] == 1);
    CHECK(page["units"][1]["unit"] == 0);
    CHECK(call(d, step::rpc::kListUnits, {{"task_id", id}, {"start", 4}})["result"]["units"].empty());

    json r = call(d, step::rpc::kListUnits, {{"task_id", id}, {"limit", step::rpc::kMaxListUnits + 1}});
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidParams);
    r = call(d, step::rpc::kListUnits, {{"task_id", id}, {"limit", 0}});
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidParams);
    r = call(d, step::rpc::kListUnits, {{"task_id", id}, {"start", -1}});
    CHECK(r["error"]["code"] == step::rpc::kErrInvalidParams);
    r = call(d, step::rpc::kListUnits, {{"task_id", hex(step::Hash256{})}});
    CHECK(r["error"]["data"]["code"] == name_of(step::consensus::codes::kUnknownTask));
}
