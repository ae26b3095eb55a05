// Encoders and decoders of protocol v1 bodies; see messages.hpp.
// Over 1,000 lines, one responsibility: each body's encoder sits next to its
// decoder, so a field added to one is seen missing from the other. It is to
// be split per command when the bodies are declared once, by field list, in
// a command table that derives both.
#include "common/messages.hpp"

#include <algorithm>

namespace zfleet::msg {

using codec::FieldReader;
using codec::MapWriter;
using codec::Need;

namespace {

using proto::kMaxListItems;

MaybeError result_of(const FieldReader& r) {
  if (r.ok()) return std::nullopt;
  return r.take_error();
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > proto::kMaxNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':' || c == '@';
  });
}

// ---- shared sub-structures ----

void write_policy(MapWriter& w, const RetryPolicy& p) {
  if (p.max_attempts != 0) w.u64("max_attempts", p.max_attempts);
  if (p.backoff_ms != 0) w.u64("backoff_ms", p.backoff_ms);
  if (p.backoff_max_ms != 0) w.u64("backoff_max_ms", p.backoff_max_ms);
  if (!p.retry_on.empty()) w.str_list("retry_on", p.retry_on);
}

void read_policy(FieldReader& r, RetryPolicy& p) {
  r.u32("max_attempts", p.max_attempts, Need::kOptional, proto::kMaxAttempts);
  r.u64("backoff_ms", p.backoff_ms, Need::kOptional, proto::kMaxBackoffMs);
  r.u64("backoff_max_ms", p.backoff_max_ms, Need::kOptional, proto::kMaxBackoffMs);
  r.str_list("retry_on", p.retry_on, Need::kOptional, std::size(kRetryKinds), 16, 128);
}

void write_sandbox(MapWriter& w, const SandboxRequest& b) {
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

void read_sandbox(FieldReader& r, SandboxRequest& b) {
  r.u64("cpu_seconds", b.cpu_seconds);
  r.u64("memory_bytes", b.memory_bytes);
  r.u64("memory_soft_bytes", b.memory_soft_bytes);
  r.u64("address_space_bytes", b.address_space_bytes);
  r.u64("open_files", b.open_files);
  r.u64("processes", b.processes);
  r.u64("file_size_bytes", b.file_size_bytes);
  r.bytes("network", b.network, Need::kOptional, 16);
  r.u64("stall_ms", b.stall_ms, Need::kOptional, proto::kMaxTimeoutMs);
  r.boolean("kill_on_stall", b.kill_on_stall);
}

void write_http(MapWriter& w, const HttpSpec& h) {
  w.str("method", h.method).str("url", h.url);
  if (!h.headers.empty()) w.str_map("headers", h.headers);
  if (!h.body.empty()) w.bin("body", h.body);
  if (h.max_response_bytes != 0) w.u64("max_response_bytes", h.max_response_bytes);
  if (h.max_redirects != proto::kDefaultHttpRedirects) w.u64("max_redirects", h.max_redirects);
  if (!h.allow.empty()) w.str_list("allow", h.allow);
  if (!h.deny.empty()) w.str_list("deny", h.deny);
}

void read_http(FieldReader& r, HttpSpec& h) {
  r.bytes("method", h.method, Need::kOptional, 16);
  r.bytes("url", h.url, Need::kRequired, proto::kMaxUrlBytes);
  r.str_map("headers", h.headers, Need::kOptional, proto::kMaxHttpHeaders,
            proto::kMaxHttpHeaderBytes);
  r.bytes("body", h.body, Need::kOptional, proto::kMaxHttpBodyBytes);
  r.u64("max_response_bytes", h.max_response_bytes, Need::kOptional, proto::kMaxHttpResponseCap);
  r.u32("max_redirects", h.max_redirects, Need::kOptional, proto::kMaxHttpRedirects);
  r.str_list("allow", h.allow, Need::kOptional, proto::kMaxHostRules, 256,
             proto::kMaxHostRules * 256);
  r.str_list("deny", h.deny, Need::kOptional, proto::kMaxHostRules, 256,
             proto::kMaxHostRules * 256);
}

void write_live(MapWriter& w, const LiveStatus& l) {
  if (l.progress) w.u64("progress", static_cast<std::uint64_t>(*l.progress));
  if (!l.message.empty()) w.str("message", l.message);
  w.u64("rss_kb", l.rss_kb).u64("cpu_ms", l.cpu_ms).u64("output_bytes", l.output_bytes);
  w.u64("idle_ms", l.idle_ms);
  if (l.suspended) w.boolean("suspended", true);
  if (l.stalled) w.boolean("stalled", true);
}

void read_live(FieldReader& r, LiveStatus& l) {
  std::optional<int> progress;
  r.opt_int("progress", progress);
  if (progress && (*progress < 0 || *progress > 100)) {
    r.fail(ErrorCode::kInvalidField, "'progress' must be 0-100");
  }
  l.progress = progress;
  r.bytes("message", l.message, Need::kOptional, proto::kMaxProgressMessageBytes);
  r.u64("rss_kb", l.rss_kb);
  r.u64("cpu_ms", l.cpu_ms);
  r.u64("output_bytes", l.output_bytes);
  r.u64("idle_ms", l.idle_ms);
  r.boolean("suspended", l.suspended);
  r.boolean("stalled", l.stalled);
}

// Reads a nested map with `read` and prefixes its error with `name`.
template <typename T, typename Read>
void read_nested(FieldReader& r, std::string_view name, T& out, Read read) {
  if (const auto* m = r.map(name, Need::kOptional)) {
    FieldReader nested(*m);
    read(nested, out);
    if (!nested.ok()) {
      r.fail(nested.take_error().code, std::string(name) + ": " + nested.take_error().message);
    }
  }
}

void write_limits(MapWriter& w, const std::optional<TaskLimits>& limits) {
  if (!limits) return;
  MapWriter m;
  if (limits->memory_bytes != 0) m.u64("memory_bytes", limits->memory_bytes);
  if (limits->cpu_seconds != 0) m.u64("cpu_seconds", limits->cpu_seconds);
  if (limits->timeout_ms != 0) m.u64("timeout_ms", limits->timeout_ms);
  if (limits->processes != 0) m.u64("processes", limits->processes);
  w.map("limits", m);
}

void read_limits(FieldReader& r, TaskLimits& l) {
  r.u64("memory_bytes", l.memory_bytes);
  r.u64("cpu_seconds", l.cpu_seconds);
  r.u64("timeout_ms", l.timeout_ms, Need::kOptional, proto::kMaxTimeoutMs);
  r.u64("processes", l.processes);
}

void read_optional_limits(FieldReader& r, std::optional<TaskLimits>& out) {
  if (!r.has("limits")) return;
  TaskLimits limits;
  read_nested(r, "limits", limits, read_limits);
  out = limits;
}

void read_worker_lists(FieldReader& r, std::vector<std::string>& layers,
                       std::vector<std::string>& task_types, std::vector<std::string>& modules) {
  r.str_list("layers", layers, Need::kOptional, 32, 128, 32 * 128);
  r.str_list("task_types", task_types, Need::kOptional, 32, proto::kMaxNameBytes,
             32 * proto::kMaxNameBytes);
  r.str_list("modules", modules, Need::kOptional, 1024, proto::kMaxNameBytes,
             1024 * proto::kMaxNameBytes);
}

void read_files(FieldReader& r, std::vector<TaskFile>& out) {
  const auto* list = r.map_list("files", Need::kOptional, proto::kMaxTaskFiles);
  if (list == nullptr) return;
  std::size_t total = 0;
  for (std::uint32_t i = 0; i < list->via.array.size && r.ok(); ++i) {
    FieldReader f(list->via.array.ptr[i]);
    TaskFile file;
    f.bytes("path", file.path, Need::kRequired, proto::kMaxTaskFilePathBytes);
    f.bytes("data", file.data, Need::kOptional, proto::kMaxTaskFilesBytes);
    f.u32("mode", file.mode, Need::kOptional, proto::kMaxTaskFileMode);
    if (!f.ok()) {
      auto e = f.take_error();
      r.fail(e.code, "files[" + std::to_string(i) + "]: " + e.message);
      return;
    }
    total += file.data.size();
    if (total > proto::kMaxTaskFilesBytes) {
      r.fail(ErrorCode::kTooLarge,
             "'files' hold more than " + std::to_string(proto::kMaxTaskFilesBytes) + " bytes");
      return;
    }
    out.push_back(std::move(file));
  }
}

void write_spec(MapWriter& w, const TaskSpec& s) {
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
  if (s.retry != RetryPolicy{}) {
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
  if (s.sandbox != SandboxRequest{}) {
    MapWriter sandbox;
    write_sandbox(sandbox, s.sandbox);
    w.map("sandbox", sandbox);
  }
}

void read_spec(const msgpack::object& o, TaskSpec& s, FieldReader& parent) {
  FieldReader r(o);
  r.bytes("type", s.type, Need::kRequired, proto::kMaxNameBytes);
  r.bytes("project", s.project, Need::kOptional, proto::kMaxNameBytes);
  r.u32("priority", s.priority, Need::kOptional, proto::kMaxPriority);
  r.str_list("argv", s.argv, Need::kOptional, proto::kMaxArgvItems, proto::kMaxArgvBytes,
             proto::kMaxArgvBytes);
  r.bytes("stdin", s.stdin_data, Need::kOptional, proto::kMaxStdinBytes);
  r.str_map("env", s.env, Need::kOptional, proto::kMaxEnvItems, proto::kMaxEnvBytes);
  r.bytes("cwd", s.cwd, Need::kOptional, proto::kMaxPathBytes);
  read_files(r, s.files);
  r.u64("timeout_ms", s.timeout_ms, Need::kOptional, proto::kMaxTimeoutMs);
  r.u64("grace_ms", s.grace_ms, Need::kOptional, proto::kMaxTimeoutMs);
  r.u64("output_cap", s.output_cap, Need::kOptional, proto::kMaxOutputCapBytes);
  if (const auto* retry = r.map("retry", Need::kOptional)) {
    FieldReader rr(*retry);
    read_policy(rr, s.retry);
    if (!rr.ok()) r.fail(rr.take_error().code, "retry: " + rr.take_error().message);
  }
  r.i64("not_before_ms", s.not_before_ms);
  r.bytes("idempotency_key", s.idempotency_key, Need::kOptional, proto::kMaxIdempotencyKeyBytes);
  r.bytes("module", s.module, Need::kOptional, proto::kMaxNameBytes);
  r.object("args", s.args, Need::kOptional, proto::kMaxModuleArgsBytes);
  read_nested(r, "http", s.http, read_http);
  read_nested(r, "sandbox", s.sandbox, read_sandbox);
  if (!r.ok()) {
    auto e = r.take_error();
    parent.fail(e.code, "task: " + e.message);
    return;
  }
  if (auto e = validate(s)) parent.fail(e->code, "task: " + e->message);
}

void write_outcome(MapWriter& w, const Outcome& o) {
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
}

void read_outcome(FieldReader& r, Outcome& o) {
  r.opt_int("exit_code", o.exit_code);
  r.opt_int("signal", o.signal);
  r.boolean("timed_out", o.timed_out);
  r.boolean("cancelled", o.cancelled);
  r.bytes("error", o.error, Need::kOptional, proto::kMaxErrorMessageBytes);
  r.bytes("stdout", o.stdout_tail, Need::kOptional, proto::kMaxOutputCapBytes);
  r.bytes("stderr", o.stderr_tail, Need::kOptional, proto::kMaxOutputCapBytes);
  r.u64("stdout_bytes", o.stdout_bytes);
  r.u64("stderr_bytes", o.stderr_bytes);
  r.i64("started_at_ms", o.started_at_ms);
  r.i64("finished_at_ms", o.finished_at_ms);
  r.u64("user_cpu_ms", o.user_cpu_ms);
  r.u64("sys_cpu_ms", o.sys_cpu_ms);
  r.u64("max_rss_kb", o.max_rss_kb);
  r.object("result", o.result, Need::kOptional, proto::kMaxResultBytes);
  r.bytes("killed_by", o.killed_by, Need::kOptional, proto::kMaxNameBytes);
  r.bytes("sandbox", o.sandbox, Need::kOptional, proto::kMaxErrorMessageBytes);
  r.u64("peak_rss_kb", o.peak_rss_kb);
  r.opt_int("progress", o.progress);
  r.bytes("message", o.message, Need::kOptional, proto::kMaxErrorMessageBytes);
}

void write_task_view(MapWriter& w, const TaskView& t) {
  w.u64("id", t.id).str("type", t.type).str("project", t.project).u64("priority", t.priority);
  w.str("state", state_name(t.state)).u64("attempts", t.attempts);
  if (!t.worker.empty()) w.str("worker", t.worker);
  w.i64("submitted_at_ms", t.submitted_at_ms);
  if (t.started_at_ms != 0) w.i64("started_at_ms", t.started_at_ms);
  if (t.finished_at_ms != 0) w.i64("finished_at_ms", t.finished_at_ms);
  if (t.not_before_ms != 0) w.i64("not_before_ms", t.not_before_ms);
  if (t.outcome) {
    MapWriter o;
    write_outcome(o, *t.outcome);
    w.map("outcome", o);
  }
  if (t.live) {
    MapWriter l;
    write_live(l, *t.live);
    w.map("live", l);
  }
  if (!t.waiting.empty()) w.str("waiting", t.waiting);
}

void read_task_view(const msgpack::object& obj, TaskView& t, FieldReader& parent) {
  FieldReader r(obj);
  r.u64("id", t.id, Need::kRequired);
  r.bytes("type", t.type, Need::kOptional, proto::kMaxNameBytes);
  r.bytes("project", t.project, Need::kOptional, proto::kMaxNameBytes);
  r.u32("priority", t.priority, Need::kOptional, proto::kMaxPriority);
  std::string state;
  r.bytes("state", state, Need::kRequired, 32);
  r.u32("attempts", t.attempts);
  r.bytes("worker", t.worker, Need::kOptional, proto::kMaxIdentityBytes);
  r.i64("submitted_at_ms", t.submitted_at_ms);
  r.i64("started_at_ms", t.started_at_ms);
  r.i64("finished_at_ms", t.finished_at_ms);
  r.i64("not_before_ms", t.not_before_ms);
  if (const auto* o = r.map("outcome", Need::kOptional)) {
    FieldReader orr(*o);
    Outcome outcome;
    read_outcome(orr, outcome);
    if (!orr.ok()) r.fail(orr.take_error().code, "outcome: " + orr.take_error().message);
    t.outcome = std::move(outcome);
  }
  if (r.has("live")) {
    LiveStatus live;
    read_nested(r, "live", live, read_live);
    t.live = std::move(live);
  }
  r.bytes("waiting", t.waiting, Need::kOptional, proto::kMaxErrorMessageBytes);
  if (r.ok()) {
    if (auto s = state_from_name(state)) {
      t.state = *s;
    } else {
      r.fail(ErrorCode::kInvalidField, "unknown task state '" + state + "'");
    }
  }
  if (!r.ok()) parent.fail(r.take_error().code, "task: " + r.take_error().message);
}

}  // namespace

std::string_view state_name(TaskState state) {
  switch (state) {
    case TaskState::kQueued:
      return "queued";
    case TaskState::kRunning:
      return "running";
    case TaskState::kSucceeded:
      return "succeeded";
    case TaskState::kFailed:
      return "failed";
    case TaskState::kScheduled:
      return "scheduled";
    case TaskState::kCancelled:
      return "cancelled";
    case TaskState::kDead:
      return "dead";
  }
  return "unknown";
}

std::optional<TaskState> state_from_name(std::string_view name) {
  for (auto s : {TaskState::kQueued, TaskState::kRunning, TaskState::kSucceeded, TaskState::kFailed,
                 TaskState::kScheduled, TaskState::kCancelled, TaskState::kDead}) {
    if (state_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string task_file_path_problem(std::string_view path) {
  if (path.empty()) return "is empty";
  if (path.size() > proto::kMaxTaskFilePathBytes) return "is too long";
  if (path.front() == '/') return "must be relative to the task directory";
  if (codec::has_nul(path)) return "may not contain NUL bytes";
  std::size_t parts = 0;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty()) return "has an empty part";
    if (part == "." || part == "..") return "may not have '.' or '..' parts";
    if (part.size() > proto::kMaxTaskFileNameBytes) return "has a part longer than 255 bytes";
    if (++parts > proto::kMaxTaskFilePathParts) return "has more than 16 parts";
    start = end + 1;
  }
  return {};
}

namespace {

MaybeError validate_files(const TaskSpec& s) {
  auto invalid = [](std::string m) { return DecodeError{ErrorCode::kInvalidField, std::move(m)}; };
  if (s.files.empty()) return std::nullopt;
  if (s.type != "shell") return invalid("'files' are only for shell tasks");
  if (!s.cwd.empty() && s.cwd.front() == '/') {
    return invalid("'files' go into the task directory: 'cwd' must then be relative");
  }
  for (std::size_t i = 0; i < s.files.size(); ++i) {
    const auto& path = s.files[i].path;
    if (auto problem = task_file_path_problem(path); !problem.empty()) {
      return invalid("'files' path '" + path + "' " + problem);
    }
    if (s.files[i].mode > proto::kMaxTaskFileMode) {
      return invalid("'files' mode of '" + path + "' must be permission bits (<= 0777)");
    }
    for (std::size_t j = 0; j < i; ++j) {
      const auto& other = s.files[j].path;
      const auto under = [](const std::string& a, const std::string& dir) {
        return a.size() > dir.size() && a.compare(0, dir.size(), dir) == 0 && a[dir.size()] == '/';
      };
      if (other == path) return invalid("'files' name '" + path + "' twice");
      if (under(path, other) || under(other, path)) {
        return invalid("'files' use '" + (under(path, other) ? other : path) +
                       "' as both a file and a directory");
      }
    }
  }
  return std::nullopt;
}

}  // namespace

MaybeError validate(const TaskSpec& s) {
  auto invalid = [](std::string m) { return DecodeError{ErrorCode::kInvalidField, std::move(m)}; };
  if (s.type != "shell" && s.type != "noop" && s.type != "module" && s.type != "http") {
    return invalid("unsupported task type '" + s.type + "' (shell, module, http, noop)");
  }
  if (!valid_name(s.project)) {
    return invalid("'project' must be 1-64 characters of [A-Za-z0-9._:@-]");
  }
  if (s.priority > static_cast<std::uint32_t>(proto::kMaxPriority)) {
    return invalid("'priority' must be 0-10");
  }
  if (s.type == "shell" && s.argv.empty()) return invalid("'argv' must name a program");
  if (s.type == "module" && s.module.empty()) return invalid("'module' must name a module");
  if (!s.module.empty() && !valid_module_name(s.module)) {
    return invalid("'module' must be 1-64 characters of [a-z0-9_-], starting with [a-z0-9]");
  }
  if (s.type == "http") {
    if (auto e = validate(s.http)) return DecodeError{e->code, "http: " + e->message};
  }
  if (auto e = validate(s.sandbox)) return DecodeError{e->code, "sandbox: " + e->message};
  if (!s.argv.empty() && s.argv.front().empty()) return invalid("'argv[0]' is empty");
  for (const auto& a : s.argv) {
    if (codec::has_nul(a)) return invalid("'argv' items may not contain NUL bytes");
  }
  for (const auto& [k, v] : s.env) {
    if (k.empty() || k.find('=') != std::string::npos || codec::has_nul(k) || codec::has_nul(v)) {
      return invalid("'env' names must be non-empty, without '=' or NUL");
    }
  }
  if (codec::has_nul(s.cwd)) return invalid("'cwd' may not contain NUL bytes");
  if (auto e = validate_files(s)) return e;
  if (s.not_before_ms < 0) return invalid("'not_before_ms' may not be negative");
  if (auto e = validate(s.retry)) return DecodeError{e->code, "retry: " + e->message};
  return std::nullopt;
}

MaybeError validate(const RetryPolicy& p) {
  for (const auto& kind : p.retry_on) {
    if (std::find(std::begin(kRetryKinds), std::end(kRetryKinds), kind) == std::end(kRetryKinds)) {
      return DecodeError{ErrorCode::kInvalidField,
                         "'retry_on' items must be exit, signal, timeout, lost, error or spawn"};
    }
  }
  if (p.backoff_max_ms != 0 && p.backoff_ms > p.backoff_max_ms) {
    return DecodeError{ErrorCode::kInvalidField, "'backoff_ms' exceeds 'backoff_max_ms'"};
  }
  return std::nullopt;
}

MaybeError validate(const SandboxRequest& b) {
  if (!b.network.empty() && b.network != "none" && b.network != "host") {
    return DecodeError{ErrorCode::kInvalidField, "'network' must be none or host"};
  }
  if (b.memory_soft_bytes != 0 && b.memory_bytes != 0 && b.memory_soft_bytes > b.memory_bytes) {
    return DecodeError{ErrorCode::kInvalidField, "'memory_soft_bytes' exceeds 'memory_bytes'"};
  }
  return std::nullopt;
}

MaybeError validate(const HttpSpec& h) {
  auto invalid = [](std::string m) { return DecodeError{ErrorCode::kInvalidField, std::move(m)}; };
  static constexpr std::string_view kMethods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                                  "PATCH", "DELETE", "OPTIONS"};
  if (std::find(std::begin(kMethods), std::end(kMethods), h.method) == std::end(kMethods)) {
    return invalid("'method' must be GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
  }
  const bool http = h.url.rfind("http://", 0) == 0 || h.url.rfind("https://", 0) == 0;
  if (!http) return invalid("'url' must be an http:// or https:// URL");
  for (char c : h.url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return invalid("'url' may not contain spaces or control characters");
    }
  }
  for (const auto& [name, value] : h.headers) {
    if (name.empty()) return invalid("'headers' names may not be empty");
    for (char c : name) {
      const bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') ||
                         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      if (!token) return invalid("'headers' name '" + name + "' is not an HTTP token");
    }
    for (char c : value) {
      if (c == '\r' || c == '\n' || c == '\0') {
        return invalid("'headers' values may not contain CR, LF or NUL");
      }
    }
  }
  return std::nullopt;
}

bool valid_module_name(std::string_view name) {
  if (name.empty() || name.size() > proto::kMaxNameBytes) return false;
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return lower_or_digit(c) || c == '_' || c == '-'; });
}

std::string encode_spec(const TaskSpec& spec) {
  MapWriter w;
  write_spec(w, spec);
  return w.finish();
}

MaybeError decode_spec(std::string_view bytes, TaskSpec& out) {
  DecodeError error;
  auto body = codec::parse_body(bytes, error);
  if (!body) return error;
  FieldReader parent(body->root());
  read_spec(body->root(), out, parent);
  return result_of(parent);
}

std::string encode_outcome(const Outcome& outcome) {
  MapWriter w;
  write_outcome(w, outcome);
  return w.finish();
}

MaybeError decode_outcome(std::string_view bytes, Outcome& out) {
  DecodeError error;
  auto body = codec::parse_body(bytes, error);
  if (!body) return error;
  FieldReader r(body->root());
  read_outcome(r, out);
  return result_of(r);
}

// ---- client <-> broker ---------------------------------------------------------

std::string encode(const SubmitRequest& m) {
  MapWriter spec;
  write_spec(spec, m.task);
  MapWriter w;
  w.u64("req", m.req).map("task", spec);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, SubmitRequest& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  if (const auto* t = r.map("task", Need::kRequired)) read_spec(*t, out.task, r);
  return result_of(r);
}

std::string encode(const SubmittedReply& m) {
  MapWriter w;
  w.u64("req", m.req).u64("id", m.id);
  if (m.duplicate) w.boolean("duplicate", true);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, SubmittedReply& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  r.u64("id", out.id, Need::kRequired);
  r.boolean("duplicate", out.duplicate);
  return result_of(r);
}

std::string encode(const TaskQuery& m) {
  MapWriter w;
  w.u64("req", m.req).u64("id", m.id);
  if (m.wait_ms != 0) w.u64("wait_ms", m.wait_ms);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, TaskQuery& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  r.u64("id", out.id, Need::kRequired);
  r.u64("wait_ms", out.wait_ms, Need::kOptional, proto::kMaxWaitMs);
  return result_of(r);
}

std::string encode(const TaskReply& m) {
  MapWriter task;
  write_task_view(task, m.task);
  MapWriter w;
  w.u64("req", m.req).map("task", task);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, TaskReply& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  if (const auto* t = r.map("task", Need::kRequired)) read_task_view(*t, out.task, r);
  return result_of(r);
}

std::string encode(const Request& m) {
  MapWriter w;
  w.u64("req", m.req);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, Request& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  return result_of(r);
}

std::string encode(const StatsReply& m) {
  MapWriter w;
  w.u64("req", m.req).u64_map("stats", m.stats);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, StatsReply& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  if (const auto* s = r.map("stats", Need::kRequired)) {
    for (std::uint32_t i = 0; i < s->via.map.size; ++i) {
      const auto& kv = s->via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR || kv.val.type != msgpack::type::POSITIVE_INTEGER) {
        r.fail(ErrorCode::kInvalidField, "'stats' must map names to non-negative integers");
        break;
      }
      out.stats.emplace_back(std::string(kv.key.via.str.ptr, kv.key.via.str.size), kv.val.via.u64);
    }
  }
  return result_of(r);
}

std::string encode(const WorkersReply& m) {
  std::vector<std::string> items;
  items.reserve(m.workers.size());
  for (const auto& v : m.workers) {
    MapWriter w;
    w.str("id", v.id).str("hostname", v.hostname).u64("pid", v.pid).u64("slots", v.slots);
    w.u64("busy", v.busy).u64("credit", v.credit).str_list("labels", v.labels);
    w.u64("tasks_done", v.tasks_done).u64("connected_ms", v.connected_ms);
    w.u64("idle_ms", v.idle_ms).boolean("draining", v.draining);
    if (v.max_slots != 0) w.u64("min_slots", v.min_slots).u64("max_slots", v.max_slots);
    if (!v.layers.empty()) w.str_list("layers", v.layers);
    if (!v.task_types.empty()) w.str_list("task_types", v.task_types);
    if (!v.modules.empty()) w.str_list("modules", v.modules);
    write_limits(w, v.limits);
    items.push_back(w.finish());
  }
  MapWriter w;
  w.u64("req", m.req).map_list("workers", items);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, WorkersReply& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  if (const auto* list = r.map_list("workers", Need::kRequired, kMaxListItems)) {
    for (std::uint32_t i = 0; i < list->via.array.size && r.ok(); ++i) {
      FieldReader w(list->via.array.ptr[i]);
      WorkerView v;
      w.bytes("id", v.id, Need::kRequired, proto::kMaxIdentityBytes);
      w.bytes("hostname", v.hostname, Need::kOptional, proto::kMaxPathBytes);
      w.u64("pid", v.pid);
      w.u32("slots", v.slots);
      w.u32("busy", v.busy);
      w.u32("credit", v.credit);
      w.str_list("labels", v.labels, Need::kOptional, proto::kMaxLabels, proto::kMaxLabelBytes,
                 proto::kMaxLabels * proto::kMaxLabelBytes);
      w.u64("tasks_done", v.tasks_done);
      w.u64("connected_ms", v.connected_ms);
      w.u64("idle_ms", v.idle_ms);
      w.boolean("draining", v.draining);
      w.u32("min_slots", v.min_slots);
      w.u32("max_slots", v.max_slots);
      read_worker_lists(w, v.layers, v.task_types, v.modules);
      read_optional_limits(w, v.limits);
      if (!w.ok()) r.fail(w.take_error().code, "workers: " + w.take_error().message);
      out.workers.push_back(std::move(v));
    }
  }
  return result_of(r);
}

std::string encode(const ProjectsReply& m) {
  std::vector<std::string> items;
  items.reserve(m.projects.size());
  for (const auto& p : m.projects) {
    MapWriter w;
    w.str("name", p.name).u64("limit", p.limit).u64("queued", p.queued);
    w.u64("running", p.running).u64("peak_running", p.peak_running);
    w.u64("succeeded", p.succeeded).u64("failed", p.failed);
    w.u64("dead", p.dead).u64("cancelled", p.cancelled);
    if (p.policy != RetryPolicy{}) {
      MapWriter policy;
      write_policy(policy, p.policy);
      w.map("policy", policy);
    }
    items.push_back(w.finish());
  }
  MapWriter w;
  w.u64("req", m.req).map_list("projects", items);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, ProjectsReply& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  if (const auto* list = r.map_list("projects", Need::kRequired, kMaxListItems)) {
    for (std::uint32_t i = 0; i < list->via.array.size && r.ok(); ++i) {
      FieldReader p(list->via.array.ptr[i]);
      ProjectView v;
      p.bytes("name", v.name, Need::kRequired, proto::kMaxNameBytes);
      p.u32("limit", v.limit);
      p.u64("queued", v.queued);
      p.u64("running", v.running);
      p.u64("peak_running", v.peak_running);
      p.u64("succeeded", v.succeeded);
      p.u64("failed", v.failed);
      p.u64("dead", v.dead);
      p.u64("cancelled", v.cancelled);
      if (const auto* policy = p.map("policy", Need::kOptional)) {
        FieldReader pr(*policy);
        read_policy(pr, v.policy);
        if (!pr.ok()) p.fail(pr.take_error().code, "policy: " + pr.take_error().message);
      }
      if (!p.ok()) r.fail(p.take_error().code, "projects: " + p.take_error().message);
      out.projects.push_back(std::move(v));
    }
  }
  return result_of(r);
}

std::string encode(const SetLimitRequest& m) {
  MapWriter w;
  w.u64("req", m.req).str("project", m.project).u64("limit", m.limit);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, SetLimitRequest& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  r.bytes("project", out.project, Need::kRequired, proto::kMaxNameBytes);
  r.u32("limit", out.limit, Need::kRequired, proto::kMaxProjectLimit);
  if (r.ok() && !valid_name(out.project)) {
    r.fail(ErrorCode::kInvalidField, "'project' must be 1-64 characters of [A-Za-z0-9._:@-]");
  }
  return result_of(r);
}

std::string encode(const OkReply& m) {
  MapWriter w;
  w.u64("req", m.req);
  if (m.count != 0) w.u64("count", m.count);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, OkReply& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  r.u64("count", out.count);
  return result_of(r);
}

std::string encode(const SetPolicyRequest& m) {
  MapWriter policy;
  write_policy(policy, m.policy);
  MapWriter w;
  w.u64("req", m.req).str("project", m.project).map("policy", policy);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, SetPolicyRequest& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  r.bytes("project", out.project, Need::kRequired, proto::kMaxNameBytes);
  if (const auto* policy = r.map("policy", Need::kRequired)) {
    FieldReader pr(*policy);
    read_policy(pr, out.policy);
    if (!pr.ok()) r.fail(pr.take_error().code, "policy: " + pr.take_error().message);
  }
  if (r.ok() && !valid_name(out.project)) {
    r.fail(ErrorCode::kInvalidField, "'project' must be 1-64 characters of [A-Za-z0-9._:@-]");
  }
  if (r.ok()) {
    if (auto e = validate(out.policy)) r.fail(e->code, "policy: " + e->message);
  }
  return result_of(r);
}

std::string encode(const DlqListRequest& m) {
  MapWriter w;
  w.u64("req", m.req).u64("limit", m.limit);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, DlqListRequest& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  r.u64("limit", out.limit, Need::kOptional, proto::kMaxDlqList);
  return result_of(r);
}

std::string encode(const DlqReply& m) {
  std::vector<std::string> tasks;
  tasks.reserve(m.tasks.size());
  for (const auto& t : m.tasks) {
    MapWriter v;
    write_task_view(v, t);
    tasks.push_back(v.finish());
  }
  MapWriter w;
  w.u64("req", m.req).u64("total", m.total).map_list("tasks", tasks);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, DlqReply& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  r.u64("total", out.total);
  if (const auto* list = r.map_list("tasks", Need::kRequired, kMaxListItems)) {
    for (std::uint32_t i = 0; i < list->via.array.size && r.ok(); ++i) {
      TaskView v;
      read_task_view(list->via.array.ptr[i], v, r);
      out.tasks.push_back(std::move(v));
    }
  }
  return result_of(r);
}

std::string encode(const CancelAttempt& m) {
  MapWriter w;
  w.u64("task_id", m.task_id).u64("attempt", m.attempt).str("reason", m.reason);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, CancelAttempt& out) {
  FieldReader r(root);
  r.u64("task_id", out.task_id, Need::kRequired);
  r.u32("attempt", out.attempt, Need::kRequired);
  r.bytes("reason", out.reason, Need::kOptional, proto::kMaxErrorMessageBytes);
  return result_of(r);
}

std::string encode(const PongReply& m) {
  MapWriter w;
  w.u64("req", m.req).str("version", m.version).u64("uptime_ms", m.uptime_ms);
  if (!m.events.empty()) w.str("events", m.events);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, PongReply& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  r.bytes("version", out.version, Need::kOptional, proto::kMaxNameBytes);
  r.u64("uptime_ms", out.uptime_ms);
  r.bytes("events", out.events, Need::kOptional, proto::kMaxPathBytes);
  return result_of(r);
}

std::string encode(const ErrorReply& m) {
  MapWriter w;
  w.u64("req", m.req).u64("code", static_cast<std::uint64_t>(m.code));
  w.str("name", error_name(m.code)).str("message", m.message);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, ErrorReply& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  std::uint64_t code = 0;
  r.u64("code", code, Need::kRequired);
  r.bytes("message", out.message, Need::kOptional, proto::kMaxErrorMessageBytes);
  if (r.ok()) {
    // An unknown code from a newer broker is kept readable as INTERNAL.
    out.code = error_code_from_number(code).value_or(ErrorCode::kInternal);
  }
  return result_of(r);
}

// ---- worker <-> broker ---------------------------------------------------------

std::string encode(const Ready& m) {
  std::vector<std::string> running;
  running.reserve(m.running.size());
  for (const auto& l : m.running) {
    MapWriter w;
    w.u64("task_id", l.task_id).u64("attempt", l.attempt);
    running.push_back(w.finish());
  }
  MapWriter w;
  w.str("worker_id", m.worker_id).str("hostname", m.hostname).u64("pid", m.pid);
  w.u64("slots", m.slots).u64("credit", m.credit).str_list("labels", m.labels);
  w.str("version", m.version).map_list("running", running);
  if (m.max_slots != 0) w.u64("min_slots", m.min_slots).u64("max_slots", m.max_slots);
  if (!m.layers.empty()) w.str_list("layers", m.layers);
  if (!m.task_types.empty()) w.str_list("task_types", m.task_types);
  if (!m.modules.empty()) w.str_list("modules", m.modules);
  if (!m.replaces.empty()) w.str("replaces", m.replaces);
  write_limits(w, m.limits);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, Ready& out) {
  FieldReader r(root);
  r.bytes("worker_id", out.worker_id, Need::kRequired, proto::kMaxNameBytes);
  r.bytes("hostname", out.hostname, Need::kOptional, proto::kMaxPathBytes);
  r.u64("pid", out.pid);
  r.u32("slots", out.slots, Need::kRequired, proto::kMaxSlots);
  r.u32("credit", out.credit, Need::kRequired, proto::kMaxSlots);
  r.str_list("labels", out.labels, Need::kOptional, proto::kMaxLabels, proto::kMaxLabelBytes,
             proto::kMaxLabels * proto::kMaxLabelBytes);
  r.bytes("version", out.version, Need::kOptional, proto::kMaxNameBytes);
  if (const auto* list = r.map_list("running", Need::kOptional, proto::kMaxSlots)) {
    for (std::uint32_t i = 0; i < list->via.array.size && r.ok(); ++i) {
      FieldReader l(list->via.array.ptr[i]);
      LeaseRef ref;
      l.u64("task_id", ref.task_id, Need::kRequired);
      l.u32("attempt", ref.attempt, Need::kRequired);
      if (!l.ok()) r.fail(l.take_error().code, "running: " + l.take_error().message);
      out.running.push_back(ref);
    }
  }
  r.u32("min_slots", out.min_slots, Need::kOptional, proto::kMaxSlots);
  r.u32("max_slots", out.max_slots, Need::kOptional, proto::kMaxSlots);
  read_worker_lists(r, out.layers, out.task_types, out.modules);
  r.bytes("replaces", out.replaces, Need::kOptional, proto::kMaxIdentityBytes);
  read_optional_limits(r, out.limits);
  if (r.ok() && out.max_slots != 0 &&
      (out.min_slots > out.max_slots || out.slots > out.max_slots)) {
    r.fail(ErrorCode::kInvalidField, "'slots' must lie within 'min_slots'..'max_slots'");
  }
  if (r.ok() && !valid_name(out.worker_id)) {
    r.fail(ErrorCode::kInvalidField, "'worker_id' must be 1-64 characters of [A-Za-z0-9._:@-]");
  }
  if (r.ok() && out.credit > out.slots) {
    r.fail(ErrorCode::kInvalidField, "'credit' may not exceed 'slots'");
  }
  return result_of(r);
}

std::string encode(const Welcome& m) {
  MapWriter w;
  w.u64("heartbeat_ms", m.heartbeat_ms);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, Welcome& out) {
  FieldReader r(root);
  r.u32("heartbeat_ms", out.heartbeat_ms, Need::kRequired, proto::kMaxHeartbeatMs);
  if (r.ok() && out.heartbeat_ms < proto::kMinHeartbeatMs) {
    r.fail(ErrorCode::kInvalidField, "'heartbeat_ms' is below the minimum");
  }
  return result_of(r);
}

std::string encode(const TaskAssignment& m) {
  MapWriter spec;
  write_spec(spec, m.spec);
  MapWriter w;
  w.u64("task_id", m.task_id).u64("attempt", m.attempt).map("spec", spec);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, TaskAssignment& out) {
  FieldReader r(root);
  r.u64("task_id", out.task_id, Need::kRequired);
  r.u32("attempt", out.attempt, Need::kRequired);
  if (const auto* s = r.map("spec", Need::kRequired)) read_spec(*s, out.spec, r);
  return result_of(r);
}

std::string encode(const Started& m) {
  MapWriter w;
  w.u64("task_id", m.task_id).u64("attempt", m.attempt).u64("pid", m.pid);
  w.i64("started_at_ms", m.started_at_ms);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, Started& out) {
  FieldReader r(root);
  r.u64("task_id", out.task_id, Need::kRequired);
  r.u32("attempt", out.attempt, Need::kRequired);
  r.u64("pid", out.pid);
  r.i64("started_at_ms", out.started_at_ms);
  return result_of(r);
}

std::string encode(const Credit& m) {
  MapWriter w;
  w.u64("credit", m.credit);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, Credit& out) {
  FieldReader r(root);
  r.u32("credit", out.credit, Need::kRequired, proto::kMaxSlots);
  return result_of(r);
}

std::string encode(const Done& m) {
  MapWriter w;
  w.u64("task_id", m.task_id).u64("attempt", m.attempt).u64("credit", m.credit);
  write_outcome(w, m.outcome);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, Done& out) {
  FieldReader r(root);
  r.u64("task_id", out.task_id, Need::kRequired);
  r.u32("attempt", out.attempt, Need::kRequired);
  r.u32("credit", out.credit, Need::kOptional, proto::kMaxSlots);
  read_outcome(r, out.outcome);
  return result_of(r);
}

std::string encode(const Failed& m) {
  MapWriter w;
  w.u64("task_id", m.task_id).u64("attempt", m.attempt).u64("credit", m.credit);
  w.str("reason", m.reason).str("message", m.message);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, Failed& out) {
  FieldReader r(root);
  r.u64("task_id", out.task_id, Need::kRequired);
  r.u32("attempt", out.attempt, Need::kRequired);
  r.u32("credit", out.credit, Need::kOptional, proto::kMaxSlots);
  r.bytes("reason", out.reason, Need::kRequired, proto::kMaxNameBytes);
  r.bytes("message", out.message, Need::kOptional, proto::kMaxErrorMessageBytes);
  return result_of(r);
}

std::string encode(const Reject& m) {
  MapWriter w;
  w.u64("task_id", m.task_id).u64("attempt", m.attempt).u64("credit", m.credit);
  w.str("reason", m.reason);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, Reject& out) {
  FieldReader r(root);
  r.u64("task_id", out.task_id, Need::kRequired);
  r.u32("attempt", out.attempt, Need::kRequired);
  r.u32("credit", out.credit, Need::kOptional, proto::kMaxSlots);
  r.bytes("reason", out.reason, Need::kOptional, proto::kMaxErrorMessageBytes);
  return result_of(r);
}

std::string encode(const Heartbeat& m) {
  MapWriter w;
  w.u64("running", m.running);
  if (m.slots != 0) w.u64("slots", m.slots);
  if (!m.tasks.empty()) {
    std::vector<std::string> tasks;
    tasks.reserve(m.tasks.size());
    for (const auto& t : m.tasks) {
      MapWriter tw;
      tw.u64("task_id", t.task_id).u64("attempt", t.attempt);
      write_live(tw, t.status);
      tasks.push_back(tw.finish());
    }
    w.map_list("tasks", tasks);
  }
  return w.finish();
}

MaybeError decode(const msgpack::object& root, Heartbeat& out) {
  FieldReader r(root);
  r.u32("running", out.running, Need::kOptional, proto::kMaxSlots);
  r.u32("slots", out.slots, Need::kOptional, proto::kMaxSlots);
  if (const auto* list = r.map_list("tasks", Need::kOptional, proto::kMaxSlots)) {
    for (std::uint32_t i = 0; i < list->via.array.size && r.ok(); ++i) {
      FieldReader t(list->via.array.ptr[i]);
      TaskActivity activity;
      t.u64("task_id", activity.task_id, Need::kRequired);
      t.u32("attempt", activity.attempt, Need::kRequired);
      read_live(t, activity.status);
      if (!t.ok()) r.fail(t.take_error().code, "tasks: " + t.take_error().message);
      out.tasks.push_back(std::move(activity));
    }
  }
  return result_of(r);
}

std::string encode(const Disconnect& m) {
  MapWriter w;
  w.str("reason", m.reason);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, Disconnect& out) {
  FieldReader r(root);
  r.bytes("reason", out.reason, Need::kOptional, proto::kMaxErrorMessageBytes);
  return result_of(r);
}

std::string encode(const LogsReply& m) {
  MapWriter w;
  w.u64("req", m.req).u64("id", m.id).str("state", state_name(m.state));
  w.bin("stdout", m.stdout_data).bin("stderr", m.stderr_data);
  w.u64("stdout_offset", m.stdout_offset).u64("stderr_offset", m.stderr_offset);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, LogsReply& out) {
  FieldReader r(root);
  r.u64("req", out.req);
  r.u64("id", out.id, Need::kRequired);
  std::string state;
  r.bytes("state", state, Need::kRequired, 32);
  r.bytes("stdout", out.stdout_data, Need::kOptional, proto::kMaxMessageBytes);
  r.bytes("stderr", out.stderr_data, Need::kOptional, proto::kMaxMessageBytes);
  r.u64("stdout_offset", out.stdout_offset);
  r.u64("stderr_offset", out.stderr_offset);
  if (r.ok()) {
    if (auto s = state_from_name(state)) {
      out.state = *s;
    } else {
      r.fail(ErrorCode::kInvalidField, "unknown task state '" + state + "'");
    }
  }
  return result_of(r);
}

std::string encode(const Event& m) {
  MapWriter w;
  w.str("kind", m.kind).i64("at_ms", m.at_ms);
  if (m.task_id != 0) w.u64("task_id", m.task_id).u64("attempt", m.attempt);
  if (!m.project.empty()) w.str("project", m.project);
  if (!m.worker.empty()) w.str("worker", m.worker);
  if (m.percent) w.u64("percent", static_cast<std::uint64_t>(*m.percent));
  if (!m.message.empty()) w.str("message", m.message);
  if (m.rss_kb != 0) w.u64("rss_kb", m.rss_kb);
  if (m.cpu_ms != 0) w.u64("cpu_ms", m.cpu_ms);
  if (m.idle_ms != 0) w.u64("idle_ms", m.idle_ms);
  if (!m.reason.empty()) w.str("reason", m.reason);
  if (!m.state.empty()) w.str("state", m.state);
  if (m.from != 0 || m.to != 0) w.u64("from", m.from).u64("to", m.to);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, Event& out) {
  FieldReader r(root);
  r.bytes("kind", out.kind, Need::kRequired, proto::kMaxEventKindBytes);
  r.i64("at_ms", out.at_ms);
  r.u64("task_id", out.task_id);
  r.u32("attempt", out.attempt);
  r.bytes("project", out.project, Need::kOptional, proto::kMaxNameBytes);
  r.bytes("worker", out.worker, Need::kOptional, proto::kMaxIdentityBytes);
  r.opt_int("percent", out.percent);
  if (out.percent && (*out.percent < 0 || *out.percent > 100)) {
    r.fail(ErrorCode::kInvalidField, "'percent' must be 0-100");
  }
  r.bytes("message", out.message, Need::kOptional, proto::kMaxErrorMessageBytes);
  r.u64("rss_kb", out.rss_kb);
  r.u64("cpu_ms", out.cpu_ms);
  r.u64("idle_ms", out.idle_ms);
  r.bytes("reason", out.reason, Need::kOptional, proto::kMaxErrorMessageBytes);
  r.bytes("state", out.state, Need::kOptional, 32);
  r.u32("from", out.from, Need::kOptional, proto::kMaxSlots);
  r.u32("to", out.to, Need::kOptional, proto::kMaxSlots);
  if (r.ok() && !valid_name(out.kind)) {
    r.fail(ErrorCode::kInvalidField, "'kind' must be 1-32 characters of [A-Za-z0-9._:@-]");
  }
  return result_of(r);
}

std::string encode(const OutputChunk& m) {
  MapWriter w;
  w.u64("task_id", m.task_id).u64("attempt", m.attempt).str("stream", m.stream);
  w.u64("offset", m.offset).bin("data", m.data);
  return w.finish();
}

MaybeError decode(const msgpack::object& root, OutputChunk& out) {
  FieldReader r(root);
  r.u64("task_id", out.task_id, Need::kRequired);
  r.u32("attempt", out.attempt, Need::kRequired);
  r.bytes("stream", out.stream, Need::kRequired, 8);
  r.u64("offset", out.offset);
  r.bytes("data", out.data, Need::kRequired, proto::kMaxOutputChunkBytes);
  if (r.ok() && out.stream != "stdout" && out.stream != "stderr") {
    r.fail(ErrorCode::kInvalidField, "'stream' must be stdout or stderr");
  }
  return result_of(r);
}

std::string encode_empty() {
  return MapWriter().finish();
}

std::uint64_t peek_req(const msgpack::object& root) {
  FieldReader r(root);
  std::uint64_t req = 0;
  r.u64("req", req);
  return r.ok() ? req : 0;
}

}  // namespace zfleet::msg
