#pragma once
// The provider's URL: a libpq URL plus our own query parameters `schema` and `pool`, which are
// removed before the rest goes to libpq (libpq rejects parameters it does not know).

#include <cstddef>
#include <string>

#include <duroxide/provider_types.hpp>

namespace duroxide::pg {

struct ParsedUrl {
  std::string conninfo;           ///< what libpq receives
  std::string schema = "public";  ///< unquoted
  std::size_t pool_size = 8;
};

ProviderResult<ParsedUrl> parse_url(const std::string& url);

}  // namespace duroxide::pg
