// Human renderings of one task; see task_report.hpp.
#include "broker/zfleetctl/task_report.hpp"

#include <algorithm>

#include "broker/zfleetctl/event_view.hpp"
#include "broker/zfleetctl/json_view.hpp"
#include "broker/zfleetctl/units.hpp"

namespace zfleet::ctl {

namespace {

std::string or_dash(const std::string& value) {
  return value.empty() ? "-" : value;
}

std::string with_age(std::int64_t unix_ms, std::int64_t now_ms) {
  std::string text = format_timestamp_ms(unix_ms);
  if (unix_ms == 0) return text;
  if (now_ms < unix_ms) {
    return text + " (in " + format_duration_ms(static_cast<std::uint64_t>(unix_ms - now_ms)) + ")";
  }
  return text + " (" + format_duration_ms(static_cast<std::uint64_t>(now_ms - unix_ms)) + " ago)";
}

// Newlines and tabs become spaces so a table row stays one line; a long text
// is cut at a code point boundary and ends in "..." to say so.
std::string one_line(const std::string& text, std::size_t max_width) {
  std::string flat = text;
  for (char& c : flat) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (!flat.empty() && flat.back() == ' ')
    flat.pop_back();
  if (display_width(flat) <= max_width) return flat;
  const std::size_t keep = max_width > 3 ? max_width - 3 : 0;
  std::size_t width = 0;
  std::size_t end = 0;
  for (; end < flat.size(); ++end) {
    const bool starts_code_point = (static_cast<unsigned char>(flat[end]) & 0xC0) != 0x80;
    if (starts_code_point && width++ == keep) break;
  }
  return flat.substr(0, end) + "...";
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
  // The worker's words name the limit: "killed: memory limit 64 MiB".
  if (!o.message.empty() && (!o.killed_by.empty() || o.timed_out) && !o.cancelled) {
    std::string text = o.message;
    if (o.signal) text += " (" + signal_name(*o.signal) + ")";
    return text;
  }
  if (!o.killed_by.empty()) {
    std::string text = "killed by the worker: " + o.killed_by + " limit";
    if (o.signal) text += " (" + signal_name(*o.signal) + ")";
    return text;
  }
  if (o.cancelled) {
    if (o.signal) return "cancelled (killed by " + signal_name(*o.signal) + ")";
    return "cancelled";
  }
  if (!o.error.empty()) return "could not run: " + o.error;
  if (o.timed_out) {
    if (o.signal) return "timed out (killed by " + signal_name(*o.signal) + ")";
    return "timed out";
  }
  if (o.signal) {
    return "killed by " + signal_name(*o.signal) + " (" + std::to_string(*o.signal) + ")";
  }
  if (o.exit_code) {
    std::string text = "exit " + std::to_string(*o.exit_code);
    if (!o.message.empty()) text += " (" + o.message + ")";
    return text;
  }
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
  };
  // Only tasks that were given a start time (or are waiting out a retry's
  // backoff) have one; a dash on every other task would be noise.
  if (task.not_before_ms != 0)
    fields.emplace_back("not before", with_age(task.not_before_ms, now_ms));
  fields.emplace_back("started", with_age(task.started_at_ms, now_ms));
  fields.emplace_back("finished", with_age(task.finished_at_ms, now_ms));
  if (task.started_at_ms != 0 && task.finished_at_ms != 0) {
    fields.emplace_back("ran for",
                        format_duration_ms(span_ms(task.started_at_ms, task.finished_at_ms)));
  }
  if (task.live) fields.emplace_back("live", live_summary(*task.live));
  if (!task.waiting.empty()) {
    std::string why = task.waiting;
    if (task.state == msg::TaskState::kScheduled && task.attempts > 0) {
      // A retry's backoff: the broker says which attempt failed and how.
      const std::int64_t left = std::max<std::int64_t>(0, task.not_before_ms - now_ms);
      why = "retrying in " + format_duration_ms(static_cast<std::uint64_t>(left)) + " after " +
            task.waiting;
    }
    fields.emplace_back("waiting", why);
  }
  return fields;
}

Fields result_fields(const msg::TaskView& task) {
  Fields fields{
      {"id", std::to_string(task.id)},
      {"state", std::string(msg::state_name(task.state))},
  };
  if (!task.outcome) {
    if (task.state == msg::TaskState::kCancelled) {
      // The broker ends a running task's record at once and tells its
      // worker to stop it; the worker's late report carries no news.
      fields.emplace_back("outcome", task.started_at_ms != 0 ? "cancelled while running"
                                                             : "cancelled before it ran");
    } else if (task.state == msg::TaskState::kScheduled && task.not_before_ms != 0) {
      fields.emplace_back("outcome", "not final yet (scheduled for " +
                                         format_timestamp_ms(task.not_before_ms) + ")");
    } else if (!msg::is_final(task.state)) {
      fields.emplace_back("outcome", "not final yet");
    }
    return fields;
  }
  const msg::Outcome& o = *task.outcome;
  fields.emplace_back("outcome", describe_outcome(o));
  if (task.live) fields.emplace_back("live", live_summary(*task.live));
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
  if (o.peak_rss_kb != 0) fields.emplace_back("peak rss", format_bytes(o.peak_rss_kb * 1024));
  if (o.progress) fields.emplace_back("progress", std::to_string(*o.progress) + "%");
  if (!o.sandbox.empty()) fields.emplace_back("sandbox", o.sandbox);
  if (!o.result.empty()) fields.emplace_back("result", result_line(o));
  fields.emplace_back("stdout", format_bytes(o.stdout_bytes));
  fields.emplace_back("stderr", format_bytes(o.stderr_bytes));
  return fields;
}

std::string result_line(const msg::Outcome& outcome) {
  if (outcome.result.empty()) return {};
  return dump_line(result_json(outcome.result));
}

std::string status_line(const msg::TaskView& task) {
  std::string line =
      "task " + std::to_string(task.id) + " " + std::string(msg::state_name(task.state));
  if (task.outcome) {
    line += ": " + describe_outcome(*task.outcome);
    if (task.outcome->error.empty()) line += " after " + format_duration_ms(run_time_ms(task));
  }
  if (!task.worker.empty()) line += " on worker " + task.worker;
  if (task.attempts > 1) line += " (attempt " + std::to_string(task.attempts) + ")";
  return line;
}

std::string failure_summary(const msg::TaskView& task, std::size_t max_width) {
  if (!task.outcome) return "-";
  return one_line(describe_outcome(*task.outcome), max_width);
}

Table dead_letter_table(const std::vector<msg::TaskView>& tasks) {
  // Wide enough for "could not run: " and the start of the reason, narrow
  // enough that a row fits a terminal; `dlq list --json` has the whole text.
  constexpr std::size_t kErrorWidth = 60;
  Table table(
      {{"ID", Align::kRight}, {"PROJECT"}, {"ATTEMPTS", Align::kRight}, {"FINISHED"}, {"ERROR"}});
  for (const auto& t : tasks) {
    table.add_row({std::to_string(t.id), or_dash(t.project), std::to_string(t.attempts),
                   format_timestamp_ms(t.finished_at_ms), failure_summary(t, kErrorWidth)});
  }
  return table;
}

std::string tail_header(std::string_view stream, std::uint64_t total_bytes,
                        std::size_t shown_bytes) {
  std::string header = "--- " + std::string(stream) + " (" + format_bytes(total_bytes);
  if (shown_bytes < total_bytes) header += ", last " + format_bytes(shown_bytes) + " shown";
  return header + ") ---";
}

}  // namespace zfleet::ctl
