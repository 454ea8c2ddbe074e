// Model spec parsing and the registry table.
#include <charconv>

#include "kernels/model.h"
#include "kernels/errors.h"

namespace step::kernels {

namespace {
struct RegistryEntry {
    const char* arch;
    Result<std::unique_ptr<Model>> (*make)(const ModelSpec&);
};
// One line per architecture.
constexpr RegistryEntry kRegistry[] = {
    {"mlp", &make_mlp},
    {"gpt", &make_gpt},
};
}  // namespace

Result<Activation> parse_activation(std::string_view name) {
    if (name == "relu") return Activation::kRelu;
    if (name == "gelu") return Activation::kGelu;
    return Status::error(codes::kBadActivation, "unknown activation '" + std::string(name) +
                                               "' (known: relu, gelu)");
}

const char* activation_name(Activation a) { return a == Activation::kGelu ? "gelu" : "relu"; }

uint64_t NamedTensor::count() const {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    return n;
}

std::string ModelSpec::text() const {
    std::string s = arch + "{";
    for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
    return s + "}/" + activation_name(activation);
}

Result<ModelSpec> parse_model_spec(std::string_view text, Activation activation) {
    auto open = text.find('{');
    if (open == std::string_view::npos || open == 0 || text.back() != '}')
        return Status::error(codes::kModelSyntax, "model must look like arch{d0,d1,...}, got '" +
                                                 std::string(text) + "'");
    ModelSpec spec;
    spec.arch = std::string(text.substr(0, open));
    spec.activation = activation;
    std::string_view body = text.substr(open + 1, text.size() - open - 2);
    while (!body.empty()) {
        auto comma = body.find(',');
        std::string_view item = body.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        int v = 0;
        auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
        if (ec != std::errc() || ptr != item.data() + item.size() || item.empty())
            return Status::error(codes::kModelSyntax, "bad dimension '" + std::string(item) +
                                                     "' in '" + std::string(text) + "'");
        spec.dims.push_back(v);
        if (comma == std::string_view::npos) break;
        body.remove_prefix(comma + 1);
    }
    return spec;
}

Result<std::unique_ptr<Model>> make_model(const ModelSpec& spec) {
    for (const auto& e : kRegistry)
        if (spec.arch == e.arch) return e.make(spec);
    return Status::error(codes::kUnknownModel, "unknown model architecture '" + spec.arch + "'");
}

std::vector<std::string> model_names() {
    std::vector<std::string> names;
    for (const auto& e : kRegistry) names.emplace_back(e.arch);
    return names;
}

}  // namespace step::kernels
