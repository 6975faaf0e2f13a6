// The fixtures of the provider validation suite, one per category listed in docs/storage.md, and the macro a
// store's runner uses to instantiate them all.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "provider/validation/provider_factory.hpp"

namespace duroxide::validation {

using FactoryParam = std::shared_ptr<ProviderFactory>;

/// Base fixture: gives each check its factory and a fresh provider.
class ProviderValidationTest : public ::testing::TestWithParam<FactoryParam> {
 protected:
  ProviderFactory& factory() { return *GetParam(); }
  std::shared_ptr<Provider> create_provider() { return GetParam()->create_provider(); }
};

// clang-format off
#define DUROXIDE_PROVIDER_VALIDATION_CATEGORIES(X) \
  X(ProviderAtomicity)                             \
  X(ProviderErrorHandling)                         \
  X(ProviderInstanceCreation)                      \
  X(ProviderInstanceLocking)                       \
  X(ProviderLockExpiration)                        \
  X(ProviderMultiExecution)                        \
  X(ProviderQueueSemantics)                        \
  X(ProviderManagement)                            \
  X(ProviderLongPolling)                           \
  X(ProviderPoison)                                \
  X(ProviderCancellation)                          \
  X(ProviderDeletion)                              \
  X(ProviderPruning)                               \
  X(ProviderBulkDeletion)                          \
  X(ProviderCapabilityFilter)                      \
  X(ProviderCustomStatus)                          \
  X(ProviderKv)                                    \
  X(ProviderSessions)                              \
  X(ProviderTagFilter)                             \
  X(ProviderBadInput)           /* issue #4 item 5 */ \
  X(ProviderWakeUp)             /* issue #4 item 3 */ \
  X(ProviderCorruptRows)        /* issue #12 item 3 */ \
  X(ProviderInstanceStatus)     /* issue #13 item 3 */ \
  X(ProviderErrorKinds)         /* issue #14 item 1 */ \
  X(ProviderDeltaFetch)         /* issue #14 item 1 */ \
  X(ProviderListing)            /* issue #15 item 2 */ \
  X(ProviderBatchedTurns)       /* issue #16 lever 2 */
// clang-format on

#define DUROXIDE_DECLARE_PROVIDER_FIXTURE(name) \
  class name : public ProviderValidationTest {};
DUROXIDE_PROVIDER_VALIDATION_CATEGORIES(DUROXIDE_DECLARE_PROVIDER_FIXTURE)
#undef DUROXIDE_DECLARE_PROVIDER_FIXTURE

/// Test parameters print as the factory's label.
inline void PrintTo(const FactoryParam& factory, std::ostream* os) { *os << factory->label(); }

/// Defined by each store's runner: the factories every category is instantiated with. The suite
/// instantiates itself (validation_suites.cpp), so tests are named ProviderKv.SetAndGet/<label>.
std::vector<FactoryParam> registered_factories();

}  // namespace duroxide::validation
