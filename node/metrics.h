// Process metrics rendered as Prometheus text exposition (served at /metrics).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace step::node {

class Metrics {
public:
    // Gauges are overwritten, counters only grow.
    void set_gauge(const std::string& name, const std::string& help, double value);
    void add_counter(const std::string& name, const std::string& help, uint64_t delta = 1);
    // A counter kept elsewhere (e.g. an atomic in the chain), published as its current total.
    void set_counter(const std::string& name, const std::string& help, uint64_t total);
    // Counters kept elsewhere with one label ("type", "reason"), published as their totals: one
    // series per value, e.g. stepd_p2p_bytes_received_total{type="block"}. Label values are the
    // node's own names (message types, error codes), never a peer's text.
    void set_labeled_counters(const std::string& name, const std::string& help,
                              const std::string& label,
                              const std::map<std::string, uint64_t, std::less<>>& totals);
    // RPC latency as a histogram with a "method" label.
    void observe_rpc_latency(const std::string& method, double seconds);
    std::string render() const;

private:
    struct Series {
        std::string help;
        std::string type;
        double value = 0;
    };
    struct Histogram {
        uint64_t count = 0;
        double sum = 0;
        std::map<double, uint64_t> buckets;  // upper bound -> count of observations <= bound
    };
    struct Labeled {
        std::string help;
        std::string label;
        std::map<std::string, uint64_t, std::less<>> totals;
    };
    mutable std::mutex mutex_;
    std::map<std::string, Labeled> labeled_;
    std::map<std::string, Series> series_;
    std::map<std::string, Histogram> rpc_latency_;  // by method
};

}  // namespace step::node
