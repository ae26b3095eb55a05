// Journal rows: what one row of the journal's tables holds, and the msgpack
// the broker keeps in its blob columns (a task's spec, its last outcome, a
// project's retry policy). They are written and read here, field by field,
// with codec::MapWriter / codec::FieldReader, not with the wire encoders of
// common/messages.hpp: a change to the protocol's bodies is not a change to
// the journal, and a change to the journal is one to this file and to
// kJournalFormatVersion.
//
// Invariants:
//  - from_row(to_row(x)) == x for every field the journal keeps (the live
//    status and the placement note are not kept; see task.hpp).
//  - The blob keys are those of format 1 (which stored the wire encoding),
//    so a journal written by a broker of format 1 reads back unchanged.
//  - A row of a format newer than kJournalFormatVersion is refused, never
//    read by guess.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "broker/task.hpp"

namespace zfleet::broker {

// The journal's on-disk format, kept in SQLite's PRAGMA user_version:
//   1: tables tasks and projects; blobs in the wire encoding of protocol v1.
//   2: tasks.ended_at_ms (the broker's clock at the ending, for retention).
inline constexpr int kJournalFormatVersion = 2;

struct ProjectSettings {
  std::string name;
  std::uint32_t limit = 0;
  msg::RetryPolicy policy;
};

// One row of the tasks table, column for column.
struct TaskRow {
  std::uint64_t id = 0;
  int state = 0;  // msg::TaskState
  std::uint32_t attempts = 0;
  std::uint32_t retry_base = 0;
  std::string project;  // copies of the spec's, for queries by hand
  std::uint32_t priority = 0;
  std::string spec;  // msgpack map: encode_spec_blob()
  std::int64_t submitted_at_ms = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::int64_t ended_at_ms = 0;  // format 2; 0 in rows of format 1
  std::int64_t not_before_ms = 0;
  std::string worker;
  std::optional<std::string> outcome;  // msgpack map: encode_outcome_blob()
};

// One row of the projects table.
struct ProjectRow {
  std::string name;
  std::uint32_t limit = 0;
  std::string policy;  // msgpack map with the policy under "retry"
};

// Reuses task.spec_bytes when set (a spec never changes once submitted).
TaskRow to_row(const Task& task);
// Fills `out` from a row of journal format `format`; returns why not
// (unknown state, unreadable spec, newer format) otherwise. An unreadable
// outcome is dropped, as format 1 did: it only describes the past attempt.
std::optional<std::string> from_row(const TaskRow& row, int format, Task& out);

ProjectRow to_row(const ProjectSettings& settings);
std::optional<std::string> from_row(const ProjectRow& row, int format, ProjectSettings& out);

// The blob encodings, exposed for tests of the format.
std::string encode_spec_blob(const msg::TaskSpec& spec);
std::optional<std::string> decode_spec_blob(std::string_view bytes, msg::TaskSpec& out);
std::string encode_outcome_blob(const msg::Outcome& outcome);
std::optional<std::string> decode_outcome_blob(std::string_view bytes, msg::Outcome& out);

}  // namespace zfleet::broker
