// Builds a small orchestration history by hand and prints it in duroxide's JSON wire format, one
// event per line, then parses every line back. (Stand-in for `make demo` until the runtime exists;
// the hello_world example replaces it.)
#include <cstdio>
#include <vector>

#include <duroxide/duroxide.hpp>

using namespace duroxide;

int main() {
  const std::string instance = "order-1";
  std::vector<Event> history = {
      make_event(1, std::nullopt, instance, kInitialExecutionId,
                 events::OrchestrationStarted{"Order", "1.0.0", R"({"qty":2})", {}, {}, {}, {}}),
      make_event(2, std::nullopt, instance, kInitialExecutionId,
                 events::ActivityScheduled{"Charge", R"({"qty":2})", std::nullopt, "gpu"}),
      make_event(3, 2, instance, kInitialExecutionId, events::ActivityCompleted{"charged"}),
      make_event(4, std::nullopt, instance, kInitialExecutionId, events::OrchestrationCompleted{"done"}),
  };
  for (const auto& event : history) {
    const std::string line = serialize_event(event);
    auto parsed = parse_event(line);
    if (!parsed || *parsed != event) {
      std::fprintf(stderr, "round trip failed for event %llu\n", static_cast<unsigned long long>(event.event_id));
      return 1;
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}
