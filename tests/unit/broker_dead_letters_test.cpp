// DeadLetters and ProjectPolicies, the broker's dead-letter list and
// per-project retry policies, as plain classes without a broker around them.
#include <gtest/gtest.h>

#include "broker/dead_letters.hpp"
#include "broker/project_policies.hpp"

namespace zfleet::broker {
namespace {

TEST(DeadLetters, ListsOldestFirstAndHonoursTheLimit) {
  DeadLetters dead;
  dead.add(9);
  dead.add(3);
  dead.add(5);
  dead.add(3);  // listed once
  EXPECT_EQ(dead.size(), 3U);
  EXPECT_EQ(dead.first(2), (std::vector<std::uint64_t>{3, 5}));
  EXPECT_EQ(dead.first(10), (std::vector<std::uint64_t>{3, 5, 9}));
  EXPECT_TRUE(dead.first(0).empty());
}

TEST(DeadLetters, RemoveAndTakeAllLeaveItEmpty) {
  DeadLetters dead;
  dead.add(1);
  dead.add(2);
  dead.add(4);
  dead.remove(2);
  dead.remove(7);  // not listed: nothing happens
  EXPECT_FALSE(dead.contains(2));
  EXPECT_TRUE(dead.contains(4));
  EXPECT_EQ(dead.take_all(), (std::vector<std::uint64_t>{1, 4}));
  EXPECT_EQ(dead.size(), 0U);
  EXPECT_TRUE(dead.take_all().empty());
}

TEST(ProjectPolicies, TaskThenProjectThenDefaultsFieldByField) {
  ResolvedPolicy defaults;
  defaults.max_attempts = 3;
  defaults.backoff_ms = 1000;
  ProjectPolicies policies(defaults);
  msg::RetryPolicy project;
  project.max_attempts = 7;
  project.retry_on = {"exit"};
  policies.set("p", project);

  msg::RetryPolicy task;
  task.backoff_ms = 5;
  const ResolvedPolicy r = policies.resolve_for("p", task);
  EXPECT_EQ(r.max_attempts, 7U);  // the project's
  EXPECT_EQ(r.backoff_ms, 5U);    // the task's
  EXPECT_EQ(r.retry_on, std::vector<std::string>{"exit"});
  EXPECT_TRUE(r.retries(Ending::kExit));
  EXPECT_FALSE(r.retries(Ending::kSignal));

  const ResolvedPolicy other = policies.resolve_for("q", {});
  EXPECT_EQ(other.max_attempts, 3U);  // no project policy: the defaults
  EXPECT_EQ(other.backoff_ms, 1000U);
}

TEST(ProjectPolicies, AnEmptyPolicyIsTheSameAsNone) {
  ProjectPolicies policies{ResolvedPolicy{}};
  msg::RetryPolicy project;
  project.max_attempts = 2;
  policies.set("p", project);
  EXPECT_TRUE(policies.has("p"));
  EXPECT_EQ(policies.policy_of("p").max_attempts, 2U);
  policies.set("p", msg::RetryPolicy{});
  EXPECT_FALSE(policies.has("p"));
  EXPECT_EQ(policies.policy_of("p"), msg::RetryPolicy{});
  EXPECT_EQ(policies.policy_of("never-set"), msg::RetryPolicy{});
}

}  // namespace
}  // namespace zfleet::broker
