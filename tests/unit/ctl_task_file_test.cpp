// JSON-lines task files of `zfleetctl submit --file`.
#include <gtest/gtest.h>

#include <sstream>

#include "broker/zfleetctl/task_file.hpp"

namespace zfleet::ctl {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;  // Unix ms

std::optional<std::string> parse(std::string_view line, msg::TaskSpec& out) {
  return parse_task_line(line, msg::TaskSpec{}, kNow, out);
}

TEST(CtlTaskFile, ParsesEveryField) {
  msg::TaskSpec spec;
  const auto error =
      parse(R"({"argv":["/bin/sh","-c","cat"],"project":"etl","priority":9,"env":{"A":"1","B":""},)"
            R"("cwd":"/tmp","stdin":"hello","timeout_ms":1500,"grace_ms":200,"output_cap":1024})",
            spec);
  ASSERT_FALSE(error) << *error;
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"/bin/sh", "-c", "cat"}));
  EXPECT_EQ(spec.project, "etl");
  EXPECT_EQ(spec.priority, 9u);
  EXPECT_EQ(spec.env, (codec::StringPairs{{"A", "1"}, {"B", ""}}));
  EXPECT_EQ(spec.cwd, "/tmp");
  EXPECT_EQ(spec.stdin_data, "hello");
  EXPECT_EQ(spec.timeout_ms, 1500u);
  EXPECT_EQ(spec.grace_ms, 200u);
  EXPECT_EQ(spec.output_cap, 1024u);
}

TEST(CtlTaskFile, OnlyArgvIsRequired) {
  msg::TaskSpec spec;
  ASSERT_FALSE(parse(R"({"argv":["true"]})", spec));
  EXPECT_EQ(spec.project, "default");
  EXPECT_EQ(spec.priority, 5u);
  EXPECT_EQ(spec.output_cap, proto::kDefaultOutputCapBytes);
}

TEST(CtlTaskFile, MissingArgvIsAnError) {
  msg::TaskSpec spec;
  EXPECT_EQ(parse(R"({"project":"p"})", spec), "'argv' is required");
}

TEST(CtlTaskFile, UnknownKeyIsAnErrorSoTyposAreCaught) {
  msg::TaskSpec spec;
  EXPECT_EQ(parse(R"({"argv":["true"],"priorty":3})", spec), "unknown key 'priorty'");
}

TEST(CtlTaskFile, RejectsValuesOfTheWrongTypeOrRange) {
  msg::TaskSpec spec;
  EXPECT_EQ(parse(R"({"argv":"true"})", spec), "'argv' must be an array of strings");
  EXPECT_EQ(parse(R"({"argv":["a",1]})", spec), "'argv' must be an array of strings");
  EXPECT_EQ(parse(R"({"argv":["a"],"priority":11})", spec), "'priority' must be an integer 0-10");
  EXPECT_EQ(parse(R"({"argv":["a"],"priority":-1})", spec), "'priority' must be an integer 0-10");
  EXPECT_EQ(parse(R"({"argv":["a"],"priority":2.5})", spec), "'priority' must be an integer 0-10");
  EXPECT_EQ(parse(R"({"argv":["a"],"env":{"A":1}})", spec), "'env' value of 'A' must be a string");
  EXPECT_EQ(parse(R"({"argv":["a"],"cwd":7})", spec), "'cwd' must be a string");
  EXPECT_TRUE(parse(R"({"argv":["a"],"output_cap":2000000})", spec));
}

TEST(CtlTaskFile, AppliesTheProtocolsValidation) {
  msg::TaskSpec spec;
  EXPECT_TRUE(parse(R"({"argv":[]})", spec));
  EXPECT_TRUE(parse(R"({"argv":["a"],"project":"no spaces"})", spec));
  EXPECT_TRUE(parse(R"({"argv":["a"],"env":{"A=B":"1"}})", spec));
  EXPECT_TRUE(parse(R"({"argv":["a"],"type":"module"})", spec));
}

TEST(CtlTaskFile, RejectsTextThatIsNotAJsonObject) {
  msg::TaskSpec spec;
  EXPECT_EQ(parse("{\"argv\": [", spec), "not valid JSON");
  EXPECT_EQ(parse("[\"true\"]", spec), "expected a JSON object");
}

TEST(CtlTaskFile, LineKeysOverrideDefaultsWhole) {
  msg::TaskSpec defaults;
  defaults.project = "etl";
  defaults.priority = 8;
  defaults.env = {{"A", "1"}};
  msg::TaskSpec spec;
  ASSERT_FALSE(parse_task_line(R"({"argv":["a"],"env":{"B":"2"}})", defaults, kNow, spec));
  EXPECT_EQ(spec.project, "etl");
  EXPECT_EQ(spec.priority, 8u);
  EXPECT_EQ(spec.env, (codec::StringPairs{{"B", "2"}}));
  ASSERT_FALSE(parse_task_line(R"({"argv":["a"],"priority":1})", defaults, kNow, spec));
  EXPECT_EQ(spec.priority, 1u);
  EXPECT_EQ(spec.env, defaults.env);
}

TEST(CtlTaskFile, ReadNumbersLinesAndSkipsBlankOnes) {
  std::istringstream in(
      "{\"argv\":[\"one\"]}\n"
      "\n"
      "   \r\n"
      "not json\n"
      "{\"argv\":[\"two\"]}\r\n"
      "{\"argv\":[\"three\"],\"bogus\":1}\n");
  const TaskFile file = read_task_file(in, msg::TaskSpec{}, kNow);
  ASSERT_EQ(file.tasks.size(), 2u);
  EXPECT_EQ(file.tasks[0].line, 1u);
  EXPECT_EQ(file.tasks[0].spec.argv.front(), "one");
  EXPECT_EQ(file.tasks[1].line, 5u);
  EXPECT_EQ(file.tasks[1].spec.argv.front(), "two");
  ASSERT_EQ(file.errors.size(), 2u);
  EXPECT_EQ(file.errors[0].line, 4u);
  EXPECT_EQ(file.errors[0].message, "not valid JSON");
  EXPECT_EQ(file.errors[1].line, 6u);
  EXPECT_EQ(file.errors[1].message, "unknown key 'bogus'");
}

TEST(CtlTaskFile, ReadsRetryStartAndKeyFields) {
  msg::TaskSpec spec;
  const auto error = parse(
      R"({"argv":["a"],"max_attempts":5,"backoff_ms":100,"backoff_max_ms":1000,)"
      R"("retry_on":["exit","timeout"],"not_before_ms":1800000000000,"idempotency_key":"k-1"})",
      spec);
  ASSERT_FALSE(error) << *error;
  EXPECT_EQ(spec.retry, (msg::RetryPolicy{5, 100, 1000, {"exit", "timeout"}}));
  EXPECT_EQ(spec.not_before_ms, 1'800'000'000'000);
  EXPECT_EQ(spec.idempotency_key, "k-1");
  ASSERT_FALSE(parse(R"({"argv":["a"],"retry_on":"signal,lost","delay_ms":250})", spec));
  EXPECT_EQ(spec.retry.retry_on, (std::vector<std::string>{"signal", "lost"}));
  EXPECT_EQ(spec.not_before_ms, kNow + 250);
}

TEST(CtlTaskFile, RejectsBadRetryAndStartFields) {
  msg::TaskSpec spec;
  EXPECT_EQ(parse(R"({"argv":["a"],"retry_on":["exit","oom"]})", spec),
            "'retry_on': unknown retry kind 'oom' (exit, signal, timeout, lost, error)");
  EXPECT_EQ(parse(R"({"argv":["a"],"max_attempts":1001})", spec),
            "'max_attempts' must be an integer 0-1000");
  EXPECT_TRUE(parse(R"({"argv":["a"],"backoff_ms":500,"backoff_max_ms":100})", spec));
  EXPECT_EQ(parse(R"({"argv":["a"],"delay_ms":1,"not_before_ms":2})", spec),
            "give 'delay_ms' or 'not_before_ms', not both");
  EXPECT_TRUE(parse(R"({"argv":["a"],"not_before_ms":-5})", spec));
  EXPECT_TRUE(
      parse(R"({"argv":["a"],"idempotency_key":")" + std::string(129, 'k') + R"("})", spec));
}

TEST(CtlTaskFile, ANoopLineNeedsNoArgv) {
  msg::TaskSpec spec;
  ASSERT_FALSE(parse(R"({"type":"noop"})", spec));
  EXPECT_EQ(spec.type, "noop");
  msg::TaskSpec defaults;
  defaults.type = "noop";
  ASSERT_FALSE(parse_task_line(R"({"project":"diag"})", defaults, kNow, spec));
  EXPECT_EQ(spec.project, "diag");
}

TEST(CtlTaskFile, LineRetryKeysOverrideTheDefaultsOneByOne) {
  msg::TaskSpec defaults;
  defaults.retry = {3, 100, 0, {"exit"}};
  defaults.not_before_ms = kNow + 10;
  msg::TaskSpec spec;
  ASSERT_FALSE(parse_task_line(R"({"argv":["a"],"max_attempts":7})", defaults, kNow, spec));
  EXPECT_EQ(spec.retry, (msg::RetryPolicy{7, 100, 0, {"exit"}}));
  EXPECT_EQ(spec.not_before_ms, kNow + 10);
  ASSERT_FALSE(parse_task_line(R"({"argv":["a"],"delay_ms":0})", defaults, kNow, spec));
  EXPECT_EQ(spec.not_before_ms, kNow);
}

}  // namespace
}  // namespace zfleet::ctl
