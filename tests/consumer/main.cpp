// Uses the installed headers and library: builds an event, serializes it, parses it back.
#include <cstdio>

#include <duroxide/duroxide.hpp>

int main() {
  auto event = duroxide::make_event(1, std::nullopt, "consumer-1", duroxide::kInitialExecutionId,
                                    duroxide::events::OrchestrationStarted{"Hello", "1.0.0", "World", {}, {}, {}, {}});
  const std::string json = duroxide::serialize_event(event);
  auto parsed = duroxide::parse_event(json);
  if (!parsed || *parsed != event) {
    std::fprintf(stderr, "round trip failed\n");
    return 1;
  }
  std::printf("consumer ok: %s\n", std::string(parsed->type_name()).c_str());
  return 0;
}
