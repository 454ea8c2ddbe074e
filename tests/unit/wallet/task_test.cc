// step-wallet task validate / estimate, offline, through run_wallet (what main() runs), against
// consensus' own validation of the same spec: the wallet must accept exactly what a block would.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "consensus/params.h"
#include "consensus/task_spec.h"
#include "task_spec_file.h"
#include "temp_dir.h"
#include "verifier/audit_math.h"
#include "wallet/amount.h"
#include "wallet/app.h"
#include "wallet/terminal.h"
#include "wallet/task_spec_check.h"
#include "consensus/errors.h"
#include "tests/support/status_check.h"
#include "wallet/errors.h"

using namespace step;
using namespace step::wallet;
using nlohmann::json;

namespace {

class NoTerminal : public Terminal {
public:
    bool interactive() const override { return false; }
    Result<std::string> read_secret(const std::string&) override { return Status::error(step::wallet::codes::kNoTty, "no"); }
    Result<bool> confirm(const std::string&) override { return Status::error(step::wallet::codes::kNoTty, "no"); }
};

struct Run {
    int code;
    std::string out, err;
};

Run run(std::vector<std::string> args) {
    NoTerminal terminal;
    std::ostringstream out, err;
    const int code = run_wallet(args, terminal, out, err);
    return Run{code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("task validate accepts a valid spec and reports consensus' rounds and units") {
    testing::TempDir dir;
    const std::string path = testing::write_spec(dir);
    const Run r = run({"task", "validate", path, "--output", "json"});
    REQUIRE(r.code == 0);
    const json j = json::parse(r.out);
    CHECK(j["valid"] == true);
    CHECK(j["network"] == "devnet");
    auto s = load_spec_for_chain(path);
    REQUIRE(s.ok());
    auto c = consensus::validate_market_spec(s->onchain, s->spec.budget, s->spec.unit_bond,
                                             consensus::devnet_params());
    REQUIRE(c.ok());
    CHECK(j["rounds"] == c->rounds);
    CHECK(j["units"] == 4);
    CHECK(j["spec"]["data_count"] == 500);
    const Run text = run({"task", "validate", path});
    CHECK(text.code == 0);
    CHECK(text.out.find("valid for devnet: 2 rounds x 2 units = 4 units") != std::string::npos);
}

TEST_CASE("task validate fails with consensus' code and the field's name, exit 1") {
    testing::TempDir dir;
    SECTION("unit bond below the deterrence rule") {
        const Run r = run({"task", "validate", testing::write_spec(dir, {{"unit_bond", "1"}}), "--output", "json"});
        CHECK(r.code == 1);
        CHECK(json::parse(r.err)["error"]["code"] == name_of(step::consensus::codes::kSpecDeterrence));
    }
    SECTION("checkpoint interval not a multiple of the leaf interval") {
        const Run r = run({"task", "validate", testing::write_spec(dir, {{"checkpoint_interval", "3"}}), "--output", "json"});
        CHECK(r.code == 1);
        CHECK(json::parse(r.err)["error"]["code"] != "");
        CHECK(r.err.find("checkpoint_interval") != std::string::npos);
    }
    SECTION("an unparsable hyper-parameter names its field") {
        const Run r = run({"task", "validate", testing::write_spec(dir, {{"optimizer.lr", "\"fast\""}})});
        CHECK(r.code == 1);
        CHECK(r.err.find("optimizer.lr") != std::string::npos);
    }
    SECTION("a budget smaller than the number of units") {
        const Run r = run({"task", "validate", testing::write_spec(dir, {{"budget", "3"}}), "--output", "json"});
        CHECK(r.code == 1);
        CHECK(json::parse(r.err)["error"]["code"] == name_of(step::consensus::codes::kSpecBudget));
    }
    SECTION("missing training data") {
        const std::string path = testing::write_spec(dir);
        std::string text;
        {
            std::ifstream in(path);
            text.assign(std::istreambuf_iterator<char>(in), {});
        }
        const auto at = text.find("mnist-train-500.rec");
        text.replace(at, 19, "absent.rec");
        std::ofstream(path) << text;
        const Run r = run({"task", "validate", path, "--output", "json"});
        CHECK(r.code == 1);
        CHECK(json::parse(r.err)["error"]["code"] == name_of(step::consensus::codes::kSpecDataset));
    }
    SECTION("usage errors exit 2") {
        CHECK(run({"task", "validate"}).code == 2);
        CHECK(run({"task", "frobnicate", "x"}).code == 2);
    }
}

TEST_CASE("task estimate finds the smallest unit bond consensus accepts") {
    testing::TempDir dir;
    const std::string path = testing::write_spec(dir, {{"unit_bond", "1"}});  // too small: still estimated
    const Run r = run({"task", "estimate", path, "--output", "json"});
    REQUIRE(r.code == 0);
    const json j = json::parse(r.out);
    CHECK(j["unit_bond"]["ok"] == false);
    auto s = load_spec_for_chain(path);
    REQUIRE(s.ok());
    auto e = estimate_task(*s, consensus::devnet_params());
    REQUIRE(e.ok());
    const auto& p = consensus::devnet_params();
    CHECK(consensus::validate_market_spec(s->onchain, s->spec.budget, e->required_unit_bond, p).ok());
    CHECK(consensus::validate_market_spec(s->onchain, s->spec.budget, e->required_unit_bond - 1, p)
              .status() == step::consensus::codes::kSpecDeterrence);
    CHECK(j["unit_bond"]["required"] == format_step_amount(Amount::from_units(e->required_unit_bond)));
}

TEST_CASE("task estimate reports consensus' costs, the budget split and the audit figures") {
    testing::TempDir dir;
    const std::string path = testing::write_spec(dir, {{"budget", "4000000003"}});
    const Run r = run({"task", "estimate", path, "--output", "json", "--network", "devnet"});
    REQUIRE(r.code == 0);
    const json j = json::parse(r.out);
    auto s = load_spec_for_chain(path);
    REQUIRE(s.ok());
    const auto& p = consensus::devnet_params();
    auto c = consensus::validate_market_spec(s->onchain, s->spec.budget, s->spec.unit_bond, p);
    REQUIRE(c.ok());
    CHECK(j["unit_bond"]["ok"] == true);
    CHECK(j["rounds"] == 2);
    CHECK(j["units"] == 4);
    CHECK(j["leaves_per_unit"] == 4);
    CHECK(j["flops"]["step"] == c->step_flops);
    CHECK(j["flops"]["segment"] == 2 * c->step_flops);
    CHECK(j["flops"]["unit"] == 8 * c->step_flops);
    CHECK(j["flops"]["task"] == 32 * c->step_flops);
    CHECK(j["state_bytes"] == c->state_bytes);
    CHECK(j["proof_bytes"]["worst_case"] == c->proof_bytes);
    CHECK(j["proof_bytes"]["limit"] == p.max_proof_bytes);
    // 4000000003 base units over 4 units: 1 STEP each, 3 base units refunded at the end.
    CHECK(j["budget"]["unit_pay"] == "1");
    CHECK(j["budget"]["remainder_refunded"] == "0.000000003");
    CHECK(j["budget"]["audit_fee_per_verifier"] == format_step_amount(Amount::from_units(c->audit_fee)));
    CHECK(j["budget"]["solver_pay_per_unit"] ==
          format_step_amount(Amount::from_units(c->unit_pay - 2 * c->audit_fee)));
    auto a = verifier::audit_figures(2, 2, 2, 4, 8);
    REQUIRE(a.ok());
    CHECK(j["detection"]["one_wrong_leaf"].get<double>() == Approx(a->catch_one_wrong_leaf));
    CHECK(j["detection"]["skipped_work"].get<double>() == Approx(a->catch_skip));
    CHECK(j["audit"]["share_per_unit"].get<double>() == Approx(a->share_per_unit));
}
