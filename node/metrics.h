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
    mutable std::mutex mutex_;
    std::map<std::string, Series> series_;
    std::map<std::string, Histogram> rpc_latency_;  // by method
};

}  // namespace step::node
