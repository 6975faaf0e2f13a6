// A huge timeout means "wait as long as needed" (issue #12 item 8): `now + milliseconds::max()`
// used to overflow, so these waits returned Timeout at once. Options that would overflow are
// rejected when the runtime starts.
#include <gtest/gtest.h>

#include <atomic>

#include "support/e2e_support.hpp"
#include "support/forwarding_provider.hpp"

namespace duroxide::testing {
namespace {

using std::chrono::milliseconds;

/// Raises "Go" to the instance the first time the client looks at it: the first look therefore
/// sees the instance still waiting, so only a wait that does not time out at once sees it finish.
class RaiseOnFirstLook : public ForwardingProvider {
 public:
  RaiseOnFirstLook(std::shared_ptr<Provider> inner, std::string instance)
      : ForwardingProvider(inner), inner_store_(std::move(inner)), instance_(std::move(instance)) {}
  ProviderResult<std::optional<InstanceStatusRecord>> get_instance_status(const std::string& instance) override {
    auto status = ForwardingProvider::get_instance_status(instance);
    raise_once();
    return status;
  }
  ProviderResult<std::optional<std::string>> get_kv_value(const std::string& instance,
                                                          const std::string& key) override {
    auto value = ForwardingProvider::get_kv_value(instance, key);
    raise_once();
    return value;
  }

 private:
  void raise_once() {
    if (!raised_.exchange(true)) {
      (void)inner_store_->enqueue_for_orchestrator(work_items::ExternalRaised{instance_, "Go", "went"}, std::nullopt);
    }
  }
  std::shared_ptr<Provider> inner_store_;
  std::string instance_;
  std::atomic<bool> raised_{false};
};

Task<Result<std::string>> wait_then_record(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("Go");
  ctx.set_kv_value("k", data);
  ctx.set_custom_status("went");
  co_return data;
}

struct WaitingInstance {
  E2eEnv env{ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("WaitThenRecord", wait_then_record).build()};
  Client client;
  WaitingInstance() : client(std::make_shared<RaiseOnFirstLook>(env.store, "w")) {
    EXPECT_TRUE(env.client.start_orchestration("w", "WaitThenRecord", ""));
    EXPECT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "w"));
  }
};

TEST(E2eUnboundedWaits, WaitForOrchestrationWithMaxTimeoutWaits) {
  WaitingInstance w;
  auto status = w.client.wait_for_orchestration("w", milliseconds::max());
  ASSERT_TRUE(status) << status.error().to_string();
  ASSERT_TRUE(status->is_terminal()) << status->name();
  EXPECT_EQ(status->get_if<status::Completed>()->output, "went");
}

TEST(E2eUnboundedWaits, WaitForKvValueWithMaxTimeoutWaits) {
  WaitingInstance w;
  auto value = w.client.wait_for_kv_value("w", "k", milliseconds::max());
  ASSERT_TRUE(value) << value.error().to_string();
  EXPECT_EQ(*value, "went");
}

TEST(E2eUnboundedWaits, WaitForStatusChangeWithMaxTimeoutWaits) {
  WaitingInstance w;
  auto status = w.client.wait_for_status_change("w", 0, milliseconds(10), milliseconds::max());
  ASSERT_TRUE(status) << status.error().to_string();
  // The status and the completion are committed by the same turn.
  EXPECT_TRUE(status->is_completed()) << status->name();
}

TEST(E2eUnboundedWaits, RuntimeStartRejectsOverflowingOptions) {
  RuntimeOptions options = fast_options();
  options.orchestrator_lock_timeout = Millis::max();
  try {
    auto runtime = Runtime::start(test_store(), ActivityRegistry::builder().build(),
                                  OrchestrationRegistry::builder().build(), options);
    runtime->shutdown();
    FAIL() << "Runtime::start accepted orchestrator_lock_timeout = Millis::max()";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("orchestrator_lock_timeout"), std::string::npos) << e.what();
  }
  options = fast_options();
  options.worker_lock_timeout = Millis(-30000);
  EXPECT_THROW(Runtime::start(test_store(), ActivityRegistry::builder().build(),
                              OrchestrationRegistry::builder().build(), options),
               std::invalid_argument);
}

}  // namespace
}  // namespace duroxide::testing
