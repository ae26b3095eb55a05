// StateFile and ProcStat: the record of running children survives a round
// trip, is replaced whole, refuses what it did not write, and is locked
// against a second worker; /proc/PID/stat is parsed from the right field.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>

#include "worker/core/state_file.hpp"
#include "worker/sandbox/proc_stat.hpp"

namespace zfleet::worker {
namespace {

class StateFileTest : public ::testing::Test {
 protected:
  StateFileTest()
      : dir_(boost::filesystem::temp_directory_path() /
             boost::filesystem::unique_path("zfleet-state-test-%%%%-%%%%")) {
    boost::filesystem::create_directories(dir_);
  }
  ~StateFileTest() override {
    boost::system::error_code ec;
    boost::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return (dir_ / "worker-state").string(); }

  boost::filesystem::path dir_;
};

const std::vector<ChildRecord> kRecords = {
    {4242, 123456789, 17, 1},
    {99, 1, 18446744073709551615ULL, 4294967295U},
};

TEST(StateFormat, RoundTripsEveryField) {
  std::string text;
  format_state(kRecords, text);
  EXPECT_EQ(text.rfind(std::string(kStateFileHeader) + "\n", 0), 0U) << text;
  std::vector<ChildRecord> back;
  std::string error;
  ASSERT_TRUE(parse_state(text, back, error)) << error;
  EXPECT_EQ(back, kRecords);
}

TEST(StateFormat, AnEmptySetIsJustTheHeader) {
  std::string text;
  format_state({}, text);
  std::vector<ChildRecord> back;
  std::string error;
  ASSERT_TRUE(parse_state(text, back, error)) << error;
  EXPECT_TRUE(back.empty());
}

TEST(StateFormat, RefusesAnotherVersionOrFormat) {
  std::vector<ChildRecord> back;
  std::string error;
  EXPECT_FALSE(parse_state("zfleet-worker-state 2\n1 2 3 4\n", back, error));
  EXPECT_FALSE(parse_state("", back, error));
  EXPECT_FALSE(parse_state("#!/bin/sh\nrm -rf /\n", back, error));
  EXPECT_TRUE(back.empty());
}

TEST(StateFormat, RefusesMalformedLines) {
  const std::string header = std::string(kStateFileHeader) + "\n";
  for (const char* bad :
       {"1 2 3\n", "1 2 3 4 5\n", "x 2 3 4\n", "-5 2 3 4\n", "0 2 3 4\n", "1 2 3 99999999999\n"}) {
    std::vector<ChildRecord> back;
    std::string error;
    EXPECT_FALSE(parse_state(header + bad, back, error)) << bad;
    EXPECT_FALSE(error.empty());
  }
}

TEST_F(StateFileTest, WritesAndReadsBack) {
  StateFile file(path());
  ASSERT_EQ(file.write(kRecords), 0);
  std::vector<ChildRecord> back;
  std::string error;
  ASSERT_TRUE(file.read(back, error)) << error;
  EXPECT_EQ(back, kRecords);
  // Replaced whole: a smaller set leaves nothing of the larger one.
  ASSERT_EQ(file.write({kRecords[0]}), 0);
  back.clear();
  ASSERT_TRUE(file.read(back, error)) << error;
  EXPECT_EQ(back, std::vector<ChildRecord>{kRecords[0]});
  struct stat st;
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST_F(StateFileTest, EveryWriteReplacesTheWholeSetWhateverItsSize) {
  // Growing and shrinking sets, written over a previous life's file: each
  // read sees exactly the last set written.
  { std::ofstream(path()) << kStateFileHeader << "\n1 2 3 4\n5 6 7 8\n9 10 11 12\n"; }
  StateFile file(path());
  std::vector<ChildRecord> set;
  for (int round = 0; round < 40; ++round) {
    const std::size_t size = static_cast<std::size_t>((round * 7) % 5);
    set.clear();
    for (std::size_t i = 0; i < size; ++i) {
      set.push_back({static_cast<pid_t>(100 + i), 1000ULL * static_cast<std::uint64_t>(round + 1),
                     static_cast<std::uint64_t>(round) * 1000 + i, 1});
    }
    ASSERT_EQ(file.write(set), 0) << "round " << round;
    std::vector<ChildRecord> back;
    std::string error;
    ASSERT_TRUE(file.read(back, error)) << error;
    ASSERT_EQ(back, set) << "round " << round;
  }
}

TEST_F(StateFileTest, AMissingFileMeansNoPreviousLife) {
  StateFile file(path());
  std::vector<ChildRecord> back;
  std::string error;
  EXPECT_TRUE(file.read(back, error)) << error;
  EXPECT_TRUE(back.empty());
}

TEST_F(StateFileTest, ACorruptFileIsReportedNotGuessedAt) {
  { std::ofstream(path()) << "garbage\n1 2 3 4\n"; }
  StateFile file(path());
  std::vector<ChildRecord> back;
  std::string error;
  EXPECT_FALSE(file.read(back, error));
  EXPECT_TRUE(back.empty());
  EXPECT_FALSE(error.empty());
}

TEST_F(StateFileTest, ASecondHolderIsRefused) {
  StateFile first(path());
  EXPECT_THROW(StateFile second(path()), std::runtime_error);
}

TEST_F(StateFileTest, TheLockIsFreeAgainOnceTheHolderIsGone) {
  { StateFile first(path()); }
  EXPECT_NO_THROW(StateFile again(path()));
}

TEST_F(StateFileTest, RemoveLeavesNothingBehind) {
  {
    StateFile file(path());
    ASSERT_EQ(file.write(kRecords), 0);
    file.remove();
  }
  EXPECT_TRUE(boost::filesystem::is_empty(dir_));
}

TEST_F(StateFileTest, WriteReportsTheErrno) {
  StateFile file(path());
  boost::filesystem::create_directories(path() + ".tmp");  // open() of the temp file fails
  EXPECT_EQ(file.write(kRecords), EISDIR);
}

TEST(ProcStat, ParsesFieldsAfterACommandWithSpacesAndParens) {
  // Fields 3.. of a real line, with a hostile command name.
  const std::string line =
      "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654321 "
      "1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto stat = parse_proc_stat(line);
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->pgrp, 4242);
  EXPECT_EQ(stat->sid, 4242);
  EXPECT_EQ(stat->start_time, 987654321U);
  EXPECT_FALSE(stat->dead());
}

TEST(ProcStat, RejectsTruncatedLines) {
  EXPECT_FALSE(parse_proc_stat("4242 (sleep) S 1 4242").has_value());
  EXPECT_FALSE(parse_proc_stat("").has_value());
}

TEST(ProcStat, ReadsThisProcess) {
  const auto stat = read_proc_stat(::getpid());
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->pgrp, ::getpgrp());
  EXPECT_EQ(stat->sid, ::getsid(0));
  EXPECT_GT(stat->start_time, 0U);
  EXPECT_EQ(read_proc_stat(::getpid())->start_time, stat->start_time);
  EXPECT_FALSE(read_proc_stat(0).has_value());
}

}  // namespace
}  // namespace zfleet::worker
