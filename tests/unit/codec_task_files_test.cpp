// The "files" of a task spec (PROTOCOL.md §4.1): round trips, the path rules
// and the caps the decoder enforces before a broker journals anything.
#include <gtest/gtest.h>

#include "common/messages.hpp"

namespace zfleet {
namespace {

msg::SubmitRequest with_files(std::vector<msg::TaskFile> files) {
  msg::SubmitRequest in;
  in.req = 3;
  in.task.argv = {"./job.sh"};
  in.task.files = std::move(files);
  return in;
}

std::optional<codec::DecodeError> decode(const msg::SubmitRequest& in) {
  msg::SubmitRequest out;
  return msg::decode_bytes(msg::encode(in), out);
}

TEST(TaskFilesCodec, RoundTripKeepsPathsBytesAndModes) {
  const auto in = with_files({{"job.sh", "#!/bin/sh\necho hi\n", 0755},
                              {"in/data.bin", std::string("\0\xff\n", 3), 0644},
                              {"empty", "", 0600}});
  msg::SubmitRequest out;
  ASSERT_FALSE(msg::decode_bytes(msg::encode(in), out));
  EXPECT_EQ(out.task.files, in.task.files);
}

TEST(TaskFilesCodec, SpecWithoutFilesEncodesNoFilesKey) {
  msg::SubmitRequest in;
  in.task.argv = {"true"};
  EXPECT_EQ(msg::encode(in).find("files"), std::string::npos);
}

TEST(TaskFilesCodec, PathRules) {
  EXPECT_EQ(msg::task_file_path_problem("job.sh"), "");
  EXPECT_EQ(msg::task_file_path_problem("a/b/c.txt"), "");
  EXPECT_EQ(msg::task_file_path_problem(".hidden"), "");
  EXPECT_EQ(msg::task_file_path_problem("a..b"), "");
  for (const char* bad :
       {"", "/etc/passwd", "../x", "a/../../x", "a/..", "./x", "a//b", "a/", "a/./b", ".", ".."}) {
    EXPECT_NE(msg::task_file_path_problem(bad), "") << bad;
  }
  EXPECT_NE(msg::task_file_path_problem(std::string("a\0b", 3)), "");
  EXPECT_NE(msg::task_file_path_problem(std::string(256, 'x')), "");
  EXPECT_EQ(msg::task_file_path_problem(std::string(255, 'x')), "");
  std::string deep;
  for (int i = 0; i < 17; ++i)
    deep += (i ? "/d" : "d");
  EXPECT_NE(msg::task_file_path_problem(deep), "");
}

TEST(TaskFilesCodec, EscapingPathsAreInvalidField) {
  for (const char* bad : {"../../etc/cron.d/x", "/etc/passwd", "a//b"}) {
    auto e = decode(with_files({{bad, "x", 0644}}));
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->code, ErrorCode::kInvalidField) << bad;
    EXPECT_NE(e->message.find("files"), std::string::npos) << e->message;
  }
}

TEST(TaskFilesCodec, DuplicatesAndFileDirectoryClashesAreRefused) {
  auto twice = decode(with_files({{"a", "1", 0644}, {"a", "2", 0644}}));
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->code, ErrorCode::kInvalidField);
  auto clash = decode(with_files({{"lib/x", "1", 0644}, {"lib", "2", 0644}}));
  ASSERT_TRUE(clash);
  EXPECT_NE(clash->message.find("'lib' as both a file and a directory"), std::string::npos)
      << clash->message;
  EXPECT_FALSE(decode(with_files({{"lib/x", "1", 0644}, {"lib2", "2", 0644}})));
}

TEST(TaskFilesCodec, ModeIsPermissionBitsOnly) {
  auto e = decode(with_files({{"tool", "x", 04755}}));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kInvalidField);
  EXPECT_FALSE(decode(with_files({{"tool", "x", 0777}})));
}

TEST(TaskFilesCodec, CapsOnCountAndBytes) {
  std::vector<msg::TaskFile> many;
  for (std::size_t i = 0; i <= proto::kMaxTaskFiles; ++i) {
    many.push_back({"f" + std::to_string(i), "", 0644});
  }
  auto count = decode(with_files(many));
  ASSERT_TRUE(count);
  EXPECT_EQ(count->code, ErrorCode::kTooLarge);
  many.pop_back();
  EXPECT_FALSE(decode(with_files(many)));

  const std::string half(proto::kMaxTaskFilesBytes / 2, 'x');
  EXPECT_FALSE(decode(with_files({{"a", half, 0644}, {"b", half, 0644}})));
  auto bytes = decode(with_files({{"a", half, 0644}, {"b", half + "y", 0644}}));
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->code, ErrorCode::kTooLarge);
}

TEST(TaskFilesCodec, OnlyShellTasksWithARelativeCwdCarryFiles) {
  auto noop = with_files({{"a", "x", 0644}});
  noop.task.type = "noop";
  noop.task.argv.clear();
  auto e = decode(noop);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("only for shell"), std::string::npos) << e->message;

  auto absolute = with_files({{"a", "x", 0644}});
  absolute.task.cwd = "/srv";
  ASSERT_TRUE(decode(absolute));
  auto relative = with_files({{"a", "x", 0644}});
  relative.task.cwd = "sub";
  EXPECT_FALSE(decode(relative));
}

TEST(TaskFilesCodec, AFileWithoutPathIsInvalid) {
  // Hand-packed: the encoder always writes a path.
  msgpack::sbuffer b;
  msgpack::packer<msgpack::sbuffer> p(b);
  p.pack_map(2).pack("req").pack(1).pack("task").pack_map(3);
  p.pack("type").pack("shell").pack("argv").pack_array(1).pack("true");
  p.pack("files").pack_array(1).pack_map(1).pack("data").pack("x");
  msg::SubmitRequest out;
  auto e = msg::decode_bytes({b.data(), b.size()}, out);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kInvalidField);
  EXPECT_NE(e->message.find("files[0]"), std::string::npos) << e->message;
}

}  // namespace
}  // namespace zfleet
