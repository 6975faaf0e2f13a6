#include "text.hpp"

#include <array>
#include <ctime>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace duroxide::cli {

namespace {

struct Decoded {
  char32_t code_point = 0;
  std::size_t length = 0;
};

/// The UTF-8 sequence at `text[at]`, or nothing when the bytes there are not one (a stray
/// continuation byte, a truncated or overlong sequence, a surrogate, beyond U+10FFFF).
std::optional<Decoded> decode_utf8(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return Decoded{lead, 1};
  std::size_t length = 0;
  char32_t code_point = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code_point = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code_point = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code_point = lead & 0x07, minimum = 0x10000;
  } else {
    return std::nullopt;
  }
  if (at + length > text.size()) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return std::nullopt;
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  if (code_point < minimum || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return std::nullopt;
  }
  return Decoded{code_point, length};
}

/// Characters that reorder the text around them: shown escaped so that a value cannot make a
/// table or a line read differently from what it holds.
bool is_bidi_control(char32_t c) {
  return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

bool is_zero_width(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x0483 && c <= 0x0489) || (c >= 0x0591 && c <= 0x05BD) ||
         (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x200B && c <= 0x200D) ||
         (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFE20 && c <= 0xFE2F) || c == 0xFEFF ||
         (c >= 0xE0100 && c <= 0xE01EF);
}

bool is_wide(char32_t c) {
  constexpr std::array<std::pair<char32_t, char32_t>, 12> kWide{{{0x1100, 0x115F},
                                                                 {0x2E80, 0x303E},
                                                                 {0x3041, 0x33FF},
                                                                 {0x3400, 0x4DBF},
                                                                 {0x4E00, 0x9FFF},
                                                                 {0xA000, 0xA4CF},
                                                                 {0xAC00, 0xD7A3},
                                                                 {0xF900, 0xFAFF},
                                                                 {0xFE30, 0xFE4F},
                                                                 {0xFF00, 0xFF60},
                                                                 {0xFFE0, 0xFFE6},
                                                                 {0x1F300, 0x1FAFF}}};
  for (const auto& [first, last] : kWide) {
    if (c >= first && c <= last) return true;
  }
  return c >= 0x20000 && c <= 0x3FFFD;
}

}  // namespace

std::string escape(std::string_view text, bool quoted) {
  std::string out;
  out.reserve(text.size() + (quoted ? 2 : 0));
  if (quoted) out.push_back('"');
  std::size_t at = 0;
  while (at < text.size()) {
    const auto decoded = decode_utf8(text, at);
    if (!decoded) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[at]));
      ++at;
      continue;
    }
    const char32_t c = decoded->code_point;
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"' && quoted) {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
    } else if ((c >= 0x80 && c <= 0x9F) || is_bidi_control(c)) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out.append(text.substr(at, decoded->length));
    }
    at += decoded->length;
  }
  if (quoted) out.push_back('"');
  return out;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto decoded = decode_utf8(text, at);
    if (!decoded) {  // not expected after escape(); count the byte as one column
      ++width, ++at;
      continue;
    }
    if (!is_zero_width(decoded->code_point)) width += is_wide(decoded->code_point) ? 2 : 1;
    at += decoded->length;
  }
  return width;
}

std::string format_time_ms(std::uint64_t ms) {
  if (ms == 0) return "-";
  const auto seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr) return fmt::format("{} ms", ms);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, ms % 1000);
}

std::optional<std::uint64_t> parse_time_ms(std::string_view text) {
  auto digits = [&](std::size_t at, std::size_t count) -> std::optional<int> {
    if (at + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    if (text.size() > 15) return std::nullopt;  // beyond year 33,000: a typo, not a time
    std::uint64_t ms = 0;
    for (const char c : text) ms = ms * 10 + static_cast<std::uint64_t>(c - '0');
    return ms;
  }
  std::tm utc{};
  const auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  if (!year || !month || !day || text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (*year < 1970 || *month < 1 || *month > 12 || *day < 1 || *day > 31) return std::nullopt;
  utc.tm_year = *year - 1900;
  utc.tm_mon = *month - 1;
  utc.tm_mday = *day;
  std::size_t at = 10;
  std::uint64_t fraction_ms = 0;
  if (at < text.size() && text[at] == 'T') {
    const auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
    if (!hour || !minute || !second || text.size() < 19 || text[13] != ':' || text[16] != ':') return std::nullopt;
    if (*hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
    utc.tm_hour = *hour;
    utc.tm_min = *minute;
    utc.tm_sec = *second;
    at = 19;
    if (at < text.size() && text[at] == '.') {
      std::size_t places = 0;
      for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++places) {
        if (places < 3) fraction_ms = fraction_ms * 10 + static_cast<std::uint64_t>(text[at] - '0');
      }
      if (places == 0) return std::nullopt;
      for (; places < 3; ++places) fraction_ms *= 10;
    }
  }
  if (at < text.size() && text[at] == 'Z') ++at;
  if (at != text.size()) return std::nullopt;
  const std::time_t seconds = timegm(&utc);
  // timegm normalises impossible dates (February 30th becomes March 2nd): refuse those.
  std::tm check{};
  if (seconds < 0 || gmtime_r(&seconds, &check) == nullptr || check.tm_mday != *day) return std::nullopt;
  return static_cast<std::uint64_t>(seconds) * 1000 + fraction_ms;
}

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (!space) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != ' ') {
      out.push_back(' ');
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace duroxide::cli
