// Spec tests of how the real broker reads a request, through bare frames on
// its clients socket: the tag and command frames (case, tag of the reply),
// which req an ERROR carries, the order of the checks, task id 0, nesting
// depth, and every invalid client->broker golden vector sent as it is.
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "common/error_code.hpp"
#include "schemas/tools/msgpack_json.hpp"
#include "tests/spec/wire_fleet.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using spec::Message;
using spec::packed_map;
using spec::Packer;
using spec::SpecFleet;
using spec::WirePeer;

const std::string kTag(proto::kProtocolTag);

class RequestRules : public ::testing::Test {
 protected:
  // ERROR's code and req, after checking the reply is an ERROR under zfleet/1.
  msg::ErrorReply error_of(const Message& m) {
    EXPECT_EQ(m.tag, kTag);
    EXPECT_EQ(m.command, proto::cmd::kError) << "body " << vectors::to_hex(m.body);
    return spec::decoded<msg::ErrorReply>(m);
  }
  void expect_error(const Message& m, ErrorCode code, std::uint64_t req) {
    const auto e = error_of(m);
    EXPECT_EQ(error_name(e.code), error_name(code)) << e.message;
    EXPECT_EQ(e.req, req) << e.message;
  }
  void expect_still_serving() {
    const Message pong = client_.call(proto::cmd::kPing, msg::encode(msg::Request{99}));
    EXPECT_EQ(pong.command, proto::cmd::kPong);
    EXPECT_TRUE(fleet_.broker().running()) << fleet_.logs();
  }

  SpecFleet fleet_;
  zmq::context_t context_{1};
  WirePeer client_{context_, fleet_.clients()};
};

// PROTOCOL.md §2.3, §4.10, §9 (UNSUPPORTED_VERSION), §11.2: a request under a
// tag the broker does not speak gets ERROR with req 0, and that ERROR's own
// frame 0 is zfleet/1. Tags are compared byte for byte.
TEST_F(RequestRules, UnsupportedVersionIsAnsweredUnderZfleet1WithReqZero) {
  for (const char* tag : {"zfleet/2", "ZFLEET/1", "zfleet/1 ", "zfleet/0"}) {
    SCOPED_TRACE(tag);
    client_.send_frames({tag, "PING", msg::encode(msg::Request{5})});
    auto reply = client_.receive();
    ASSERT_TRUE(reply) << fleet_.logs();
    EXPECT_EQ(reply->tag, "zfleet/1");
    expect_error(*reply, ErrorCode::kUnsupportedVersion, 0);
  }
  expect_still_serving();
}

// PROTOCOL.md §2.3, §9 (UNKNOWN_COMMAND): command names are case-sensitive;
// the request's uint req is echoed.
TEST_F(RequestRules, CommandNamesAreCaseSensitive) {
  const std::pair<const char*, std::uint64_t> cases[] = {
      {"ping", 3}, {"Ping", 4}, {"submit", 5}, {"PING ", 6}};
  for (const auto& [command, req] : cases) {
    SCOPED_TRACE(command);
    expect_error(client_.call(command, msg::encode(msg::Request{req})), ErrorCode::kUnknownCommand,
                 req);
  }
  const Message pong = client_.call("PING", msg::encode(msg::Request{7}));
  EXPECT_EQ(pong.command, proto::cmd::kPong);
  EXPECT_EQ(spec::decoded<msg::PongReply>(pong).req, 7u);
}

// PROTOCOL.md §3.3 (which req an ERROR carries): a uint req is echoed for an
// unknown command; a req of another type gives req 0, with INVALID_FIELD for
// a known command and UNKNOWN_COMMAND for an unknown one; a nil or absent
// req is req 0 and the request is served.
TEST_F(RequestRules, ErrorCarriesTheReqOnlyWhenItIsAUint) {
  expect_error(client_.call("FROBNICATE", msg::encode(msg::Request{7})), ErrorCode::kUnknownCommand,
               7);
  const std::string req_string = packed_map(1, [](Packer& p) { p.pack("req").pack("7"); });
  const std::string req_negative = packed_map(1, [](Packer& p) { p.pack("req").pack(-7); });
  // float64 7.0 written by hand: the packer would write an integral double as an int.
  const std::string req_float("\x81\xa3req\xcb\x40\x1c\x00\x00\x00\x00\x00\x00", 14);
  const std::string req_bool = packed_map(1, [](Packer& p) { p.pack("req").pack(true); });
  for (const auto& body : {req_string, req_negative, req_float, req_bool}) {
    SCOPED_TRACE(vectors::to_hex(body));
    expect_error(client_.call("FROBNICATE", body), ErrorCode::kUnknownCommand, 0);
    expect_error(client_.call("PING", body), ErrorCode::kInvalidField, 0);
    expect_error(client_.call("STATUS", body), ErrorCode::kInvalidField, 0);
  }
  const std::string req_nil = packed_map(1, [](Packer& p) { p.pack("req").pack_nil(); });
  for (const auto& body : {req_nil, msg::encode_empty()}) {
    const Message pong = client_.call("PING", body);
    EXPECT_EQ(pong.command, proto::cmd::kPong);
    EXPECT_EQ(spec::decoded<msg::PongReply>(pong).req, 0u);
  }
  // A bad field other than req: req is echoed.
  const std::string bad_id =
      packed_map(2, [](Packer& p) { p.pack("req").pack(8).pack("id").pack("1"); });
  expect_error(client_.call("STATUS", bad_id), ErrorCode::kInvalidField, 8);
}

// PROTOCOL.md §3.1: the body is parsed before the command is looked up, so an
// unknown command with an unreadable body is MALFORMED_BODY (req 0).
TEST_F(RequestRules, BodyIsCheckedBeforeTheCommandName) {
  expect_error(client_.call("FROBNICATE", "\xc1"), ErrorCode::kMalformedBody, 0);
  expect_error(client_.call("FROBNICATE", std::string("\x93\x01\x02\x03", 4)),
               ErrorCode::kMalformedBody, 0);
  client_.send_frames({kTag, "", msg::encode(msg::Request{9})});
  auto reply = client_.receive();
  ASSERT_TRUE(reply);
  expect_error(*reply, ErrorCode::kBadFrames, 0);
  expect_still_serving();
}

// PROTOCOL.md §4.2, §9 (NOT_FOUND): id 0 is a valid uint but never a task's
// id: every request naming a task by id 0 gets NOT_FOUND with its req, and a
// RESULT of it is answered at once, whatever its wait_ms.
TEST_F(RequestRules, IdZeroIsNotFoundForEveryRequestNamingATask) {
  std::uint64_t req = 20;
  for (const char* command : {"STATUS", "CANCEL", "DLQ_RETRY", "SUSPEND", "RESUME", "LOGS"}) {
    SCOPED_TRACE(command);
    ++req;
    expect_error(client_.call(command, msg::encode(msg::TaskQuery{req, 0, 0})),
                 ErrorCode::kNotFound, req);
  }
  const auto before = std::chrono::steady_clock::now();
  expect_error(client_.call("RESULT", msg::encode(msg::TaskQuery{30, 0, 60'000})),
               ErrorCode::kNotFound, 30);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s) << "RESULT of id 0 long-polled";
}

// PROTOCOL.md §10 (nesting depth): 16 containers counting the body map are
// accepted, 17 are TOO_LARGE; the golden vectors' bytes as they are.
TEST_F(RequestRules, NestingDepthOfSixteenIsAcceptedAndSeventeenRefused) {
  std::string sixteen = "\x82\xa3req\x10\xa1x";
  for (int i = 0; i < 15; ++i)
    sixteen += "\x91";
  sixteen += std::string(1, '\0');
  const Message pong = client_.call("PING", sixteen);
  EXPECT_EQ(pong.command, proto::cmd::kPong);
  EXPECT_EQ(spec::decoded<msg::PongReply>(pong).req, 16u);
  std::string seventeen = "\x82\xa3req\x11\xa1x";
  for (int i = 0; i < 16; ++i)
    seventeen += "\x91";
  seventeen += std::string(1, '\0');
  // Refused while unpacking, before req could be read.
  expect_error(client_.call("PING", seventeen), ErrorCode::kTooLarge, 0);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The req an ERROR to `body` must carry by §3.3: the body's req when it is
// one msgpack map whose req is a uint, else 0.
std::uint64_t expected_req(const vectors::Json& body) {
  if (!body.is_object() || !body.contains("req")) return 0;
  const auto& req = body.at("req");
  return req.is_number_unsigned() ? req.get<std::uint64_t>() : 0;
}

// PROTOCOL.md §9, §10, §12, §4.1 (module names, files, retry): every invalid
// client->broker golden vector, sent to the real broker as it is, gets ERROR
// with the vector's expect_error and the req of §3.3; the broker keeps serving.
TEST_F(RequestRules, EveryInvalidClientVectorGetsItsErrorFromTheBroker) {
  const auto all =
      vectors::Json::parse(read_text(std::string(ZFLEET_SOURCE_DIR) + "/schemas/vectors/v1.json"));
  int sent = 0;
  for (const auto& v : all) {
    if (!v.contains("expect_error") || v.at("direction") != "client->broker") continue;
    SCOPED_TRACE(v.at("name").get<std::string>());
    const auto bytes = vectors::from_hex(v.at("body_hex").get<std::string>());
    ASSERT_TRUE(bytes);
    const auto e = error_of(client_.call(v.at("command").get<std::string>(), *bytes));
    EXPECT_EQ(error_name(e.code), v.at("expect_error").get<std::string>()) << e.message;
    EXPECT_EQ(e.req, expected_req(v.at("body")));
    ++sent;
  }
  EXPECT_GE(sent, 50);
  expect_still_serving();
}

// PROTOCOL.md §4.1 (module): a name of every allowed kind of byte is accepted
// (the task waits for a worker that has the module).
TEST_F(RequestRules, ModuleNameOfAllowedBytesIsAccepted) {
  msg::SubmitRequest request;
  request.req = 40;
  request.task.type = "module";
  request.task.module = "2d-plot_v1";
  const Message m = client_.call("SUBMIT", msg::encode(request));
  ASSERT_EQ(m.command, proto::cmd::kSubmitted) << vectors::to_hex(m.body);
  const auto submitted = spec::decoded<msg::SubmittedReply>(m);
  EXPECT_EQ(submitted.req, 40u);
  EXPECT_NE(submitted.id, 0u);
}

// PROTOCOL.md §3.6, §6.9: the recommended resend of a SUBMIT (same key, new
// req) gets the original id with duplicate true; a resent CANCEL that already
// took effect gets INVALID_STATE.
TEST_F(RequestRules, ResentSubmitWithItsKeyNamesTheOriginalTask) {
  msg::SubmitRequest request;
  request.req = 50;
  request.task.argv = {"/bin/true"};
  request.task.not_before_ms = 4'000'000'000'000;  // scheduled: nothing runs
  request.task.idempotency_key = "spec:resend:1";
  const auto first =
      spec::decoded<msg::SubmittedReply>(client_.call("SUBMIT", msg::encode(request)));
  EXPECT_EQ(first.req, 50u);
  EXPECT_FALSE(first.duplicate);
  request.req = 51;
  const auto again =
      spec::decoded<msg::SubmittedReply>(client_.call("SUBMIT", msg::encode(request)));
  EXPECT_EQ(again.req, 51u);
  EXPECT_EQ(again.id, first.id);
  EXPECT_TRUE(again.duplicate);
  const Message ok = client_.call("CANCEL", msg::encode(msg::TaskQuery{52, first.id, 0}));
  EXPECT_EQ(ok.command, proto::cmd::kOk);
  expect_error(client_.call("CANCEL", msg::encode(msg::TaskQuery{53, first.id, 0})),
               ErrorCode::kInvalidState, 53);
}

}  // namespace
}  // namespace zfleet
