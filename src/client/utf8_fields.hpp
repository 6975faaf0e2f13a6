#pragma once
// Stored strings must be UTF-8 (docs/core.md): the client's calls check their text fields before
// anything reaches the store.

#include <initializer_list>
#include <string_view>
#include <utility>

#include <duroxide/client.hpp>

namespace duroxide::client_detail {

/// InvalidInput naming the call, the field and the first bad byte of the first field that is
/// not UTF-8; nothing is written.
ClientResult<void> require_utf8(std::string_view call,
                                std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

}  // namespace duroxide::client_detail
