// SlotGovernor: doubling growth and halving shrink with settle and idle
// periods, host refusals, bounds; read_host_load on fake and real /proc.
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/filesystem.hpp>

#include "common/clock.hpp"
#include "worker/monitor/slot_governor.hpp"

namespace zfleet::worker {
namespace {

using namespace std::chrono_literals;

constexpr HostLoad kCalmHost{8 * 1024 * 1024, 0.5, 4};

SlotPolicy policy(std::uint32_t min, std::uint32_t max) {
  SlotPolicy p;
  p.min_slots = min;
  p.max_slots = max;
  return p;
}

TEST(SlotGovernor, StartsAtTheMinimumAndNormalisesBounds) {
  FakeClock clock;
  EXPECT_EQ(SlotGovernor(policy(2, 8), clock.now()).slots(), 2u);
  const SlotGovernor odd(policy(0, 0), clock.now());
  EXPECT_EQ(odd.slots(), 1u);
  EXPECT_EQ(odd.policy().max_slots, 1u);
}

TEST(SlotGovernor, DoublesWhenBusyAfterSettle) {
  FakeClock clock;
  SlotGovernor g(policy(2, 16), clock.now());
  EXPECT_FALSE(g.update(clock.now(), 2, kCalmHost));  // settle counts from start
  clock.advance(2s);
  const auto change = g.update(clock.now(), 2, kCalmHost);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from, 2u);
  EXPECT_EQ(change->to, 4u);
  EXPECT_FALSE(change->refused);
  EXPECT_EQ(change->reason, "busy 2/2 slots (100% >= 80%)");
  EXPECT_EQ(g.slots(), 4u);
  clock.advance(1999ms);
  EXPECT_FALSE(g.update(clock.now(), 4, kCalmHost));
  clock.advance(1ms);
  EXPECT_EQ(g.update(clock.now(), 4, kCalmHost)->to, 8u);
}

TEST(SlotGovernor, GrowsAtTheBusyRatioNotBelow) {
  FakeClock clock;
  SlotGovernor g(policy(5, 20), clock.now());
  clock.advance(2s);
  EXPECT_FALSE(g.update(clock.now(), 3, kCalmHost));  // 60%
  const auto change = g.update(clock.now(), 4, kCalmHost);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->reason, "busy 4/5 slots (80% >= 80%)");
}

TEST(SlotGovernor, GrowthIsCappedAtMax) {
  FakeClock clock;
  SlotGovernor g(policy(3, 5), clock.now());
  clock.advance(2s);
  EXPECT_EQ(g.update(clock.now(), 3, kCalmHost)->to, 5u);
  clock.advance(1h);
  EXPECT_FALSE(g.update(clock.now(), 5, kCalmHost));
  EXPECT_EQ(g.slots(), 5u);
}

TEST(SlotGovernor, ShrinksByHalfAfterIdleSpell) {
  FakeClock clock;
  SlotGovernor g(policy(1, 8), clock.now());
  for (int i = 0; i < 3; ++i) {
    clock.advance(2s);
    g.update(clock.now(), g.slots(), kCalmHost);
  }
  ASSERT_EQ(g.slots(), 8u);
  clock.advance(2s);
  EXPECT_FALSE(g.update(clock.now(), 0, kCalmHost));  // the idle spell starts
  clock.advance(9999ms);
  EXPECT_FALSE(g.update(clock.now(), 1, kCalmHost));  // 12.5% is still idle
  clock.advance(1ms);
  const auto change = g.update(clock.now(), 0, kCalmHost);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from, 8u);
  EXPECT_EQ(change->to, 4u);
  EXPECT_EQ(change->reason, "idle 0/8 slots for 10 s (0% <= 20%)");
  // A new spell is needed for the next step.
  clock.advance(9s);
  EXPECT_FALSE(g.update(clock.now(), 0, kCalmHost));
  clock.advance(1s);
  EXPECT_EQ(g.update(clock.now(), 0, kCalmHost)->to, 2u);
}

TEST(SlotGovernor, BusyMomentRestartsTheIdleSpell) {
  FakeClock clock;
  SlotPolicy p = policy(1, 10);
  SlotGovernor g(p, clock.now());
  clock.advance(2s);
  g.update(clock.now(), 1, kCalmHost);  // 1 -> 2
  clock.advance(2s);
  g.update(clock.now(), 2, kCalmHost);  // 2 -> 4
  clock.advance(2s);
  g.update(clock.now(), 4, kCalmHost);  // 4 -> 8
  ASSERT_EQ(g.slots(), 8u);
  g.update(clock.now(), 0, kCalmHost);
  clock.advance(8s);
  EXPECT_FALSE(g.update(clock.now(), 3, kCalmHost));  // 37.5%: not idle
  clock.advance(1s);
  EXPECT_FALSE(g.update(clock.now(), 0, kCalmHost));
  clock.advance(9s);
  EXPECT_FALSE(g.update(clock.now(), 0, kCalmHost));
  clock.advance(1s);
  EXPECT_TRUE(g.update(clock.now(), 0, kCalmHost));
}

TEST(SlotGovernor, NeverShrinksBelowMinOrBusy) {
  FakeClock clock;
  SlotPolicy p = policy(3, 64);
  p.idle_ratio = 0.5;
  SlotGovernor g(p, clock.now());
  for (int i = 0; i < 5; ++i) {
    clock.advance(2s);
    g.update(clock.now(), g.slots(), kCalmHost);
  }
  ASSERT_EQ(g.slots(), 64u);
  g.update(clock.now(), 32, kCalmHost);
  clock.advance(10s);
  EXPECT_EQ(g.update(clock.now(), 32, kCalmHost)->to, 32u);
  // 16 of 32 busy is still idle at a 50% mark: halving leaves exactly the 16 running.
  g.update(clock.now(), 16, kCalmHost);
  clock.advance(10s);
  EXPECT_EQ(g.update(clock.now(), 16, kCalmHost)->to, 16u);
  for (int i = 0; i < 4; ++i) {
    clock.advance(10s);
    g.update(clock.now(), 0, kCalmHost);
  }
  EXPECT_EQ(g.slots(), 3u);
  clock.advance(1h);
  EXPECT_FALSE(g.update(clock.now(), 0, kCalmHost));
}

TEST(SlotGovernor, ShrinkKeepsEveryRunningTask) {
  FakeClock clock;
  SlotPolicy p = policy(1, 10);
  p.idle_ratio = 0.9;  // a loose idle mark, so the busy floor decides
  SlotGovernor g(p, clock.now());
  for (int i = 0; i < 4; ++i) {
    clock.advance(2s);
    g.update(clock.now(), g.slots(), kCalmHost);
  }
  ASSERT_EQ(g.slots(), 10u);
  g.update(clock.now(), 7, kCalmHost);
  clock.advance(10s);
  const auto change = g.update(clock.now(), 7, kCalmHost);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->to, 7u);
}

TEST(SlotGovernor, RefusesToGrowWhenMemoryIsShortOncePerEpisode) {
  FakeClock clock;
  SlotPolicy p = policy(2, 8);
  p.min_mem_available_kb = 256 * 1024;
  SlotGovernor g(p, clock.now());
  const HostLoad tight{180 * 1024, 0.1, 4};
  clock.advance(2s);
  const auto refusal = g.update(clock.now(), 2, tight);
  ASSERT_TRUE(refusal);
  EXPECT_TRUE(refusal->refused);
  EXPECT_EQ(refusal->from, 2u);
  EXPECT_EQ(refusal->to, 4u);
  EXPECT_EQ(refusal->reason, "memory available 180 MiB below 256 MiB mark");
  EXPECT_EQ(g.slots(), 2u);
  clock.advance(2s);
  EXPECT_FALSE(g.update(clock.now(), 2, tight));
  EXPECT_FALSE(g.update(clock.now(), 0, tight));  // demand gone, host still short
  EXPECT_FALSE(g.update(clock.now(), 2, tight));
  // The host recovers: growth resumes; a new shortage is a new episode.
  clock.advance(2s);
  EXPECT_FALSE(g.update(clock.now(), 2, kCalmHost)->refused);
  clock.advance(2s);
  EXPECT_TRUE(g.update(clock.now(), 4, tight)->refused);
}

TEST(SlotGovernor, RefusesToGrowWhenLoadPerCoreIsHigh) {
  FakeClock clock;
  SlotPolicy p = policy(2, 8);
  p.max_load_per_core = 2.0;
  SlotGovernor g(p, clock.now());
  clock.advance(2s);
  EXPECT_FALSE(g.update(clock.now(), 2, HostLoad{1 << 30, 8.0, 4})->refused);  // 2.0: at the mark
  clock.advance(2s);
  const auto refusal = g.update(clock.now(), 4, HostLoad{1 << 30, 12.4, 4});
  ASSERT_TRUE(refusal);
  EXPECT_TRUE(refusal->refused);
  EXPECT_EQ(refusal->reason, "load 3.1 per core above 2.0");
}

TEST(SlotGovernor, ReportsBothHostReasons) {
  FakeClock clock;
  SlotPolicy p = policy(1, 8);
  p.min_mem_available_kb = 1024 * 1024;
  p.max_load_per_core = 1.0;
  SlotGovernor g(p, clock.now());
  clock.advance(2s);
  const auto refusal = g.update(clock.now(), 1, HostLoad{512 * 1024, 3.0, 2});
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->reason,
            "memory available 512 MiB below 1024 MiB mark; load 1.5 per core above 1.0");
}

TEST(SlotGovernor, HostMarksDoNotBlockShrinking) {
  FakeClock clock;
  SlotPolicy p = policy(1, 4);
  p.min_mem_available_kb = 1024 * 1024;
  SlotGovernor g(p, clock.now());
  clock.advance(2s);
  g.update(clock.now(), 1, kCalmHost);
  ASSERT_EQ(g.slots(), 2u);
  const HostLoad tight{1024, 50.0, 1};
  g.update(clock.now(), 0, tight);
  clock.advance(10s);
  EXPECT_EQ(g.update(clock.now(), 0, tight)->to, 1u);
}

class HostLoadFakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = boost::filesystem::temp_directory_path() /
            boost::filesystem::unique_path("zfleet-hostload-%%%%-%%%%");
    boost::filesystem::create_directories(root_);
  }
  void TearDown() override { boost::filesystem::remove_all(root_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name, std::ios::binary) << text;
  }
  boost::filesystem::path root_;
};

TEST_F(HostLoadFakeProc, ReadsMemAvailableAndLoad) {
  write("meminfo",
        "MemTotal:       16303412 kB\nMemFree:          512000 kB\n"
        "MemAvailable:    8123456 kB\nBuffers:          100000 kB\n");
  write("loadavg", "3.14 2.00 1.50 2/345 6789\n");
  const auto host = read_host_load(root_.string(), 6);
  ASSERT_TRUE(host);
  EXPECT_EQ(host->mem_available_kb, 8123456u);
  EXPECT_DOUBLE_EQ(host->load1, 3.14);
  EXPECT_EQ(host->cores, 6u);
  const auto own_cores = read_host_load(root_.string());
  ASSERT_TRUE(own_cores);
  EXPECT_GE(own_cores->cores, 1u);
}

TEST_F(HostLoadFakeProc, MissingOrMalformedFilesAreNullopt) {
  EXPECT_FALSE(read_host_load(root_.string()));
  write("meminfo", "MemTotal:       16303412 kB\n");  // a pre-3.14 kernel
  write("loadavg", "0.10 0.20 0.30 1/100 200\n");
  EXPECT_FALSE(read_host_load(root_.string()));
  write("meminfo", "MemAvailable:    lots kB\n");
  EXPECT_FALSE(read_host_load(root_.string()));
  write("meminfo", "MemAvailable:    1000 kB\n");
  write("loadavg", "high 0.20 0.30 1/100 200\n");
  EXPECT_FALSE(read_host_load(root_.string()));
  write("loadavg", "0.25 0.20 0.30 1/100 200\n");
  EXPECT_TRUE(read_host_load(root_.string()));
}

TEST(HostLoad, ReadsTheRealProc) {
  const auto host = read_host_load();
  ASSERT_TRUE(host);
  EXPECT_GT(host->mem_available_kb, 0u);
  EXPECT_GE(host->load1, 0.0);
  EXPECT_GE(host->cores, 1u);
}

}  // namespace
}  // namespace zfleet::worker
