// TOML task specs via toml++ (kept to this one file: it compiles slowly). Floats are re-read
// from the document's own text so the decimal literal rounds once, straight to binary32.
#include <toml++/toml.h>

#include <fstream>
#include <sstream>

#include "kernels/spec.h"
#include "kernels/errors.h"

namespace step::kernels {

namespace {

struct Reader {
    const toml::table& root;
    std::vector<std::string_view> lines;
    std::string base_dir;

    Status err(const std::string& field, const std::string& why) const {
        return Status::error(codes::kBadSpec, "spec." + field + ": " + why);
    }

    const toml::node* find(const std::string& path) const { return root.at_path(path).node(); }

    Status read_u64(const std::string& path, uint64_t& out, bool required) const {
        const toml::node* n = find(path);
        if (!n) return required ? err(path, "missing") : Status();
        auto v = n->value<int64_t>();
        if (!n->is_integer() || !v || *v < 0) return err(path, "must be a non-negative integer");
        out = static_cast<uint64_t>(*v);
        return Status();
    }
    Status read_u32(const std::string& path, uint32_t& out, bool required) const {
        uint64_t v = out;
        STEP_TRY(read_u64(path, v, required));
        if (v > 0xffffffffull) return err(path, "must fit in 32 bits");
        out = static_cast<uint32_t>(v);
        return Status();
    }
    Status read_string(const std::string& path, std::string& out, bool required) const {
        const toml::node* n = find(path);
        if (!n) return required ? err(path, "missing") : Status();
        if (!n->is_string()) return err(path, "must be a string");
        out = std::string(*n->value<std::string_view>());
        return Status();
    }
    // A binary32 hyper-parameter: a TOML float/integer (its literal text is re-read) or a string.
    Status read_f32(const std::string& path, float& out, bool required) const {
        const toml::node* n = find(path);
        if (!n) return required ? err(path, "missing") : Status();
        std::string text;
        if (n->is_string()) {
            text = std::string(*n->value<std::string_view>());
        } else if (n->is_floating_point() || n->is_integer()) {
            const auto& src = n->source();
            size_t line = src.begin.line, col = src.begin.column;
            if (line == 0 || line > lines.size() || col == 0 || col > lines[line - 1].size() + 1)
                return err(path, "cannot locate the number's text");
            std::string_view l = lines[line - 1].substr(col - 1);
            for (char c : l) {
                if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' ||
                      c == '-' || c == '_'))
                    break;
                if (c != '_') text += c;
            }
        } else {
            return err(path, "must be a number");
        }
        if (text == "inf" || text == "+inf" || text == "-inf" || text == "nan" ||
            text == "+nan" || text == "-nan")
            return err(path, "must be finite");
        auto v = parse_binary32(text);
        if (!v.ok()) return err(path, v.status().message());
        out = *v;
        return Status();
    }
    std::string resolve(const std::string& p) const {
        if (p.empty() || p.front() == '/' || base_dir.empty()) return p;
        return base_dir + "/" + p;
    }
};

}  // namespace

Result<TaskSpec> parse_task_spec(std::string_view text, std::string_view base_dir) {
    toml::table root;
    try {
        root = toml::parse(text);
    } catch (const toml::parse_error& e) {
        std::ostringstream msg;
        msg << "TOML syntax at line " << e.source().begin.line << ": " << e.description();
        return Status::error(codes::kBadSpec, msg.str());
    }
    Reader r{root, {}, std::string(base_dir)};
    for (size_t at = 0; at <= text.size();) {
        size_t nl = text.find('\n', at);
        if (nl == std::string_view::npos) nl = text.size();
        r.lines.push_back(text.substr(at, nl - at));
        at = nl + 1;
    }

    TaskSpec s;
    STEP_TRY(r.read_u32("kernel_version", s.kernel_version, false));
    std::string model_text, act = "relu", opt = "sgd";
    STEP_TRY(r.read_string("model.arch", model_text, true));
    STEP_TRY(r.read_string("model.activation", act, false));
    auto activation = parse_activation(act);
    if (!activation.ok()) return r.err("model.activation", activation.status().message());
    auto model = parse_model_spec(model_text, *activation);
    if (!model.ok()) return r.err("model.arch", model.status().message());
    s.model = *model;
    STEP_TRY(r.read_string("loss", s.loss, false));

    STEP_TRY(r.read_string("optimizer.kind", opt, true));
    if (opt == "sgd")
        s.optimizer.kind = OptimizerKind::kSgd;
    else if (opt == "adamw")
        s.optimizer.kind = OptimizerKind::kAdamW;
    else
        return r.err("optimizer.kind", "unknown optimiser '" + opt + "' (known: sgd, adamw)");
    STEP_TRY(r.read_f32("optimizer.lr", s.optimizer.lr, true));
    STEP_TRY(r.read_f32("optimizer.momentum", s.optimizer.momentum, false));
    STEP_TRY(r.read_f32("optimizer.weight_decay", s.optimizer.weight_decay, false));
    STEP_TRY(r.read_f32("optimizer.beta1", s.optimizer.beta1, false));
    STEP_TRY(r.read_f32("optimizer.beta2", s.optimizer.beta2, false));
    STEP_TRY(r.read_f32("optimizer.eps", s.optimizer.eps, false));
    STEP_TRY(r.read_f32("optimizer.max_grad_norm", s.optimizer.max_grad_norm, false));

    STEP_TRY(r.read_u32("batch", s.batch, true));
    STEP_TRY(r.read_u64("steps", s.steps, true));
    STEP_TRY(r.read_u64("seed", s.seed, true));
    STEP_TRY(r.read_string("data.format", s.data_format, false));
    STEP_TRY(r.read_string("data.train", s.train_path, true));
    STEP_TRY(r.read_string("data.test", s.test_path, false));
    s.train_path = r.resolve(s.train_path);
    if (!s.test_path.empty()) s.test_path = r.resolve(s.test_path);
    STEP_TRY(r.read_u32("split.units", s.units_per_round, false));
    s.steps_per_unit = s.steps;
    STEP_TRY(r.read_u64("split.steps_per_unit", s.steps_per_unit, false));
    STEP_TRY(r.read_u64("leaf_interval", s.leaf_interval, true));
    s.checkpoint_interval = 2 * s.leaf_interval;
    STEP_TRY(r.read_u64("checkpoint_interval", s.checkpoint_interval, false));
    STEP_TRY(r.read_u32("audit.verifiers", s.audit_verifiers, false));
    STEP_TRY(r.read_u32("audit.leaves", s.audit_leaves, false));
    STEP_TRY(r.read_u64("budget", s.budget, false));
    STEP_TRY(r.read_u64("unit_bond", s.unit_bond, false));
    STEP_TRY(validate_task_spec(s));
    return s;
}

Result<TaskSpec> load_task_spec(const std::string& path) {
    std::ifstream f(path);
    if (!f) return Status::error(codes::kFileMissing, "cannot open spec " + path);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string dir;
    auto slash = path.rfind('/');
    if (slash != std::string::npos) dir = path.substr(0, slash);
    auto spec = parse_task_spec(ss.str(), dir);
    if (!spec.ok()) return spec.status().with_message(path + ": " + spec.status().message());
    return spec;
}

}  // namespace step::kernels
