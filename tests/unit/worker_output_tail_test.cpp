// OutputTail: the capped tail of a child's output stream.
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "worker/monitor/output_tail.hpp"
#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {
namespace {

TEST(OutputTail, KeepsEverythingBelowTheCap) {
  OutputTail tail(10);
  tail.append("abc");
  tail.append("def");
  EXPECT_EQ(tail.contents(), "abcdef");
  EXPECT_EQ(tail.total_bytes(), 6U);
}

TEST(OutputTail, KeepsOnlyTheLastCapBytes) {
  OutputTail tail(5);
  tail.append("abc");
  tail.append("defg");
  EXPECT_EQ(tail.contents(), "cdefg");
  tail.append("hi");
  EXPECT_EQ(tail.contents(), "efghi");
  EXPECT_EQ(tail.total_bytes(), 9U);
  EXPECT_EQ(tail.size(), 5U);
}

TEST(OutputTail, ChunkLargerThanCapKeepsItsEnd) {
  OutputTail tail(4);
  tail.append("xy");
  tail.append("0123456789");
  EXPECT_EQ(tail.contents(), "6789");
  EXPECT_EQ(tail.total_bytes(), 12U);
}

TEST(OutputTail, WrapsManyTimesInSmallPieces) {
  OutputTail tail(7);
  std::string all;
  for (int i = 0; i < 1000; ++i) {
    const std::string piece = std::to_string(i);
    tail.append(piece);
    all += piece;
  }
  EXPECT_EQ(tail.contents(), all.substr(all.size() - 7));
  EXPECT_EQ(tail.total_bytes(), all.size());
}

TEST(OutputTail, ZeroCapCountsButKeepsNothing) {
  OutputTail tail(0);
  tail.append("hello");
  EXPECT_EQ(tail.contents(), "");
  EXPECT_EQ(tail.total_bytes(), 5U);
}

TEST(OutputTail, ReadAvailableStopsWhenThePipeIsEmpty) {
  Pipe pipe;
  ASSERT_EQ(make_pipe(pipe, NonBlockingEnd::kRead), 0);
  ASSERT_EQ(::write(pipe.write.get(), "hello", 5), 5);
  OutputTail tail(100);
  EXPECT_EQ(read_available(pipe.read.get(), tail, 1 << 20), PipeState::kOpen);
  EXPECT_EQ(tail.contents(), "hello");
  pipe.write.reset();
  EXPECT_EQ(read_available(pipe.read.get(), tail, 1 << 20), PipeState::kClosed);
}

TEST(OutputTail, ReadAvailableRespectsItsBudget) {
  Pipe pipe;
  ASSERT_EQ(make_pipe(pipe, NonBlockingEnd::kRead), 0);
  const std::string data(1000, 'x');
  ASSERT_EQ(::write(pipe.write.get(), data.data(), data.size()), 1000);
  OutputTail tail(10);
  // The first read may take everything pending; the budget bounds the loop.
  EXPECT_EQ(read_available(pipe.read.get(), tail, 1), PipeState::kOpen);
  EXPECT_EQ(tail.total_bytes(), 1000U);
  EXPECT_EQ(tail.size(), 10U);
}

}  // namespace
}  // namespace zfleet::worker
