// zfleetctl's module, http and sandbox inputs: flags, sizes, --args JSON to
// msgpack and the task-file keys.
#include <gtest/gtest.h>

#include "broker/zfleetctl/msgpack_json.hpp"
#include "broker/zfleetctl/spec_flags.hpp"
#include "broker/zfleetctl/task_file.hpp"
#include "broker/zfleetctl/units.hpp"

namespace zfleet::ctl {
namespace {

TEST(CtlTaskTypeFlags, ParsesSizesWithBinarySuffixes) {
  EXPECT_EQ(parse_size("256M"), 256ULL << 20);
  EXPECT_EQ(parse_size("1g"), 1ULL << 30);
  EXPECT_EQ(parse_size("4KiB"), 4096u);
  EXPECT_EQ(parse_size("10MB"), 10ULL << 20);
  EXPECT_EQ(parse_size("123"), 123u);
  EXPECT_EQ(parse_size("7B"), 7u);
  EXPECT_FALSE(parse_size("M").has_value());
  EXPECT_FALSE(parse_size("12X").has_value());
  EXPECT_FALSE(parse_size("99999999999999999999").has_value());
  EXPECT_FALSE(parse_size("17179869184T").has_value());
}

TEST(CtlTaskTypeFlags, BuildsAModuleTaskWithArgsAsMsgpack) {
  SpecFlags flags;
  flags.type = "module";
  flags.module = "resize";
  flags.args_json = R"({"width": 640, "tags": ["a", -1, 1.5, null, true]})";
  msg::TaskSpec spec;
  ASSERT_FALSE(build_spec(flags, "", 0, spec));
  EXPECT_EQ(spec.module, "resize");
  auto back = msgpack_to_json(spec.args);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ((*back)["width"], 640);
  EXPECT_EQ((*back)["tags"].dump(), R"(["a",-1,1.5,null,true])");
  flags.args_json = "{not json";
  EXPECT_TRUE(build_spec(flags, "", 0, spec).has_value());
}

TEST(CtlTaskTypeFlags, BuildsAnHttpTask) {
  SpecFlags flags;
  flags.type = "http";
  flags.http.url = "https://example.com/x";
  flags.http.method = "POST";
  flags.http.headers = {"Content-Type: application/json", "X-Empty:"};
  flags.http.data = "{}";
  flags.http.max_redirects = 2;
  flags.http.deny = {"10.0.0.0/8"};
  msg::TaskSpec spec;
  ASSERT_FALSE(build_spec(flags, "", 0, spec));
  EXPECT_EQ(spec.http.method, "POST");
  ASSERT_EQ(spec.http.headers.size(), 2u);
  EXPECT_EQ(spec.http.headers[0].second, "application/json");
  EXPECT_EQ(spec.http.headers[1].second, "");
  EXPECT_EQ(spec.http.max_redirects, 2u);
  flags.http.headers = {"no colon"};
  EXPECT_TRUE(build_spec(flags, "", 0, spec).has_value());
  flags.http.headers.clear();
  flags.http.url = "ftp://example.com";
  EXPECT_TRUE(build_spec(flags, "", 0, spec).has_value());
}

TEST(CtlTaskTypeFlags, BuildsSandboxLimitsFromSizes) {
  SpecFlags flags;
  flags.argv = {"/bin/true"};
  flags.sandbox.memory = "256M";
  flags.sandbox.memory_soft = "200M";
  flags.sandbox.cpu_seconds = 30;
  flags.sandbox.network = "none";
  flags.sandbox.stall_ms = 5000;
  flags.sandbox.kill_on_stall = true;
  msg::TaskSpec spec;
  ASSERT_FALSE(build_spec(flags, "", 0, spec));
  EXPECT_EQ(spec.sandbox.memory_bytes, 256ULL << 20);
  EXPECT_EQ(spec.sandbox.memory_soft_bytes, 200ULL << 20);
  EXPECT_TRUE(spec.sandbox.kill_on_stall);
  flags.sandbox.memory_soft = "300M";  // above the hard mark
  EXPECT_TRUE(build_spec(flags, "", 0, spec).has_value());
  flags.sandbox.memory_soft = "lots";
  EXPECT_TRUE(build_spec(flags, "", 0, spec).has_value());
}

TEST(CtlTaskTypeFlags, TaskFileReadsModuleHttpAndSandboxKeys) {
  msg::TaskSpec spec;
  ASSERT_FALSE(parse_task_line(
      R"({"type":"module","module":"thumb","args":{"n":1},"sandbox":{"memory":"64M","processes":8}})",
      msg::TaskSpec{}, 0, spec));
  EXPECT_EQ(spec.module, "thumb");
  EXPECT_EQ(spec.sandbox.memory_bytes, 64ULL << 20);
  EXPECT_EQ(spec.sandbox.processes, 8u);
  EXPECT_EQ(msgpack_to_json(spec.args)->dump(), R"({"n":1})");
  ASSERT_FALSE(parse_task_line(
      R"({"type":"http","http":{"url":"http://a.example/","headers":{"A":"b"},"max_redirects":0}})",
      msg::TaskSpec{}, 0, spec));
  EXPECT_EQ(spec.http.url, "http://a.example/");
  EXPECT_EQ(spec.http.max_redirects, 0u);
  EXPECT_TRUE(parse_task_line(R"({"type":"http","http":{"url":"http://a/","x":1}})",
                              msg::TaskSpec{}, 0, spec)
                  .has_value());
  EXPECT_TRUE(
      parse_task_line(R"({"argv":["x"],"sandbox":{"network":"wifi"}})", msg::TaskSpec{}, 0, spec)
          .has_value());
}

TEST(CtlMsgpackJson, WritesBinAsBase64AndRejectsTrailingBytes) {
  // {"b": bin "hi!"} then a stray byte.
  const std::string packed(
      "\x81\xa1"
      "b\xc4\x03hi!",
      8);
  auto json = msgpack_to_json(packed);
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(json->dump(), R"({"b":{"$base64":"aGkh"}})");
  EXPECT_FALSE(msgpack_to_json(packed + "x").has_value());
  EXPECT_EQ(base64("a"), "YQ==");
  EXPECT_EQ(base64("ab"), "YWI=");
}

}  // namespace
}  // namespace zfleet::ctl
