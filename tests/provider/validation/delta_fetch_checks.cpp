// Validation category Delta fetch (docs/storage.md, "Delta fetch"): given what the caller already
// holds of a history, a fetch ships the last held event followed by the newer ones, and the whole
// history whenever the held part is not the store's.
#include <map>
#include <utility>

#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

/// A caller that holds events 1..last of some executions, and records what the store asked it.
class HeldHistories final : public KnownHistory {
 public:
  void hold(const std::string& instance, std::uint64_t execution_id, std::uint64_t last) {
    held_[{instance, execution_id}] = last;
  }
  std::uint64_t last_event_id(const std::string& instance, std::uint64_t execution_id) const override {
    asked_.emplace_back(instance, execution_id);
    const auto it = held_.find({instance, execution_id});
    return it == held_.end() ? 0 : it->second;
  }
  const std::vector<std::pair<std::string, std::uint64_t>>& asked() const { return asked_; }

 private:
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> held_;
  mutable std::vector<std::pair<std::string, std::uint64_t>> asked_;
};

/// An instance whose execution 1 holds `events` events (OrchestrationStarted and pokes), idle.
void instance_with_events(Provider& p, const std::string& instance, std::size_t events, Millis lock) {
  create_instance(p, instance, lock);
  if (events <= 1) return;
  auto item = poke(p, instance, lock);
  std::vector<Event> delta;
  for (std::uint64_t id = 2; id <= events; ++id) delta.push_back(external_event(instance, 1, id));
  must(p.ack_orchestration_item(item.lock_token, make_ack(1, std::move(delta))), "ack");
}

LockedOrchestrationItem fetch_with(Provider& p, const KnownHistory& known, Millis lock) {
  auto fetched = must(p.fetch_orchestration_item(lock, 0ms, nullptr, &known), "fetch_orchestration_item");
  if (!fetched) throw std::runtime_error("nothing fetched");
  return std::move(*fetched);
}

std::vector<std::uint64_t> ids(const std::vector<Event>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e.event_id);
  return out;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> out;
  for (auto id = first; id <= last; ++id) out.push_back(id);
  return out;
}

TEST_P(ProviderDeltaFetch, WithoutKnownHistoryTheWholeHistoryIsShipped) {
  auto p = create_provider();
  instance_with_events(*p, "inst", 5, factory().lock_timeout());
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "enqueue");
  const auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_EQ(ids(item.item.history), range(1, 5));
  EXPECT_FALSE(item.item.history_continues_from.has_value());
}

TEST_P(ProviderDeltaFetch, HeldEventComesBackFirstThenTheNewerOnes) {
  auto p = create_provider();
  instance_with_events(*p, "inst", 5, factory().lock_timeout());
  const auto stored = must(p->read("inst"), "read");
  HeldHistories held;
  held.hold("inst", 1, 3);
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "enqueue");
  const auto item = fetch_with(*p, held, factory().lock_timeout());
  EXPECT_EQ(item.item.history_continues_from, std::optional<std::uint64_t>(3));
  ASSERT_EQ(ids(item.item.history), range(3, 5));
  EXPECT_EQ(item.item.history.front(), stored[2]);  // the very event the caller holds, for its check
  EXPECT_EQ(item.item.history.back(), stored[4]);
  EXPECT_EQ(item.item.stored_last_event_id, 5u);
  EXPECT_EQ(held.asked(), (std::vector<std::pair<std::string, std::uint64_t>>{{"inst", 1}}));
}

TEST_P(ProviderDeltaFetch, HoldingTheLastEventShipsOnlyIt) {
  auto p = create_provider();
  instance_with_events(*p, "inst", 4, factory().lock_timeout());
  HeldHistories held;
  held.hold("inst", 1, 4);
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "enqueue");
  const auto item = fetch_with(*p, held, factory().lock_timeout());
  EXPECT_EQ(item.item.history_continues_from, std::optional<std::uint64_t>(4));
  EXPECT_EQ(ids(item.item.history), range(4, 4));
  EXPECT_EQ(item.item.messages.size(), 1u);
}

TEST_P(ProviderDeltaFetch, HeldEventBeyondTheStoredHistoryShipsTheWholeHistory) {
  auto p = create_provider();
  instance_with_events(*p, "inst", 3, factory().lock_timeout());
  HeldHistories held;
  held.hold("inst", 1, 9);  // the history was deleted and written anew, shorter
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "enqueue");
  const auto item = fetch_with(*p, held, factory().lock_timeout());
  EXPECT_FALSE(item.item.history_continues_from.has_value());
  EXPECT_EQ(ids(item.item.history), range(1, 3));
}

TEST_P(ProviderDeltaFetch, TheStoreAsksAboutTheCurrentExecution) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  instance_with_events(*p, "inst", 3, lock);
  auto item = poke(*p, "inst", lock);
  must(p->ack_orchestration_item(
           item.lock_token, make_ack(2, {started_event("inst", 2), external_event("inst", 2, 2)}, instance_metadata())),
       "ack execution 2");

  HeldHistories held;
  held.hold("inst", 1, 3);  // held from the execution that ended: no use for execution 2
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "enqueue");
  const auto fetched = fetch_with(*p, held, lock);
  EXPECT_EQ(fetched.item.execution_id, 2u);
  EXPECT_FALSE(fetched.item.history_continues_from.has_value());
  EXPECT_EQ(ids(fetched.item.history), range(1, 2));
  EXPECT_EQ(held.asked(), (std::vector<std::pair<std::string, std::uint64_t>>{{"inst", 2}}));
}

TEST_P(ProviderDeltaFetch, LongHistoriesShipFromTheHeldEventWhereverItIs) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  instance_with_events(*p, "inst", 300, lock);  // longer than any store's built-in tail
  for (const std::uint64_t held_last : {1u, 10u, 250u, 299u}) {
    HeldHistories held;
    held.hold("inst", 1, held_last);
    must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "enqueue");
    const auto item = fetch_with(*p, held, lock);
    EXPECT_EQ(item.item.history_continues_from, std::optional<std::uint64_t>(held_last)) << held_last;
    EXPECT_EQ(ids(item.item.history), range(held_last, 300)) << held_last;
    must(p->abandon_orchestration_item(item.lock_token, std::nullopt, true), "abandon");
  }
  HeldHistories nothing;
  const auto whole = fetch_with(*p, nothing, lock);
  EXPECT_FALSE(whole.item.history_continues_from.has_value());
  EXPECT_EQ(ids(whole.item.history), range(1, 300));
}

TEST_P(ProviderDeltaFetch, UndecodableNewerEventIsReportedNotSkipped) {
  if (!factory().supports_corruption_hooks()) GTEST_SKIP() << "this store has no corruption hooks";
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  instance_with_events(*p, "inst", 4, lock);
  factory().corrupt_instance_history(*p, "inst");
  HeldHistories held;
  held.hold("inst", 1, 2);
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "enqueue");
  const auto item = fetch_with(*p, held, lock);
  EXPECT_TRUE(item.item.history_error.has_value());
  EXPECT_FALSE(item.item.history_continues_from.has_value());
  EXPECT_TRUE(item.item.history.empty());
  EXPECT_EQ(item.item.stored_last_event_id, 4u);
}

}  // namespace
}  // namespace duroxide::validation
