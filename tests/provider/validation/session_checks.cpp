// Validation category Sessions (docs/storage.md): session-bound activities go to the owner of the session's lease;
// leases are claimed on fetch, renewed by heartbeat while active, and expire when idle.
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

SessionFetchConfig owner(const std::string& id, Millis lease = 30s) { return SessionFetchConfig{id, lease}; }

void enqueue(Provider& p, std::uint64_t id, std::optional<std::string> session) {
  must(p.enqueue_for_worker(activity_execute_item("inst", 1, id, "Task", "{}", std::move(session))), "enqueue");
}

std::optional<std::uint64_t> fetch_id(Provider& p, Millis lock, const std::optional<SessionFetchConfig>& session) {
  auto item = fetch_work(p, lock, session);
  if (!item) return std::nullopt;
  return activity_of(*item).id;
}

TEST_P(ProviderSessions, NonSessionItemsFetchableByAnyWorker) {
  auto p = create_provider();
  enqueue(*p, 1, std::nullopt);
  auto item = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a"));
  EXPECT_EQ(activity_of(item).id, 1u);
  EXPECT_FALSE(activity_of(item).session_id.has_value());
}

TEST_P(ProviderSessions, SessionItemClaimableWhenNoSession) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  auto item = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a"));
  EXPECT_EQ(activity_of(item).session_id, "s1");
}

TEST_P(ProviderSessions, SessionAffinitySameWorker) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 1u);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 2u);
}

TEST_P(ProviderSessions, SessionAffinityBlocksOtherWorker) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 1u);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-b")), std::nullopt);
}

TEST_P(ProviderSessions, DifferentSessionsDifferentWorkers) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s2");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 1u);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-b")), 2u);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), std::nullopt);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-b")), std::nullopt);
}

TEST_P(ProviderSessions, MixedSessionAndNonSessionItems) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  enqueue(*p, 3, std::nullopt);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 1u);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-b")), 3u);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-b")), std::nullopt);
}

TEST_P(ProviderSessions, SessionClaimableAfterLockExpiry) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a", 50ms)), 1u);
  wait_past(50ms);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-b")), 2u);
}

TEST_P(ProviderSessions, NoneSessionSkipsSessionItems) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, std::nullopt);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), std::nullopt), 2u);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), std::nullopt), std::nullopt);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 1u);
}

TEST_P(ProviderSessions, SomeSessionReturnsAllItems) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s2");
  enqueue(*p, 3, "s3");
  enqueue(*p, 4, std::nullopt);
  for (std::uint64_t id = 1; id <= 4; ++id) EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), id);
}

TEST_P(ProviderSessions, RenewSessionLockActive) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s2");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 1u);
  EXPECT_EQ(must(p->renew_session_lock({"worker-a"}, 30s, 300s), "renew"), 1u);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 2u);
  EXPECT_EQ(must(p->renew_session_lock({"worker-a"}, 30s, 300s), "renew"), 2u);
}

TEST_P(ProviderSessions, RenewSessionLockSkipsIdle) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 1u);
  EXPECT_EQ(must(p->renew_session_lock({"worker-a"}, 30s, 0ms), "renew"), 0u);
}

TEST_P(ProviderSessions, RenewSessionLockNoSessions) {
  auto p = create_provider();
  EXPECT_EQ(must(p->renew_session_lock({"worker-a"}, 30s, 300s), "renew"), 0u);
  EXPECT_EQ(must(p->renew_session_lock({}, 30s, 300s), "renew"), 0u);
}

TEST_P(ProviderSessions, CleanupRemovesExpiredNoItems) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  auto item = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a", 50ms));
  must(p->ack_work_item(item.lock_token, std::nullopt), "ack");
  wait_past(50ms);
  EXPECT_EQ(must(p->cleanup_orphaned_sessions(0ms), "cleanup"), 1u);
}

TEST_P(ProviderSessions, CleanupKeepsSessionsWithPendingItems) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  auto item = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a", 50ms));
  must(p->ack_work_item(item.lock_token, std::nullopt), "ack");
  wait_past(50ms);
  EXPECT_EQ(must(p->cleanup_orphaned_sessions(0ms), "cleanup"), 0u);
}

TEST_P(ProviderSessions, CleanupKeepsActiveSessions) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  auto item = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a", 30s));
  must(p->ack_work_item(item.lock_token, std::nullopt), "ack");
  EXPECT_EQ(must(p->cleanup_orphaned_sessions(0ms), "cleanup"), 0u);
}

TEST_P(ProviderSessions, AckUpdatesSessionLastActivity) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  auto item = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a"));
  wait_past(250ms, 0ms);                                         // older than the idle window below...
  must(p->ack_work_item(item.lock_token, std::nullopt), "ack");  // ...until the ack refreshes it
  EXPECT_EQ(must(p->renew_session_lock({"worker-a"}, 30s, 200ms), "renew"), 1u);
}

TEST_P(ProviderSessions, RenewWorkItemUpdatesSessionLastActivity) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  auto item = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a"));
  wait_past(250ms, 0ms);
  must(p->renew_work_item_lock(item.lock_token, factory().lock_timeout()), "renew item");
  EXPECT_EQ(must(p->renew_session_lock({"worker-a"}, 30s, 200ms), "renew"), 1u);
}

TEST_P(ProviderSessions, SessionItemsProcessedInOrder) {
  auto p = create_provider();
  for (std::uint64_t id = 1; id <= 3; ++id) enqueue(*p, id, "s1");
  for (std::uint64_t id = 1; id <= 3; ++id) {
    auto item = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a"));
    EXPECT_EQ(activity_of(item).id, id);
    must(p->ack_work_item(item.lock_token, std::nullopt), "ack");
  }
}

TEST_P(ProviderSessions, NonSessionItemsReturnedWithSessionConfig) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, std::nullopt);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 1u);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 2u);
}

TEST_P(ProviderSessions, SharedWorkerIdAnyCallerCanFetchOwnedSession) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  enqueue(*p, 3, "s1");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("node-1")), 1u);
  // Another slot of the same process shares the owner id.
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("node-1")), 2u);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("node-2")), std::nullopt);
}

TEST_P(ProviderSessions, ConcurrentSessionClaimOnlyOneWins) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 1u);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-b")), std::nullopt);
}

TEST_P(ProviderSessions, SessionTakeoverAfterLockExpiry) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a", 50ms)), 1u);
  wait_past(50ms);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-b")), 2u);
}

TEST_P(ProviderSessions, CleanupThenNewItemRecreatesSession) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  auto first = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a", 50ms));
  must(p->ack_work_item(first.lock_token, std::nullopt), "ack");
  wait_past(50ms);
  EXPECT_EQ(must(p->cleanup_orphaned_sessions(0ms), "cleanup"), 1u);
  enqueue(*p, 2, "s1");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-b")), 2u);
  EXPECT_EQ(must(p->renew_session_lock({"worker-b"}, 30s, 300s), "renew"), 1u);
}

TEST_P(ProviderSessions, AbandonedSessionItemRetryable) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  auto first = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a"));
  must(p->abandon_work_item(first.lock_token, std::nullopt, false), "abandon");
  auto again = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a"));
  EXPECT_EQ(again.attempt_count, 2u);
  must(p->ack_work_item(again.lock_token, std::nullopt), "ack");
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout(), owner("worker-a")).has_value());
}

TEST_P(ProviderSessions, AbandonedSessionItemIgnoreAttempt) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  auto first = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a"));
  must(p->abandon_work_item(first.lock_token, 1ms, true), "abandon");
  wait_past(1ms, 20ms);
  auto again = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a"));
  EXPECT_EQ(again.attempt_count, 1u);
}

TEST_P(ProviderSessions, RenewSessionLockAfterExpiryReturnsZero) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a", 50ms)), 1u);
  wait_past(50ms);
  EXPECT_EQ(must(p->renew_session_lock({"worker-a"}, 30s, 300s), "renew"), 0u);
}

TEST_P(ProviderSessions, OriginalWorkerReclaimsExpiredSession) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a", 50ms)), 1u);
  wait_past(50ms);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-a")), 2u);
}

TEST_P(ProviderSessions, ActivityLockExpiresSessionLockValidSameWorkerRefetches) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  EXPECT_EQ(fetch_id(*p, 500ms, owner("worker-a", 30s)), 1u);
  wait_past(500ms);
  EXPECT_EQ(fetch_id(*p, factory().lock_timeout(), owner("worker-b")), std::nullopt);
  auto again = must_fetch_work(*p, factory().lock_timeout(), owner("worker-a"));
  EXPECT_EQ(activity_of(again).id, 1u);
  EXPECT_EQ(again.attempt_count, 2u);
}

TEST_P(ProviderSessions, SessionLockExpiresNewOwnerGetsRedelivery) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  auto held = must_fetch_work(*p, 30s, owner("worker-a", 50ms));
  EXPECT_EQ(activity_of(held).id, 1u);
  wait_past(50ms);
  EXPECT_EQ(fetch_id(*p, 30s, owner("worker-b")), 2u);
  must(p->abandon_work_item(held.lock_token, std::nullopt, false), "abandon");
  auto redelivered = must_fetch_work(*p, 30s, owner("worker-b"));
  EXPECT_EQ(activity_of(redelivered).id, 1u);
  EXPECT_EQ(redelivered.attempt_count, 2u);
}

TEST_P(ProviderSessions, SessionLockExpiresSameWorkerReacquires) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  EXPECT_EQ(fetch_id(*p, 30s, owner("worker-a", 50ms)), 1u);
  wait_past(50ms);
  EXPECT_EQ(fetch_id(*p, 30s, owner("worker-a")), 2u);
}

TEST_P(ProviderSessions, BothLocksExpireDifferentWorkerClaims) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  EXPECT_EQ(fetch_id(*p, 100ms, owner("worker-a", 100ms)), 1u);
  wait_past(100ms);
  auto again = must_fetch_work(*p, factory().lock_timeout(), owner("worker-b"));
  EXPECT_EQ(activity_of(again).id, 1u);
  EXPECT_EQ(again.attempt_count, 2u);
}

TEST_P(ProviderSessions, SessionLockExpiresActivityLockValidAckSucceeds) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  auto item = must_fetch_work(*p, 30s, owner("worker-a", 50ms));
  wait_past(50ms);
  must(p->ack_work_item(item.lock_token, activity_completed_item("inst", 1, 1)), "ack");
}

TEST_P(ProviderSessions, SessionLockRenewalExtendsPastOriginalTimeout) {
  auto p = create_provider();
  enqueue(*p, 1, "s1");
  enqueue(*p, 2, "s1");
  enqueue(*p, 3, "s1");
  EXPECT_EQ(fetch_id(*p, 30s, owner("worker-a", 1s)), 1u);
  wait_past(600ms, 0ms);
  EXPECT_EQ(must(p->renew_session_lock({"worker-a"}, 1s, 300s), "renew"), 1u);
  wait_past(500ms, 0ms);  // 1.1 s after the claim: past the original lease
  EXPECT_EQ(fetch_id(*p, 30s, owner("worker-b")), std::nullopt);
  EXPECT_EQ(fetch_id(*p, 30s, owner("worker-a")), 2u);
}

}  // namespace
}  // namespace duroxide::validation
