// Worker configuration: flags, environment variables and validation.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "worker/core/worker_config.hpp"

namespace zfleet::worker {
namespace {

ParsedConfig parse(std::vector<const char*> args) {
  args.insert(args.begin(), "zfleet-worker");
  return parse_worker_config(static_cast<int>(args.size()), args.data());
}

TEST(WorkerConfig, DefaultsFormALocalWorker) {
  const auto parsed = parse({});
  ASSERT_TRUE(parsed.config.has_value());
  const auto& c = *parsed.config;
  EXPECT_EQ(c.broker, "tcp://127.0.0.1:5556");
  EXPECT_GE(c.slots, 1U);
  EXPECT_TRUE(valid_worker_id(c.id));
  EXPECT_EQ(c.heartbeat_ms, 1000U);
  EXPECT_EQ(c.grace_ms, 5000U);
  EXPECT_EQ(c.drain_timeout_ms, 30000U);
  EXPECT_NE(c.work_dir.find(c.id), std::string::npos);
}

TEST(WorkerConfig, ReadsFlags) {
  const auto parsed = parse({"--broker",
                             "tcp://10.0.0.1:7000",
                             "--slots",
                             "8",
                             "--id",
                             "w-1",
                             "--label",
                             "gpu",
                             "--label",
                             "big",
                             "--heartbeat-ms",
                             "250",
                             "--default-timeout-ms",
                             "60000",
                             "--grace-ms",
                             "100",
                             "--drain-timeout-ms",
                             "5",
                             "--work-dir",
                             "/tmp/x"});
  ASSERT_TRUE(parsed.config.has_value());
  const auto& c = *parsed.config;
  EXPECT_EQ(c.broker, "tcp://10.0.0.1:7000");
  EXPECT_EQ(c.slots, 8U);
  EXPECT_EQ(c.id, "w-1");
  EXPECT_EQ(c.labels, (std::vector<std::string>{"gpu", "big"}));
  EXPECT_EQ(c.heartbeat_ms, 250U);
  EXPECT_EQ(c.default_timeout_ms, 60000U);
  EXPECT_EQ(c.grace_ms, 100U);
  EXPECT_EQ(c.drain_timeout_ms, 5U);
  EXPECT_EQ(c.work_dir, "/tmp/x");
}

TEST(WorkerConfig, ReadsEnvironmentVariables) {
  ::setenv("ZFLEET_WORKER_SLOTS", "3", 1);
  ::setenv("ZFLEET_WORKER_ID", "from-env", 1);
  const auto parsed = parse({});
  ::unsetenv("ZFLEET_WORKER_SLOTS");
  ::unsetenv("ZFLEET_WORKER_ID");
  ASSERT_TRUE(parsed.config.has_value());
  EXPECT_EQ(parsed.config->slots, 3U);
  EXPECT_EQ(parsed.config->id, "from-env");
}

TEST(WorkerConfig, StateFileDefaultsToTheWorkDirAndCanBeMoved) {
  const auto defaulted = parse({"--work-dir", "/tmp/w"});
  ASSERT_TRUE(defaulted.config.has_value());
  EXPECT_EQ(defaulted.config->state_file, "/tmp/w/worker-state");
  const auto flagged = parse({"--state-file", "/var/lib/zfleet/state"});
  ASSERT_TRUE(flagged.config.has_value());
  EXPECT_EQ(flagged.config->state_file, "/var/lib/zfleet/state");
  ::setenv("ZFLEET_WORKER_STATE_FILE", "/srv/state", 1);
  const auto from_env = parse({});
  ::unsetenv("ZFLEET_WORKER_STATE_FILE");
  ASSERT_TRUE(from_env.config.has_value());
  EXPECT_EQ(from_env.config->state_file, "/srv/state");
}

TEST(WorkerConfig, ReadsAConfigFileThatFlagsOverride) {
  const std::string path = ::testing::TempDir() + "zfleet-worker-config-test.toml";
  std::ofstream(path) << "slots = 5\nid = \"from-file\"\nlabel = [\"a\", \"b\"]\n";
  const auto parsed = parse({"--config", path.c_str(), "--id", "from-flag"});
  std::remove(path.c_str());
  ASSERT_TRUE(parsed.config.has_value());
  EXPECT_EQ(parsed.config->slots, 5U);
  EXPECT_EQ(parsed.config->id, "from-flag");
  EXPECT_EQ(parsed.config->labels, (std::vector<std::string>{"a", "b"}));
}

TEST(WorkerConfig, RejectsBadValues) {
  EXPECT_FALSE(parse({"--slots", "0"}).config.has_value());
  EXPECT_FALSE(parse({"--id", "has space"}).config.has_value());
  EXPECT_FALSE(parse({"--heartbeat-ms", "1"}).config.has_value());
  EXPECT_FALSE(parse({"--no-such-flag"}).config.has_value());
  EXPECT_NE(parse({"--slots", "0"}).exit_code, 0);
}

TEST(WorkerConfig, DefaultIdIsAValidName) {
  EXPECT_EQ(default_worker_id("host.example", 42), "host.example-42");
  EXPECT_EQ(default_worker_id("we ird/host", 7), "we-ird-host-7");
  const std::string long_id = default_worker_id(std::string(200, 'h'), 123456);
  EXPECT_TRUE(valid_worker_id(long_id));
  EXPECT_EQ(long_id.substr(long_id.size() - 7), "-123456");
}

TEST(WorkerConfig, DefaultLimitsAreAutoWithAnHourOfWallClock) {
  const auto parsed = parse({});
  ASSERT_TRUE(parsed.config.has_value());
  EXPECT_EQ(parsed.config->default_timeout_ms, 3'600'000U);
  EXPECT_EQ(parsed.config->default_memory, "auto");
  EXPECT_EQ(parsed.config->default_cpu_seconds, "auto");
  EXPECT_EQ(parsed.config->default_processes, "auto");

  const auto set = parse({"--default-memory", "64M", "--default-cpu-seconds", "off",
                          "--default-processes", "32", "--default-timeout-ms", "0"});
  ASSERT_TRUE(set.config.has_value());
  EXPECT_EQ(set.config->default_memory, "64M");
  EXPECT_EQ(set.config->default_cpu_seconds, "off");
  EXPECT_EQ(set.config->default_processes, "32");
  EXPECT_EQ(set.config->default_timeout_ms, 0U);

  ::setenv("ZFLEET_WORKER_DEFAULT_MEMORY", "2G", 1);
  const auto env = parse({});
  ::unsetenv("ZFLEET_WORKER_DEFAULT_MEMORY");
  ASSERT_TRUE(env.config.has_value());
  EXPECT_EQ(env.config->default_memory, "2G");
}

TEST(WorkerConfig, RejectsDefaultLimitsItCannotRead) {
  EXPECT_FALSE(parse({"--default-memory", "lots"}).config.has_value());
  EXPECT_FALSE(parse({"--default-cpu-seconds", "1h"}).config.has_value());
  EXPECT_FALSE(parse({"--default-processes", "-1"}).config.has_value());
  EXPECT_FALSE(parse({"--default-cpu-seconds", "99999999999"}).config.has_value());
}

}  // namespace
}  // namespace zfleet::worker
