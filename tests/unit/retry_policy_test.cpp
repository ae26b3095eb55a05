// Retry policy: how endings are classified, how task, project and broker
// settings combine, and the bounds of the jittered exponential backoff.
#include "broker/retry_policy.hpp"

#include <gtest/gtest.h>

namespace zfleet::broker {
namespace {

TEST(RetryPolicy, ClassifiesEndings) {
  msg::Outcome o;
  o.exit_code = 0;
  EXPECT_EQ(classify(o), Ending::kSuccess);
  o.exit_code = 2;
  EXPECT_EQ(classify(o), Ending::kExit);
  o = {};
  o.signal = 9;
  EXPECT_EQ(classify(o), Ending::kSignal);
  o.timed_out = true;
  EXPECT_EQ(classify(o), Ending::kTimeout);
  o.error = "spawn_failed";
  EXPECT_EQ(classify(o), Ending::kError);
  o.cancelled = true;
  EXPECT_EQ(classify(o), Ending::kCancelled);
}

TEST(RetryPolicy, TaskOverridesProjectOverridesDefaults) {
  ResolvedPolicy defaults;
  msg::RetryPolicy project;
  project.max_attempts = 5;
  project.retry_on = {"exit"};
  msg::RetryPolicy task;
  task.backoff_ms = 10;
  const ResolvedPolicy p = resolve(task, project, defaults);
  EXPECT_EQ(p.max_attempts, 5u);
  EXPECT_EQ(p.backoff_ms, 10u);
  EXPECT_EQ(p.backoff_max_ms, defaults.backoff_max_ms);
  EXPECT_TRUE(p.retries(Ending::kExit));
  EXPECT_FALSE(p.retries(Ending::kLost));
}

TEST(RetryPolicy, DefaultsRetryLostSignalAndErrorButNotExitOrTimeout) {
  const ResolvedPolicy p;
  EXPECT_TRUE(p.retries(Ending::kLost));
  EXPECT_TRUE(p.retries(Ending::kSignal));
  EXPECT_TRUE(p.retries(Ending::kError));
  EXPECT_FALSE(p.retries(Ending::kExit));
  EXPECT_FALSE(p.retries(Ending::kTimeout));
}

TEST(RetryPolicy, BackoffDoublesWithJitterUpToTheCap) {
  ResolvedPolicy p;
  p.backoff_ms = 100;
  p.backoff_max_ms = 1000;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) {
    const auto first = backoff_delay_ms(p, 2, rng);
    EXPECT_GE(first, 50u);
    EXPECT_LE(first, 100u);
    const auto third = backoff_delay_ms(p, 4, rng);
    EXPECT_GE(third, 200u);
    EXPECT_LE(third, 400u);
    const auto late = backoff_delay_ms(p, 30, rng);
    EXPECT_GE(late, 500u);
    EXPECT_LE(late, 1000u);
  }
}

TEST(RetryPolicy, ZeroBackoffMeansImmediately) {
  ResolvedPolicy p;
  p.backoff_ms = 0;
  std::mt19937_64 rng(1);
  EXPECT_EQ(backoff_delay_ms(p, 5, rng), 0u);
}

TEST(RetryPolicy, AKillAtALimitIsDescribedInTheWorkersWordsAndStaysASignal) {
  msg::Outcome o;
  o.signal = 9;
  o.killed_by = "oom";
  EXPECT_EQ(describe_outcome(o), "killed by the worker (oom)");
  o.message = "killed: memory limit 64 MiB";
  EXPECT_EQ(describe_outcome(o), "killed: memory limit 64 MiB");
  // The words change nothing about which retry rule applies.
  EXPECT_EQ(classify(o), Ending::kSignal);
}

}  // namespace
}  // namespace zfleet::broker
