// Renderings of monitoring data: the line and the --json object `zfleetctl
// events` prints per event, the "live" block of `status` for a running task,
// and which events an `events` invocation keeps (its --task/--worker/--kind
// filters, and the subscription prefixes they need).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/zfleetctl/json_view.hpp"
#include "broker/zfleetctl/table.hpp"
#include "common/messages.hpp"

namespace zfleet::ctl {

struct EventFilter {
  std::uint64_t task = 0;          // 0: any
  std::string worker;              // empty: any
  std::vector<std::string> kinds;  // empty: any

  // The subscription prefixes that cover the filter; the broker does the
  // coarse cut, keeps() the fine one.
  std::vector<std::string> prefixes() const;
  bool keeps(const std::string& topic, const msg::Event& event) const;
};

// "14:03:07.250 progress task 7 (etl) on w1: 40% copying" — local time, the
// kind, the task or worker, then the fields that are set.
std::string event_line(const msg::Event& event);
Json event_json(const std::string& topic, const msg::Event& event);

// "40% copying, rss 12.0 MiB, cpu 1.20 s, idle 3.00 s, suspended".
std::string live_summary(const msg::LiveStatus& live);
Json live_json(const msg::LiveStatus& live);

}  // namespace zfleet::ctl
