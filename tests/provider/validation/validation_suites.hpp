// The fixtures of the provider validation suite, one per category of spec/03 §12, and the macro a
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
  X(ProviderAtomicity)          /* §12.2 */        \
  X(ProviderErrorHandling)      /* §12.3 */        \
  X(ProviderInstanceCreation)   /* §12.4 */        \
  X(ProviderInstanceLocking)    /* §12.5 */        \
  X(ProviderLockExpiration)     /* §12.6 */        \
  X(ProviderMultiExecution)     /* §12.7 */        \
  X(ProviderQueueSemantics)     /* §12.8 */        \
  X(ProviderManagement)         /* §12.9 */        \
  X(ProviderLongPolling)        /* §12.10 */       \
  X(ProviderPoison)             /* §12.11 */       \
  X(ProviderCancellation)       /* §12.12 */       \
  X(ProviderDeletion)           /* §12.13 */       \
  X(ProviderPruning)            /* §12.14 */       \
  X(ProviderBulkDeletion)       /* §12.15 */       \
  X(ProviderCapabilityFilter)   /* §12.16 */       \
  X(ProviderCustomStatus)       /* §12.17 */       \
  X(ProviderKv)                 /* §12.18 */       \
  X(ProviderSessions)           /* §12.19 */       \
  X(ProviderTagFilter)          /* §12.20 */       \
  X(ProviderBadInput)           /* issue #4 item 5 */ \
  X(ProviderWakeUp)             /* issue #4 item 3 */ \
  X(ProviderCorruptRows)        /* issue #12 item 3 */
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
