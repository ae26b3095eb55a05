// `submit --attach FILE[=NAME]` and `--script FILE`: local files become the
// task's "files", checked against the protocol's rules before anything is sent.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "broker/zfleetctl/attach_flags.hpp"
#include "broker/zfleetctl/spec_flags.hpp"

namespace zfleet::ctl {
namespace {

class AttachFlags : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zfleet-attach-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string make(const std::string& name, const std::string& text, mode_t mode = 0644) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }

  std::string dir_;
};

TEST_F(AttachFlags, NameDefaultsToTheLastComponentAndModeFollowsTheOwnersExecuteBit) {
  std::vector<msg::TaskFile> files;
  ASSERT_FALSE(
      read_attachments({make("data.csv", "a,b\n"), make("tool", "#!/bin/sh\n", 0700)}, files));
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], (msg::TaskFile{"data.csv", "a,b\n", 0644}));
  EXPECT_EQ(files[1], (msg::TaskFile{"tool", "#!/bin/sh\n", 0755}));
}

TEST_F(AttachFlags, EqualsNamesThePathInTheTaskDirectory) {
  std::vector<msg::TaskFile> files;
  ASSERT_FALSE(read_attachments({make("local.txt", "x") + "=in/remote.txt"}, files));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "in/remote.txt");
  // A file whose own name holds '=' is taken whole.
  files.clear();
  ASSERT_FALSE(read_attachments({make("a=b", "y")}, files));
  EXPECT_EQ(files[0].path, "a=b");
}

TEST_F(AttachFlags, RefusesUnsafeNamesDuplicatesMissingFilesAndDirectories) {
  const std::string f = make("f", "x");
  std::vector<msg::TaskFile> files;
  auto escape = read_attachments({f + "=../x"}, files);
  ASSERT_TRUE(escape);
  EXPECT_NE(escape->find("'../x' may not have '.' or '..' parts"), std::string::npos) << *escape;
  EXPECT_TRUE(read_attachments({f + "=/etc/x"}, files));
  files.clear();
  auto twice = read_attachments({f, f}, files);
  ASSERT_TRUE(twice);
  EXPECT_NE(twice->find("names 'f' twice"), std::string::npos) << *twice;
  files.clear();
  auto missing = read_attachments({dir_ + "/nope"}, files);
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->find("No such file or directory"), std::string::npos) << *missing;
  files.clear();
  auto directory = read_attachments({dir_}, files);
  ASSERT_TRUE(directory);
  EXPECT_NE(directory->find("not a regular file"), std::string::npos) << *directory;
}

TEST_F(AttachFlags, TheTotalIsCappedAtTheProtocolsLimit) {
  const std::string half(proto::kMaxTaskFilesBytes / 2, 'x');
  std::vector<msg::TaskFile> files;
  EXPECT_FALSE(read_attachments({make("a", half), make("b", half)}, files));
  files.clear();
  auto over = read_attachments({make("c", half), make("d", half + "y")}, files);
  ASSERT_TRUE(over);
  EXPECT_NE(over->find("1048576 bytes in all"), std::string::npos) << *over;
}

TEST_F(AttachFlags, ScriptIsSentExecutableAndRunFromTheTaskDirectory) {
  std::vector<std::string> argv = {"--fast", "x"};
  std::vector<msg::TaskFile> files;
  ASSERT_FALSE(apply_script(make("job.sh", "#!/bin/sh\n", 0600), "", argv, files));
  EXPECT_EQ(argv, (std::vector<std::string>{"./job.sh", "--fast", "x"}));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].mode, 0755u);
  auto with_cwd = apply_script(make("j2.sh", ""), "sub", argv, files);
  ASSERT_TRUE(with_cwd);
  EXPECT_NE(with_cwd->find("--script runs from the task directory"), std::string::npos);
}

TEST_F(AttachFlags, BuildSpecCarriesThemIntoAValidTask) {
  SpecFlags flags;
  flags.script = make("job.sh", "#!/bin/sh\necho hi\n");
  flags.attach = {make("in.txt", "42")};
  msg::TaskSpec spec;
  ASSERT_FALSE(build_spec(flags, "", 0, spec));
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"./job.sh"}));
  ASSERT_EQ(spec.files.size(), 2u);
  EXPECT_EQ(spec.files[0].path, "in.txt");
  EXPECT_EQ(spec.files[1].path, "job.sh");
  // The script's name may not collide with an attachment's.
  flags.attach = {make("job.sh", "other") + "=job.sh"};
  EXPECT_TRUE(build_spec(flags, "", 0, spec));
}

}  // namespace
}  // namespace zfleet::ctl
