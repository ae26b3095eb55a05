// final_view(): a task's view once it is final, polling RESULT (each poll a
// 500 ms long-poll on the broker) until `timeout`; nullopt if it never got
// there. Integration tests use it to wait for an ending, never a fixed sleep.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "common/client.hpp"
#include "tests/support/eventually.hpp"

namespace zfleet::test_support {

inline std::optional<msg::TaskView> final_view(
    Client& client, std::uint64_t id,
    std::chrono::milliseconds timeout = std::chrono::seconds{30}) {
  std::optional<msg::TaskView> out;
  eventually(
      [&] {
        auto r = client.result(id, std::chrono::milliseconds{500});
        if (r.ok() && msg::is_final(r.value().state)) out = r.value();
        return out.has_value();
      },
      timeout);
  return out;
}

}  // namespace zfleet::test_support
