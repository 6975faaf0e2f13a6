// Terminal-state queries over history (docs/orchestration-engine.md, "Terminal states", "Continue-as-new").
#include "orchestration/history_queries.hpp"
#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

using namespace orchestration;  // NOLINT(google-build-using-namespace)

TEST(ReplayHistoryQueries, OutstandingPositionalSubscriptionsWalkPerNameFifo) {
  std::vector<Event> history{started(),
                             ev(2, events::ExternalSubscribed{"A"}),
                             ev(3, events::ExternalSubscribed{"A"}),
                             ev(4, events::ExternalSubscribed{"B"}),
                             ev(5, events::ExternalSubscribedCancelled{"dropped_future"}, 2),
                             ev(6, events::ExternalEvent{"A", "x"}),  // resolves 3 (2 was cancelled)
                             ev(7, events::ExternalSubscribed{"A"})};
  EXPECT_EQ(outstanding_positional_subscriptions(history), (std::vector<std::uint64_t>{4, 7}));
}

TEST(ReplayHistoryQueries, OutstandingPersistentSubscriptionsCountArrivalsPerName) {
  std::vector<Event> history{started(),
                             ev(2, events::QueueEventDelivered{"Q", "m1"}),
                             ev(3, events::QueueSubscribed{"Q"}),
                             ev(4, events::QueueSubscribed{"Q"}),
                             ev(5, events::QueueSubscribed{"R"}),
                             ev(6, events::QueueSubscribed{"Q"}),
                             ev(7, events::QueueSubscriptionCancelled{"dropped_future"}, 4)};
  EXPECT_EQ(outstanding_persistent_subscriptions(history), (std::vector<std::uint64_t>{5, 6}));
}

TEST(ReplayHistoryQueries, UnmatchedQueueMessagesInHistoryOrderAcrossNames) {
  std::vector<Event> history{started(),
                             ev(2, events::QueueEventDelivered{"Q", "q1"}),
                             ev(3, events::QueueEventDelivered{"R", "r1"}),
                             ev(4, events::QueueSubscribed{"Q"}),
                             ev(5, events::QueueEventDelivered{"Q", "q2"}),
                             ev(6, events::QueueSubscribed{"R"}),
                             ev(7, events::QueueSubscriptionCancelled{"dropped_future"}, 6)};
  EXPECT_EQ(unmatched_queue_messages(history), (std::vector<CarriedEvent>{{"R", "r1"}, {"Q", "q2"}}));
}

TEST(ReplayHistoryQueries, FinalCustomStatusFollowsInitialThenUpdates) {
  EXPECT_EQ(final_custom_status({started("", "carried")}), "carried");
  EXPECT_EQ(final_custom_status({started("", "carried"), ev(2, events::CustomStatusUpdated{std::nullopt})}),
            std::nullopt);
  EXPECT_EQ(final_custom_status(
                {started(), ev(2, events::CustomStatusUpdated{"a"}), ev(3, events::CustomStatusUpdated{"b"})}),
            "b");
}

TEST(ReplayHistoryQueries, InFlightActivitiesAndOutstandingChildren) {
  std::vector<Event> history{started(),
                             ev(2, events::ActivityScheduled{"A", "", {}, {}}),
                             ev(3, events::ActivityScheduled{"B", "", {}, {}}),
                             ev(4, events::ActivityScheduled{"C", "", {}, {}}),
                             ev(5, events::ActivityCompleted{"r"}, 2),
                             ev(6, events::ActivityCancelRequested{"dropped_future"}, 3),
                             ev(7, events::SubOrchestrationScheduled{"Child", "sub::7", ""}),
                             ev(8, events::SubOrchestrationScheduled{"Child", "explicit", ""}),
                             ev(9, events::SubOrchestrationCompleted{"done"}, 7)};
  EXPECT_EQ(in_flight_activities(history), std::vector<std::uint64_t>{4});
  EXPECT_EQ(outstanding_children(history), std::vector<std::string>{"explicit"});
}

}  // namespace
}  // namespace duroxide::testing
