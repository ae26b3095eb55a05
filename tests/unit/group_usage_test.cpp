// Group usage: sums over a fake /proc tree (group filter, zombies, vanished
// and malformed entries, awkward command names), and one real process group.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>

#include "worker/monitor/group_usage.hpp"
#include "worker/sandbox/proc_stat.hpp"

namespace zfleet::worker {
namespace {

namespace fs = boost::filesystem;

// A stat line with the given fields; the rest are zeros.
std::string stat_line(int pid, const std::string& comm, char state, int pgrp, int utime, int stime,
                      int cutime = 0, int cstime = 0) {
  std::string line = std::to_string(pid) + " (" + comm + ") " + state + " 1 " +
                     std::to_string(pgrp) + " " + std::to_string(pgrp) + " 0 -1 4194560 0 0 0 0 " +
                     std::to_string(utime) + " " + std::to_string(stime) + " " +
                     std::to_string(cutime) + " " + std::to_string(cstime);
  for (int i = 18; i <= 52; ++i)
    line += " 0";
  return line + "\n";
}

class GroupUsageFakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / fs::unique_path("zfleet-proc-%%%%-%%%%");
    fs::create_directories(root_);
    page_kb_ = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024;
    ticks_ = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& relative, const std::string& text) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative, std::ios::binary) << text;
  }
  void process(int pid, const std::string& comm, char state, int pgrp, int utime, int stime,
               int resident_pages) {
    const std::string dir = std::to_string(pid);
    write(dir + "/stat", stat_line(pid, comm, state, pgrp, utime, stime));
    write(dir + "/statm", "1000 " + std::to_string(resident_pages) + " 10 1 0 50 0\n");
  }
  std::string root() const { return root_.string(); }

  fs::path root_;
  std::uint64_t page_kb_ = 4;
  std::uint64_t ticks_ = 100;
};

TEST_F(GroupUsageFakeProc, SumsTheMembersOfOneGroup) {
  process(100, "sh", 'S', 100, 10, 5, 100);
  process(101, "worker) (x y", 'R', 100, 20, 0, 250);
  process(102, "other", 'R', 999, 1000, 1000, 5000);
  write("self/stat", "not a pid directory");
  const auto usage = sample_process_group(100, root());
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->processes, 2u);
  EXPECT_EQ(usage->rss_kb, 350 * page_kb_);
  EXPECT_EQ(usage->cpu_ms, 35 * 1000 / ticks_);
}

TEST_F(GroupUsageFakeProc, CountsReapedChildrenTimeAndZombieTimeButNotZombieMemory) {
  write("100/stat", stat_line(100, "sh", 'S', 100, 10, 0, 30, 20));
  write("100/statm", "1000 10 10 1 0 50 0\n");
  process(101, "done", 'Z', 100, 40, 0, 0);
  const auto usage = sample_process_group(100, root());
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->processes, 1u);
  EXPECT_EQ(usage->rss_kb, 10 * page_kb_);
  EXPECT_EQ(usage->cpu_ms, 100 * 1000 / ticks_);
}

TEST_F(GroupUsageFakeProc, SkipsVanishedAndMalformedEntries) {
  process(100, "sh", 'S', 100, 10, 0, 10);
  fs::create_directories(root_ / "101");         // vanished: no files left
  write("102/stat", "102 (truncated) S 1 100");  // cut short
  write("103/stat", "103 no parenthesis S 1 100 100 0 -1 0 0 0 0 0 1 1 0 0\n");
  write("104/stat", stat_line(104, "nostatm", 'S', 100, 0, 0));
  write("104/status", "Name:\tnostatm\nVmRSS:\t    2048 kB\nThreads:\t1\n");
  const auto usage = sample_process_group(100, root());
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->processes, 2u);
  EXPECT_EQ(usage->rss_kb, 10 * page_kb_ + 2048);
}

TEST_F(GroupUsageFakeProc, EmptyGroupIsAllZeros) {
  process(100, "sh", 'S', 100, 10, 0, 10);
  const auto usage = sample_process_group(555, root());
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->processes, 0u);
  EXPECT_EQ(usage->rss_kb, 0u);
  EXPECT_EQ(usage->cpu_ms, 0u);
}

TEST_F(GroupUsageFakeProc, MissingProcRootIsNullopt) {
  EXPECT_FALSE(sample_process_group(100, root() + "/absent"));
  EXPECT_FALSE(sample_pids({100}, root() + "/absent"));
  EXPECT_FALSE(sample_process_group(0, root()));
}

TEST_F(GroupUsageFakeProc, SamplePidsSumsTheListedProcessesWhateverTheirGroup) {
  process(100, "a", 'S', 100, 10, 0, 10);
  process(200, "b", 'S', 200, 20, 0, 20);
  process(300, "c", 'S', 300, 40, 0, 40);
  const auto usage = sample_pids({100, 200, 404}, root());
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->processes, 2u);
  EXPECT_EQ(usage->rss_kb, 30 * page_kb_);
  EXPECT_EQ(usage->cpu_ms, 30 * 1000 / ticks_);
}

TEST(GroupUsageStat, ParsesFromTheLastParenthesis) {
  const auto stat = parse_proc_stat(stat_line(7, "a) b (c) R 9 9", 'S', 42, 3, 4, 5, 6));
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->pgrp, 42);
  EXPECT_EQ(stat->cpu_ticks, 18u);
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("7 (x) S 1 2 3"));
}

TEST(GroupUsageReal, MeasuresARealProcessGroup) {
  constexpr std::size_t kBytes = 20 * 1024 * 1024;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only async-signal-safe calls between fork and _exit.
    ::close(ready[0]);
    ::setsid();
    void* block =
        ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) ::_exit(1);
    std::memset(block, 1, kBytes);
    const char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
    for (;;)
      ::pause();
  }
  ::close(ready[1]);
  char byte = 0;
  const bool child_ready = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  const auto usage = child_ready ? sample_process_group(child) : std::nullopt;
  const auto by_pid = child_ready ? sample_pids({child}) : std::nullopt;
  ::kill(-child, SIGKILL);
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(child_ready);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->processes, 1u);
  EXPECT_GE(usage->rss_kb, kBytes / 1024);
  ASSERT_TRUE(by_pid);
  EXPECT_EQ(by_pid->processes, 1u);
  EXPECT_GE(by_pid->rss_kb, kBytes / 1024);
}

}  // namespace
}  // namespace zfleet::worker
