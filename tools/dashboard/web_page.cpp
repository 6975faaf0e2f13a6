#include <array>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "web_assets.hpp"

namespace duroxide::dashboard {

namespace {

constexpr std::string_view kInlineMarker = "{{inline ";
constexpr std::string_view kNonceMarker = "{{nonce}}";

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

std::optional<std::string_view> find_web_asset(std::string_view name) {
  for (const auto& asset : web_assets()) {
    if (asset.name == name) return asset.content;
  }
  return std::nullopt;
}

std::string render_page(std::string_view nonce) {
  const auto index = find_web_asset("index.html");
  if (!index) throw std::logic_error("the dashboard was built without web/index.html");
  std::string page(*index);
  // The nonce first: it is only in index.html, never in the files written into it.
  replace_all(page, kNonceMarker, nonce);
  for (auto at = page.find(kInlineMarker); at != std::string::npos; at = page.find(kInlineMarker, at)) {
    const auto end = page.find("}}", at);
    if (end == std::string::npos) throw std::logic_error("web/index.html: an {{inline ...}} without its }}");
    const auto name = page.substr(at + kInlineMarker.size(), end - at - kInlineMarker.size());
    const auto content = find_web_asset(name);
    if (!content) throw std::logic_error(fmt::format("web/index.html inlines {}, which is not embedded", name));
    page.replace(at, end + 2 - at, *content);
    at += content->size();
  }
  return page;
}

std::string new_nonce() {
  static constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::random_device random;
  std::array<unsigned char, 18> bytes{};  // 144 bits: a multiple of 3 bytes, no padding
  for (auto& byte : bytes) byte = static_cast<unsigned char>(random() & 0xffu);
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const unsigned triple = (bytes[i] << 16u) | (bytes[i + 1] << 8u) | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out += kBase64[(triple >> shift) & 0x3fu];
  }
  return out;
}

std::string page_security_policy(std::string_view nonce) {
  return fmt::format(
      "default-src 'none'; script-src 'nonce-{0}'; style-src 'nonce-{0}'; connect-src 'self'; img-src 'self' data:; "
      "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      nonce);
}

}  // namespace duroxide::dashboard
