#include "providers/postgres/pg_url.hpp"

#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace duroxide::pg {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Percent-decoding of a query value; nothing when an escape is malformed.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

ProviderError bad_url(const std::string& url, std::string_view why) {
  // The URL may carry a password: only its scheme and the problem are named.
  (void)url;
  return ProviderError::permanent("open", fmt::format("invalid PostgreSQL URL: {}", why));
}

}  // namespace

ProviderResult<ParsedUrl> parse_url(const std::string& url) {
  if (!url.starts_with("postgres://") && !url.starts_with("postgresql://")) {
    return std::unexpected(bad_url(url, "expected 'postgres://' or 'postgresql://'"));
  }
  ParsedUrl parsed;
  const auto question = url.find('?');
  if (question == std::string::npos) {
    parsed.conninfo = url;
    return parsed;
  }
  std::string kept = url.substr(0, question);
  std::string_view query(url);
  query.remove_prefix(question + 1);
  std::vector<std::string> passed;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view raw = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (key == "schema") {
      auto value = percent_decode(raw);
      if (!value || value->empty()) return std::unexpected(bad_url(url, "'schema' must name a schema"));
      if (value->size() > 63) return std::unexpected(bad_url(url, "'schema' is longer than 63 bytes"));
      if (value->find('\0') != std::string::npos) return std::unexpected(bad_url(url, "'schema' contains NUL"));
      parsed.schema = std::move(*value);
    } else if (key == "pool") {
      std::size_t size = 0;
      const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), size);
      if (ec != std::errc{} || end != raw.data() + raw.size() || size == 0 || size > 1000) {
        return std::unexpected(bad_url(url, "'pool' must be a number from 1 to 1000"));
      }
      parsed.pool_size = size;
    } else {
      passed.emplace_back(pair);
    }
  }
  for (std::size_t i = 0; i < passed.size(); ++i) kept += (i == 0 ? "?" : "&") + passed[i];
  parsed.conninfo = std::move(kept);
  return parsed;
}

}  // namespace duroxide::pg
