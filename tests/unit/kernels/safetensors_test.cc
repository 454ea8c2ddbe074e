// The safetensors export: the header's layout, names and offsets, the data bytes, refusal of a
// state of another model. (tests/peer/safetensors_check.py loads the file into PyTorch.)
#include <cstring>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "kernels/errors.h"
#include "kernels/model.h"
#include "kernels/safetensors.h"
#include "kernels/state.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::kernels;

namespace {

std::unique_ptr<Model> mlp(const char* text) {
    auto spec = parse_model_spec(text, Activation::kRelu);
    REQUIRE(spec.ok());
    auto m = make_model(*spec);
    REQUIRE(m.ok());
    return std::move(*m);
}

TrainState state_of(const Model& m) {
    TrainState s;
    s.model = m.spec().text();
    s.param_count = m.param_count();
    s.values.resize(state_value_count(OptimizerKind::kSgd, s.param_count));
    for (size_t i = 0; i < s.values.size(); ++i) s.values[i] = static_cast<float>(i) * 0.5f - 3.0f;
    return s;
}

}  // namespace

TEST_CASE(
    "the safetensors export names each layer as nn.Sequential does and holds the parameters") {
    const auto m = mlp("mlp{5,4,3}");
    const TrainState s = state_of(*m);
    auto bytes = encode_safetensors(*m, s, {{"task_id", "abc"}});
    REQUIRE(bytes.ok());
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = n << 8 | (*bytes)[i];
    CHECK(n % 8 == 0);                                       // padded so the data is aligned
    REQUIRE(8 + n + 4 * m->param_count() == bytes->size());  // parameters only: no optimiser state
    const auto header =
        nlohmann::json::parse(bytes->begin() + 8, bytes->begin() + 8 + static_cast<long>(n));
    CHECK(header["__metadata__"]["task_id"] == "abc");
    CHECK(header.size() == 5);  // 0.weight 0.bias 2.weight 2.bias + metadata
    CHECK(header["0.weight"]["shape"] == nlohmann::json::array({4, 5}));
    CHECK(header["0.bias"]["data_offsets"] == nlohmann::json::array({80, 96}));
    CHECK(header["2.weight"]["shape"] == nlohmann::json::array({3, 4}));
    CHECK(header["2.bias"]["data_offsets"] == nlohmann::json::array({144, 156}));
    CHECK(header["2.bias"]["dtype"] == "F32");
    CHECK(std::memcmp(bytes->data() + 8 + n, s.values.data(), 4 * m->param_count()) == 0);
}

TEST_CASE("the safetensors export refuses a state of another model") {
    const auto m = mlp("mlp{5,4,3}");
    const TrainState other = state_of(*mlp("mlp{5,4,2}"));
    auto bytes = encode_safetensors(*m, other, {});
    REQUIRE_FALSE(bytes.ok());
    CHECK(bytes.status() == codes::kStateMismatch);
}
