// FakeExecutor: an Executor that runs nothing and records every call, for
// tests of the registry and of the Reactor's routing. An attempt it starts
// is held (pid 4242) until the test ends it, or at once with finish_exit.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "worker/core/executor.hpp"

namespace zfleet::worker {

using Call = std::pair<std::uint64_t, std::uint32_t>;

class FakeExecutor final : public Executor {
 public:
  StartResult start(const msg::TaskAssignment& task) override {
    started.push_back({task.task_id, task.attempt});
    held.push_back({task.task_id, task.attempt});
    StartResult r;
    r.started = true;
    r.pid = 4242;
    return r;
  }
  std::size_t running() const override { return held.size(); }
  bool holds(std::uint64_t task_id, std::uint32_t attempt) const override {
    for (const auto& h : held) {
      if (h == Call{task_id, attempt}) return true;
    }
    return false;
  }
  bool cancel(std::uint64_t task_id, std::uint32_t attempt, TimePoint) override {
    cancelled.push_back({task_id, attempt});
    return holds(task_id, attempt);
  }
  bool suspend(std::uint64_t task_id, std::uint32_t attempt, TimePoint) override {
    suspended.push_back({task_id, attempt});
    return true;
  }
  bool resume(std::uint64_t task_id, std::uint32_t attempt, TimePoint) override {
    resumed.push_back({task_id, attempt});
    return true;
  }
  void stop_all(bool) override { ++stops; }
  // With `finish_exit` set, every attempt held ends at the next collection
  // with that exit code; otherwise attempts run until the test says.
  void take_finished(std::vector<FinishedAttempt>& out) override {
    if (!finish_exit) return;
    for (const auto& h : held) {
      FinishedAttempt f;
      f.task_id = h.first;
      f.attempt = h.second;
      f.outcome.exit_code = *finish_exit;
      out.push_back(f);
    }
    held.clear();
  }
  void leases(std::vector<msg::LeaseRef>& out) const override {
    for (const auto& h : held)
      out.push_back({h.first, h.second});
  }

  std::vector<Call> held, started, cancelled, suspended, resumed;
  int stops = 0;
  std::optional<int> finish_exit;
};

}  // namespace zfleet::worker
