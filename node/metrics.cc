#include "node/metrics.h"

#include <array>
#include <cstdio>
#include <sstream>

namespace step::node {
namespace {

// Bucket bounds (seconds) spanning a cached read (~50 us) to a long generate call.
constexpr std::array<double, 9> kLatencyBuckets = {0.0001, 0.0005, 0.001, 0.005, 0.01,
                                                   0.05,   0.1,    0.5,   1.0};

std::string fmt(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

}  // namespace

void Metrics::set_gauge(const std::string& name, const std::string& help, double value) {
    std::lock_guard lock(mutex_);
    auto& s = series_[name];
    s.help = help;
    s.type = "gauge";
    s.value = value;
}

void Metrics::add_counter(const std::string& name, const std::string& help, uint64_t delta) {
    std::lock_guard lock(mutex_);
    auto& s = series_[name];
    s.help = help;
    s.type = "counter";
    s.value += static_cast<double>(delta);
}

void Metrics::set_counter(const std::string& name, const std::string& help, uint64_t total) {
    std::lock_guard lock(mutex_);
    auto& s = series_[name];
    s.help = help;
    s.type = "counter";
    s.value = static_cast<double>(total);
}

void Metrics::set_labeled_counters(const std::string& name, const std::string& help,
                                   const std::string& label,
                                   const std::map<std::string, uint64_t, std::less<>>& totals) {
    std::lock_guard lock(mutex_);
    labeled_[name] = Labeled{help, label, totals};
}

void Metrics::observe_rpc_latency(const std::string& method, double seconds) {
    std::lock_guard lock(mutex_);
    auto& h = rpc_latency_[method];
    if (h.buckets.empty())
        for (double b : kLatencyBuckets) h.buckets[b] = 0;
    h.count++;
    h.sum += seconds;
    for (auto& [bound, n] : h.buckets)
        if (seconds <= bound) n++;
}

std::string Metrics::render() const {
    std::lock_guard lock(mutex_);
    std::ostringstream os;
    for (const auto& [name, s] : series_) {
        os << "# HELP " << name << ' ' << s.help << '\n';
        os << "# TYPE " << name << ' ' << s.type << '\n';
        os << name << ' ' << fmt(s.value) << '\n';
    }
    for (const auto& [name, l] : labeled_) {
        os << "# HELP " << name << ' ' << l.help << '\n';
        os << "# TYPE " << name << " counter\n";
        for (const auto& [value, total] : l.totals)
            os << name << '{' << l.label << "=\"" << value << "\"} " << total << '\n';
    }
    os << "# HELP stepd_rpc_latency_seconds JSON-RPC request handling time by method\n";
    os << "# TYPE stepd_rpc_latency_seconds histogram\n";
    for (const auto& [method, h] : rpc_latency_) {
        for (const auto& [bound, n] : h.buckets)
            os << "stepd_rpc_latency_seconds_bucket{method=\"" << method << "\",le=\"" << fmt(bound)
               << "\"} " << n << '\n';
        os << "stepd_rpc_latency_seconds_bucket{method=\"" << method << "\",le=\"+Inf\"} " << h.count << '\n';
        os << "stepd_rpc_latency_seconds_sum{method=\"" << method << "\"} " << fmt(h.sum) << '\n';
        os << "stepd_rpc_latency_seconds_count{method=\"" << method << "\"} " << h.count << '\n';
    }
    return os.str();
}

}  // namespace step::node
