// See live_logs.hpp.
#include "broker/live_logs.hpp"

namespace zfleet::broker {

std::optional<LiveLogs::Taken> LiveLogs::append(const msg::OutputChunk& chunk) {
  LiveLog& log = logs_.try_emplace(chunk.task_id, capacity_).first->second;
  const std::uint64_t skipped_before = log.skipped_bytes();
  auto accepted = log.append(chunk.stream == "stdout", chunk.offset, chunk.data);
  if (!accepted) return std::nullopt;
  return Taken{accepted->offset, accepted->data, log.skipped_bytes() - skipped_before};
}

const LiveLog* LiveLogs::find(std::uint64_t task_id) const {
  auto it = logs_.find(task_id);
  return it == logs_.end() ? nullptr : &it->second;
}

std::string LiveLogs::topic(const msg::OutputChunk& chunk) {
  return "log." + std::to_string(chunk.task_id) + "." + chunk.stream;
}

msg::OutputChunk LiveLogs::relayed(const msg::OutputChunk& chunk, const Taken& taken) {
  msg::OutputChunk out;
  out.task_id = chunk.task_id;
  out.attempt = chunk.attempt;
  out.stream = chunk.stream;
  out.offset = taken.offset;
  out.data = std::string(taken.data);
  return out;
}

}  // namespace zfleet::broker
