#include "coordinator/ledger.h"

#include <gtest/gtest.h>

namespace taskfarm {
namespace {

TEST(Ledger, PullsLazilyAndGivesIdsInOrder) {
  CountedSource source("noop", 3, nullptr);
  Ledger ledger(source);
  ASSERT_NE(ledger.PeekReady(), nullptr);
  EXPECT_EQ(ledger.tasks_created(), 1u);  // only what is about to be sent
  const TaskRecord& first = ledger.TakeReady(1, MonoClock::now());
  EXPECT_EQ(first.id, 1u);
  EXPECT_EQ(first.attempt, 1u);
  ASSERT_NE(ledger.PeekReady(), nullptr);
  EXPECT_EQ(ledger.PeekReady()->id, 2u);
  EXPECT_EQ(ledger.in_flight(), 1u);
  EXPECT_EQ(ledger.Unfinished(), 3u);
}

TEST(Ledger, FirstResultWinsAndDuplicatesAreDropped) {
  CountedSource source("noop", 1, nullptr);
  Ledger ledger(source);
  ledger.PeekReady();
  ledger.TakeReady(1, MonoClock::now());
  EXPECT_NE(ledger.Finish(1), nullptr);
  EXPECT_EQ(ledger.Finish(1), nullptr);
  EXPECT_EQ(ledger.duplicates_dropped(), 1u);
  EXPECT_TRUE(ledger.Exhausted());
}

TEST(Ledger, RequeuedTaskGoesFirstWithTheNextAttempt) {
  CountedSource source("noop", 2, nullptr);
  Ledger ledger(source);
  ledger.PeekReady();
  ledger.TakeReady(1, MonoClock::now());
  ASSERT_TRUE(ledger.MarkStarted(1, 1, MonoClock::now()));
  EXPECT_FALSE(ledger.MarkStarted(1, 2, MonoClock::now()));  // not held by worker 2
  auto requeued = ledger.Requeue(1, /*crashed=*/true);
  ASSERT_TRUE(requeued.has_value());
  EXPECT_EQ(requeued->crashes, 1u);
  EXPECT_EQ(ledger.in_flight(), 0u);
  ASSERT_NE(ledger.PeekReady(), nullptr);
  const TaskRecord& again = ledger.TakeReady(2, MonoClock::now());
  EXPECT_EQ(again.id, 1u);
  EXPECT_EQ(again.attempt, 2u);
}

TEST(Ledger, ASuspectStaysOneUntilItFinishes) {
  CountedSource source("noop", 1, nullptr);
  Ledger ledger(source);
  ledger.PeekReady();
  ledger.TakeReady(1, MonoClock::now());
  ledger.Requeue(1, /*crashed=*/false, /*suspect=*/true);
  ASSERT_NE(ledger.PeekReady(), nullptr);
  EXPECT_TRUE(ledger.PeekReady()->suspect);
  EXPECT_EQ(ledger.PeekReady()->crashes, 0u) << "a suspect is not blamed";
  ledger.TakeReady(2, MonoClock::now());
  ledger.Requeue(1, /*crashed=*/true);
  EXPECT_TRUE(ledger.PeekReady()->suspect) << "still one";
  EXPECT_EQ(ledger.PeekReady()->crashes, 1u);
}

TEST(Ledger, UntakeRestoresTheTaskAsItWas) {
  CountedSource source("noop", 2, nullptr);
  Ledger ledger(source);
  ledger.PeekReady();
  ledger.TakeReady(1, MonoClock::now());
  ledger.Untake(1);
  EXPECT_EQ(ledger.in_flight(), 0u);
  const TaskRecord& task = ledger.TakeReady(1, MonoClock::now());
  EXPECT_EQ(task.id, 1u);
  EXPECT_EQ(task.attempt, 1u) << "an unsent task is not a retry";
}

TEST(Ledger, AbandonedTaskLeavesWithoutResult) {
  CountedSource source("noop", 1, nullptr);
  Ledger ledger(source);
  ledger.PeekReady();
  ledger.TakeReady(1, MonoClock::now());
  EXPECT_TRUE(ledger.Abandon(1).has_value());
  EXPECT_TRUE(ledger.Exhausted());
  EXPECT_EQ(ledger.Unfinished(), 0u);
}

TEST(Ledger, ARecycledRecordCarriesNothingOfItsLastTaskAndSkippedIdsAreNotProduced) {
  // Two kinds interleaved, payloads numbered: a record reused after a task finished must
  // hold the next task's kind, payload and job id, not the last one's.
  std::vector<std::unique_ptr<TaskSource>> sources;
  sources.push_back(std::make_unique<CountedSource>(
      "a", 3, [](uint64_t i) { return "a" + std::to_string(i); }));
  sources.push_back(std::make_unique<CountedSource>("b", 2, nullptr));
  InterleavedSource source(std::move(sources));
  Ledger ledger(source);
  ledger.SkipFinished({2});  // "b", empty payload: never produced
  std::vector<std::pair<std::string, std::string>> seen;
  while (ledger.PeekReady() != nullptr) {
    const TaskRecord& record = ledger.TakeReady(1, MonoClock::now());
    seen.emplace_back(record.spec.kind + "#" + std::to_string(record.id), record.spec.payload);
    EXPECT_TRUE(record.spec.job_id.empty());
    ASSERT_NE(ledger.Finish(record.id), nullptr);  // its record is reused for the next
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                      {"a#1", "a0"}, {"a#3", "a1"}, {"b#4", ""}, {"a#5", "a2"}}));
  EXPECT_EQ(ledger.skipped(), 1u);
  EXPECT_TRUE(ledger.Exhausted());
}

TEST(InterleavedSource, AlternatesKindsAndKnowsItsTotal) {
  std::vector<std::unique_ptr<TaskSource>> sources;
  sources.push_back(std::make_unique<CountedSource>("a", 2, nullptr));
  sources.push_back(std::make_unique<CountedSource>("b", 1, nullptr));
  InterleavedSource source(std::move(sources));
  EXPECT_EQ(source.Total(), 3u);
  EXPECT_EQ(source.Next()->kind, "a");
  EXPECT_EQ(source.Next()->kind, "b");
  EXPECT_EQ(source.Next()->kind, "a");
  EXPECT_FALSE(source.Next().has_value());
  EXPECT_EQ(source.Total(), 3u);
}

}  // namespace
}  // namespace taskfarm
