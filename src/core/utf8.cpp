#include <duroxide/utf8.hpp>
#include <duroxide/wire.hpp>

#include <cstdint>

#include <fmt/format.h>

namespace duroxide {

std::optional<std::size_t> first_invalid_utf8_offset(std::string_view text) {
  const auto* begin = reinterpret_cast<const unsigned char*>(text.data());
  const auto* p = begin;
  const auto* end = p + text.size();
  const auto bad = [&] { return std::optional<std::size_t>(static_cast<std::size_t>(p - begin)); };
  while (p < end) {
    const unsigned char c = *p;
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++p;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return bad();
    }
    if (static_cast<std::size_t>(end - p) < len) return bad();
    for (std::size_t i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return bad();
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Reject overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return bad();
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return bad();
    p += len;
  }
  return std::nullopt;
}

std::optional<std::string> invalid_utf8_problem(std::string_view what, std::string_view text) {
  const auto offset = first_invalid_utf8_offset(text);
  if (!offset) return std::nullopt;
  return fmt::format("{} is not valid UTF-8 at byte {}", what, *offset);
}

bool is_valid_utf8(std::string_view text) { return !first_invalid_utf8_offset(text).has_value(); }

}  // namespace duroxide
