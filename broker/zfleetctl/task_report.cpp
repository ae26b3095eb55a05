// Human renderings of one task; see task_report.hpp.
#include "broker/zfleetctl/task_report.hpp"

#include "broker/zfleetctl/units.hpp"

namespace zfleet::ctl {

namespace {

std::string or_dash(const std::string& value) {
  return value.empty() ? "-" : value;
}

std::string with_age(std::int64_t unix_ms, std::int64_t now_ms) {
  std::string text = format_timestamp_ms(unix_ms);
  if (unix_ms == 0 || now_ms < unix_ms) return text;
  return text + " (" + format_duration_ms(static_cast<std::uint64_t>(now_ms - unix_ms)) + " ago)";
}

std::uint64_t span_ms(std::int64_t from, std::int64_t to) {
  return (from == 0 || to < from) ? 0 : static_cast<std::uint64_t>(to - from);
}

// The attempt's own timestamps where the worker reported them, else the
// broker's view of the task.
std::uint64_t run_time_ms(const msg::TaskView& task) {
  if (task.outcome && task.outcome->started_at_ms != 0 && task.outcome->finished_at_ms != 0) {
    return span_ms(task.outcome->started_at_ms, task.outcome->finished_at_ms);
  }
  return span_ms(task.started_at_ms, task.finished_at_ms);
}

}  // namespace

std::string describe_outcome(const msg::Outcome& o) {
  if (!o.error.empty()) return "could not run: " + o.error;
  if (o.timed_out) {
    if (o.signal) return "timed out (killed by " + signal_name(*o.signal) + ")";
    return "timed out";
  }
  if (o.signal) {
    return "killed by " + signal_name(*o.signal) + " (" + std::to_string(*o.signal) + ")";
  }
  if (o.exit_code) return "exit " + std::to_string(*o.exit_code);
  return "no exit status";
}

Fields status_fields(const msg::TaskView& task, std::int64_t now_ms) {
  Fields fields{
      {"id", std::to_string(task.id)},
      {"state", std::string(msg::state_name(task.state))},
      {"type", or_dash(task.type)},
      {"project", or_dash(task.project)},
      {"priority", std::to_string(task.priority)},
      {"attempts", std::to_string(task.attempts)},
      {"worker", or_dash(task.worker)},
      {"submitted", with_age(task.submitted_at_ms, now_ms)},
      {"started", with_age(task.started_at_ms, now_ms)},
      {"finished", with_age(task.finished_at_ms, now_ms)},
  };
  if (task.started_at_ms != 0 && task.finished_at_ms != 0) {
    fields.emplace_back("ran for",
                        format_duration_ms(span_ms(task.started_at_ms, task.finished_at_ms)));
  }
  return fields;
}

Fields result_fields(const msg::TaskView& task) {
  Fields fields{
      {"id", std::to_string(task.id)},
      {"state", std::string(msg::state_name(task.state))},
  };
  if (!task.outcome) {
    if (!msg::is_final(task.state)) fields.emplace_back("outcome", "not final yet");
    return fields;
  }
  const msg::Outcome& o = *task.outcome;
  fields.emplace_back("outcome", describe_outcome(o));
  fields.emplace_back("worker", or_dash(task.worker));
  fields.emplace_back("attempts", std::to_string(task.attempts));
  fields.emplace_back(
      "started", format_timestamp_ms(o.started_at_ms != 0 ? o.started_at_ms : task.started_at_ms));
  fields.emplace_back("finished", format_timestamp_ms(o.finished_at_ms != 0 ? o.finished_at_ms
                                                                            : task.finished_at_ms));
  fields.emplace_back("duration", format_duration_ms(run_time_ms(task)));
  fields.emplace_back("cpu", "user " + format_duration_ms(o.user_cpu_ms) + ", sys " +
                                 format_duration_ms(o.sys_cpu_ms));
  fields.emplace_back("max rss", o.max_rss_kb == 0 ? "-" : format_bytes(o.max_rss_kb * 1024));
  fields.emplace_back("stdout", format_bytes(o.stdout_bytes));
  fields.emplace_back("stderr", format_bytes(o.stderr_bytes));
  return fields;
}

std::string status_line(const msg::TaskView& task) {
  std::string line =
      "task " + std::to_string(task.id) + " " + std::string(msg::state_name(task.state));
  if (task.outcome) {
    line += ": " + describe_outcome(*task.outcome);
    if (task.outcome->error.empty()) line += " after " + format_duration_ms(run_time_ms(task));
  }
  if (!task.worker.empty()) line += " on worker " + task.worker;
  return line;
}

std::string tail_header(std::string_view stream, std::uint64_t total_bytes,
                        std::size_t shown_bytes) {
  std::string header = "--- " + std::string(stream) + " (" + format_bytes(total_bytes);
  if (shown_bytes < total_bytes) header += ", last " + format_bytes(shown_bytes) + " shown";
  return header + ") ---";
}

}  // namespace zfleet::ctl
