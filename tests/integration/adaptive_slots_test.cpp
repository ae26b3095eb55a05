// Adaptive slots on a real worker: under load it grows to --max-slots and no
// further, it shrinks once idle, it refuses to grow while the host is below
// the memory mark, and each decision reaches event subscribers as a
// slots_up, slots_down or slots_refused event from the broker.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/event_subscriber.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/local_fleet.hpp"

namespace zfleet {
namespace {

using namespace std::chrono_literals;
using test_support::LocalFleet;

std::string events_endpoint(LocalFleet& fleet) {
  auto pong = fleet.client().ping();
  EXPECT_TRUE(pong.ok());
  return pong.ok() ? resolve_events_endpoint(pong.value().events, fleet.endpoints().clients) : "";
}

std::vector<std::uint64_t> submit_sleepers(LocalFleet& fleet, int count) {
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < count; ++i) {
    msg::TaskSpec spec;
    spec.argv = {"sleep", "60"};
    spec.timeout_ms = 120'000;
    auto id = fleet.client().submit(spec);
    EXPECT_TRUE(id.ok()) << id.error().message;
    if (id.ok()) ids.push_back(id.value());
  }
  return ids;
}

std::optional<msg::WorkerView> the_worker(LocalFleet& fleet) {
  auto workers = fleet.client().workers();
  if (!workers.ok() || workers.value().size() != 1) return std::nullopt;
  return workers.value().front();
}

// Events of `kind` from the worker, read until `want` of them came or
// `timeout` passed.
std::vector<msg::Event> await_events(EventSubscriber& events, const std::string& kind,
                                     std::size_t want, std::chrono::milliseconds timeout) {
  std::vector<msg::Event> seen;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (seen.size() < want && std::chrono::steady_clock::now() < until) {
    auto e = events.receive(200ms);
    if (e && !e->is_output() && e->event().kind == kind) seen.push_back(e->event());
  }
  return seen;
}

TEST(AdaptiveSlots, GrowToTheMaximumUnderLoadAndShrinkWhenIdle) {
  LocalFleet fleet({"--heartbeat-ms", "100"});
  EventSubscriber events(events_endpoint(fleet));
  events.subscribe("worker.w1.slots_");
  fleet.add_worker("w1", 1, {"--min-slots", "1", "--max-slots", "4"});
  ASSERT_TRUE(fleet.await_workers(1, 10s)) << fleet.logs();
  const auto start = the_worker(fleet);
  ASSERT_TRUE(start);
  EXPECT_EQ(start->slots, 1u);
  EXPECT_EQ(start->min_slots, 1u);
  EXPECT_EQ(start->max_slots, 4u);

  const auto ids = submit_sleepers(fleet, 6);
  // Every slot busy at each step: 1 -> 2 -> 4, at least 2 s apart.
  const auto ups = await_events(events, "slots_up", 2, 20s);
  ASSERT_EQ(ups.size(), 2u) << fleet.logs();
  EXPECT_EQ(ups[0].from, 1u);
  EXPECT_EQ(ups[0].to, 2u);
  EXPECT_EQ(ups[1].from, 2u);
  EXPECT_EQ(ups[1].to, 4u);
  EXPECT_EQ(ups[0].worker, "w1");
  EXPECT_FALSE(ups[0].message.empty());
  // The broker hands out what the new slots allow, and no more than four.
  EXPECT_TRUE(test_support::eventually(
      [&] {
        auto w = the_worker(fleet);
        return w && w->slots == 4 && w->busy == 4;
      },
      10s))
      << fleet.logs();
  EXPECT_TRUE(await_events(events, "slots_up", 1, 3s).empty());  // busy, but at the maximum

  for (auto id : ids)
    ASSERT_TRUE(fleet.client().cancel(id).ok());
  // Idle for 10 s (at or below 20% busy), then halved.
  const auto downs = await_events(events, "slots_down", 1, 20s);
  ASSERT_EQ(downs.size(), 1u) << fleet.logs();
  EXPECT_EQ(downs[0].from, 4u);
  EXPECT_EQ(downs[0].to, 2u);
  EXPECT_TRUE(test_support::eventually(
      [&] {
        auto w = the_worker(fleet);
        return w && w->slots == 2;
      },
      5s));
}

TEST(AdaptiveSlots, RefuseToGrowBelowTheMemoryMark) {
  LocalFleet fleet({"--heartbeat-ms", "100"});
  EventSubscriber events(events_endpoint(fleet));
  events.subscribe("worker.w1.slots_");
  // No host has 100 TiB available.
  fleet.add_worker("w1", 1,
                   {"--min-slots", "1", "--max-slots", "4", "--min-mem-available-mb", "100000000"});
  ASSERT_TRUE(fleet.await_workers(1, 10s)) << fleet.logs();
  const auto ids = submit_sleepers(fleet, 3);

  const auto refused = await_events(events, "slots_refused", 1, 10s);
  ASSERT_EQ(refused.size(), 1u) << fleet.logs();
  EXPECT_EQ(refused[0].from, 1u);
  EXPECT_NE(refused[0].message.find("memory"), std::string::npos) << refused[0].message;
  EXPECT_TRUE(await_events(events, "slots_up", 1, 1s).empty());
  const auto w = the_worker(fleet);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->slots, 1u);
  EXPECT_EQ(w->busy, 1u);
  for (auto id : ids)
    ASSERT_TRUE(fleet.client().cancel(id).ok());
}

}  // namespace
}  // namespace zfleet
