// The parameter tables in docs/consensus.md and docs/protocol.md quote consensus/params.cc: each
// row named here must give, per network, the value the code sets. A doc that drifts from the
// code (as 8 MiB blocks once did after the code moved to 16 MiB) fails here.
#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "consensus/params.h"

namespace cs = step::consensus;

namespace {

using Field = uint64_t cs::Params::*;

std::string read_doc(const std::string& name) {
    std::ifstream in(std::string(STEP_SOURCE_DIR) + "/docs/" + name);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" `");
    const size_t e = s.find_last_not_of(" `");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// The cells of the table row whose first cell is `name` (backquotes ignored); empty if none.
std::vector<std::string> row(const std::string& doc, const std::string& name) {
    std::istringstream lines(doc);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("| ", 0) != 0) continue;
        std::vector<std::string> cells;
        std::istringstream parts(line.substr(1));
        for (std::string cell; std::getline(parts, cell, '|');) cells.push_back(trim(cell));
        if (!cells.empty() && cells[0] == name) return cells;
    }
    return {};
}

// "16 MiB" -> 16 << 20, "10,080" -> 10080, "60 s" -> 60; nullopt for anything else.
std::optional<uint64_t> value_of(const std::string& cell) {
    uint64_t v = 0;
    size_t i = 0;
    for (; i < cell.size() && (std::isdigit(static_cast<unsigned char>(cell[i])) || cell[i] == ',');
         ++i)
        if (cell[i] != ',') v = v * 10 + static_cast<uint64_t>(cell[i] - '0');
    if (i == 0) return std::nullopt;
    const std::string unit = cell.substr(i);
    if (unit == " MiB") return v << 20;
    if (unit.empty() || unit == " s") return v;
    return std::nullopt;
}

// Checks the row's mainnet, testnet and devnet cells ("same" repeats the cell before it).
void check_row(const std::string& doc, const std::string& name, Field field) {
    INFO(name);
    const std::vector<std::string> cells = row(doc, name);
    REQUIRE(cells.size() >= 4);
    const cs::Params* nets[] = {&cs::mainnet_params(), &cs::testnet_params(), &cs::devnet_params()};
    std::string cell;
    for (size_t n = 0; n < 3; ++n) {
        if (cells[n + 1] != "same") cell = cells[n + 1];
        INFO(nets[n]->network << ": '" << cell << "'");
        const auto v = value_of(cell);
        REQUIRE(v);
        CHECK(*v == nets[n]->*field);
    }
}

}  // namespace

TEST_CASE("docs/consensus.md's parameter table gives the values consensus/params.cc sets",
          "[consensus][docs]") {
    const std::string doc = read_doc("consensus.md");
    REQUIRE_FALSE(doc.empty());
    check_row(doc, "chain id", &cs::Params::chain_id);
    check_row(doc, "BLOCK_TIME", &cs::Params::block_time_s);
    check_row(doc, "MAX_FUTURE_DRIFT", &cs::Params::max_future_drift_s);
    check_row(doc, "MEDIAN_TIME_BLOCKS", &cs::Params::median_time_blocks);
    check_row(doc, "MAX_BLOCK_BYTES", &cs::Params::max_block_bytes);
    check_row(doc, "MAX_BLOCK_TXS", &cs::Params::max_block_txs);
    check_row(doc, "MAX_TX_BYTES", &cs::Params::max_tx_bytes);
    check_row(doc, "MAX_LOCKED_ENTRIES", &cs::Params::max_locked_entries);
    check_row(doc, "MIN_FEE", &cs::Params::min_fee);
    check_row(doc, "COINBASE_MATURITY", &cs::Params::coinbase_maturity);
    check_row(doc, "UNBONDING_DELAY", &cs::Params::unbonding_delay);
}

TEST_CASE("docs/protocol.md's market parameter table gives the values consensus/params.cc sets",
          "[consensus][docs]") {
    const std::string doc = read_doc("protocol.md");
    REQUIRE_FALSE(doc.empty());
    check_row(doc, "CLAIM_TIMEOUT", &cs::Params::claim_timeout);
    check_row(doc, "ASSIGN_DELAY", &cs::Params::assign_delay);
    check_row(doc, "AUDIT_COMMIT_WINDOW", &cs::Params::audit_commit_window);
    check_row(doc, "AUDIT_REVEAL_WINDOW", &cs::Params::audit_reveal_window);
    check_row(doc, "OPEN_WINDOW", &cs::Params::open_window);
    check_row(doc, "FINALITY_WINDOW", &cs::Params::finality_window);
    check_row(doc, "DA_WINDOW", &cs::Params::da_window);
    check_row(doc, "PROOF_CONTEST_WINDOW", &cs::Params::proof_contest_window);
    check_row(doc, "UNBONDING_DELAY", &cs::Params::unbonding_delay);
    check_row(doc, "PIPELINE_DEPTH", &cs::Params::pipeline_depth);
    check_row(doc, "MAX_STATE_BYTES", &cs::Params::max_state_bytes);
    check_row(doc, "MAX_PROOF_BYTES", &cs::Params::max_proof_bytes);
    check_row(doc, "max units per task", &cs::Params::max_task_units);
    check_row(doc, "max V x Q", &cs::Params::max_audit_leaves);
    check_row(doc, "max leaves per unit", &cs::Params::max_unit_leaves);
    check_row(doc, "SAFETY", &cs::Params::safety);
}

TEST_CASE("the docs' parameter reader reads what the tables write", "[consensus][docs]") {
    CHECK(value_of("16 MiB") == (16u << 20));
    CHECK(value_of("10,080") == 10080u);
    CHECK(value_of("60 s") == 60u);
    CHECK_FALSE(value_of("same"));
    CHECK_FALSE(value_of("2^236 - 1"));
    CHECK_FALSE(value_of("8*10^9"));
    const std::string doc = "| `A` | 1 | same | 3 | why |\n| B | x |\n";
    CHECK(row(doc, "A") == std::vector<std::string>{"A", "1", "same", "3", "why"});
    CHECK(row(doc, "C").empty());
}
