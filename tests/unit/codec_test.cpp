// Codec round trips and the decoder's defences against hostile bodies.
#include <gtest/gtest.h>

#include "common/messages.hpp"

namespace zfleet {
namespace {

TEST(Codec, SubmitRoundTripKeepsEveryField) {
  msg::SubmitRequest in;
  in.req = 7;
  in.task.project = "billing";
  in.task.priority = 9;
  in.task.argv = {"/bin/echo", "hi"};
  in.task.stdin_data = std::string("a\0b", 3);
  in.task.env = {{"A", "1"}};
  in.task.cwd = "/tmp";
  in.task.timeout_ms = 1500;
  in.task.grace_ms = 200;
  in.task.output_cap = 10;
  msg::SubmitRequest out;
  ASSERT_FALSE(msg::decode_bytes(msg::encode(in), out));
  EXPECT_EQ(out.req, 7u);
  EXPECT_EQ(out.task.project, "billing");
  EXPECT_EQ(out.task.priority, 9u);
  EXPECT_EQ(out.task.argv, in.task.argv);
  EXPECT_EQ(out.task.stdin_data, in.task.stdin_data);
  EXPECT_EQ(out.task.env, in.task.env);
  EXPECT_EQ(out.task.cwd, "/tmp");
  EXPECT_EQ(out.task.timeout_ms, 1500u);
  EXPECT_EQ(out.task.grace_ms, 200u);
  EXPECT_EQ(out.task.output_cap, 10u);
}

TEST(Codec, DoneRoundTripKeepsOutcome) {
  msg::Done in;
  in.task_id = 42;
  in.attempt = 3;
  in.outcome.exit_code = 1;
  in.outcome.stdout_tail = "out";
  in.outcome.stdout_bytes = 3;
  in.outcome.timed_out = true;
  msg::Done out;
  ASSERT_FALSE(msg::decode_bytes(msg::encode(in), out));
  EXPECT_EQ(out.task_id, 42u);
  EXPECT_EQ(out.attempt, 3u);
  EXPECT_EQ(out.outcome.exit_code, 1);
  EXPECT_FALSE(out.outcome.signal.has_value());
  EXPECT_EQ(out.outcome.stdout_tail, "out");
  EXPECT_TRUE(out.outcome.timed_out);
}

TEST(Codec, RejectsHugeDeclaredArrayWithoutAllocating) {
  // array32 header claiming 2^32-1 items: must fail on the limit, not allocate.
  const std::string body("\xdd\xff\xff\xff\xff", 5);
  msg::SubmitRequest out;
  auto e = msg::decode_bytes(body, out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kTooLarge);
}

TEST(Codec, RejectsTruncatedAndTrailingBytes) {
  msg::SubmitRequest out;
  std::string good = msg::encode(msg::Request{1});
  EXPECT_TRUE(msg::decode_bytes(good.substr(0, good.size() - 1), out));
  EXPECT_TRUE(msg::decode_bytes(good + "x", out));
}

TEST(Codec, MissingTaskIsInvalidField) {
  msg::SubmitRequest out;
  auto e = msg::decode_bytes(msg::encode(msg::Request{5}), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kInvalidField);
}

TEST(Codec, PriorityAboveTenIsInvalid) {
  msg::SubmitRequest in;
  in.task.argv = {"true"};
  in.task.priority = 11;
  msg::SubmitRequest out;
  auto e = msg::decode_bytes(msg::encode(in), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kInvalidField);
}

TEST(Codec, NonMapBodyIsMalformed) {
  msg::Request out;
  auto e = msg::decode_bytes(std::string("\x93\x01\x02\x03", 4), out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kMalformedBody);
}

TEST(Codec, PeekReqFindsRequestIdInInvalidBody) {
  codec::DecodeError error;
  auto body = codec::parse_body(msg::encode(msg::Request{99}), error);
  ASSERT_TRUE(body);
  EXPECT_EQ(msg::peek_req(body->root()), 99u);
}

}  // namespace
}  // namespace zfleet
