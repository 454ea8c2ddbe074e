// The read-only web dashboard stepd serves on its RPC port (docs/dashboard.md): a single page whose
// files (node/dashboard/) are compiled into stepd by node/dashboard/embed.cmake, so it works
// offline with no CDN and no web server beside the node. The page reads the chain through the
// JSON-RPC methods that need no cookie, and hears of new blocks on the event stream (kEventsPath).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "node/http_server.h"

namespace step::node {

struct DashboardAsset {
    std::string_view path;  // "/" for the page, "/static/<file>" for what it loads
    std::string_view content_type;
    std::string_view body;
    std::string_view etag;  // quoted, as the ETag header carries it
};

// Every embedded file (generated: dashboard_assets.cc in the build folder).
std::span<const DashboardAsset> dashboard_assets();

// The Server-Sent Events stream of the node's new tips: `event: block`,
// `data: {"height":N,"hash":"<hex>"}` once per block that moves the tip.
inline constexpr char kEventsPath[] = "/events";
inline constexpr char kBlockEvent[] = "block";

// The policy every dashboard file is served with: scripts and styles from the node itself only
// (no inline script, no eval), data fetched from the node only, no frames, forms or plugins.
inline constexpr char kDashboardCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The answer to a GET or HEAD of a dashboard file, nullopt for any other request. The browser
// revalidates every file (Cache-Control: no-cache) and gets 304 while its ETag still matches, so a
// new stepd's page is never mixed with an old one's script.
std::optional<HttpResponse> serve_dashboard(const HttpRequest& request);

}  // namespace step::node
