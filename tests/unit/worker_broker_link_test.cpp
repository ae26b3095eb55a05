// BrokerLink: liveness, heartbeats, registration and reconnect backoff,
// driven by a FakeClock.
#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "common/protocol.hpp"
#include "worker/core/backoff.hpp"
#include "worker/core/broker_link.hpp"

namespace zfleet::worker {
namespace {

using namespace std::chrono_literals;

BrokerLink::Options options() {
  BrokerLink::Options o;
  o.heartbeat = 1000ms;
  o.backoff_initial = 100ms;
  o.backoff_cap = 5000ms;
  o.seed = 42;
  return o;
}

// Advances to the link's next deadline and runs its timer.
LinkStep step_to_deadline(FakeClock& clock, BrokerLink& link) {
  clock.advance(Millis{millis_until(clock.now(), link.next_deadline())});
  return link.on_timer(clock.now());
}

TEST(BrokerLink, OpensAndSendsReadyAtOnce) {
  FakeClock clock;
  BrokerLink link(clock.now(), options());
  EXPECT_EQ(link.next_deadline(), clock.now());
  const LinkStep step = link.on_timer(clock.now());
  EXPECT_TRUE(step.open);
  EXPECT_TRUE(step.send_ready);
  EXPECT_EQ(link.state(), LinkState::kRegistering);
  EXPECT_FALSE(link.connected());
}

TEST(BrokerLink, WelcomeConnectsAndAdoptsTheBrokersInterval) {
  FakeClock clock;
  BrokerLink link(clock.now(), options());
  link.on_timer(clock.now());
  link.on_welcome(clock.now(), 250ms);
  EXPECT_TRUE(link.connected());
  EXPECT_EQ(link.heartbeat(), 250ms);
  EXPECT_EQ(link.next_deadline(), clock.now() + 250ms);
}

TEST(BrokerLink, HeartbeatsOncePerInterval) {
  FakeClock clock;
  BrokerLink link(clock.now(), options());
  link.on_timer(clock.now());
  link.on_welcome(clock.now(), 1000ms);
  clock.advance(999ms);
  EXPECT_FALSE(link.on_timer(clock.now()).send_heartbeat);
  clock.advance(1ms);
  EXPECT_TRUE(link.on_timer(clock.now()).send_heartbeat);
  EXPECT_FALSE(link.on_timer(clock.now()).send_heartbeat);
  link.on_received(clock.now());
  clock.advance(1000ms);
  EXPECT_TRUE(link.on_timer(clock.now()).send_heartbeat);
}

TEST(BrokerLink, DeclaresBrokerDeadAfterThreeSilentIntervals) {
  FakeClock clock;
  BrokerLink link(clock.now(), options());
  link.on_timer(clock.now());
  link.on_welcome(clock.now(), 1000ms);
  clock.advance(2999ms);
  EXPECT_FALSE(link.on_timer(clock.now()).close);
  clock.advance(1ms);
  const LinkStep step = link.on_timer(clock.now());
  EXPECT_TRUE(step.close);
  EXPECT_EQ(link.state(), LinkState::kIdle);
  EXPECT_EQ(link.deaths(), 1U);
}

TEST(BrokerLink, AnyMessageKeepsTheBrokerAlive) {
  FakeClock clock;
  BrokerLink link(clock.now(), options());
  link.on_timer(clock.now());
  link.on_welcome(clock.now(), 1000ms);
  for (int i = 0; i < 10; ++i) {
    clock.advance(2000ms);
    link.on_received(clock.now());
    EXPECT_FALSE(link.on_timer(clock.now()).close);
  }
  EXPECT_TRUE(link.connected());
}

TEST(BrokerLink, SilentBrokerBeforeWelcomeIsDeadAfterOwnIntervals) {
  FakeClock clock;
  BrokerLink link(clock.now(), options());
  link.on_timer(clock.now());
  EXPECT_EQ(link.next_deadline(), clock.now() + 1000ms * proto::kHeartbeatLiveness);
  EXPECT_TRUE(step_to_deadline(clock, link).close);
}

TEST(BrokerLink, ReconnectsAfterBackoffThatDoublesToTheCap) {
  FakeClock clock;
  BrokerLink link(clock.now(), options());
  link.on_timer(clock.now());
  std::int64_t previous = 0;
  for (int round = 0; round < 12; ++round) {
    ASSERT_TRUE(step_to_deadline(clock, link).close);  // silent broker
    const auto wait = millis_until(clock.now(), link.next_deadline());
    const double base = std::min(100.0 * (1 << std::min(round, 10)), 5000.0);
    EXPECT_GE(wait, static_cast<long>(base * 0.8) - 1) << "round " << round;
    EXPECT_LE(wait, std::min(static_cast<long>(base * 1.2) + 1, 5000L)) << "round " << round;
    if (round > 0 && round < 5) {
      EXPECT_GT(wait, previous);
    }
    previous = wait;
    clock.advance(Millis{wait - 1});
    EXPECT_FALSE(link.on_timer(clock.now()).open);
    clock.advance(1ms);
    const LinkStep reopen = link.on_timer(clock.now());
    EXPECT_TRUE(reopen.open);
    EXPECT_TRUE(reopen.send_ready);
  }
}

TEST(BrokerLink, WelcomeResetsTheBackoff) {
  FakeClock clock;
  BrokerLink link(clock.now(), options());
  link.on_timer(clock.now());
  for (int i = 0; i < 5; ++i) {
    step_to_deadline(clock, link);  // dead
    step_to_deadline(clock, link);  // reopen
  }
  link.on_welcome(clock.now(), 1000ms);
  ASSERT_TRUE(step_to_deadline(clock, link).send_heartbeat);
  link.on_received(clock.now());
  // Silence: three intervals, then a short first backoff again.
  LinkStep step;
  while (!(step = step_to_deadline(clock, link)).close) {
  }
  EXPECT_LE(millis_until(clock.now(), link.next_deadline()), 120);
}

TEST(BrokerLink, UnknownWorkerSendsReadyAtMostOncePerInterval) {
  FakeClock clock;
  BrokerLink link(clock.now(), options());
  link.on_timer(clock.now());
  link.on_welcome(clock.now(), 1000ms);
  clock.advance(10ms);
  EXPECT_TRUE(link.on_unknown_worker(clock.now()).send_ready);
  EXPECT_EQ(link.state(), LinkState::kRegistering);
  clock.advance(10ms);
  EXPECT_FALSE(link.on_unknown_worker(clock.now()).send_ready);
  clock.advance(1000ms);
  EXPECT_TRUE(link.on_unknown_worker(clock.now()).send_ready);
  link.on_welcome(clock.now(), 1000ms);
  EXPECT_TRUE(link.connected());
}

TEST(BrokerLink, DisconnectClosesAndRegistersAgainAfterBackoff) {
  FakeClock clock;
  BrokerLink link(clock.now(), options());
  link.on_timer(clock.now());
  link.on_welcome(clock.now(), 1000ms);
  const LinkStep bye = link.on_disconnect(clock.now());
  EXPECT_TRUE(bye.close);
  EXPECT_EQ(link.state(), LinkState::kIdle);
  EXPECT_FALSE(link.on_timer(clock.now()).open);
  const LinkStep again = step_to_deadline(clock, link);
  EXPECT_TRUE(again.open);
  EXPECT_TRUE(again.send_ready);
}

TEST(BrokerLink, IgnoresWelcomeWhileIdle) {
  FakeClock clock;
  BrokerLink link(clock.now(), options());
  link.on_timer(clock.now());
  link.on_disconnect(clock.now());
  link.on_welcome(clock.now(), 1000ms);
  EXPECT_EQ(link.state(), LinkState::kIdle);
}

TEST(Backoff, JitterStaysWithinTwentyPercent) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    Backoff backoff(100ms, 5000ms, seed);
    const auto first = backoff.next();
    EXPECT_GE(first, 80ms);
    EXPECT_LE(first, 120ms);
  }
}

TEST(Backoff, NeverExceedsTheCap) {
  Backoff backoff(100ms, 5000ms, 7);
  for (int i = 0; i < 100; ++i)
    EXPECT_LE(backoff.next(), 5000ms);
  EXPECT_EQ(backoff.base(), 5000ms);
  backoff.reset();
  EXPECT_EQ(backoff.base(), 100ms);
}

}  // namespace
}  // namespace zfleet::worker
