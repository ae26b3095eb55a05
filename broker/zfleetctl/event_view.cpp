// Event lines, event JSON and live status; see event_view.hpp.
#include "broker/zfleetctl/event_view.hpp"

#include <algorithm>
#include <ctime>

#include "broker/zfleetctl/units.hpp"

namespace zfleet::ctl {

namespace {

std::string local_time(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03d", static_cast<int>(unix_ms % 1000));
  return std::string(text, n) + millis;
}

std::string kind_of(const std::string& topic) {
  const auto dot = topic.rfind('.');
  return dot == std::string::npos ? topic : topic.substr(dot + 1);
}

}  // namespace

std::vector<std::string> EventFilter::prefixes() const {
  if (task != 0) {
    const std::string base = "task." + std::to_string(task) + ".";
    if (kinds.empty()) return {base};
    std::vector<std::string> out;
    for (const auto& k : kinds)
      out.push_back(base + k);
    return out;
  }
  if (!worker.empty()) {
    // Task events name their worker in the body, not the topic: all of
    // them are needed to find this worker's.
    return {"task.", "worker." + worker + "."};
  }
  return {"task.", "worker."};
}

bool EventFilter::keeps(const std::string& topic, const msg::Event& event) const {
  if (task != 0 && event.task_id != task) return false;
  if (!worker.empty() && event.worker != worker) return false;
  if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), kind_of(topic)) == kinds.end()) {
    return false;
  }
  return true;
}

std::string event_line(const msg::Event& e) {
  std::string line = local_time(e.at_ms) + " " + e.kind;
  if (e.task_id != 0) {
    line += " task " + std::to_string(e.task_id);
    if (!e.project.empty()) line += " (" + e.project + ")";
    if (e.attempt > 1) line += " attempt " + std::to_string(e.attempt);
  }
  if (!e.worker.empty()) line += (e.task_id != 0 ? " on " : " worker ") + e.worker;
  std::vector<std::string> details;
  if (!e.state.empty()) details.push_back(e.state);
  if (e.percent) details.push_back(std::to_string(*e.percent) + "%");
  if (!e.message.empty()) details.push_back(e.message);
  if (!e.reason.empty()) details.push_back("reason " + e.reason);
  if (e.rss_kb != 0) details.push_back("rss " + format_bytes(e.rss_kb * 1024));
  if (e.cpu_ms != 0) details.push_back("cpu " + format_duration_ms(e.cpu_ms));
  if (e.idle_ms != 0) details.push_back("idle " + format_duration_ms(e.idle_ms));
  if (e.from != 0 || e.to != 0) {
    details.push_back("slots " + std::to_string(e.from) + " -> " + std::to_string(e.to));
  }
  for (std::size_t i = 0; i < details.size(); ++i)
    line += (i == 0 ? ": " : ", ") + details[i];
  return line;
}

Json event_json(const std::string& topic, const msg::Event& e) {
  auto or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  return Json{
      {"topic", topic},
      {"kind", e.kind},
      {"at_ms", e.at_ms},
      {"task_id", e.task_id == 0 ? Json(nullptr) : Json(e.task_id)},
      {"attempt", e.attempt == 0 ? Json(nullptr) : Json(e.attempt)},
      {"project", or_null(e.project)},
      {"worker", or_null(e.worker)},
      {"percent", e.percent ? Json(*e.percent) : Json(nullptr)},
      {"message", or_null(e.message)},
      {"reason", or_null(e.reason)},
      {"state", or_null(e.state)},
      {"rss_kb", e.rss_kb},
      {"cpu_ms", e.cpu_ms},
      {"idle_ms", e.idle_ms},
      {"from", e.from},
      {"to", e.to},
  };
}

std::string live_summary(const msg::LiveStatus& l) {
  std::vector<std::string> parts;
  if (l.progress) {
    parts.push_back(std::to_string(*l.progress) + "%" + (l.message.empty() ? "" : " " + l.message));
  } else if (!l.message.empty()) {
    parts.push_back(l.message);
  }
  parts.push_back("rss " + format_bytes(l.rss_kb * 1024));
  parts.push_back("cpu " + format_duration_ms(l.cpu_ms));
  parts.push_back("idle " + format_duration_ms(l.idle_ms));
  if (l.output_bytes != 0) parts.push_back("output " + format_bytes(l.output_bytes));
  if (l.suspended) parts.push_back("suspended");
  if (l.stalled) parts.push_back("stalled");
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i)
    out += (i == 0 ? "" : ", ") + parts[i];
  return out;
}

Json live_json(const msg::LiveStatus& l) {
  return Json{
      {"progress", l.progress ? Json(*l.progress) : Json(nullptr)},
      {"message", l.message.empty() ? Json(nullptr) : Json(l.message)},
      {"rss_kb", l.rss_kb},
      {"cpu_ms", l.cpu_ms},
      {"output_bytes", l.output_bytes},
      {"idle_ms", l.idle_ms},
      {"suspended", l.suspended},
      {"stalled", l.stalled},
  };
}

}  // namespace zfleet::ctl
