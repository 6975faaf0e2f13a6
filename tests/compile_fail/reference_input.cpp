// Must NOT compile: an orchestration handler taking its input by reference would read freed
// memory (the coroutine starts after the call's by-value argument is gone). Built by the test
// UnitCompileFail.reference_input, which expects the registry's static_assert message.
#include <duroxide/duroxide.hpp>

using namespace duroxide;

int main() {
  auto registry =
      OrchestrationRegistry::builder()
          .add("RefInput",
               [](OrchestrationContext, const std::string& input) -> Task<Result<std::string>> { co_return input; })
          .build();
  return registry.count() == 1 ? 0 : 1;
}
