// The adversary suite's deviations (docs/market.md "Deviations never pay"): each is an agent
// (wallet/agent.h) with one honest step replaced through wallet/agent_deviation.h. step-deviant
// runs `step-wallet agent` with one of them; the functional tests in
// tests/functional/adversary_test.cc start it as the deviating party.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wallet/agent_deviation.h"

namespace step::adversary {

// The deviations by name, with the role they apply to and what they do (step-deviant --help).
struct DeviationInfo {
    std::string_view name;
    std::string_view role;
    std::string_view what;
};
const std::vector<DeviationInfo>& deviation_list();

// `leaf`: forge-leaf forges this leaf (not a checkpoint); skip-work trains up to it and no
// further. `until`: the file hold-proof-search waits for. Null for a name not in
// deviation_list() (or hold-proof-search without `until`).
std::shared_ptr<const wallet::agent::Deviation> make_deviation(std::string_view name, uint32_t leaf,
                                                               const std::string& until = "");

}  // namespace step::adversary
