// write_task_files(): files sent with a task land below its directory with
// exactly their modes and owner, and never anywhere else: refused paths,
// planted symlinks and names given twice leave everything outside untouched.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>

#include "worker/sandbox/task_files.hpp"

namespace zfleet::worker {
namespace {

namespace fs = boost::filesystem;

msg::TaskFile file(std::string path, std::string data, std::uint32_t mode = 0644) {
  msg::TaskFile f;
  f.path = std::move(path);
  f.data = std::move(data);
  f.mode = mode;
  return f;
}

std::string contents(const fs::path& path) {
  std::ifstream in(path.string(), std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// lstat: a link must not be taken for its target.
struct stat status_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

class TaskFilesTest : public ::testing::Test {
 protected:
  TaskFilesTest()
      : base_(fs::temp_directory_path() / fs::unique_path("zfleet-task-files-%%%%-%%%%")),
        dir_(base_ / "task"),
        outside_(base_ / "outside"),
        outside_dir_(base_ / "outside-dir") {
    fs::create_directories(dir_);
    fs::create_directories(outside_dir_);
    std::ofstream(outside_.string()) << "original";
    ::chmod(dir_.c_str(), 0700);
  }
  ~TaskFilesTest() override {
    boost::system::error_code ec;
    fs::remove_all(base_, ec);
  }

  bool write(const std::vector<msg::TaskFile>& files, uid_t uid = ::geteuid(),
             gid_t gid = ::getegid()) {
    error_.clear();
    permanent_ = false;
    return write_task_files(dir_.string(), files, uid, gid, error_, &permanent_);
  }

  // The directory's surroundings are as the fixture made them.
  void expect_outside_untouched() {
    EXPECT_EQ(contents(outside_), "original");
    EXPECT_TRUE(S_ISREG(status_of(outside_).st_mode));
    EXPECT_TRUE(fs::is_empty(outside_dir_));
    std::set<std::string> entries;
    for (const auto& entry : fs::directory_iterator(base_))
      entries.insert(entry.path().filename().string());
    EXPECT_EQ(entries, (std::set<std::string>{"task", "outside", "outside-dir"}));
  }

  fs::path base_;
  fs::path dir_;
  fs::path outside_;
  fs::path outside_dir_;
  std::string error_;
  bool permanent_ = false;
};

TEST_F(TaskFilesTest, WritesNestedFilesWithExactModesWhateverTheUmask) {
  const std::string binary("a\0b\xff", 4);
  const mode_t previous = ::umask(0777);  // would leave every bit off if it applied
  const bool ok =
      write({file("run.sh", "#!/bin/sh\n", 0755), file("sub/deeper/data.bin", binary, 0640),
             file("sub/ro.txt", "ro", 0444), file("empty", "", 0600)});
  ::umask(previous);
  ASSERT_TRUE(ok) << error_;
  EXPECT_EQ(contents(dir_ / "run.sh"), "#!/bin/sh\n");
  EXPECT_EQ(contents(dir_ / "sub/deeper/data.bin"), binary);
  EXPECT_EQ(contents(dir_ / "sub/ro.txt"), "ro");
  EXPECT_EQ(contents(dir_ / "empty"), "");
  EXPECT_EQ(status_of(dir_ / "run.sh").st_mode & 07777, 0755U);
  EXPECT_EQ(status_of(dir_ / "sub/deeper/data.bin").st_mode & 07777, 0640U);
  EXPECT_EQ(status_of(dir_ / "sub/ro.txt").st_mode & 07777, 0444U);
  EXPECT_EQ(status_of(dir_ / "empty").st_mode & 07777, 0600U);
  for (const char* made : {"sub", "sub/deeper"}) {
    const struct stat st = status_of(dir_ / made);
    EXPECT_TRUE(S_ISDIR(st.st_mode)) << made;
    EXPECT_EQ(st.st_mode & 07777, 0700U) << made;
  }
  expect_outside_untouched();
}

TEST_F(TaskFilesTest, UsesADirectoryThatAlreadyExists) {
  fs::create_directories(dir_ / "work");  // as made for the task's cwd
  ASSERT_TRUE(write({file("work/job.sh", "x", 0755)})) << error_;
  EXPECT_EQ(contents(dir_ / "work/job.sh"), "x");
}

TEST_F(TaskFilesTest, RefusesPathsLeavingTheDirectory) {
  const std::string absolute = (base_ / "abs-x").string();
  for (const std::string& path :
       {std::string("../x"), absolute, std::string("/etc/zfleet-task-files-test"),
        std::string("a/../../x"), std::string("a//x"), std::string("a/"), std::string("./x"),
        std::string(""), std::string("a\0b", 3)}) {
    EXPECT_FALSE(write({file(path, "evil")})) << path;
    EXPECT_EQ(error_.rfind("files: path '", 0), 0U) << error_;
    EXPECT_TRUE(permanent_) << path;
  }
  EXPECT_FALSE(fs::exists("/etc/zfleet-task-files-test"));
  EXPECT_TRUE(fs::is_empty(dir_));  // not even the "a" of a/../../x
  expect_outside_untouched();
}

TEST_F(TaskFilesTest, NamesThePathAndTheProblem) {
  EXPECT_FALSE(write({file("ok.txt", "fine"), file("../x", "evil")}));
  EXPECT_EQ(error_, "files: path '../x' may not have '.' or '..' parts");
}

TEST_F(TaskFilesTest, RefusesModesBeyondPermissionBits) {
  EXPECT_FALSE(write({file("suid", "x", 04755)}));
  EXPECT_TRUE(permanent_);
  EXPECT_NE(error_.find("'suid'"), std::string::npos) << error_;
  EXPECT_FALSE(fs::exists(dir_ / "suid"));
}

TEST_F(TaskFilesTest, DoesNotFollowALinkPlantedForTheFile) {
  fs::create_symlink(outside_, dir_ / "job.sh");
  const mode_t before = status_of(outside_).st_mode;
  EXPECT_FALSE(write({file("job.sh", "evil", 0755)}));
  EXPECT_EQ(error_, "files: cannot create 'job.sh': File exists");
  EXPECT_TRUE(permanent_);
  EXPECT_EQ(status_of(outside_).st_mode, before);  // no chmod through the link either
  EXPECT_TRUE(S_ISLNK(status_of(dir_ / "job.sh").st_mode));
  expect_outside_untouched();
}

TEST_F(TaskFilesTest, DoesNotFollowALinkPlantedForADirectory) {
  fs::create_directory_symlink(outside_dir_, dir_ / "sub");
  EXPECT_FALSE(write({file("sub/x", "evil")}));
  EXPECT_EQ(error_.rfind("files: cannot open directory 'sub': ", 0), 0U) << error_;
  EXPECT_TRUE(permanent_);
  expect_outside_untouched();
}

TEST_F(TaskFilesTest, RefusesANameGivenTwice) {
  EXPECT_FALSE(write({file("a.txt", "first"), file("a.txt", "second")}));
  EXPECT_EQ(error_, "files: cannot create 'a.txt': File exists");
  EXPECT_TRUE(permanent_);
  EXPECT_EQ(contents(dir_ / "a.txt"), "first");
}

TEST_F(TaskFilesTest, RefusesAFileUsedAsADirectory) {
  EXPECT_FALSE(write({file("a", "file"), file("a/b", "below")}));
  EXPECT_EQ(error_.rfind("files: cannot open directory 'a': ", 0), 0U) << error_;
  EXPECT_TRUE(permanent_);
  EXPECT_EQ(contents(dir_ / "a"), "file");
}

TEST_F(TaskFilesTest, AMissingDirectoryIsNotTheTasksFault) {
  fs::remove_all(dir_);
  EXPECT_FALSE(write({file("x", "y")}));
  EXPECT_EQ(error_.rfind("files: cannot open the task directory ", 0), 0U) << error_;
  EXPECT_FALSE(permanent_);
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(TaskFilesTest, NoFilesWritesNothing) {
  EXPECT_TRUE(write({})) << error_;
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(TaskFilesTest, FilesAndTheDirectoriesMadeForThemBelongToTheTasksUid) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to hand files to another uid";
  constexpr uid_t kUid = 65534;
  constexpr gid_t kGid = 65534;
  fs::create_directories(dir_ / "existing");
  ASSERT_TRUE(write({file("job.sh", "x", 0755), file("a/b/data.txt", "42", 0640),
                     file("existing/in.txt", "y", 0600)},
                    kUid, kGid))
      << error_;
  for (const char* path : {"job.sh", "a", "a/b", "a/b/data.txt", "existing/in.txt"}) {
    const struct stat st = status_of(dir_ / path);
    EXPECT_EQ(st.st_uid, kUid) << path;
    EXPECT_EQ(st.st_gid, kGid) << path;
  }
  // The chown did not cost the file its mode.
  EXPECT_EQ(status_of(dir_ / "job.sh").st_mode & 07777, 0755U);
  // Not made here: left as it was.
  EXPECT_EQ(status_of(dir_ / "existing").st_uid, 0U);
  expect_outside_untouched();
}

}  // namespace
}  // namespace zfleet::worker
