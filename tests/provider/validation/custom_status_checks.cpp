// Validation category Custom status (docs/storage.md): the last CustomStatusUpdated of an ack is stored with a version
// that grows on every update; readers poll by version.
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

/// One turn of `instance` that records these status updates.
void update_status(Provider& p, const std::string& instance, Millis lock,
                   std::vector<std::optional<std::string>> updates) {
  auto item = poke(p, instance, lock);
  std::uint64_t id = next_event_id(p, instance);
  std::vector<Event> delta;
  for (auto& update : updates) delta.push_back(custom_status_event(instance, 1, id++, std::move(update)));
  must(p.ack_orchestration_item(item.lock_token, make_ack(1, std::move(delta))), "ack");
}

TEST_P(ProviderCustomStatus, CustomStatusSet) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  update_status(*p, "inst", factory().lock_timeout(), {"progress"});
  EXPECT_EQ(must(p->get_custom_status("inst", 0), "get"), (CustomStatusSnapshot{"progress", 1}));
}

TEST_P(ProviderCustomStatus, CustomStatusClear) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  update_status(*p, "inst", factory().lock_timeout(), {"progress"});
  update_status(*p, "inst", factory().lock_timeout(), {std::nullopt});
  EXPECT_EQ(must(p->get_custom_status("inst", 0), "get"), (CustomStatusSnapshot{std::nullopt, 2}));
}

TEST_P(ProviderCustomStatus, CustomStatusNonePreserves) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  update_status(*p, "inst", factory().lock_timeout(), {"keep-me"});
  update_status(*p, "inst", factory().lock_timeout(), {});
  EXPECT_EQ(must(p->get_custom_status("inst", 0), "get"), (CustomStatusSnapshot{"keep-me", 1}));
}

TEST_P(ProviderCustomStatus, CustomStatusVersionIncrements) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  update_status(*p, "inst", factory().lock_timeout(), {"a"});
  EXPECT_EQ(must(p->get_custom_status("inst", 0), "get")->version, 1u);
  update_status(*p, "inst", factory().lock_timeout(), {"b"});
  EXPECT_EQ(must(p->get_custom_status("inst", 0), "get")->version, 2u);
  update_status(*p, "inst", factory().lock_timeout(), {std::nullopt});
  EXPECT_EQ(must(p->get_custom_status("inst", 0), "get"), (CustomStatusSnapshot{std::nullopt, 3}));
}

TEST_P(ProviderCustomStatus, CustomStatusPollingNoChange) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  update_status(*p, "inst", factory().lock_timeout(), {"once"});
  EXPECT_FALSE(must(p->get_custom_status("inst", 1), "get").has_value());
  EXPECT_TRUE(must(p->get_custom_status("inst", 0), "get").has_value());
}

TEST_P(ProviderCustomStatus, CustomStatusNonexistentInstance) {
  auto p = create_provider();
  EXPECT_FALSE(must(p->get_custom_status("nobody", 0), "get").has_value());
}

TEST_P(ProviderCustomStatus, CustomStatusDefaultOnNewInstance) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  EXPECT_FALSE(must(p->get_custom_status("inst", 0), "get").has_value());
}

TEST_P(ProviderCustomStatus, CustomStatusWithNulBytesRoundTrips) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  const std::string nul("x\0y", 3);
  update_status(*p, "inst", factory().lock_timeout(), {nul});
  EXPECT_EQ(must(p->get_custom_status("inst", 0), "get"), (CustomStatusSnapshot{nul, 1}));
  EXPECT_EQ(must(p->get_instance_status("inst"), "status")->custom_status, nul);
}

}  // namespace
}  // namespace duroxide::validation
