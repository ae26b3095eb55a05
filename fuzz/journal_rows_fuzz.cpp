// Fuzz target: the journal's own row decoders (broker/journal_rows.hpp): a
// task's spec blob, its outcome blob, a project's policy blob, and whole
// rows carrying them. A damaged journal must be reported, never crash
// recovery.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/journal_rows.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace broker = zfleet::broker;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  zfleet::msg::TaskSpec spec;
  if (!broker::decode_spec_blob(bytes, spec)) (void)zfleet::msg::validate(spec);
  zfleet::msg::Outcome outcome;
  (void)broker::decode_outcome_blob(bytes, outcome);

  // The first byte picks the row's state and format (newer formats included,
  // which must be refused).
  const std::uint8_t pick = size > 0 ? data[0] : 0;
  const int format = 1 + pick % (broker::kJournalFormatVersion + 1);
  broker::TaskRow row;
  row.id = 1;
  row.state = pick >> 4;
  row.spec = std::string(bytes);
  row.outcome = std::string(bytes);
  broker::Task task;
  (void)broker::from_row(row, format, task);

  broker::ProjectRow project;
  project.name = "p";
  project.policy = std::string(bytes);
  broker::ProjectSettings settings;
  (void)broker::from_row(project, format, settings);
  return 0;
}
