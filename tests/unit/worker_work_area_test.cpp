// WorkArea: private per-attempt directories, recycled only when clean.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>

#include "worker/sandbox/work_area.hpp"

namespace zfleet::worker {
namespace {

namespace fs = boost::filesystem;

class WorkAreaTest : public ::testing::Test {
 protected:
  WorkAreaTest() : root_(fs::temp_directory_path() / fs::unique_path("zfleet-area-%%%%-%%%%")) {}
  ~WorkAreaTest() override {
    boost::system::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string acquire(WorkArea& area) {
    std::string path;
    std::string error;
    EXPECT_TRUE(area.acquire(path, error)) << error;
    return path;
  }

  fs::path root_;
};

TEST_F(WorkAreaTest, CreatesItsRootAndHandsOutEmptyPrivateDirectories) {
  WorkArea area((root_ / "nested" / "root").string());
  const std::string dir = acquire(area);
  EXPECT_EQ(dir.rfind((root_ / "nested" / "root").string(), 0), 0U);
  EXPECT_TRUE(is_clean_private_directory(dir));
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700U);
}

TEST_F(WorkAreaTest, GivesEachRunningAttemptItsOwnDirectory) {
  WorkArea area(root_.string());
  EXPECT_NE(acquire(area), acquire(area));
}

TEST_F(WorkAreaTest, RecyclesACleanDirectory) {
  WorkArea area(root_.string());
  const std::string first = acquire(area);
  area.release(first);
  EXPECT_EQ(area.spare(), 1U);
  EXPECT_EQ(acquire(area), first);
}

TEST_F(WorkAreaTest, RemovesADirectoryATaskLeftFilesIn) {
  WorkArea area(root_.string());
  const std::string dir = acquire(area);
  fs::create_directories(fs::path(dir) / "a" / "b");
  std::ofstream(fs::path(dir) / "a" / "b" / "file") << "x";
  area.release(dir);
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(area.spare(), 0U);
}

TEST_F(WorkAreaTest, DoesNotRecycleADirectoryWithChangedMode) {
  WorkArea area(root_.string());
  const std::string dir = acquire(area);
  ::chmod(dir.c_str(), 0777);
  area.release(dir);
  EXPECT_EQ(area.spare(), 0U);
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(WorkAreaTest, RechecksASpareDirectoryBeforeHandingItOut) {
  WorkArea area(root_.string());
  const std::string dir = acquire(area);
  area.release(dir);
  std::ofstream(fs::path(dir) / "late") << "written after release";
  const std::string next = acquire(area);
  EXPECT_TRUE(is_clean_private_directory(next));
}

TEST_F(WorkAreaTest, NeverFollowsASymlink) {
  const fs::path target = root_ / "target";
  fs::create_directories(target);
  ::chmod(target.c_str(), 0700);
  const fs::path link = root_ / "link";
  fs::create_directory_symlink(target, link);
  EXPECT_TRUE(is_clean_private_directory(target.string()));
  EXPECT_FALSE(is_clean_private_directory(link.string()));
}

TEST_F(WorkAreaTest, KeepsAtMostMaxSpare) {
  WorkArea area(root_.string(), 1);
  const std::string a = acquire(area);
  const std::string b = acquire(area);
  area.release(a);
  area.release(b);
  EXPECT_EQ(area.spare(), 1U);
  EXPECT_FALSE(fs::exists(b));
}

TEST_F(WorkAreaTest, RemovesSpareDirectoriesAndItsEmptyRootOnDestruction) {
  const fs::path root = root_ / "area";
  {
    WorkArea area(root.string());
    area.release(acquire(area));
  }
  EXPECT_FALSE(fs::exists(root));
}

}  // namespace
}  // namespace zfleet::worker
