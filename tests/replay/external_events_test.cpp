// Positional external events and persistent queues (docs/orchestration-engine.md), and quiescence.
#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

using std::chrono::seconds;
using Ctx = OrchestrationContext;

Event subscribed(std::uint64_t id, std::string name) { return ev(id, events::ExternalSubscribed{std::move(name)}); }
Event arrived(std::uint64_t id, std::string name, std::string data) {
  return ev(id, events::ExternalEvent{std::move(name), std::move(data)});
}

Task<Result<std::string>> wait_one(Ctx ctx, std::string) { co_return co_await ctx.schedule_wait("Approval"); }

TEST(ReplayExternalEvents, FreshWaitSubscribesAndContinues) {
  TurnDriver driver(wait_one);
  auto out = driver.turn();
  EXPECT_TRUE(is_continue(out));
  ASSERT_EQ(events_of<events::ExternalSubscribed>(out.history_delta).size(), 1u);
  EXPECT_EQ(events_of<events::ExternalSubscribed>(out.history_delta)[0]->name, "Approval");
}

TEST(ReplayExternalEvents, RaisedEventResolvesWait) {
  TurnDriver driver(wait_one);
  driver.turn();
  EXPECT_EQ(completed_output(driver.turn({raised("Approval", "approved-data")})), "approved-data");
}

TEST(ReplayExternalEvents, EmptyEventDataIsDelivered) {
  TurnDriver driver(wait_one);
  driver.turn();
  EXPECT_EQ(completed_output(driver.turn({raised("Approval", "")})), "");
}

TEST(ReplayExternalEvents, EventBeforeSubscriptionIsNeverDelivered) {
  // Causal rule: an event recorded before any open slot for its name is skipped forever.
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_timer(seconds(1));
    co_return co_await ctx.schedule_wait("E");
  });
  driver.turn();
  driver.turn({raised("E", "early")});
  auto out = driver.turn({timer_fired(2)});
  EXPECT_TRUE(is_continue(out));
  EXPECT_EQ(completed_output(driver.turn({raised("E", "late")})), "late");
}

TEST(ReplayExternalEvents, ExtraEventsBeyondOpenSlotsAreSkipped) {
  TurnDriver driver(wait_one);
  auto out = driver.replay({started(), subscribed(2, "Approval"), arrived(3, "Approval", "first-data"),
                            arrived(4, "Approval", "second-data")});
  EXPECT_EQ(completed_output(out), "first-data");
}

TEST(ReplayExternalEvents, TwoWaitsTwoRaisesMatchInOrder) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto first = ctx.schedule_wait("E");
    auto second = ctx.schedule_wait("E");
    auto [a, b] = co_await Ctx::join2(std::move(second), std::move(first));
    co_return a + "," + b;
  });
  driver.turn();
  EXPECT_EQ(completed_output(driver.turn({raised("E", "one"), raised("E", "two")})), "two,one");
}

TEST(ReplayExternalEvents, CancelledSubscriptionDoesNotStealTheNextRaise) {
  // A wait that lost a select (breadcrumb persisted) must not consume a later raise.
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto race = co_await Ctx::select2(ctx.schedule_wait("E"), ctx.schedule_timer(seconds(1)));
    if (race.is_first()) co_return "early:" + race.first_value();
    co_return "later:" + co_await ctx.schedule_wait("E");
  });
  driver.turn();
  auto out = driver.turn({timer_fired(3)});
  ASSERT_EQ(events_of<events::ExternalSubscribedCancelled>(out.history_delta).size(), 1u);
  EXPECT_EQ(completed_output(driver.turn({raised("E", "x")})), "later:x");
}

TEST(ReplayExternalEvents, TypedWaitDecodesAndDecodeFailurePanics) {
  auto code = [](Ctx ctx, std::string) -> Task<Result<std::string>> {
    int value = co_await ctx.schedule_wait_typed<int>("N");
    co_return std::to_string(value + 1);
  };
  TurnDriver good(code);
  good.turn();
  EXPECT_EQ(completed_output(good.turn({raised("N", "41")})), "42");
  TurnDriver bad(code);
  bad.turn();
  auto details = failure(bad.turn({raised("N", "not-json")}));
  ASSERT_TRUE(details);
  EXPECT_EQ(application_error(details).kind.code, AppErrorKind::Code::Panicked);
}

// ---- persistent queues ----

Task<Result<std::string>> dequeue_two(Ctx ctx, std::string) {
  auto a = co_await ctx.dequeue_event("Q");
  auto b = co_await ctx.dequeue_event("Q");
  co_return a + "," + b;
}

TEST(ReplayQueue, MessagesBeforeSubscriptionAreBufferedAndConsumedFifo) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_timer(seconds(1));
    auto a = co_await ctx.dequeue_event("Q");
    auto b = co_await ctx.dequeue_event("Q");
    co_return a + "," + b;
  });
  driver.turn();
  driver.turn({queued("Q", "m1"), queued("Q", "m2")});
  // Both dequeues are created and satisfied in this same turn (quiescence loop).
  auto out = driver.turn({timer_fired(2)});
  EXPECT_EQ(completed_output(out), "m1,m2");
  EXPECT_EQ(events_of<events::QueueSubscribed>(out.history_delta).size(), 2u);
}

TEST(ReplayQueue, ResolvesAcrossTurnsAndReplaysDeterministically) {
  TurnDriver driver(dequeue_two);
  driver.turn();
  EXPECT_TRUE(is_continue(driver.turn({queued("Q", "m1")})));
  auto out = driver.turn({queued("Q", "m2")});
  EXPECT_EQ(completed_output(out), "m1,m2");
  EXPECT_EQ(completed_output(driver.replay(driver.history())), "m1,m2");
}

TEST(ReplayQueue, CancelledDequeueDoesNotConsume) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto race = co_await Ctx::select2(ctx.dequeue_event("Q"), ctx.schedule_timer(seconds(1)));
    if (race.is_first()) co_return "early:" + race.first_value();
    co_return "later:" + co_await ctx.dequeue_event("Q");
  });
  driver.turn();
  auto out = driver.turn({timer_fired(3), queued("Q", "m1")});
  EXPECT_EQ(completed_output(out), "later:m1");
  EXPECT_EQ(events_of<events::QueueSubscriptionCancelled>(out.history_delta).size(), 1u);
}

TEST(ReplayQueue, DroppedDequeueBreadcrumbTakesEffectOnlyWhenReplayedQuirkQ13) {
  // Kept reference behaviour (like quirk Q13 for positional waits, docs/orchestration-engine.md): on replay the
  // dropped dequeue's cancel mark comes from its breadcrumb, which is recorded after the later
  // dequeue's subscription, and applying a breadcrumb does not poll. So a replay of this history
  // resolves the later dequeue one turn later than the original turn did.
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto race = co_await Ctx::select2(ctx.dequeue_event("Q"), ctx.schedule_timer(seconds(1)));
    if (race.is_first()) co_return "early:" + race.first_value();
    co_return "later:" + co_await ctx.dequeue_event("Q");
  });
  driver.turn();
  EXPECT_EQ(completed_output(driver.turn({timer_fired(3), queued("Q", "m1")})), "later:m1");
  EXPECT_TRUE(is_continue(driver.replay(driver.history())));
}

TEST(ReplayQueue, IdenticalMessagesAreDistinctArrivals) {
  TurnDriver driver(dequeue_two);
  driver.turn();
  EXPECT_EQ(completed_output(driver.turn({queued("Q", "same"), queued("Q", "same")})), "same,same");
}

TEST(ReplayQueue, QueuesAreIndependentByName) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto a = co_await ctx.dequeue_event("A");
    auto b = co_await ctx.dequeue_event("B");
    co_return a + b;
  });
  driver.turn();
  EXPECT_EQ(completed_output(driver.turn({queued("B", "b"), queued("A", "a")})), "ab");
}

TEST(ReplayQueue, QuiescenceLoopProcessesManyBufferedMessagesInOneTurn) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    std::string all;
    for (int i = 0; i < 10; ++i) all += co_await ctx.dequeue_event("Q");
    co_return all;
  });
  std::vector<WorkItem> messages;
  for (int i = 0; i < 10; ++i) messages.push_back(queued("Q", std::to_string(i)));
  EXPECT_EQ(completed_output(driver.turn(messages)), "0123456789");
}

TEST(ReplayQueue, QuiescenceCapFailsAtOneHundredIterations) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    for (;;) co_await ctx.dequeue_event("Q");
  });
  std::vector<WorkItem> messages;
  for (int i = 0; i < 150; ++i) messages.push_back(queued("Q", "m"));
  auto details = failure(driver.turn(messages));
  ASSERT_TRUE(details);
  auto* infra = details->get_if<error::Infrastructure>();
  ASSERT_NE(infra, nullptr);
  EXPECT_EQ(infra->operation, "quiescence_loop");
  EXPECT_FALSE(infra->retryable);
}

TEST(ReplayQueue, TypedDequeueDecodes) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto values = co_await ctx.dequeue_event_typed<std::vector<int>>("Q");
    co_return std::to_string(values.size());
  });
  EXPECT_EQ(completed_output(driver.turn({queued("Q", "[1,2,3]")})), "3");
}

TEST(ReplayExternalEvents, RaiseInTheFirstBatchPrecedesTheSubscriptionAndIsSkipped) {
  // A wait cannot resolve in the poll that creates it, and the raise is applied (as a delta event)
  // before the new subscription exists: the causal rule drops it for good.
  TurnDriver driver(wait_one);
  auto out = driver.turn({raised("Approval", "too early")});
  EXPECT_TRUE(is_continue(out));
  EXPECT_EQ(events_of<events::ExternalEvent>(out.history_delta).size(), 1u) << "still recorded";
  EXPECT_TRUE(is_continue(driver.turn()));
  EXPECT_EQ(completed_output(driver.turn({raised("Approval", "on time")})), "on time");
}

TEST(ReplayExternalEvents, PersistedBreadcrumbCompressesLaterWaitsOnReplay) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    { auto abandoned = ctx.schedule_wait("E"); }
    co_await ctx.schedule_timer(seconds(1));
    co_return co_await ctx.schedule_wait("E");
  });
  auto out = driver.turn();
  ASSERT_EQ(events_of<events::ExternalSubscribedCancelled>(out.history_delta).size(), 1u);
  driver.turn({timer_fired(3)});
  EXPECT_EQ(completed_output(driver.turn({raised("E", "first raise")})), "first raise");
  EXPECT_EQ(completed_output(driver.replay(driver.history())), "first raise");
}

TEST(ReplayExternalEvents, WaitBreadcrumbMustStillBeDroppedOnReplay) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto kept = ctx.schedule_wait("E");
    co_await ctx.schedule_timer(seconds(1));
    co_return co_await kept;
  });
  auto out = driver.replay({started(), subscribed(2, "E"), ev(3, events::TimerCreated{1}),
                            ev(4, events::ExternalSubscribedCancelled{"dropped_future"}, 2)});
  EXPECT_TRUE(nd_message(out).starts_with("cancellation mismatch (external waits)")) << nd_message(out);
}

TEST(ReplayQueue, DequeueBreadcrumbMustStillBeDroppedOnReplay) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto kept = ctx.dequeue_event("Q");
    co_await ctx.schedule_timer(seconds(1));
    co_return co_await kept;
  });
  auto out = driver.replay({started(), ev(2, events::QueueSubscribed{"Q"}), ev(3, events::TimerCreated{1}),
                            ev(4, events::QueueSubscriptionCancelled{"dropped_future"}, 2)});
  EXPECT_TRUE(nd_message(out).starts_with("cancellation mismatch (persistent waits)")) << nd_message(out);
}

}  // namespace
}  // namespace duroxide::testing
