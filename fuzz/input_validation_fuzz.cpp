// Input validation at the boundaries: the UTF-8 check the client and the runtime apply to every
// string, and the identifier and work-item checks every store applies before writing. Checked:
// the offset of the first bad byte is exact (the prefix before it is valid); valid text survives
// the wire unchanged; invalid text never reaches the wire as invalid UTF-8; an identifier is
// accepted exactly when it is 1 to kMaxIdentifierBytes long; every accepted decoded work item
// routes to a valid instance id.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <duroxide/utf8.hpp>
#include <duroxide/wire.hpp>

#include "fuzz_check.hpp"
#include "providers/input_validation.hpp"

using duroxide::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto bad = duroxide::first_invalid_utf8_offset(input);
  check(duroxide::is_valid_utf8(input) == !bad, "is_valid_utf8 agrees with first_invalid_utf8_offset");
  const auto problem = duroxide::invalid_utf8_problem("input", input);
  check(problem.has_value() == bad.has_value(), "a problem is reported exactly for invalid text");
  const std::string message =
      duroxide::serialize_work_item(duroxide::work_items::QueueMessage{"i", "q", std::string(input)});
  auto parsed = duroxide::parse_work_item(message);
  check(parsed.has_value(), "a serialized message decodes", parsed ? message : parsed.error());
  const auto& data_back = std::get<duroxide::work_items::QueueMessage>(*parsed).data;
  if (bad) {
    check(*bad < input.size(), "the bad offset is inside the text");
    check(!duroxide::first_invalid_utf8_offset(input.substr(0, *bad)), "the text before the bad byte is valid");
    check(problem->find(fmt::format("at byte {}", *bad)) != std::string::npos, "the problem names the byte", *problem);
    check(duroxide::is_valid_utf8(data_back), "invalid text is written as valid UTF-8", message);
  } else {
    check(data_back == input, "valid text survives the wire unchanged", message);
  }

  const bool id_ok = duroxide::providers::validate_instance_id("fuzz", input).has_value();
  check(id_ok == (!input.empty() && input.size() <= duroxide::providers::kMaxIdentifierBytes),
        "an instance id is accepted exactly when its length is within bounds");

  if (auto item = duroxide::parse_work_item(input)) {
    if (duroxide::providers::validate_work_item("fuzz", *item)) {
      const auto& instance = duroxide::work_item_instance(*item);
      check(!instance.empty() && instance.size() <= duroxide::providers::kMaxIdentifierBytes,
            "an accepted work item routes to a valid instance id", instance);
    } else {
      check(!duroxide::providers::validate_work_item("fuzz", *item).error().is_retryable(),
            "a rejected work item is a permanent error");
    }
  }
  return 0;
}
