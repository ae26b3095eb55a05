// LiveLog: bounded per-stream output of a running attempt; see live_log.hpp.
#include "broker/live_log.hpp"

namespace zfleet::broker {

std::optional<LiveLog::Accepted> LiveLog::append(bool stdout_stream, std::uint64_t offset,
                                                 std::string_view data) {
  Stream& s = stream(stdout_stream);
  const std::uint64_t end = s.start + s.data.size();
  bool gap = false;
  if (offset > end) {
    // Bytes between the held end and this chunk never arrived.
    skipped_ += offset - end;
    s.data.clear();
    s.start = offset;
    gap = true;
  } else if (offset < end) {
    const std::uint64_t repeated = end - offset;
    if (repeated >= data.size()) return std::nullopt;
    data.remove_prefix(static_cast<std::size_t>(repeated));
    offset = end;
  }
  if (data.empty()) return std::nullopt;
  // Only the last `capacity_` bytes of a large chunk can be held.
  if (data.size() >= capacity_) {
    s.start = offset + (data.size() - capacity_);
    s.data.assign(data.substr(data.size() - capacity_));
  } else {
    s.data.append(data);
    if (s.data.size() > capacity_) {
      const std::size_t excess = s.data.size() - capacity_;
      s.data.erase(0, excess);
      s.start += excess;
    }
  }
  // The caller republishes the whole new part, including bytes already
  // trimmed from what is held: subscribers see every byte that arrived.
  return Accepted{offset, data, gap};
}

}  // namespace zfleet::broker
