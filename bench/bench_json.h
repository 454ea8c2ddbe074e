// One JSON line per figure: {"name":..., "value":..., "unit":..., optional peer fields}.
#pragma once

#include <cstdio>
#include <ctime>
#include <string>

namespace step::bench {

struct Figure {
    std::string name;
    double value = 0;
    std::string unit;
    std::string peer;         // peer's name, empty when there is none
    double peer_value = 0;
    std::string note;         // free text, e.g. thread count or shape
};

// CPU seconds used by the whole process: on a shared machine this is the uncontended cost,
// quoted beside wall time.
inline double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline void emit(const Figure& f) {
    std::printf("{\"name\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"", f.name.c_str(), f.value,
                f.unit.c_str());
    if (!f.peer.empty())
        std::printf(",\"peer\":\"%s\",\"peer_value\":%.6g", f.peer.c_str(), f.peer_value);
    if (!f.note.empty()) std::printf(",\"note\":\"%s\"", f.note.c_str());
    std::printf("}\n");
    std::fflush(stdout);
}

}  // namespace step::bench
