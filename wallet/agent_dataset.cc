// Where an agent's task records come from: the dataset travels with the task. `task submit`
// uploads it to the owner's node as a blob; any node finds it by the dataset root (a record
// Merkle root, not a blob root: the node checks a candidate blob by hashing its records) and
// fetches it from its peers. The agent trusts neither: it checks every chunk against the blob
// root as it downloads and every record against the dataset root the chain holds, then keeps a
// copy in its state dir. --data stays an optional local copy.
#include <filesystem>

#include "common/rpc_methods.h"
#include "wallet/agent_core.h"
#include "wallet/agent_events.h"
#include "wallet/blob_transfer.h"
#include "wallet/errors.h"
#include "wallet/secure_file.h"

namespace step::wallet::agent {

using nlohmann::json;

namespace {

// `bytes` as records of `format`, if they are exactly the dataset `root` names.
Result<kernels::Dataset> records_with_root(Bytes bytes, const kernels::RecordFormat& format,
                                           const Hash256& root, const std::string& where) {
    if (bytes.empty() || bytes.size() % static_cast<size_t>(format.record_bytes) != 0)
        return Status::error(codes::kDatasetMismatch, where + " is not whole records of " + std::to_string(format.record_bytes) + " bytes");
    kernels::Dataset ds{format, std::move(bytes)};
    if (kernels::dataset_root(ds) != root)
        return Status::error(codes::kDatasetMismatch, where + "'s records do not hash to the dataset root " + to_hex(root));
    return ds;
}

}  // namespace

std::string AgentCore::dataset_path(const Hash256& dataset_root) const {
    return cfg_.state_dir + "/" + to_hex(dataset_root) + ".dataset";
}

// --data is read once per record format (its root depends on the format) and kept by its root.
void AgentCore::load_data_file(const TaskInfo& t) {
    if (!cfg_.data_file || !data_formats_read_.insert(t.data_format).second) return;
    auto format = kernels::record_format(t.data_format);
    if (!format.ok()) return;
    auto ds = kernels::load_records(*cfg_.data_file, *format);
    if (!ds.ok()) return log_error("load --data", &t, std::nullopt, ds.status());
    const Hash256 root = kernels::dataset_root(*ds);
    datasets_.try_emplace(root, std::move(*ds));
}

// One findblob per pass: while the node is still fetching the blob from its peers the agent goes
// on with its other tasks and asks again on the next pass.
Result<kernels::Dataset> AgentCore::fetch_dataset(const TaskInfo& t) {
    auto format = kernels::record_format(t.data_format);
    if (!format.ok()) return format.status();
    const std::string cached = dataset_path(t.dataset_root);
    if (std::filesystem::exists(cached)) {
        auto file = read_small_file(cached, rpc::kMaxBlobBytes);
        if (!file.ok()) return file.status();
        auto ds = records_with_root(Bytes(file->begin(), file->end()), *format, t.dataset_root, cached);
        if (ds.ok()) return ds;
        log_error("cached dataset", &t, std::nullopt, ds.status());  // fetched again below
    }
    auto found = rpc_.call(rpc::kFindBlob, {{"dataset_root", to_hex(t.dataset_root)}}, RpcAuth::kNone);
    if (!found.ok()) return found.status();
    if (!found->value("complete", false))
        return Status::error(codes::kDatasetUnavailable, "the node is still fetching the dataset from its peers (" +
                                                             std::to_string(found->value("have", 0)) + " of " +
                                                             std::to_string(found->value("chunks", 0)) + " chunks)");
    auto blob_root = hash_from_hex(found->value("blob_root", std::string()));
    if (!blob_root) return Status::error(codes::kRpcBadResponse, "findblob reply lacks 'blob_root'");
    auto bytes = download_blob(rpc_, *blob_root);
    if (!bytes.ok()) return bytes.status();
    auto ds = records_with_root(std::move(*bytes), *format, t.dataset_root, "blob " + to_hex(*blob_root));
    if (!ds.ok()) return ds.status();
    STEP_TRY(atomic_write_file(cached, std::string(ds->bytes.begin(), ds->bytes.end()), 0600, WriteMode::kReplace));
    log(agent_events::kDatasetFetched, &t, std::nullopt,
        {{"dataset_root", to_hex(t.dataset_root)}, {"blob_root", to_hex(*blob_root)}, {"records", ds->count()}},
        "fetched the task's dataset (" + std::to_string(ds->count()) + " records) from the node, blob " +
            to_hex(*blob_root));
    return ds;
}

const kernels::Dataset* AgentCore::dataset_for(const TaskInfo& t) {
    load_data_file(t);
    if (auto it = datasets_.find(t.dataset_root); it != datasets_.end()) return &it->second;
    auto ds = fetch_dataset(t);
    if (!ds.ok()) {
        if (ds.status().category() == ErrorCategory::kNotFound) {
            awaiting_data_ = true;
            if (data_reported_.insert("data-unavailable:" + t.id_hex).second)
                log(agent_events::kSkipped, &t, std::nullopt, {{"reason", std::string(codes::kDatasetUnavailable.name)}},
                    "waiting for the task's dataset: neither --data nor the node holds it yet (" + ds.status().message() + ")");
        } else {
            log_error("fetch dataset", &t, std::nullopt, ds.status());
        }
        return nullptr;
    }
    return &datasets_.emplace(t.dataset_root, std::move(*ds)).first->second;
}

Result<const kernels::Dataset*> AgentCore::require_dataset(const TaskInfo& t) {
    const kernels::Dataset* ds = dataset_for(t);
    if (ds == nullptr)
        return Status::error(codes::kDatasetUnavailable, "the task's dataset is not available yet");
    return ds;
}

}  // namespace step::wallet::agent
