// WorkerRegistry: credit bounds, rotation between workers, liveness expiry.
#include "broker/worker_registry.hpp"

#include <gtest/gtest.h>

namespace zfleet::broker {
namespace {

msg::Ready ready(std::uint32_t slots, std::uint32_t credit) {
  msg::Ready r;
  r.worker_id = "w";
  r.slots = slots;
  r.credit = credit;
  return r;
}

TEST(WorkerRegistry, CreditNeverExceedsFreeSlots) {
  FakeClock clock;
  WorkerRegistry reg(Millis{1000});
  WorkerRecord& w = reg.upsert("a", ready(2, 2), clock.now());
  reg.lease(w, 1);
  reg.add_credit(w, 100);
  EXPECT_EQ(w.credit, 1u);
  reg.lease(w, 2);
  EXPECT_EQ(w.credit, 0u);
  EXPECT_EQ(reg.next_with_credit(), nullptr);
}

TEST(WorkerRegistry, RotatesBetweenWorkersWithCredit) {
  FakeClock clock;
  WorkerRegistry reg(Millis{1000});
  reg.upsert("a", ready(2, 2), clock.now());
  reg.upsert("b", ready(2, 2), clock.now());
  std::vector<std::string> order;
  while (WorkerRecord* w = reg.next_with_credit()) {
    order.push_back(w->identity);
    reg.lease(*w, order.size());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "a", "b"}));
}

TEST(WorkerRegistry, ExpiresWorkerAfterThreeSilentIntervals) {
  FakeClock clock;
  WorkerRegistry reg(Millis{1000});
  reg.upsert("a", ready(1, 1), clock.now());
  clock.advance(Millis{2999});
  EXPECT_TRUE(reg.expired(clock.now()).empty());
  clock.advance(Millis{2});
  EXPECT_EQ(reg.expired(clock.now()), std::vector<std::string>{"a"});
}

TEST(WorkerRegistry, TouchPostponesExpiry) {
  FakeClock clock;
  WorkerRegistry reg(Millis{1000});
  WorkerRecord& w = reg.upsert("a", ready(1, 1), clock.now());
  clock.advance(Millis{2500});
  reg.touch(w, clock.now());
  clock.advance(Millis{2500});
  EXPECT_TRUE(reg.expired(clock.now()).empty());
  ASSERT_TRUE(reg.next_expiry());
  EXPECT_GT(*reg.next_expiry(), clock.now());
}

TEST(WorkerRegistry, DrainingWorkerGetsNoCredit) {
  FakeClock clock;
  WorkerRegistry reg(Millis{1000});
  WorkerRecord& w = reg.upsert("a", ready(4, 4), clock.now());
  reg.set_draining(w);
  reg.add_credit(w, 1);
  EXPECT_EQ(reg.next_with_credit(), nullptr);
}

TEST(WorkerRegistry, RemovedWorkerLeavesRotation) {
  FakeClock clock;
  WorkerRegistry reg(Millis{1000});
  reg.upsert("a", ready(1, 1), clock.now());
  reg.upsert("b", ready(1, 1), clock.now());
  reg.remove("a");
  WorkerRecord* w = reg.next_with_credit();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->identity, "b");
}

}  // namespace
}  // namespace zfleet::broker
