#include "wallet/cli_args.h"
#include "wallet/errors.h"

#include <string_view>

namespace step::wallet {
namespace {

Status usage_error(std::string message) { return Status::error(codes::kUsage, std::move(message)); }

bool looks_like_option(std::string_view word) {
    if (word.size() < 2 || word[0] != '-') return false;
    return !(word[1] >= '0' && word[1] <= '9');
}

// Stores the value of a value-taking option; false when `name` takes no value.
Status set_value_option(Options& o, std::string_view name, const std::string& value) {
    if (name == "--rpc") {
        o.rpc_url = value;
    } else if (name == "--network") {
        auto n = parse_network(value);
        if (!n.ok()) return usage_error(n.status().message());
        o.network = *n;
    } else if (name == "--output") {
        if (value == "text") {
            o.output = OutputFormat::kText;
        } else if (value == "json") {
            o.output = OutputFormat::kJson;
        } else {
            return usage_error("--output must be 'text' or 'json', not '" + value + "'");
        }
    } else if (name == "--wallet-dir") {
        o.wallet_dir = value;
    } else if (name == "--cookie") {
        o.cookie_file = value;
    } else if (name == "--passphrase-file") {
        o.passphrase_file = value;
    } else if (name == "--from") {
        o.from = value;
    } else if (name == "--fee") {
        o.fee = value;
    } else if (name == "--role") {
        o.role = value;
    } else if (name == "--data") {
        o.data_file = value;
    } else if (name == "--state-dir") {
        o.state_dir = value;
    } else if (name == "--poll-ms") {
        o.poll_ms = value;
    } else if (name == "--backend") {
        o.backend = value;
    } else if (name == "--cpu-share") {
        o.cpu_share = value;
    } else if (name == "--format") {
        o.model_format = value;
    } else if (name == "--sample") {
        o.sample = value;
    } else if (name == "--prompt") {
        o.prompt = value;
    } else if (name == "--temperature") {
        o.temperature = value;
    } else if (name == "--seed") {
        o.seed = value;
    } else {
        return usage_error("unknown option '" + std::string(name) + "'");
    }
    return Status();
}

bool takes_value(std::string_view name) {
    return name == "--rpc" || name == "--network" || name == "--output" ||
           name == "--wallet-dir" || name == "--cookie" || name == "--passphrase-file" ||
           name == "--from" || name == "--fee" || name == "--role" || name == "--data" ||
           name == "--state-dir" || name == "--poll-ms" || name == "--backend" ||
           name == "--cpu-share" || name == "--format" || name == "--sample" ||
           name == "--prompt" || name == "--temperature" || name == "--seed";
}

}  // namespace

Result<Invocation> parse_command_line(const std::vector<std::string>& args) {
    Invocation inv;
    bool options_ended = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& word = args[i];
        if (options_ended || !looks_like_option(word)) {
            inv.words.push_back(word);
            continue;
        }
        if (word == "--") {
            options_ended = true;
            continue;
        }
        if (word == "-y" || word == "--yes") {
            inv.options.yes = true;
            continue;
        }
        if (word == "--exit-when-idle") {
            inv.options.exit_when_idle = true;
            continue;
        }
        if (word == "-h" || word == "--help") {
            inv.options.help = true;
            continue;
        }
        size_t eq = word.find('=');
        std::string name = word.substr(0, eq);
        if (!takes_value(name)) return usage_error("unknown option '" + name + "'");
        std::string value;
        if (eq != std::string::npos) {
            value = word.substr(eq + 1);
        } else {
            if (i + 1 >= args.size()) return usage_error("option " + name + " needs a value");
            value = args[++i];
        }
        STEP_TRY(set_value_option(inv.options, name, value));
    }
    return inv;
}

std::string usage_text() {
    return R"(usage: step-wallet [options] <command> [arguments]

Commands:
  key new NAME                 create a key (asks a passphrase twice, or --passphrase-file)
  key import NAME FILE         import a key from FILE holding a 32-byte Ed25519 seed as hex
  key list                     list keys (the default key is marked)
  key show NAME                show a key's address and public key
  key default NAME             make NAME the default key
  balance [NAME|ADDRESS]       balance, nonce and bonds (default: the default key)
  send TO AMOUNT               send AMOUNT STEP to an address or key name
  bond solver|verifier AMOUNT  bond AMOUNT STEP as a solver or verifier
  unbond solver|verifier AMOUNT
                               start unbonding AMOUNT STEP
  tx show TXID                 show a transaction and its status
  chain info                   height, best hash, state root of the node's chain, and
                               whether it is still in initial sync
  net peers                    the node's peers: address, direction, height, ping, bytes
  net info                     the node's network: listening address, connections, sync
  generate N                   devnet only: mine N blocks to the default key
  task validate SPEC           offline: run every consensus check on a TOML task spec
  task estimate SPEC           offline: FLOPs, rounds, proof size, required unit bond, budget
                               split, audit cost and detection odds of a TOML task spec
  task submit SPEC             validate, then sign and send a SubmitTask escrowing the budget
  task list [all]              the node's open tasks (all: done and cancelled too)
  task show TASK_ID            one task: escrow, pay, bond, units by status, reported losses
  task watch TASK_ID           a live view until the task is done or cancelled: units final,
                               round, reported losses, next deadline, time left (--output
                               json: one line per change)
  task model TASK_ID OUT [TEST]  the trained model (mean of the last final round's states, from
                               the node's blob store, each checked against the chain) to OUT;
                               with TEST records, its test accuracy; --format safetensors
                               writes it as PyTorch loads it; --sample N prints N bytes a
                               GPT model generates
  blob put FILE                upload FILE (at most 64 MiB) to the node as a blob, chunk by
                               chunk with proofs; sends only the chunks the node lacks, so a
                               repeated put resumes an interrupted one; prints the blob root
  blob get ROOT OUTFILE        download blob ROOT, verify every chunk against ROOT, then
                               write OUTFILE (atomically: nothing appears on a failure)
  blob info ROOT               size and chunks of blob ROOT the node holds
  agent --role ROLE            run a market agent until SIGINT/SIGTERM: a solver claims,
                               trains, uploads, commits and opens units of open tasks over
                               --data and answers their data challenges; a verifier audits
                               the units it is drawn for (bond first) and proves the fraud it
                               finds; a whistleblower replays opened traces it was not drawn
                               for and proves the fraud it finds; an owner looks after its
                               tasks; one line per action (--output json: JSON lines)

Options (before or after the command):
  --network devnet|testnet|mainnet   network (default devnet)
  --rpc URL                    node RPC URL (default http://127.0.0.1:<network port>)
  --cookie FILE                node RPC cookie (default $HOME/.stepchain/<network>/.cookie)
  --wallet-dir DIR             keystore (default $HOME/.stepchain/wallet/<network>)
  --passphrase-file FILE       read the passphrase from FILE's first line
  --from NAME                  signing key for send/bond/unbond/task submit (default: the default key)
  --fee AMOUNT                 fee in STEP for send/bond/unbond/task submit
  --output text|json           output format (default text)
  --role solver|verifier|owner|whistleblower
                               agent: what to do
  --data FILE                  agent: a local copy of a task's records (optional: a task's
                               dataset is otherwise fetched through the node and cached)
  --state-dir DIR              agent: trained states, leaves, audit salts (default
                               <wallet dir>/agent-<role>)
  --poll-ms N                  agent: milliseconds between polls (default 500)
  --backend auto|cpu|cuda      agent: where to train and replay (default auto: CUDA when
                               a device is usable, else the CPU; the same bits either way)
  --cpu-share FRACTION         whistleblower: replay with at most this share of one core
                               (default 0.25; 1 = a whole core)
  --exit-when-idle             agent: exit once no open task over --data is left
  --format state|safetensors   task model: canonical state bytes (default, what the chain
                               hashes) or safetensors (the parameters, named as PyTorch's
                               nn.Sequential of the same layers names them)
  --sample N                   task model: also print N bytes the model generates (a
                               gpt{...} model; escaped where not printable)
  --prompt TEXT                --sample: the text to continue (default: a newline)
  --temperature T              --sample: 0 greedy, 1 the model's distribution (default 1)
  --seed N                     --sample: the draw's seed, so the text is reproducible (default 0)
  -y, --yes                    do not ask for confirmation
  -h, --help                   this text

Amounts are STEP with up to 9 decimals (1.5, 0.000000001).
Exit codes: 0 success, 1 error, 2 usage error.
)";
}

}  // namespace step::wallet
