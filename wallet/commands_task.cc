// Task submitter commands: `task validate SPEC` and `task estimate SPEC`, offline. They run the
// same parser, conversion and validation as consensus (wallet/task_spec_check.h); no node.
// `task submit` signs and sends, next to send/bond in commands_tx.cc.
#include <cstdio>

#include "consensus/params.h"
#include "wallet/commands.h"
#include "wallet/task_spec_check.h"

namespace step::wallet {
namespace {

using nlohmann::json;

std::string amount(uint64_t units) { return format_step_amount(Amount::from_units(units)); }

std::string percent(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g%%", 100.0 * share);
    return buf;
}

json spec_summary(const CheckedSpec& s) {
    return {{"steps", s.spec.steps}, {"batch", s.spec.batch},
            {"units_per_round", s.spec.units_per_round}, {"steps_per_unit", s.spec.steps_per_unit},
            {"leaf_interval", s.spec.leaf_interval},
            {"checkpoint_interval", s.spec.checkpoint_interval},
            {"audit_verifiers", s.spec.audit_verifiers}, {"audit_leaves", s.spec.audit_leaves},
            {"dataset_root", to_hex(s.dataset_root)}, {"data_count", s.data_count},
            {"budget", amount(s.spec.budget)}, {"unit_bond", amount(s.spec.unit_bond)}};
}

Result<CommandOutput> validate(Context& ctx, const std::string& path) {
    auto s = load_spec_for_chain(path);
    if (!s.ok()) return s.status();
    auto c = consensus::validate_market_spec(s->onchain, s->spec.budget, s->spec.unit_bond,
                                             *ctx.params);
    if (!c.ok()) return c.status();
    CommandOutput out;
    out.json = {{"valid", true}, {"network", ctx.params->network}, {"spec", spec_summary(*s)},
                {"rounds", c->rounds}, {"units", c->units}};
    out.text = "valid for " + ctx.params->network + ": " + std::to_string(c->rounds) +
               " rounds x " + std::to_string(s->spec.units_per_round) + " units = " +
               std::to_string(c->units) + " units, dataset root " + to_hex(s->dataset_root) +
               " (" + std::to_string(s->data_count) + " records)\n";
    return out;
}

Result<CommandOutput> estimate(Context& ctx, const std::string& path) {
    auto s = load_spec_for_chain(path);
    if (!s.ok()) return s.status();
    auto e = estimate_task(*s, *ctx.params);
    if (!e.ok()) return e.status();
    const consensus::Params& p = *ctx.params;
    const consensus::TaskCosts& c = e->costs;
    const double replay_flops = e->audit.share_per_unit * static_cast<double>(c.unit_flops);
    CommandOutput out;
    out.json = {
        {"network", p.network},
        {"spec", spec_summary(*s)},
        {"flops", {{"step", c.step_flops}, {"segment", c.segment_flops}, {"unit", c.unit_flops},
                   {"task", e->task_flops}, {"max_segment", p.max_segment_flops}}},
        {"rounds", c.rounds},
        {"units", c.units},
        {"leaves_per_unit", c.leaves},
        {"state_bytes", c.state_bytes},
        {"proof_bytes", {{"worst_case", c.proof_bytes}, {"limit", p.max_proof_bytes}}},
        {"unit_bond", {{"given", amount(s->spec.unit_bond)},
                       {"required", amount(e->required_unit_bond)},
                       {"ok", e->unit_bond_ok}}},
        {"budget", {{"total", amount(s->spec.budget)}, {"unit_pay", amount(c.unit_pay)},
                    {"audit_fee_per_verifier", amount(c.audit_fee)},
                    {"audit_fees_per_unit", amount(e->audit_fees_per_unit)},
                    {"solver_pay_per_unit", amount(e->solver_pay_per_unit)},
                    {"subsidy_cap_per_unit", amount(c.subsidy_cap)},
                    {"remainder_refunded", amount(e->budget_remainder)}}},
        {"audit", {{"replay_steps_per_audit", e->audit.replay_steps_per_audit},
                   {"share_per_audit", e->audit.share_per_audit},
                   {"share_per_unit", e->audit.share_per_unit},
                   {"share_per_unit_shared", e->audit.share_per_unit_shared},
                   {"replay_flops_per_unit", replay_flops}}},
        {"detection", {{"one_wrong_leaf", e->audit.catch_one_wrong_leaf},
                       {"one_wrong_leaf_window", e->audit.catch_one_wrong_leaf_window},
                       {"skipped_work", e->audit.catch_skip},
                       {"skipped_work_wrong_leaves", e->audit.skip_wrong_leaves}}}};
    std::string& t = out.text;
    t += "network " + p.network + "\n";
    t += "work: " + std::to_string(c.rounds) + " rounds x " +
         std::to_string(s->spec.units_per_round) + " = " + std::to_string(c.units) + " units, " +
         std::to_string(c.leaves) + " leaves per unit\n";
    t += "FLOPs: step " + std::to_string(c.step_flops) + ", segment " +
         std::to_string(c.segment_flops) + " (limit " + std::to_string(p.max_segment_flops) +
         "), unit " + std::to_string(c.unit_flops) + ", task " + std::to_string(e->task_flops) +
         "\n";
    t += "state " + std::to_string(c.state_bytes) + " bytes; worst-case fraud proof " +
         std::to_string(c.proof_bytes) + " bytes (limit " + std::to_string(p.max_proof_bytes) +
         ")\n";
    t += "unit bond: " + amount(s->spec.unit_bond) + " STEP given, " +
         amount(e->required_unit_bond) + " STEP required" +
         (e->unit_bond_ok ? "" : "  <-- too small") + "\n";
    t += "budget " + amount(s->spec.budget) + " STEP: " + amount(c.unit_pay) +
         " per unit (solver " + amount(e->solver_pay_per_unit) + " + audit fees " +
         amount(e->audit_fees_per_unit) + "), pool subsidy up to " + amount(c.subsidy_cap) +
         " per unit, " + amount(e->budget_remainder) + " refunded at the end\n";
    t += "audit cost: " + percent(e->audit.share_per_unit) + " of a unit's training (" +
         percent(e->audit.share_per_unit_shared) + " replaying each checkpoint interval once)\n";
    t += "detection: one wrong leaf " + percent(e->audit.catch_one_wrong_leaf) + " (" +
         percent(e->audit.catch_one_wrong_leaf_window) + " counting reveal windows), skipped work " +
         percent(e->audit.catch_skip) + "\n";
    return out;
}

}  // namespace

Result<CommandOutput> cmd_task(Context& ctx, const CommandArgs& args) {
    if (args.size() == 2 && args[0] == "validate") return validate(ctx, args[1]);
    if (args.size() == 2 && args[0] == "estimate") return estimate(ctx, args[1]);
    if (args.size() == 2 && args[0] == "submit") return cmd_task_submit(ctx, args[1]);
    if (!args.empty() && args[0] == "list")
        return cmd_task_list(ctx, CommandArgs(args.begin() + 1, args.end()));
    if (args.size() == 2 && args[0] == "show") return cmd_task_show(ctx, args[1]);
    if (args.size() == 2 && args[0] == "watch") return cmd_task_watch(ctx, args[1]);
    if (!args.empty() && args[0] == "model")
        return cmd_task_model(ctx, CommandArgs(args.begin() + 1, args.end()));
    return usage("expected: task validate SPEC | task estimate SPEC | task submit SPEC | task list [all] | task show TASK_ID | task watch TASK_ID | task model TASK_ID OUT [TEST_RECORDS]");
}

}  // namespace step::wallet
