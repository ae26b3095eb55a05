// LiveLog: the bounded per-stream output tail of a running attempt, with
// stream offsets, repeats after a reconnect and gaps.
#include "broker/live_log.hpp"

#include <gtest/gtest.h>

namespace zfleet::broker {
namespace {

TEST(LiveLog, AppendsContiguousChunks) {
  LiveLog log;
  auto a = log.append(true, 0, "abc");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->offset, 0u);
  EXPECT_EQ(a->data, "abc");
  log.append(true, 3, "def");
  EXPECT_EQ(log.data(true), "abcdef");
  EXPECT_EQ(log.offset(true), 0u);
  EXPECT_EQ(log.end(true), 6u);
  EXPECT_TRUE(log.data(false).empty());
}

TEST(LiveLog, KeepsOnlyTheLastBytesWithTheirOffset) {
  LiveLog log(4);
  log.append(true, 0, "abc");
  log.append(true, 3, "defg");
  EXPECT_EQ(log.data(true), "defg");
  EXPECT_EQ(log.offset(true), 3u);
  auto big = log.append(true, 7, "0123456789");
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->data, "0123456789");  // republished whole
  EXPECT_EQ(log.data(true), "6789");
  EXPECT_EQ(log.offset(true), 13u);
}

TEST(LiveLog, DropsRepeatsAndTrimsOverlaps) {
  LiveLog log;
  log.append(true, 0, "hello");
  EXPECT_FALSE(log.append(true, 0, "hello").has_value());
  EXPECT_FALSE(log.append(true, 2, "ll").has_value());
  auto overlap = log.append(true, 3, "lo world");
  ASSERT_TRUE(overlap.has_value());
  EXPECT_EQ(overlap->offset, 5u);
  EXPECT_EQ(overlap->data, " world");
  EXPECT_EQ(log.data(true), "hello world");
}

TEST(LiveLog, RestartsAtAGap) {
  LiveLog log;
  log.append(false, 0, "abc");
  auto after_gap = log.append(false, 10, "xyz");
  ASSERT_TRUE(after_gap.has_value());
  EXPECT_TRUE(after_gap->gap);
  EXPECT_EQ(log.data(false), "xyz");
  EXPECT_EQ(log.offset(false), 10u);
  EXPECT_EQ(log.skipped_bytes(), 7u);
}

TEST(LiveLog, IgnoresEmptyChunks) {
  LiveLog log;
  EXPECT_FALSE(log.append(true, 0, "").has_value());
  EXPECT_EQ(log.end(true), 0u);
}

}  // namespace
}  // namespace zfleet::broker
