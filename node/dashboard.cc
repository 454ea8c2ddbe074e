#include "node/dashboard.h"

namespace step::node {

std::optional<HttpResponse> serve_dashboard(const HttpRequest& request) {
    if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
    const std::string_view path =
        std::string_view(request.target).substr(0, request.target.find('?'));
    for (const DashboardAsset& asset : dashboard_assets()) {
        if (asset.path != path) continue;
        const bool fresh = request.if_none_match == asset.etag;
        HttpResponse res(
            fresh ? 304 : 200, std::string(asset.content_type),
            fresh || request.method == "HEAD" ? std::string() : std::string(asset.body));
        res.headers = {{"Cache-Control", "no-cache"},
                       {"ETag", std::string(asset.etag)},
                       {"Content-Security-Policy", kDashboardCsp},
                       {"X-Content-Type-Options", "nosniff"},
                       {"Referrer-Policy", "no-referrer"},
                       {"X-Frame-Options", "DENY"}};
        return res;
    }
    return std::nullopt;
}

}  // namespace step::node
