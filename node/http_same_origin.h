// Which requests from a browser the RPC port serves. A page the operator has open can make the
// browser send requests to 127.0.0.1 (a "simple" cross-origin POST needs no permission), and a
// name the attacker controls can be re-pointed at 127.0.0.1 (DNS rebinding). The rule, for
// every request other than GET or HEAD (those only read health, metrics and static pages):
//   - Host, when present, names a loopback address ("localhost", 127.0.0.0/8, [::1]) or the
//     address the server is bound to (any numeric address when bound to 0.0.0.0 or ::), with
//     the server's port (no port means 80). A rebinding page's Host is the attacker's name.
//   - A request that carries an Origin comes from the server's own origin:
//     http://<an allowed host>:<the server's port>. So a dashboard served from this port (GET /)
//     may call the RPC, and no other page can.
//   - A POST's Content-Type is application/json: browsers send text/plain and form types
//     cross-origin without asking the server first, never application/json.
// Clients outside a browser (step-wallet, curl with -H 'Content-Type: application/json') pass.
#pragma once

#include <optional>
#include <string_view>

#include "node/http_server.h"
#include "node/net/endpoint.h"

namespace step::node {

// The answer that refuses `request` (403 for Host or Origin, 415 for Content-Type), or nullopt
// when it may be served. `bound` is the address and port the server listens on.
std::optional<HttpResponse> refuse_cross_site(const HttpRequest& request,
                                              const net::Endpoint& bound);

// Whether `authority` ("127.0.0.1:18443", "localhost:18443", "[::1]:18443") names the server
// bound at `bound`, under the Host rule above.
bool authority_allowed(std::string_view authority, const net::Endpoint& bound);

}  // namespace step::node
