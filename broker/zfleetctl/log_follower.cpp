// LogFollower: printing each byte of a followed task's output once; see
// log_follower.hpp.
#include "broker/zfleetctl/log_follower.hpp"

namespace zfleet::ctl {

std::uint64_t LogFollower::take(std::uint64_t& end, std::uint64_t offset, std::string_view data,
                                std::string& into) {
  std::uint64_t skipped = 0;
  if (offset > end) {
    skipped = offset - end;
  } else {
    const std::uint64_t repeated = end - offset;
    if (repeated >= data.size()) return 0;
    data.remove_prefix(static_cast<std::size_t>(repeated));
    offset = end;
  }
  into.append(data);
  end = offset + data.size();
  return skipped;
}

LogFollower::Print LogFollower::take_logs(const msg::LogsReply& logs) {
  Print print;
  if (!started_) {
    // What came before the broker's window is gone; not a gap worth a note.
    out_ = logs.stdout_offset;
    err_ = logs.stderr_offset;
    started_ = true;
  }
  print.skipped += take(out_, logs.stdout_offset, logs.stdout_data, print.out);
  print.skipped += take(err_, logs.stderr_offset, logs.stderr_data, print.err);
  return print;
}

std::optional<LogFollower::Print> LogFollower::take_chunk(const msg::OutputChunk& chunk) {
  if (chunk.attempt > attempt_) {
    if (attempt_ != 0) out_ = err_ = 0;
    attempt_ = chunk.attempt;
  } else if (chunk.attempt < attempt_) {
    return Print{};  // a late chunk of an attempt that ended
  }
  const bool is_stdout = chunk.stream == "stdout";
  std::uint64_t& end = is_stdout ? out_ : err_;
  if (chunk.offset > end) return std::nullopt;
  Print print;
  take(end, chunk.offset, chunk.data, is_stdout ? print.out : print.err);
  return print;
}

}  // namespace zfleet::ctl
