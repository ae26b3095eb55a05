// The `workers` table; see worker_report.hpp.
#include "broker/zfleetctl/worker_report.hpp"

#include "broker/zfleetctl/units.hpp"

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

Table workers_table(const std::vector<msg::WorkerView>& workers) {
  Table table({{"ID"},
               {"HOST"},
               {"PID", Align::kRight},
               {"SLOTS", Align::kRight},
               {"CREDIT", Align::kRight},
               {"DONE", Align::kRight},
               {"LABELS"},
               {"LAYERS"},
               {"IDLE", Align::kRight}});
  for (const auto& w : workers) {
    // A draining worker takes no new tasks; marking its id says so without
    // a column that is empty on every healthy fleet.
    table.add_row({w.draining ? w.id + " (draining)" : w.id, w.hostname, std::to_string(w.pid),
                   slots_cell(w), std::to_string(w.credit), std::to_string(w.tasks_done),
                   joined(w.labels), joined(w.layers), format_duration_ms(w.idle_ms)});
  }
  return table;
}

}  // namespace zfleet::ctl
