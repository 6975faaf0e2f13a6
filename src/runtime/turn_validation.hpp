#pragma once
// UTF-8 validation of what a turn is about to commit (docs/core.md "Wire format"): orchestration
// code may hand the context any bytes (activity inputs, outputs, KV values, custom status, ...),
// but stored strings must be UTF-8, so a turn that would store anything else ends the
// orchestration Failed instead (deterministically: the same code fails the same way on replay).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <duroxide/event.hpp>
#include <duroxide/work_item.hpp>

namespace duroxide::runtime {

struct InvalidUtf8InTurn {
  /// e.g. "input of activity 'Greet' (event 5) is not valid UTF-8 at byte 2"
  std::string message;
  /// Index in the delta of the first event holding invalid bytes; the delta's size when only an
  /// outgoing work item does.
  std::size_t first_bad_event = 0;
};

/// The first string of the turn's new events, then of its outgoing work items, that is not valid
/// UTF-8; nothing when everything is.
std::optional<InvalidUtf8InTurn> find_invalid_utf8(const std::vector<Event>& delta,
                                                   const std::vector<WorkItem>& orchestrator_items,
                                                   const std::vector<WorkItem>& worker_items);

/// The first string of an error's details that is not valid UTF-8, described as "<what> ...".
std::optional<std::string> invalid_utf8_in_error(const std::string& what, const ErrorDetails& details);

}  // namespace duroxide::runtime
