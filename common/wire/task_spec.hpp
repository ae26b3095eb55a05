// What a task is: TaskSpec and the structs it nests (retry policy, sandbox
// request, http request, files), each declared by its field list (see
// fields.hpp; the list order is the canonical key order). Sent by producers
// in SUBMIT, by the broker in TASK, and stored alone in the broker's journal
// (encode_spec). Field meanings, units and defaults: schemas/PROTOCOL.md §4.1.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"
#include "common/wire/fields.hpp"

namespace zfleet::msg {

// Which endings of an attempt are retried: "exit" (non-zero exit code),
// "signal", "timeout", "lost" (the worker or broker went away), "error" (the
// task could not be started).
// "spawn": the program could not be executed at all (FAILED with reason
// cannot_exec: missing, not executable, not a valid binary); not retried by
// default, since trying again finds the same file.
inline constexpr std::string_view kRetryKinds[] = {"exit", "signal", "timeout",
                                                   "lost", "error",  "spawn"};

// Absent fields (0 / empty) inherit from the project's policy, then the
// broker's defaults. Its own rules are validate(RetryPolicy), applied by the
// bodies that carry one for a change (SUBMIT's task, SET_POLICY).
struct RetryPolicy {
  std::uint32_t max_attempts = 0;     // attempts in all, the first included
  std::uint64_t backoff_ms = 0;       // delay before the 2nd attempt; doubles each time
  std::uint64_t backoff_max_ms = 0;   // cap on that delay
  std::vector<std::string> retry_on;  // subset of kRetryKinds
  bool operator==(const RetryPolicy&) const = default;

  static constexpr auto fields() {
    using P = RetryPolicy;
    return std::tuple{
        wire::field("max_attempts", &P::max_attempts).omit_default().max(proto::kMaxAttempts),
        wire::field("backoff_ms", &P::backoff_ms).omit_default().max(proto::kMaxBackoffMs),
        wire::field("backoff_max_ms", &P::backoff_max_ms).omit_default().max(proto::kMaxBackoffMs),
        wire::field("retry_on", &P::retry_on)
            .omit_default()
            .max_items(std::size(kRetryKinds))
            .max_bytes(16)
            .max_total(128),
    };
  }
};

// Limits a task asks for. The worker applies the tighter of each and its own
// policy (per project, then worker-wide): a task can ask for less, never more.
// 0 / empty: the worker's.
struct SandboxRequest {
  std::uint64_t cpu_seconds = 0;          // CPU time of the task (RLIMIT_CPU)
  std::uint64_t memory_bytes = 0;         // hard mark: cgroup memory.max, and killed above it
  std::uint64_t memory_soft_bytes = 0;    // a resource_warning event above it
  std::uint64_t address_space_bytes = 0;  // RLIMIT_AS
  std::uint64_t open_files = 0;           // RLIMIT_NOFILE
  std::uint64_t processes = 0;            // pids.max of the task's cgroup
  std::uint64_t file_size_bytes = 0;      // RLIMIT_FSIZE
  std::string network;                    // "none" (loopback only) or "host"
  std::uint64_t stall_ms = 0;             // no output or progress this long: "stalled"
  bool kill_on_stall = false;             // ... and killed, not just reported
  bool operator==(const SandboxRequest&) const = default;

  static constexpr auto fields() {
    using S = SandboxRequest;
    return std::tuple{
        wire::field("cpu_seconds", &S::cpu_seconds).omit_default(),
        wire::field("memory_bytes", &S::memory_bytes).omit_default(),
        wire::field("memory_soft_bytes", &S::memory_soft_bytes).omit_default(),
        wire::field("address_space_bytes", &S::address_space_bytes).omit_default(),
        wire::field("open_files", &S::open_files).omit_default(),
        wire::field("processes", &S::processes).omit_default(),
        wire::field("file_size_bytes", &S::file_size_bytes).omit_default(),
        wire::field("network", &S::network).omit_default().max_bytes(16),
        wire::field("stall_ms", &S::stall_ms).omit_default().max(proto::kMaxTimeoutMs),
        wire::field("kill_on_stall", &S::kill_on_stall).omit_default(),
    };
  }
};

// An "http" task's request; see PROTOCOL.md §3.
struct HttpSpec {
  std::string method = "GET";
  std::string url;
  codec::StringPairs headers;
  std::string body;
  std::uint64_t max_response_bytes = 0;  // body bytes kept; 0: the default (1 MiB)
  std::uint32_t max_redirects = proto::kDefaultHttpRedirects;  // 0: none followed
  // Host rules that narrow the worker's own: a task may deny more hosts and
  // limit itself to an allow list, never reach what the worker denies.
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  bool operator==(const HttpSpec&) const = default;

  static constexpr auto fields() {
    using H = HttpSpec;
    return std::tuple{
        wire::field("method", &H::method).max_bytes(16),
        wire::field("url", &H::url).required().max_bytes(proto::kMaxUrlBytes),
        wire::field("headers", &H::headers)
            .omit_default()
            .max_items(proto::kMaxHttpHeaders)
            .max_total(proto::kMaxHttpHeaderBytes),
        wire::field("body", &H::body).omit_default().bin().max_bytes(proto::kMaxHttpBodyBytes),
        wire::field("max_response_bytes", &H::max_response_bytes)
            .omit_default()
            .max(proto::kMaxHttpResponseCap),
        wire::field("max_redirects", &H::max_redirects)
            .omit_default()
            .max(proto::kMaxHttpRedirects),
        wire::field("allow", &H::allow)
            .omit_default()
            .max_items(proto::kMaxHostRules)
            .max_bytes(256)
            .max_total(proto::kMaxHostRules * 256),
        wire::field("deny", &H::deny)
            .omit_default()
            .max_items(proto::kMaxHostRules)
            .max_bytes(256)
            .max_total(proto::kMaxHostRules * 256),
    };
  }
};

// A file the worker writes into the task's directory before the task starts
// (a script, a small input). See PROTOCOL.md §4.1 "files".
struct TaskFile {
  std::string path;  // relative to the task directory; no "..", "." or empty parts
  std::string data;  // the contents, any bytes
  std::uint32_t mode = proto::kDefaultTaskFileMode;  // permission bits only (<= 0777)
  bool operator==(const TaskFile&) const = default;

  static constexpr auto fields() {
    using F = TaskFile;
    return std::tuple{
        wire::field("path", &F::path).required().max_bytes(proto::kMaxTaskFilePathBytes),
        wire::field("data", &F::data).bin().max_bytes(proto::kMaxTaskFilesBytes),
        wire::field("mode", &F::mode).omit_default().max(proto::kMaxTaskFileMode),
    };
  }
};

// What to run. Sent by producers in SUBMIT and by the broker in TASK.
struct TaskSpec {
  // "shell" (argv in a sandboxed child), "module" (a plugin in a runner
  // child), "http" (a request from a sandboxed child), or "noop" (completes
  // at once, no child: diagnostics).
  std::string type = "shell";
  std::string project = std::string(proto::kDefaultProject);
  std::uint32_t priority = proto::kDefaultPriority;
  std::vector<std::string> argv;
  std::string stdin_data;        // bytes written to the child's stdin, then closed
  codec::StringPairs env;        // added to the child's environment
  std::string cwd;               // working directory; empty: the worker's task directory
  std::vector<TaskFile> files;   // "shell": written into the task directory first
  std::uint64_t timeout_ms = 0;  // 0: the worker's default
  std::uint64_t grace_ms = 0;    // SIGTERM -> SIGKILL delay; 0: the worker's default
  std::uint64_t output_cap = proto::kDefaultOutputCapBytes;  // bytes kept per stream (tail)
  RetryPolicy retry;               // per-task overrides of the project's policy
  std::int64_t not_before_ms = 0;  // Unix ms; 0: as soon as possible
  std::string idempotency_key;     // repeats within the broker's window return the first id
  std::string module;              // "module": the plugin's name
  std::string args;                // "module": one msgpack object (raw bytes); empty: nil
  HttpSpec http;                   // "http"
  SandboxRequest sandbox;

  static constexpr auto fields() {
    using T = TaskSpec;
    return std::tuple{
        wire::field("type", &T::type).required().max_bytes(proto::kMaxNameBytes),
        wire::field("project", &T::project).max_bytes(proto::kMaxNameBytes),
        wire::field("priority", &T::priority).max(proto::kMaxPriority),
        // A shell task always shows its argv, even empty (then refused).
        wire::field("argv", &T::argv)
            .written_when([](const T& s) { return !s.argv.empty() || s.type == "shell"; })
            .max_items(proto::kMaxArgvItems)
            .max_bytes(proto::kMaxArgvBytes)
            .max_total(proto::kMaxArgvBytes),
        wire::field("stdin", &T::stdin_data).omit_default().bin().max_bytes(proto::kMaxStdinBytes),
        wire::field("env", &T::env)
            .omit_default()
            .max_items(proto::kMaxEnvItems)
            .max_total(proto::kMaxEnvBytes),
        wire::field("cwd", &T::cwd).omit_default().max_bytes(proto::kMaxPathBytes),
        wire::field("files", &T::files)
            .omit_default()
            .max_items(proto::kMaxTaskFiles)
            .indexed_errors()
            .max_sum([](const TaskFile& f) { return f.data.size(); }, proto::kMaxTaskFilesBytes),
        wire::field("timeout_ms", &T::timeout_ms).omit_default().max(proto::kMaxTimeoutMs),
        wire::field("grace_ms", &T::grace_ms).omit_default().max(proto::kMaxTimeoutMs),
        wire::field("output_cap", &T::output_cap).omit_default().max(proto::kMaxOutputCapBytes),
        wire::field("retry", &T::retry).omit_default(),
        wire::field("not_before_ms", &T::not_before_ms).omit_default(),
        wire::field("idempotency_key", &T::idempotency_key)
            .omit_default()
            .max_bytes(proto::kMaxIdempotencyKeyBytes),
        wire::field("module", &T::module).omit_default().max_bytes(proto::kMaxNameBytes),
        wire::field("args", &T::args).omit_default().raw().max_bytes(proto::kMaxModuleArgsBytes),
        // Only an http task carries its request, even when it is the default.
        wire::field("http", &T::http).written_when([](const T& s) { return s.type == "http"; }),
        wire::field("sandbox", &T::sandbox).omit_default(),
    };
  }
  // validate(TaskSpec) (common/wire/validate.hpp), after the fields decode.
  static MaybeError check(const TaskSpec& spec);
};

// The spec alone as a msgpack map (the broker's journal stores it this way).
// decode_spec's errors are prefixed "task: ", as inside SUBMIT.
std::string encode_spec(const TaskSpec& spec);
MaybeError decode_spec(std::string_view bytes, TaskSpec& out);

}  // namespace zfleet::msg
