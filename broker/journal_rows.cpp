// Journal rows and their blob encodings; see journal_rows.hpp. The keys and
// the order they are written in are format 1's, which were those of protocol
// v1's TaskSpec and Outcome; they stay so when the protocol moves on.
//
// Reading trusts the file (it passed SQLite's integrity check and was written
// by a broker) but not blindly: every field is type-checked and bounded, with
// bounds of the journal's own, so a protocol that tightens its limits does
// not make old journals unreadable.
#include "broker/journal_rows.hpp"

#include <cstddef>

#include "common/codec.hpp"

namespace zfleet::broker {

using codec::FieldReader;
using codec::MapWriter;
using codec::Need;

namespace {

// Generous sanity bounds for fields read back from the journal.
constexpr std::size_t kMaxItems = 1U << 20;
constexpr std::size_t kMaxBytes = 256U << 20;

std::optional<std::string> error_of(const FieldReader& r, std::string_view what) {
  if (r.ok()) return std::nullopt;
  return std::string(what) + ": " + r.take_error().message;
}

// Reads the nested map `key`, if present, with `read`; an error in it is the
// parent's, prefixed with the key.
template <typename T, typename Read>
void nested(FieldReader& r, std::string_view key, T& out, Read read) {
  const msgpack::object* m = r.map(key, Need::kOptional);
  if (m == nullptr) return;
  FieldReader inner(*m);
  read(inner, out);
  if (!inner.ok())
    r.fail(inner.take_error().code, std::string(key) + ": " + inner.take_error().message);
}

void write_policy(MapWriter& w, const msg::RetryPolicy& p) {
  if (p.max_attempts != 0) w.u64("max_attempts", p.max_attempts);
  if (p.backoff_ms != 0) w.u64("backoff_ms", p.backoff_ms);
  if (p.backoff_max_ms != 0) w.u64("backoff_max_ms", p.backoff_max_ms);
  if (!p.retry_on.empty()) w.str_list("retry_on", p.retry_on);
}

void read_policy(FieldReader& r, msg::RetryPolicy& p) {
  r.u32("max_attempts", p.max_attempts);
  r.u64("backoff_ms", p.backoff_ms);
  r.u64("backoff_max_ms", p.backoff_max_ms);
  r.str_list("retry_on", p.retry_on, Need::kOptional, kMaxItems, kMaxBytes, kMaxBytes);
}

void write_http(MapWriter& w, const msg::HttpSpec& h) {
  w.str("method", h.method).str("url", h.url);
  if (!h.headers.empty()) w.str_map("headers", h.headers);
  if (!h.body.empty()) w.bin("body", h.body);
  if (h.max_response_bytes != 0) w.u64("max_response_bytes", h.max_response_bytes);
  if (h.max_redirects != proto::kDefaultHttpRedirects) w.u64("max_redirects", h.max_redirects);
  if (!h.allow.empty()) w.str_list("allow", h.allow);
  if (!h.deny.empty()) w.str_list("deny", h.deny);
}

void read_http(FieldReader& r, msg::HttpSpec& h) {
  r.bytes("method", h.method, Need::kOptional, kMaxBytes);
  r.bytes("url", h.url, Need::kOptional, kMaxBytes);
  r.str_map("headers", h.headers, Need::kOptional, kMaxItems, kMaxBytes);
  r.bytes("body", h.body, Need::kOptional, kMaxBytes);
  r.u64("max_response_bytes", h.max_response_bytes);
  r.u32("max_redirects", h.max_redirects);
  r.str_list("allow", h.allow, Need::kOptional, kMaxItems, kMaxBytes, kMaxBytes);
  r.str_list("deny", h.deny, Need::kOptional, kMaxItems, kMaxBytes, kMaxBytes);
}

void write_sandbox(MapWriter& w, const msg::SandboxRequest& b) {
  if (b.cpu_seconds != 0) w.u64("cpu_seconds", b.cpu_seconds);
  if (b.memory_bytes != 0) w.u64("memory_bytes", b.memory_bytes);
  if (b.memory_soft_bytes != 0) w.u64("memory_soft_bytes", b.memory_soft_bytes);
  if (b.address_space_bytes != 0) w.u64("address_space_bytes", b.address_space_bytes);
  if (b.open_files != 0) w.u64("open_files", b.open_files);
  if (b.processes != 0) w.u64("processes", b.processes);
  if (b.file_size_bytes != 0) w.u64("file_size_bytes", b.file_size_bytes);
  if (!b.network.empty()) w.str("network", b.network);
  if (b.stall_ms != 0) w.u64("stall_ms", b.stall_ms);
  if (b.kill_on_stall) w.boolean("kill_on_stall", true);
}

void read_sandbox(FieldReader& r, msg::SandboxRequest& b) {
  r.u64("cpu_seconds", b.cpu_seconds);
  r.u64("memory_bytes", b.memory_bytes);
  r.u64("memory_soft_bytes", b.memory_soft_bytes);
  r.u64("address_space_bytes", b.address_space_bytes);
  r.u64("open_files", b.open_files);
  r.u64("processes", b.processes);
  r.u64("file_size_bytes", b.file_size_bytes);
  r.bytes("network", b.network, Need::kOptional, kMaxBytes);
  r.u64("stall_ms", b.stall_ms);
  r.boolean("kill_on_stall", b.kill_on_stall);
}

void read_files(FieldReader& r, std::vector<msg::TaskFile>& out) {
  const msgpack::object* list = r.map_list("files", Need::kOptional, kMaxItems);
  if (list == nullptr) return;
  for (std::uint32_t i = 0; i < list->via.array.size && r.ok(); ++i) {
    FieldReader f(list->via.array.ptr[i]);
    msg::TaskFile file;
    f.bytes("path", file.path, Need::kRequired, kMaxBytes);
    f.bytes("data", file.data, Need::kOptional, kMaxBytes);
    f.u32("mode", file.mode);
    if (!f.ok()) {
      r.fail(f.take_error().code, "files[" + std::to_string(i) + "]: " + f.take_error().message);
      return;
    }
    out.push_back(std::move(file));
  }
}

template <typename Read>
std::optional<std::string> read_blob(std::string_view bytes, std::string_view what, Read read) {
  codec::DecodeError error;
  auto body = codec::parse_body(bytes, error);
  if (!body) return std::string(what) + ": " + error.message;
  FieldReader r(body->root());
  read(r);
  return error_of(r, what);
}

}  // namespace

std::string encode_spec_blob(const msg::TaskSpec& s) {
  MapWriter w;
  w.str("type", s.type).str("project", s.project).u64("priority", s.priority);
  if (!s.argv.empty() || s.type == "shell") w.str_list("argv", s.argv);
  if (!s.stdin_data.empty()) w.bin("stdin", s.stdin_data);
  if (!s.env.empty()) w.str_map("env", s.env);
  if (!s.cwd.empty()) w.str("cwd", s.cwd);
  if (!s.files.empty()) {
    std::vector<std::string> files;
    files.reserve(s.files.size());
    for (const auto& f : s.files) {
      MapWriter file;
      file.str("path", f.path).bin("data", f.data);
      if (f.mode != proto::kDefaultTaskFileMode) file.u64("mode", f.mode);
      files.push_back(file.finish());
    }
    w.map_list("files", files);
  }
  if (s.timeout_ms != 0) w.u64("timeout_ms", s.timeout_ms);
  if (s.grace_ms != 0) w.u64("grace_ms", s.grace_ms);
  if (s.output_cap != proto::kDefaultOutputCapBytes) w.u64("output_cap", s.output_cap);
  if (s.retry != msg::RetryPolicy{}) {
    MapWriter retry;
    write_policy(retry, s.retry);
    w.map("retry", retry);
  }
  if (s.not_before_ms != 0) w.i64("not_before_ms", s.not_before_ms);
  if (!s.idempotency_key.empty()) w.str("idempotency_key", s.idempotency_key);
  if (!s.module.empty()) w.str("module", s.module);
  if (!s.args.empty()) w.raw("args", s.args);
  if (s.type == "http") {
    MapWriter http;
    write_http(http, s.http);
    w.map("http", http);
  }
  if (s.sandbox != msg::SandboxRequest{}) {
    MapWriter sandbox;
    write_sandbox(sandbox, s.sandbox);
    w.map("sandbox", sandbox);
  }
  return w.finish();
}

std::optional<std::string> decode_spec_blob(std::string_view bytes, msg::TaskSpec& s) {
  return read_blob(bytes, "spec", [&](FieldReader& r) {
    r.bytes("type", s.type, Need::kRequired, kMaxBytes);
    r.bytes("project", s.project, Need::kOptional, kMaxBytes);
    r.u32("priority", s.priority);
    r.str_list("argv", s.argv, Need::kOptional, kMaxItems, kMaxBytes, kMaxBytes);
    r.bytes("stdin", s.stdin_data, Need::kOptional, kMaxBytes);
    r.str_map("env", s.env, Need::kOptional, kMaxItems, kMaxBytes);
    r.bytes("cwd", s.cwd, Need::kOptional, kMaxBytes);
    read_files(r, s.files);
    r.u64("timeout_ms", s.timeout_ms);
    r.u64("grace_ms", s.grace_ms);
    r.u64("output_cap", s.output_cap);
    nested(r, "retry", s.retry, read_policy);
    r.i64("not_before_ms", s.not_before_ms);
    r.bytes("idempotency_key", s.idempotency_key, Need::kOptional, kMaxBytes);
    r.bytes("module", s.module, Need::kOptional, kMaxBytes);
    r.object("args", s.args, Need::kOptional, kMaxBytes);
    nested(r, "http", s.http, read_http);
    nested(r, "sandbox", s.sandbox, read_sandbox);
  });
}

std::string encode_outcome_blob(const msg::Outcome& o) {
  MapWriter w;
  if (o.exit_code) w.i64("exit_code", *o.exit_code);
  if (o.signal) w.i64("signal", *o.signal);
  w.boolean("timed_out", o.timed_out);
  if (o.cancelled) w.boolean("cancelled", true);
  if (!o.error.empty()) w.str("error", o.error);
  w.bin("stdout", o.stdout_tail).bin("stderr", o.stderr_tail);
  w.u64("stdout_bytes", o.stdout_bytes).u64("stderr_bytes", o.stderr_bytes);
  w.i64("started_at_ms", o.started_at_ms).i64("finished_at_ms", o.finished_at_ms);
  w.u64("user_cpu_ms", o.user_cpu_ms).u64("sys_cpu_ms", o.sys_cpu_ms);
  w.u64("max_rss_kb", o.max_rss_kb);
  if (!o.result.empty()) w.raw("result", o.result);
  if (!o.killed_by.empty()) w.str("killed_by", o.killed_by);
  if (!o.sandbox.empty()) w.str("sandbox", o.sandbox);
  if (o.peak_rss_kb != 0) w.u64("peak_rss_kb", o.peak_rss_kb);
  if (o.progress) w.u64("progress", static_cast<std::uint64_t>(*o.progress));
  if (!o.message.empty()) w.str("message", o.message);
  return w.finish();
}

std::optional<std::string> decode_outcome_blob(std::string_view bytes, msg::Outcome& o) {
  return read_blob(bytes, "outcome", [&](FieldReader& r) {
    r.opt_int("exit_code", o.exit_code);
    r.opt_int("signal", o.signal);
    r.boolean("timed_out", o.timed_out);
    r.boolean("cancelled", o.cancelled);
    r.bytes("error", o.error, Need::kOptional, kMaxBytes);
    r.bytes("stdout", o.stdout_tail, Need::kOptional, kMaxBytes);
    r.bytes("stderr", o.stderr_tail, Need::kOptional, kMaxBytes);
    r.u64("stdout_bytes", o.stdout_bytes);
    r.u64("stderr_bytes", o.stderr_bytes);
    r.i64("started_at_ms", o.started_at_ms);
    r.i64("finished_at_ms", o.finished_at_ms);
    r.u64("user_cpu_ms", o.user_cpu_ms);
    r.u64("sys_cpu_ms", o.sys_cpu_ms);
    r.u64("max_rss_kb", o.max_rss_kb);
    r.object("result", o.result, Need::kOptional, kMaxBytes);
    r.bytes("killed_by", o.killed_by, Need::kOptional, kMaxBytes);
    r.bytes("sandbox", o.sandbox, Need::kOptional, kMaxBytes);
    r.u64("peak_rss_kb", o.peak_rss_kb);
    r.opt_int("progress", o.progress);
    r.bytes("message", o.message, Need::kOptional, kMaxBytes);
  });
}

namespace {

std::optional<std::string> refuse_newer(int format) {
  if (format <= kJournalFormatVersion) return std::nullopt;
  return "row of format version " + std::to_string(format) + ", newer than this broker's " +
         std::to_string(kJournalFormatVersion) + "; refusing to read it";
}

}  // namespace

TaskRow to_row(const Task& t) {
  if (t.spec_bytes.empty()) t.spec_bytes = encode_spec_blob(t.spec);
  TaskRow row;
  row.id = t.id;
  row.state = static_cast<int>(t.state);
  row.attempts = t.attempts;
  row.retry_base = t.retry_base;
  row.project = t.spec.project;
  row.priority = t.spec.priority;
  row.spec = t.spec_bytes;
  row.submitted_at_ms = t.submitted_at_ms;
  row.started_at_ms = t.started_at_ms;
  row.finished_at_ms = t.finished_at_ms;
  row.ended_at_ms = t.ended_at_ms;
  row.not_before_ms = t.not_before_ms;
  row.worker = t.worker_name;
  if (t.outcome) row.outcome = encode_outcome_blob(*t.outcome);
  return row;
}

std::optional<std::string> from_row(const TaskRow& row, int format, Task& t) {
  if (auto e = refuse_newer(format)) return e;
  if (row.state < 0 || row.state > static_cast<int>(msg::TaskState::kDead)) {
    return "unknown state " + std::to_string(row.state);
  }
  t.id = row.id;
  t.state = static_cast<msg::TaskState>(row.state);
  t.attempts = row.attempts;
  t.retry_base = row.retry_base;
  if (auto e = decode_spec_blob(row.spec, t.spec)) return "an unreadable " + *e;
  t.spec_bytes = row.spec;
  t.submitted_at_ms = row.submitted_at_ms;
  t.started_at_ms = row.started_at_ms;
  t.finished_at_ms = row.finished_at_ms;
  t.ended_at_ms = format >= 2 ? row.ended_at_ms : 0;
  t.not_before_ms = row.not_before_ms;
  t.worker_name = row.worker;
  if (row.outcome) {
    msg::Outcome outcome;
    if (!decode_outcome_blob(*row.outcome, outcome)) t.outcome = std::move(outcome);
  }
  return std::nullopt;
}

ProjectRow to_row(const ProjectSettings& p) {
  MapWriter retry;
  write_policy(retry, p.policy);
  MapWriter w;
  w.map("retry", retry);
  return ProjectRow{p.name, p.limit, w.finish()};
}

std::optional<std::string> from_row(const ProjectRow& row, int format, ProjectSettings& out) {
  if (auto e = refuse_newer(format)) return e;
  out.name = row.name;
  out.limit = row.limit;
  // Format 1 kept the policy inside a whole TaskSpec; its "retry" is the
  // same map, and the rest is ignored.
  if (row.policy.empty()) return std::nullopt;
  return read_blob(row.policy, "policy",
                   [&](FieldReader& r) { nested(r, "retry", out.policy, read_policy); });
}

}  // namespace zfleet::broker
