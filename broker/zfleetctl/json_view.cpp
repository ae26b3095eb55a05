// Protocol views -> --json objects; see json_view.hpp.
#include "broker/zfleetctl/json_view.hpp"

#include "broker/zfleetctl/event_view.hpp"
#include "broker/zfleetctl/msgpack_json.hpp"

namespace zfleet::ctl {

namespace {

using json = Json;

json optional_int(const std::optional<int>& value) {
  return value ? json(*value) : json(nullptr);
}

json optional_string(const std::string& value) {
  return value.empty() ? json(nullptr) : json(value);
}

json timestamp(std::int64_t unix_ms) {
  return unix_ms == 0 ? json(nullptr) : json(unix_ms);
}

json or_null(std::uint64_t value) {
  return value == 0 ? json(nullptr) : json(value);
}

}  // namespace

json result_json(const std::string& raw) {
  if (raw.empty()) return nullptr;
  auto value = msgpack_to_json(raw);
  // The worker checked it; a value that does not parse is shown as bytes.
  return value ? *value : json{{"$base64", base64(raw)}};
}

json outcome_json(const msg::Outcome& o) {
  return json{
      {"exit_code", optional_int(o.exit_code)},
      {"signal", optional_int(o.signal)},
      {"timed_out", o.timed_out},
      {"cancelled", o.cancelled},
      {"error", optional_string(o.error)},
      {"succeeded", o.succeeded()},
      {"stdout", o.stdout_tail},
      {"stderr", o.stderr_tail},
      {"stdout_bytes", o.stdout_bytes},
      {"stderr_bytes", o.stderr_bytes},
      {"started_at_ms", timestamp(o.started_at_ms)},
      {"finished_at_ms", timestamp(o.finished_at_ms)},
      {"user_cpu_ms", o.user_cpu_ms},
      {"sys_cpu_ms", o.sys_cpu_ms},
      {"max_rss_kb", o.max_rss_kb},
      {"peak_rss_kb", or_null(o.peak_rss_kb)},
      {"killed_by", optional_string(o.killed_by)},
      {"message", optional_string(o.message)},
      {"sandbox", optional_string(o.sandbox)},
      {"progress", optional_int(o.progress)},
      {"result", result_json(o.result)},
  };
}

json task_json(const msg::TaskView& t) {
  return json{
      {"id", t.id},
      {"type", t.type},
      {"project", t.project},
      {"priority", t.priority},
      {"state", std::string(msg::state_name(t.state))},
      {"final", msg::is_final(t.state)},
      {"attempts", t.attempts},
      {"worker", optional_string(t.worker)},
      {"submitted_at_ms", timestamp(t.submitted_at_ms)},
      {"started_at_ms", timestamp(t.started_at_ms)},
      {"finished_at_ms", timestamp(t.finished_at_ms)},
      {"not_before_ms", timestamp(t.not_before_ms)},
      {"outcome", t.outcome ? outcome_json(*t.outcome) : json(nullptr)},
      {"live", t.live ? live_json(*t.live) : json(nullptr)},
      {"waiting", optional_string(t.waiting)},
  };
}

namespace {

// null for a worker that does not report its limits; inside, null for "none".
json limits_json(const std::optional<msg::TaskLimits>& limits) {
  if (!limits) return nullptr;
  return json{
      {"memory_bytes", or_null(limits->memory_bytes)},
      {"cpu_seconds", or_null(limits->cpu_seconds)},
      {"timeout_ms", or_null(limits->timeout_ms)},
      {"processes", or_null(limits->processes)},
  };
}

}  // namespace

json worker_json(const msg::WorkerView& w) {
  return json{
      {"id", w.id},
      {"hostname", w.hostname},
      {"pid", w.pid},
      {"slots", w.slots},
      {"busy", w.busy},
      {"credit", w.credit},
      {"labels", w.labels},
      {"tasks_done", w.tasks_done},
      {"connected_ms", w.connected_ms},
      {"idle_ms", w.idle_ms},
      {"draining", w.draining},
      {"min_slots", or_null(w.min_slots)},
      {"max_slots", or_null(w.max_slots)},
      {"layers", w.layers},
      {"task_types", w.task_types},
      {"modules", w.modules},
      {"limits", limits_json(w.limits)},
  };
}

json workers_json(const std::vector<msg::WorkerView>& workers) {
  json out = json::array();
  for (const auto& w : workers)
    out.push_back(worker_json(w));
  return out;
}

json policy_json(const msg::RetryPolicy& p) {
  return json{
      {"max_attempts", or_null(p.max_attempts)},
      {"backoff_ms", or_null(p.backoff_ms)},
      {"backoff_max_ms", or_null(p.backoff_max_ms)},
      {"retry_on", p.retry_on.empty() ? json(nullptr) : json(p.retry_on)},
  };
}

json project_json(const msg::ProjectView& p) {
  return json{
      {"name", p.name},
      {"limit", p.limit},
      {"queued", p.queued},
      {"running", p.running},
      {"peak_running", p.peak_running},
      {"succeeded", p.succeeded},
      {"failed", p.failed},
      {"dead", p.dead},
      {"cancelled", p.cancelled},
      {"policy", policy_json(p.policy)},
  };
}

json projects_json(const std::vector<msg::ProjectView>& projects) {
  json out = json::array();
  for (const auto& p : projects)
    out.push_back(project_json(p));
  return out;
}

json dead_letters_json(std::uint64_t total, const std::vector<msg::TaskView>& tasks) {
  json list = json::array();
  for (const auto& t : tasks)
    list.push_back(task_json(t));
  return json{{"total", total}, {"tasks", std::move(list)}};
}

json counters_json(const msg::Counters& counters) {
  json out = json::object();
  for (const auto& [name, value] : counters)
    out[name] = value;
  return out;
}

json pong_json(const msg::PongReply& pong, std::chrono::microseconds round_trip) {
  return json{
      {"version", pong.version},
      {"uptime_ms", pong.uptime_ms},
      {"rtt_ms", static_cast<double>(round_trip.count()) / 1000.0},
      {"events", optional_string(pong.events)},
  };
}

std::string dump_line(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace zfleet::ctl
