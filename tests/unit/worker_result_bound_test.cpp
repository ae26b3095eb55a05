// bound_result(): a result too large for the protocol fails its attempt with
// the reason instead of making the whole DONE undeliverable.
#include <gtest/gtest.h>

#include "worker/core/reactor.hpp"

namespace zfleet::worker {
namespace {

TEST(ResultBound, AResultWithinTheLimitIsKept) {
  msg::Outcome o;
  o.exit_code = 0;
  o.result = std::string(proto::kMaxResultBytes, 'x');
  bound_result(o);
  EXPECT_EQ(o.result.size(), proto::kMaxResultBytes);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_TRUE(o.stderr_tail.empty());
}

TEST(ResultBound, ALargerResultFailsTheAttemptAndSaysWhy) {
  msg::Outcome o;
  o.exit_code = 0;
  o.stderr_tail = "module said something";
  o.result = std::string(proto::kMaxResultBytes + 1, 'x');
  bound_result(o);
  EXPECT_TRUE(o.result.empty());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_FALSE(o.succeeded());
  EXPECT_EQ(o.stderr_tail.rfind("module said something\n", 0), 0U);
  EXPECT_NE(o.stderr_tail.find(std::to_string(proto::kMaxResultBytes + 1) + " bytes"),
            std::string::npos)
      << o.stderr_tail;
}

}  // namespace
}  // namespace zfleet::worker
