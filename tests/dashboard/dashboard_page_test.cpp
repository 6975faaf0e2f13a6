// The page (web_assets.hpp, tools/dashboard/web/): built from the embedded files, one document
// with every style and script in it, and scripts that put stored values in only as text.
#include <regex>

#include "dashboard_test_support.hpp"
#include "web_assets.hpp"

namespace duroxide::dashboard_test {
namespace {

bool is_code(std::string_view name) { return name.ends_with(".js") || name.ends_with(".css"); }

TEST(DashboardPage, EveryEmbeddedFileIsWrittenIntoThePage) {
  const auto page = dashboard::render_page("NONCE");
  for (const auto& asset : dashboard::web_assets()) {
    if (!is_code(asset.name)) continue;
    EXPECT_NE(page.find(asset.content), std::string::npos) << asset.name << " is not in the page";
  }
  EXPECT_EQ(page.find("{{"), std::string::npos) << "a marker was left in the page";
  EXPECT_NE(page.find("<style nonce=\"NONCE\">"), std::string::npos);
  EXPECT_NE(page.find("<script nonce=\"NONCE\">'use strict';"), std::string::npos);
}

TEST(DashboardPage, NoEmbeddedCodeCanEndItsElementEarly) {
  // Inside a script or a style written into the page, "</" could close the element, and "<!--"
  // or "<script" could change how the HTML parser reads what follows.
  for (const auto& asset : dashboard::web_assets()) {
    if (!is_code(asset.name)) continue;
    std::string lower(asset.content);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* sequence : {"</", "<!--", "<script"}) {
      EXPECT_EQ(lower.find(sequence), std::string::npos) << asset.name << " holds " << sequence;
    }
  }
}

TEST(DashboardPage, ScriptsNeverTurnStringsIntoHtml) {
  // The rule that keeps stored values text (docs/dashboard.md, "Security"): no API that parses HTML.
  const std::regex html_sinks(
      R"(innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|eval\(|new Function)");
  for (const auto& asset : dashboard::web_assets()) {
    if (!asset.name.ends_with(".js")) continue;
    const std::string code(asset.content);
    std::smatch found;
    EXPECT_FALSE(std::regex_search(code, found, html_sinks)) << asset.name << " uses " << found.str();
  }
}

TEST(DashboardPage, ThePageLoadsNothingFromElsewhere) {
  auto page = dashboard::render_page("NONCE");
  // The SVG namespace is a name, not an address the browser loads.
  for (auto at = page.find("http://www.w3.org/2000/svg"); at != std::string::npos;
       at = page.find("http://www.w3.org/2000/svg")) {
    page.erase(at, 26);
  }
  for (const char* remote : {"http://", "https://", "//cdn", "src=\"", "@import", "url("}) {
    EXPECT_EQ(page.find(remote), std::string::npos) << remote;
  }
}

TEST(DashboardPage, NoncesAreFreshAndWellFormed) {
  const auto a = dashboard::new_nonce();
  const auto b = dashboard::new_nonce();
  EXPECT_NE(a, b);
  EXPECT_TRUE(std::regex_match(a, std::regex("[A-Za-z0-9+/]{24}"))) << a;
}

}  // namespace
}  // namespace duroxide::dashboard_test
