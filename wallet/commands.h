// The step-wallet commands. Each takes the words after its name.
#pragma once

#include "wallet/context.h"

namespace step::wallet {

// key new NAME | key import NAME FILE | key list | key show NAME | key default NAME
Result<CommandOutput> cmd_key(Context& ctx, const CommandArgs& args);
// balance [NAME|ADDRESS]
Result<CommandOutput> cmd_balance(Context& ctx, const CommandArgs& args);
// tx show TXID
Result<CommandOutput> cmd_tx(Context& ctx, const CommandArgs& args);
// chain info
Result<CommandOutput> cmd_chain(Context& ctx, const CommandArgs& args);
// send TO AMOUNT
Result<CommandOutput> cmd_send(Context& ctx, const CommandArgs& args);
// bond solver|verifier AMOUNT (unbond=false) | unbond solver|verifier AMOUNT (unbond=true)
Result<CommandOutput> cmd_bond(Context& ctx, const CommandArgs& args, bool unbond);
// task validate SPEC | task estimate SPEC (offline: no node) | task submit SPEC | task list | task show
Result<CommandOutput> cmd_task(Context& ctx, const CommandArgs& args);
// task list [all]: open (or all) tasks on the node (commands_query.cc)
Result<CommandOutput> cmd_task_list(Context& ctx, const CommandArgs& args);
// task show TASK_ID: the task and its progress (commands_query.cc)
Result<CommandOutput> cmd_task_show(Context& ctx, const std::string& task_id);
// task model TASK_ID OUT [TEST_RECORDS]: the trained model from the blob store (commands_model.cc)
Result<CommandOutput> cmd_task_model(Context& ctx, const CommandArgs& args);
// task watch TASK_ID (commands_watch.cc)
Result<CommandOutput> cmd_task_watch(Context& ctx, const std::string& task_id);
// task submit SPEC: signs and sends a SubmitTask (commands_tx.cc)
Result<CommandOutput> cmd_task_submit(Context& ctx, const std::string& path);
// blob put FILE | blob get ROOT OUTFILE | blob info ROOT (commands_blob.cc)
Result<CommandOutput> cmd_blob(Context& ctx, const CommandArgs& args);
// agent --role solver|verifier --data FILE [--state-dir DIR] [--exit-when-idle] (commands_agent.cc)
Result<CommandOutput> cmd_agent(Context& ctx, const CommandArgs& args);
// net peers | net info (commands_net.cc)
Result<CommandOutput> cmd_net(Context& ctx, const CommandArgs& args);
// generate N (devnet)
Result<CommandOutput> cmd_generate(Context& ctx, const CommandArgs& args);

}  // namespace step::wallet
