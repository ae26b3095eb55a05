// eventually(): polls a condition until it holds or a deadline passes. Tests
// wait on observable state this way, never with a fixed sleep.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace zfleet::test_support {

// The one copy for every test: 5 s is the default for unit tests waiting on
// a child or a socket; integration tests pass their own.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds{5},
                       std::chrono::milliseconds poll = std::chrono::milliseconds{20}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace zfleet::test_support
