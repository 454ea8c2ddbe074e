// One JSON line per figure: {"name":..., "value":..., "unit":..., optional peer fields}.
#pragma once

#include <cstdio>
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
