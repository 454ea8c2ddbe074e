// The RPC server against bad input from anyone who can reach its port (issue 11): each case sends
// what an attacker on the machine, or a page in the operator's browser, would, to a real stepd.
#include <catch2/catch.hpp>
#include <string>

#include "common/rpc_errors.h"
#include "common/rpc_methods.h"
#include "tests/functional/stepd_process.h"
#include "tests/support/mini_http.h"
#include "tests/support/status_check.h"

using nlohmann::json;
using step::test::http_request;
using step::test::StepdProcess;

TEST_CASE("stepd refuses JSON nested 150,000 deep without the cookie and keeps serving") {
    const std::string root = step::test::make_temp_dir("rpc-deep");
    StepdProcess node(root);
    REQUIRE(node.start());
    const size_t depth = 150000;
    const std::string deep = std::string(depth, '[') + "1" + std::string(depth, ']');
    for (const std::string& body :
         {R"({"jsonrpc":"2.0","id":)" + deep + R"(,"method":"getchaininfo"})",
          std::string(R"({"jsonrpc":"2.0","id":1,"method":"getchaininfo","params":)") + deep +
              "}"}) {
        auto res = http_request(node.port(), "POST", "/", body);
        CHECK(res.status == 400);
        const json answer = json::parse(res.body, nullptr, false);
        REQUIRE(answer.is_object());
        CHECK(answer["error"]["code"] == step::rpc::kErrLimit);
        CHECK(answer["error"]["data"]["code"] == name_of(step::rpc::codes::kJsonTooDeep));
    }
    CHECK(node.result("getchaininfo")["height"] == 0);
    step::test::stop_cleanly(node);
}
