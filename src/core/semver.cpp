#include <duroxide/semver.hpp>

#include <algorithm>
#include <charconv>
#include <vector>

#include <fmt/format.h>

#include <duroxide/constants.hpp>

namespace duroxide {
namespace {

bool is_identifier_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

bool is_numeric(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = s.find('.', start);
    parts.push_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

Result<std::uint64_t> parse_number(std::string_view part, std::string_view what, std::string_view text) {
  if (!is_numeric(part)) return Err(fmt::format("invalid version '{}': {} '{}' is not a number", text, what, part));
  if (part.size() > 1 && part[0] == '0') {
    return Err(fmt::format("invalid version '{}': {} '{}' has a leading zero", text, what, part));
  }
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
  if (ec != std::errc() || ptr != part.data() + part.size()) {
    return Err(fmt::format("invalid version '{}': {} '{}' is out of range", text, what, part));
  }
  return value;
}

Result<void> check_identifiers(std::string_view ids, std::string_view what, bool numeric_no_leading_zero,
                               std::string_view text) {
  for (auto id : split_dots(ids)) {
    if (id.empty()) return Err(fmt::format("invalid version '{}': empty {} identifier", text, what));
    if (!std::all_of(id.begin(), id.end(), is_identifier_char)) {
      return Err(
          fmt::format("invalid version '{}': {} identifier '{}' has characters outside [0-9A-Za-z-]", text, what, id));
    }
    if (numeric_no_leading_zero && is_numeric(id) && id.size() > 1 && id[0] == '0') {
      return Err(fmt::format("invalid version '{}': {} identifier '{}' has a leading zero", text, what, id));
    }
  }
  return {};
}

// Semver precedence of two pre-release strings (both non-empty).
std::strong_ordering compare_pre(std::string_view a, std::string_view b) {
  const auto pa = split_dots(a);
  const auto pb = split_dots(b);
  for (std::size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
    const bool na = is_numeric(pa[i]);
    const bool nb = is_numeric(pb[i]);
    if (na && nb) {
      // Numeric identifiers have no leading zeros, so length then text orders them numerically.
      if (auto c = pa[i].size() <=> pb[i].size(); c != 0) return c;
      if (auto c = pa[i] <=> pb[i]; c != 0) return c;
    } else if (na != nb) {
      return na ? std::strong_ordering::less : std::strong_ordering::greater;
    } else if (auto c = pa[i] <=> pb[i]; c != 0) {
      return c;
    }
  }
  return pa.size() <=> pb.size();
}

}  // namespace

Result<Version> Version::parse(std::string_view text) {
  std::string_view rest = text;
  Version v;
  if (const auto plus = rest.find('+'); plus != std::string_view::npos) {
    const auto build = rest.substr(plus + 1);
    if (auto ok = check_identifiers(build, "build", false, text); !ok) return std::unexpected(ok.error());
    v.build = std::string(build);
    rest = rest.substr(0, plus);
  }
  if (const auto dash = rest.find('-'); dash != std::string_view::npos) {
    const auto pre = rest.substr(dash + 1);
    if (auto ok = check_identifiers(pre, "pre-release", true, text); !ok) return std::unexpected(ok.error());
    v.pre = std::string(pre);
    rest = rest.substr(0, dash);
  }
  const auto core = split_dots(rest);
  if (core.size() != 3) {
    return Err(fmt::format("invalid version '{}': expected MAJOR.MINOR.PATCH", text));
  }
  const char* names[] = {"major", "minor", "patch"};
  std::uint64_t* fields[] = {&v.major, &v.minor, &v.patch};
  for (int i = 0; i < 3; ++i) {
    auto n = parse_number(core[static_cast<std::size_t>(i)], names[i], text);
    if (!n) return std::unexpected(n.error());
    *fields[i] = *n;
  }
  return v;
}

std::string Version::to_string() const {
  std::string s = fmt::format("{}.{}.{}", major, minor, patch);
  if (!pre.empty()) s += "-" + pre;
  if (!build.empty()) s += "+" + build;
  return s;
}

std::strong_ordering Version::operator<=>(const Version& other) const {
  if (auto c = major <=> other.major; c != 0) return c;
  if (auto c = minor <=> other.minor; c != 0) return c;
  if (auto c = patch <=> other.patch; c != 0) return c;
  if (pre.empty() != other.pre.empty()) {
    return pre.empty() ? std::strong_ordering::greater : std::strong_ordering::less;
  }
  if (!pre.empty()) {
    if (auto c = compare_pre(pre, other.pre); c != 0) return c;
  }
  return build <=> other.build;
}

SemverRange SemverRange::default_supported() {
  return SemverRange{Version{}, *Version::parse(kMaxReplayableDuroxideVersion)};
}

}  // namespace duroxide
