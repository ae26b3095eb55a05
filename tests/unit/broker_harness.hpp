// BrokerHarness: drives a Broker core through its message interface with a
// FakeClock, acting as clients and workers, and decodes what it sends back.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "broker/broker.hpp"

namespace zfleet::broker {

class BrokerHarness {
 public:
  BrokerHarness(BrokerSettings settings, TaskStore& store, FakeClock& clock)
      : clock_(clock), broker_(std::make_unique<Broker>(std::move(settings), clock, store)) {}

  Broker& broker() { return *broker_; }

  void client(std::string_view command, std::string body) {
    broker_->on_client({"c1", "zfleet/1", std::string(command), std::move(body)});
    broker_->before_sleep();
  }
  void worker(const std::string& id, std::string_view command, std::string body) {
    broker_->on_worker({id, "zfleet/1", std::string(command), std::move(body)});
    broker_->before_sleep();
  }
  void tick(Millis by) {
    clock_.advance(by);
    broker_->on_timer();
    broker_->before_sleep();
  }
  // Takes the messages of one command from the outbox; the rest stay there.
  std::vector<Outgoing> take(std::string_view command) {
    std::vector<Outgoing> out;
    std::vector<Outgoing> rest;
    for (auto& o : broker_->outbox()) {
      (o.command == command ? out : rest).push_back(std::move(o));
    }
    broker_->outbox().swap(rest);
    return out;
  }
  template <typename T>
  std::vector<T> take_as(std::string_view command) {
    std::vector<T> out;
    for (auto& o : take(command)) {
      T m;
      EXPECT_FALSE(msg::decode_bytes(o.body, m));
      out.push_back(std::move(m));
    }
    return out;
  }

  msg::SubmittedReply submit(msg::TaskSpec spec) {
    if (spec.argv.empty() && spec.type == "shell") spec.argv = {"/bin/true"};
    client(proto::cmd::kSubmit, msg::encode(msg::SubmitRequest{++req_, std::move(spec)}));
    auto replies = take_as<msg::SubmittedReply>(proto::cmd::kSubmitted);
    EXPECT_EQ(replies.size(), 1u);
    return replies.empty() ? msg::SubmittedReply{} : replies[0];
  }
  void ready(const std::string& id, std::uint32_t slots, std::vector<msg::LeaseRef> running = {}) {
    msg::Ready r;
    r.worker_id = id;
    r.slots = slots;
    r.credit = slots - static_cast<std::uint32_t>(running.size());
    r.running = std::move(running);
    worker(id, proto::cmd::kReady, msg::encode(r));
  }
  std::vector<msg::TaskAssignment> dispatched() {
    return take_as<msg::TaskAssignment>(proto::cmd::kTask);
  }
  void done(const std::string& id, const msg::TaskAssignment& a, msg::Outcome outcome) {
    msg::Done d;
    d.task_id = a.task_id;
    d.attempt = a.attempt;
    d.outcome = std::move(outcome);
    worker(id, proto::cmd::kDone, msg::encode(d));
  }
  static msg::Outcome exited(int code) {
    msg::Outcome o;
    o.exit_code = code;
    return o;
  }
  static msg::Outcome killed(int signal) {
    msg::Outcome o;
    o.signal = signal;
    return o;
  }
  msg::TaskView status(std::uint64_t id) {
    client(proto::cmd::kStatus, msg::encode(msg::TaskQuery{++req_, id, 0}));
    auto r = take_as<msg::TaskReply>(proto::cmd::kStatusReply);
    EXPECT_EQ(r.size(), 1u);
    return r.empty() ? msg::TaskView{} : r[0].task;
  }
  std::uint64_t next_req() { return ++req_; }

 private:
  FakeClock& clock_;
  std::unique_ptr<Broker> broker_;
  std::uint64_t req_ = 0;
};

}  // namespace zfleet::broker
