// LiveLogs, the output tails of running attempts by task: what an OUTPUT
// chunk adds (new part, skipped bytes), repeats, forgetting, and the chunk
// and topic republished to followers.
#include <gtest/gtest.h>

#include "broker/live_logs.hpp"

namespace zfleet::broker {
namespace {

msg::OutputChunk chunk(std::uint64_t task, std::string stream, std::uint64_t offset,
                       std::string data) {
  msg::OutputChunk c;
  c.task_id = task;
  c.attempt = 2;
  c.stream = std::move(stream);
  c.offset = offset;
  c.data = std::move(data);
  return c;
}

TEST(LiveLogs, KeepsALogPerTaskAndStream) {
  LiveLogs logs;
  EXPECT_EQ(logs.find(1), nullptr);
  ASSERT_TRUE(logs.append(chunk(1, "stdout", 0, "out")));
  ASSERT_TRUE(logs.append(chunk(1, "stderr", 0, "err")));
  ASSERT_TRUE(logs.append(chunk(2, "stdout", 0, "two")));
  EXPECT_EQ(logs.size(), 2U);
  ASSERT_NE(logs.find(1), nullptr);
  EXPECT_EQ(logs.find(1)->data(true), "out");
  EXPECT_EQ(logs.find(1)->data(false), "err");
  EXPECT_EQ(logs.find(2)->data(true), "two");
  logs.forget(1);
  EXPECT_EQ(logs.find(1), nullptr);
  EXPECT_EQ(logs.size(), 1U);
}

TEST(LiveLogs, TakesOnlyTheNewPartOfARepeat) {
  LiveLogs logs;
  ASSERT_TRUE(logs.append(chunk(1, "stdout", 0, "abc")));
  EXPECT_FALSE(logs.append(chunk(1, "stdout", 0, "abc")));  // a resend after a reconnect
  const auto chunk_in = chunk(1, "stdout", 1, "bcde");
  auto taken = logs.append(chunk_in);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->offset, 3U);
  EXPECT_EQ(taken->data, "de");
  EXPECT_EQ(taken->skipped, 0U);
  EXPECT_EQ(logs.find(1)->data(true), "abcde");
}

TEST(LiveLogs, CountsTheBytesAWorkerSkipped) {
  LiveLogs logs;
  ASSERT_TRUE(logs.append(chunk(1, "stdout", 0, "ab")));
  auto taken = logs.append(chunk(1, "stdout", 10, "xy"));
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->skipped, 8U);
  EXPECT_EQ(taken->offset, 10U);
  auto next = logs.append(chunk(1, "stdout", 12, "z"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->skipped, 0U);  // per chunk, not the running total
}

TEST(LiveLogs, HoldsUpToItsCapacityPerStream) {
  LiveLogs logs(4);
  ASSERT_TRUE(logs.append(chunk(1, "stdout", 0, "abcdef")));
  EXPECT_EQ(logs.find(1)->data(true), "cdef");
  EXPECT_EQ(logs.find(1)->offset(true), 2U);
}

TEST(LiveLogs, RelaysTheNewPartUnderTheStreamsTopic) {
  LiveLogs logs;
  ASSERT_TRUE(logs.append(chunk(7, "stderr", 0, "abc")));
  const auto in = chunk(7, "stderr", 2, "cd");
  auto taken = logs.append(in);
  ASSERT_TRUE(taken);
  EXPECT_EQ(LiveLogs::topic(in), "log.7.stderr");
  const msg::OutputChunk out = LiveLogs::relayed(in, *taken);
  EXPECT_EQ(out.task_id, 7U);
  EXPECT_EQ(out.attempt, 2U);
  EXPECT_EQ(out.stream, "stderr");
  EXPECT_EQ(out.offset, 3U);
  EXPECT_EQ(out.data, "d");
}

}  // namespace
}  // namespace zfleet::broker
