// The single-task form of `submit`: the values its flags collect and how they
// become a msg::TaskSpec. Kept apart from the CLI11 wiring so the checks
// (K=V syntax, size limits, msg::validate) are testable.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/zfleetctl/retry_flags.hpp"
#include "broker/zfleetctl/task_type_flags.hpp"
#include "common/messages.hpp"

namespace zfleet::ctl {

struct SpecFlags {
  std::string type = "shell";  // "shell", "module", "http", or "noop" (no child, no argv)
  std::string project = std::string(proto::kDefaultProject);
  std::uint32_t priority = proto::kDefaultPriority;
  std::vector<std::string> env;  // "K=V" each, in the order given
  std::string cwd;
  std::vector<std::string> attach;  // "FILE[=NAME]" each: sent into the task directory
  std::string script;               // a local file sent with the task and run as "./NAME"
  std::uint64_t timeout_ms = 0;     // 0: the worker's default
  std::uint64_t grace_ms = 0;       // 0: the worker's default
  std::uint64_t output_cap = proto::kDefaultOutputCapBytes;
  RetryFlags retry;                           // per-task overrides of the project's policy
  std::optional<std::uint64_t> delay_ms;      // not before now + this
  std::optional<std::int64_t> not_before_ms;  // Unix ms; exclusive with delay_ms
  std::string idempotency_key;                // empty: the client makes one up
  std::vector<std::string> argv;
  std::string module;     // "module" tasks
  std::string args_json;  // their arguments, as JSON (sent as msgpack)
  HttpFlags http;         // "http" tasks
  SandboxFlags sandbox;
};

// A start time from "--delay-ms" or "--not-before" (at most one of them),
// as Unix ms; 0 when neither is given. `now_ms` is the current Unix time.
std::optional<std::string> resolve_not_before(std::optional<std::uint64_t> delay_ms,
                                              std::optional<std::int64_t> not_before_ms,
                                              std::int64_t now_ms, std::int64_t& out);

// The limit on a caller's idempotency key (the protocol's size limit).
std::optional<std::string> check_idempotency_key(std::string_view key);

// Splits "K=V" at the first '='; the value may be empty or contain '='.
std::optional<std::string> parse_env_assignment(std::string_view text,
                                                std::pair<std::string, std::string>& out);

// Copies the flags into `out` and checks their limits, but not the spec as a
// whole: `submit --file` uses the result as the defaults of every line,
// before any line has supplied an argv. `stdin_data` is what --stdin-file read;
// `now_ms` (Unix ms) is what --delay-ms counts from.
std::optional<std::string> apply_flags(const SpecFlags& flags, std::string stdin_data,
                                       std::int64_t now_ms, msg::TaskSpec& out);

// apply_flags() then msg::validate(): a complete single task.
std::optional<std::string> build_spec(const SpecFlags& flags, std::string stdin_data,
                                      std::int64_t now_ms, msg::TaskSpec& out);

// Reads all of `in`, refusing more than `max_bytes` (the protocol's limit on
// a task's stdin) rather than reading an unbounded stream into memory.
std::optional<std::string> read_bounded(std::istream& in, std::size_t max_bytes, std::string& out);

// read_bounded() on a file, or on standard input for "-".
std::optional<std::string> read_input_file(const std::string& path, std::size_t max_bytes,
                                           std::string& out);

}  // namespace zfleet::ctl
