// The `workers` table; see worker_report.hpp.
#include "broker/zfleetctl/worker_report.hpp"

#include "broker/zfleetctl/units.hpp"
#include "common/quantity_text.hpp"

namespace zfleet::ctl {

namespace {

std::string joined(const std::vector<std::string>& items) {
  if (items.empty()) return "-";
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

std::string slots_cell(const msg::WorkerView& w) {
  std::string cell = std::to_string(w.busy) + "/" + std::to_string(w.slots);
  if (w.max_slots != 0) {
    cell += " (" + std::to_string(w.min_slots) + "-" + std::to_string(w.max_slots) + ")";
  }
  return cell;
}

std::string limits_cell(const std::optional<msg::TaskLimits>& limits) {
  if (!limits) return "-";
  auto part = [](const char* name, std::uint64_t value, auto render) {
    return std::string(name) + " " + (value == 0 ? std::string("none") : render(value));
  };
  auto seconds = [](std::uint64_t s) { return zfleet::format_limit_seconds(s); };
  auto count = [](std::uint64_t n) { return std::to_string(n); };
  return part("mem", limits->memory_bytes, zfleet::format_bytes) + ", " +
         part("cpu", limits->cpu_seconds, seconds) + ", " +
         part("wall", limits->timeout_ms, zfleet::format_limit_ms) + ", " +
         part("pids", limits->processes, count);
}

Table workers_table(const std::vector<msg::WorkerView>& workers) {
  Table table({{"ID"},
               {"HOST"},
               {"PID", Align::kRight},
               {"SLOTS", Align::kRight},
               {"CREDIT", Align::kRight},
               {"DONE", Align::kRight},
               {"LABELS"},
               {"LAYERS"},
               {"LIMITS"},
               {"IDLE", Align::kRight}});
  for (const auto& w : workers) {
    // A draining worker takes no new tasks; marking its id says so without
    // a column that is empty on every healthy fleet.
    table.add_row({w.draining ? w.id + " (draining)" : w.id, w.hostname, std::to_string(w.pid),
                   slots_cell(w), std::to_string(w.credit), std::to_string(w.tasks_done),
                   joined(w.labels), joined(w.layers), limits_cell(w.limits),
                   format_duration_ms(w.idle_ms)});
  }
  return table;
}

}  // namespace zfleet::ctl
