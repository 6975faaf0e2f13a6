// Must NOT compile: an orchestration handler taking its context by reference (here through
// add_versioned). Built by the test UnitCompileFail.reference_context, which expects the
// registry's static_assert message.
#include <duroxide/duroxide.hpp>

using namespace duroxide;

Task<Result<std::string>> by_reference(const OrchestrationContext& ctx, std::string input) {
  co_return input + ctx.instance_id();
}

int main() {
  auto registry = OrchestrationRegistry::builder().add_versioned("RefContext", "1.0.0", by_reference).build();
  return registry.count() == 1 ? 0 : 1;
}
