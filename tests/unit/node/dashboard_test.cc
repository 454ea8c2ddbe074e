// The dashboard's embedded files as stepd serves them (node/dashboard.h): types, security headers,
// revalidation, and a page that needs no inline script.
#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "node/dashboard.h"

using namespace step::node;

namespace {

HttpRequest get(const std::string& target) {
    HttpRequest r;
    r.method = "GET";
    r.target = target;
    return r;
}

std::string header(const HttpResponse& res, const std::string& name) {
    for (const auto& [n, v] : res.headers)
        if (n == name) return v;
    return "";
}

}  // namespace

TEST_CASE("the dashboard page is served at / with a strict policy and every file it loads") {
    const auto page = serve_dashboard(get("/"));
    REQUIRE(page);
    CHECK(page->status == 200);
    CHECK(page->content_type == "text/html; charset=utf-8");
    CHECK(header(*page, "Content-Security-Policy") == kDashboardCsp);
    CHECK(header(*page, "X-Content-Type-Options") == "nosniff");
    CHECK(header(*page, "Cache-Control") == "no-cache");
    const std::string csp = kDashboardCsp;
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("unsafe") == std::string::npos);

    // Every script has a src (no inline script) and no element has an on* handler attribute.
    CHECK_FALSE(std::regex_search(page->body, std::regex("<script(?![^>]*\\bsrc=)")));
    CHECK_FALSE(std::regex_search(page->body, std::regex("\\son[a-z]+\\s*=", std::regex::icase)));
    // Each file the page names is served, with its type.
    const std::regex ref("(?:src|href)=\"(/static/[^\"]+)\"");
    int files = 0;
    for (std::sregex_iterator it(page->body.begin(), page->body.end(), ref), end; it != end; ++it) {
        const std::string path = (*it)[1];
        const auto file = serve_dashboard(get(path));
        INFO(path);
        REQUIRE(file);
        CHECK(file->status == 200);
        CHECK_FALSE(file->body.empty());
        if (path.ends_with(".js")) CHECK(file->content_type == "text/javascript; charset=utf-8");
        if (path.ends_with(".css")) CHECK(file->content_type == "text/css; charset=utf-8");
        ++files;
    }
    CHECK(files >= 4);  // icon, uPlot's styles, the app's styles and script

    // The script the app loads itself (uPlot, with the first chart) is served too.
    const auto app = serve_dashboard(get("/static/app.js"));
    REQUIRE(app);
    std::smatch loaded;
    REQUIRE(std::regex_search(app->body, loaded, std::regex("'(/static/vendor/[^']+\\.js)'")));
    const std::string chart_path = loaded[1];
    const auto chart_lib = serve_dashboard(get(chart_path));
    INFO(chart_path);
    REQUIRE(chart_lib);
    CHECK(chart_lib->status == 200);
    CHECK(chart_lib->content_type == "text/javascript; charset=utf-8");
    CHECK(chart_lib->body.find("uPlot") != std::string::npos);
}

TEST_CASE("the dashboard's script writes no markup from data") {
    const auto app = serve_dashboard(get("/static/app.js"));
    REQUIRE(app);
    CHECK(app->body.find(".innerHTML") == std::string::npos);
    CHECK(app->body.find(".outerHTML") == std::string::npos);
    CHECK(app->body.find("insertAdjacentHTML(") == std::string::npos);
    CHECK(app->body.find("document.write(") == std::string::npos);
    CHECK(app->body.find("eval(") == std::string::npos);
}

TEST_CASE("the dashboard answers 304 to a matching ETag and nothing outside its files") {
    const auto page = serve_dashboard(get("/static/app.js?v=1"));
    REQUIRE(page);
    HttpRequest again = get("/static/app.js");
    again.if_none_match = header(*page, "ETag");
    REQUIRE_FALSE(again.if_none_match.empty());
    const auto fresh = serve_dashboard(again);
    REQUIRE(fresh);
    CHECK(fresh->status == 304);
    CHECK(fresh->body.empty());
    again.if_none_match = "\"stale\"";
    CHECK(serve_dashboard(again)->status == 200);

    CHECK_FALSE(serve_dashboard(get("/nowhere")));
    CHECK_FALSE(serve_dashboard(get("/static/../init.cc")));
    HttpRequest post = get("/");
    post.method = "POST";
    CHECK_FALSE(serve_dashboard(post));
}
