// The front end's files (tools/dashboard/web), embedded at build time, and the page made of them:
// index.html with the styles and scripts written into it, so that loading the dashboard is one
// request that a token in its URL can authorize (docs/dashboard.md, "Security").
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace duroxide::dashboard {

/// One embedded file: its name in web/ and its bytes.
struct WebAsset {
  std::string_view name;
  std::string_view content;
};

/// Every embedded file, in the order the build lists them (generated: web_assets_data.cpp).
std::span<const WebAsset> web_assets();

/// The embedded file `name`, if there is one.
std::optional<std::string_view> find_web_asset(std::string_view name);

/// The page: index.html with every `{{inline NAME}}` replaced by the file NAME and every
/// `{{nonce}}` by `nonce` (the Content-Security-Policy nonce of this response).
std::string render_page(std::string_view nonce);

/// A fresh random nonce for one response's Content-Security-Policy (base64, 144 bits).
std::string new_nonce();

/// The Content-Security-Policy of the page: its own inline styles and scripts (by nonce) and
/// requests to its own origin; nothing else, nothing remote.
std::string page_security_policy(std::string_view nonce);

}  // namespace duroxide::dashboard
