// Retry-policy flags of `submit` and `set-policy`, and the policy summary of
// `projects`.
#include <gtest/gtest.h>

#include "broker/zfleetctl/retry_flags.hpp"

namespace zfleet::ctl {
namespace {

using Kinds = std::vector<std::string>;

TEST(CtlRetryFlags, RetryOnSplitsAtCommasAndDropsRepeats) {
  Kinds kinds;
  ASSERT_FALSE(parse_retry_on("exit, timeout,exit ,lost", kinds));
  EXPECT_EQ(kinds, (Kinds{"exit", "timeout", "lost"}));
  ASSERT_FALSE(parse_retry_on("", kinds));
  EXPECT_TRUE(kinds.empty());
}

TEST(CtlRetryFlags, RetryOnRejectsUnknownAndEmptyKinds) {
  Kinds kinds{"kept"};
  EXPECT_EQ(parse_retry_on("exit,oom", kinds),
            "unknown retry kind 'oom' (exit, signal, timeout, lost, error)");
  EXPECT_TRUE(parse_retry_on("exit,,lost", kinds));
  EXPECT_EQ(kinds, Kinds{"kept"});  // untouched on error
}

TEST(CtlRetryFlags, BuildsAPolicyWithinTheProtocolsLimits) {
  msg::RetryPolicy policy;
  ASSERT_FALSE(build_policy({5, 200, 10'000, "signal,error"}, policy));
  EXPECT_EQ(policy, (msg::RetryPolicy{5, 200, 10'000, {"signal", "error"}}));
  EXPECT_TRUE(build_policy({proto::kMaxAttempts + 1, 0, 0, ""}, policy));
  EXPECT_TRUE(build_policy({0, proto::kMaxBackoffMs + 1, 0, ""}, policy));
  EXPECT_EQ(build_policy({0, 0, 0, "exits"}, policy),
            "--retry-on: unknown retry kind 'exits' (exit, signal, timeout, lost, error)");
  EXPECT_EQ(build_policy({0, 500, 100, ""}, policy), "'backoff_ms' exceeds 'backoff_max_ms'");
}

TEST(CtlRetryFlags, DescribesOnlyWhatThePolicySets) {
  EXPECT_EQ(describe_policy({}), "-");
  EXPECT_EQ(describe_policy({1, 0, 0, {}}), "1 attempt");
  EXPECT_EQ(describe_policy({5, 1000, 60'000, {"exit", "lost"}}),
            "5 attempts, backoff 1.00 s..1m00s, on exit,lost");
  EXPECT_EQ(describe_policy({0, 250, 0, {}}), "backoff 250 ms");
  EXPECT_EQ(describe_policy({0, 0, 5000, {"timeout"}}), "backoff max 5.00 s, on timeout");
}

}  // namespace
}  // namespace zfleet::ctl
