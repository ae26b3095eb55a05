// RESULT long-polling until final; see result_wait.hpp.
#include "broker/zfleetctl/result_wait.hpp"

#include <algorithm>
#include <thread>

namespace zfleet::ctl {

namespace {

// A broker that answers a long poll early without a final state must not
// turn this loop into a busy one.
constexpr Millis kMinPollSpacing{50};

}  // namespace

Result<msg::TaskView> wait_for_result(Client& client, std::uint64_t id,
                                      std::optional<Millis> limit) {
  const SystemClock clock;
  const TimePoint start = clock.now();
  for (;;) {
    Millis wait = kResultPollChunk;
    if (limit) wait = std::min(wait, Millis{millis_until(clock.now(), start + *limit)});
    const TimePoint asked = clock.now();
    auto reply = client.result(id, wait);
    if (!reply || msg::is_final(reply.value().state)) return reply;
    if (limit && clock.now() >= start + *limit) return reply;
    const auto spent = clock.now() - asked;
    if (spent < kMinPollSpacing) std::this_thread::sleep_for(kMinPollSpacing - spent);
  }
}

}  // namespace zfleet::ctl
