// The flags of a single `zfleetctl submit` becoming a task spec.
#include <gtest/gtest.h>

#include <sstream>

#include "broker/zfleetctl/spec_flags.hpp"

namespace zfleet::ctl {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;  // Unix ms

TEST(CtlSpecFlags, EnvAssignmentSplitsAtTheFirstEquals) {
  std::pair<std::string, std::string> pair;
  ASSERT_FALSE(parse_env_assignment("URL=a=b", pair));
  EXPECT_EQ(pair, (std::pair<std::string, std::string>{"URL", "a=b"}));
  ASSERT_FALSE(parse_env_assignment("EMPTY=", pair));
  EXPECT_EQ(pair.second, "");
}

TEST(CtlSpecFlags, EnvAssignmentNeedsANameAndEquals) {
  std::pair<std::string, std::string> pair;
  EXPECT_TRUE(parse_env_assignment("NOVALUE", pair));
  EXPECT_TRUE(parse_env_assignment("=x", pair));
}

TEST(CtlSpecFlags, BuildsTheSpecFromFlags) {
  SpecFlags flags;
  flags.project = "etl";
  flags.priority = 10;
  flags.env = {"A=1", "B=2"};
  flags.cwd = "sub";
  flags.timeout_ms = 100;
  flags.grace_ms = 10;
  flags.output_cap = 512;
  flags.argv = {"echo", "hi"};
  msg::TaskSpec spec;
  ASSERT_FALSE(build_spec(flags, "input", kNow, spec));
  EXPECT_EQ(spec.project, "etl");
  EXPECT_EQ(spec.priority, 10u);
  EXPECT_EQ(spec.env, (codec::StringPairs{{"A", "1"}, {"B", "2"}}));
  EXPECT_EQ(spec.cwd, "sub");
  EXPECT_EQ(spec.timeout_ms, 100u);
  EXPECT_EQ(spec.grace_ms, 10u);
  EXPECT_EQ(spec.output_cap, 512u);
  EXPECT_EQ(spec.argv, flags.argv);
  EXPECT_EQ(spec.stdin_data, "input");
}

TEST(CtlSpecFlags, BuildRejectsWhatTheBrokerWould) {
  SpecFlags flags;
  msg::TaskSpec spec;
  EXPECT_TRUE(build_spec(flags, "", kNow, spec));  // no argv
  flags.argv = {"true"};
  flags.project = "bad name";
  EXPECT_TRUE(build_spec(flags, "", kNow, spec));
  flags.project = "ok";
  flags.env = {"NOEQUALS"};
  EXPECT_TRUE(build_spec(flags, "", kNow, spec));
}

TEST(CtlSpecFlags, ApplyFlagsAcceptsAMissingArgvForFileDefaults) {
  SpecFlags flags;
  flags.project = "etl";
  msg::TaskSpec spec;
  ASSERT_FALSE(apply_flags(flags, "", kNow, spec));
  EXPECT_EQ(spec.project, "etl");
}

TEST(CtlSpecFlags, ReadBoundedRefusesMoreThanTheLimit) {
  std::istringstream small("hello");
  std::string out;
  ASSERT_FALSE(read_bounded(small, 5, out));
  EXPECT_EQ(out, "hello");
  std::istringstream big(std::string(100, 'x'));
  EXPECT_TRUE(read_bounded(big, 99, out));
}

TEST(CtlSpecFlags, ReadInputFileReportsAMissingFile) {
  std::string out;
  const auto error = read_input_file("/nonexistent/zfleet-input", 10, out);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("/nonexistent/zfleet-input"), std::string::npos);
}

TEST(CtlSpecFlags, ANoopTaskNeedsNoArgv) {
  SpecFlags flags;
  flags.type = "noop";
  msg::TaskSpec spec;
  ASSERT_FALSE(build_spec(flags, "", kNow, spec));
  EXPECT_EQ(spec.type, "noop");
  flags.type = "module";
  EXPECT_TRUE(build_spec(flags, "", kNow, spec));
}

TEST(CtlSpecFlags, CarriesRetryPolicyAndIdempotencyKey) {
  SpecFlags flags;
  flags.argv = {"true"};
  flags.retry = {4, 250, 8000, "exit, lost"};
  flags.idempotency_key = "order-42";
  msg::TaskSpec spec;
  ASSERT_FALSE(build_spec(flags, "", kNow, spec));
  EXPECT_EQ(spec.retry, (msg::RetryPolicy{4, 250, 8000, {"exit", "lost"}}));
  EXPECT_EQ(spec.idempotency_key, "order-42");
  flags.idempotency_key = std::string(proto::kMaxIdempotencyKeyBytes + 1, 'k');
  EXPECT_TRUE(build_spec(flags, "", kNow, spec));
}

TEST(CtlSpecFlags, DelayCountsFromNowAndNotBeforeIsTakenAsIs) {
  SpecFlags flags;
  flags.argv = {"true"};
  msg::TaskSpec spec;
  ASSERT_FALSE(build_spec(flags, "", kNow, spec));
  EXPECT_EQ(spec.not_before_ms, 0);
  flags.delay_ms = 5000;
  ASSERT_FALSE(build_spec(flags, "", kNow, spec));
  EXPECT_EQ(spec.not_before_ms, kNow + 5000);
  flags.delay_ms.reset();
  flags.not_before_ms = 1'800'000'000'000;
  ASSERT_FALSE(build_spec(flags, "", kNow, spec));
  EXPECT_EQ(spec.not_before_ms, 1'800'000'000'000);
}

TEST(CtlSpecFlags, DelayAndNotBeforeExcludeEachOther) {
  std::int64_t out = 0;
  EXPECT_TRUE(resolve_not_before(1, 2, kNow, out));
  EXPECT_TRUE(resolve_not_before(std::nullopt, -1, kNow, out));
  EXPECT_TRUE(resolve_not_before(proto::kMaxTimeoutMs + 1, std::nullopt, kNow, out));
}

}  // namespace
}  // namespace zfleet::ctl
