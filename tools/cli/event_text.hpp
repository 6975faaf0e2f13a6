// One history event in words, for the human form of `history` (docs/cli.md).
#pragma once

#include <string>

#include <duroxide/event.hpp>

namespace duroxide::cli {

/// The event's payload as `field=value` pairs, values quoted with quote() (e.g.
/// `name="Greet" input="World"`); "" for an event without payload.
std::string describe_event(const Event& event);

}  // namespace duroxide::cli
