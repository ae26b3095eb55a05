// The flags of a single `zfleetctl submit` becoming a task spec.
#include <gtest/gtest.h>

#include <sstream>

#include "broker/zfleetctl/spec_flags.hpp"

namespace zfleet::ctl {
namespace {

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
  ASSERT_FALSE(build_spec(flags, "input", spec));
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
  EXPECT_TRUE(build_spec(flags, "", spec));  // no argv
  flags.argv = {"true"};
  flags.project = "bad name";
  EXPECT_TRUE(build_spec(flags, "", spec));
  flags.project = "ok";
  flags.env = {"NOEQUALS"};
  EXPECT_TRUE(build_spec(flags, "", spec));
}

TEST(CtlSpecFlags, ApplyFlagsAcceptsAMissingArgvForFileDefaults) {
  SpecFlags flags;
  flags.project = "etl";
  msg::TaskSpec spec;
  ASSERT_FALSE(apply_flags(flags, "", spec));
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

}  // namespace
}  // namespace zfleet::ctl
