// Instantiates every category of the validation suite with the runner's factories.
#include "provider/validation/validation_suites.hpp"

#include <stdexcept>

namespace duroxide::validation {

void ProviderFactory::corrupt_instance_history(Provider&, const std::string&) {
  throw std::logic_error(label() + " factory: corrupt_instance_history is not supported");
}

std::uint32_t ProviderFactory::get_max_attempt_count(Provider&, const std::string&) {
  throw std::logic_error(label() + " factory: get_max_attempt_count is not supported");
}

void ProviderFactory::insert_raw_worker_row(Provider&, const std::optional<std::string>&, std::optional<std::uint64_t>,
                                            std::optional<std::uint64_t>, const std::string&) {
  throw std::logic_error(label() + " factory: insert_raw_worker_row is not supported");
}

void ProviderFactory::insert_raw_orchestrator_row(Provider&, const std::string&, const std::string&) {
  throw std::logic_error(label() + " factory: insert_raw_orchestrator_row is not supported");
}

void ProviderFactory::set_current_execution_id(Provider&, const std::string&, std::uint64_t) {
  throw std::logic_error(label() + " factory: set_current_execution_id is not supported");
}

namespace {
std::string factory_label(const ::testing::TestParamInfo<FactoryParam>& info) { return info.param->label(); }
}  // namespace

// A category without checks in this build (e.g. while it is being written) is not an error.
#define DUROXIDE_INSTANTIATE_PROVIDER_CATEGORY(name)                                            \
  INSTANTIATE_TEST_SUITE_P(, name, ::testing::ValuesIn(registered_factories()), factory_label); \
  GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(name);
DUROXIDE_PROVIDER_VALIDATION_CATEGORIES(DUROXIDE_INSTANTIATE_PROVIDER_CATEGORY)
#undef DUROXIDE_INSTANTIATE_PROVIDER_CATEGORY

}  // namespace duroxide::validation
