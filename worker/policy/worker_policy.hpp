// WorkerPolicy: how tightly this worker confines each attempt. The operator
// sets a worker-wide policy and per-project overrides in a JSON file
// (--policy); a task's own `sandbox` request is applied last. Projects and
// tasks only tighten: every limit is the smaller of the two, a network of
// "none" beats "host", an extra HTTP deny rule adds to the list and an HTTP
// allow list narrows it (a task can never reach what the worker denies).
// The file format is documented in docs/sandbox.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/messages.hpp"
#include "worker/monitor/task_monitor.hpp"
#include "worker/sandbox/sandbox_policy.hpp"

namespace zfleet::worker {

// HTTP host rules, in layers: an address must pass every layer (the first is
// the worker's, which alone may allow what is denied by default).
struct HostRules {
  std::vector<std::string> allow;
  std::vector<std::string> deny;
};

// Everything one attempt runs under.
struct AttemptPolicy {
  SandboxPolicy sandbox;
  MonitorPolicy monitor;
  std::vector<HostRules> http;
  bool allow_shell = true;  // argv[0] may be a shell (sh -c ...)
  bool sandboxed = true;    // false: --sandbox off (trusted work, no layers at all)
};

class WorkerPolicy {
 public:
  // The built-in defaults: SandboxPolicy::defaults() (nobody when root, every
  // layer on where the host allows it), no stall or memory marks. `limits`,
  // when given, replaces its CPU time, memory and process ceilings (0: none)
  // with the worker's defaults (default_limits.hpp); the memory ceiling is
  // both the cgroup's memory.max and the monitor's hard mark.
  explicit WorkerPolicy(bool running_as_root, bool sandboxed = true,
                        const std::optional<msg::TaskLimits>& limits = std::nullopt);

  // Reads a policy file over those defaults; its top-level limits replace
  // them. nullopt with `error` naming the problem.
  static std::optional<WorkerPolicy> load(const std::string& path, bool running_as_root,
                                          std::string& error,
                                          const std::optional<msg::TaskLimits>& limits = {});
  // The same from JSON text (tests).
  static std::optional<WorkerPolicy> parse(const std::string& json, bool running_as_root,
                                           std::string& error,
                                           const std::optional<msg::TaskLimits>& limits = {});

  // The policy of one attempt: worker, then project, then the task's request.
  AttemptPolicy resolve(const std::string& project, const msg::SandboxRequest& request,
                        const std::vector<std::string>& http_allow = {},
                        const std::vector<std::string>& http_deny = {}) const;

  const AttemptPolicy& base() const { return base_; }
  std::size_t projects() const { return projects_.size(); }

 private:
  struct Override {
    msg::SandboxRequest limits;
    HostRules http;
    std::optional<bool> allow_shell;
  };

  AttemptPolicy base_;
  std::map<std::string, Override, std::less<>> projects_;
};

// A task's (or project's) limits as a policy request for tighten().
SandboxPolicy to_request_policy(const msg::SandboxRequest& request);
// The smaller of each monitor mark that is set; a kill on stall if either asks.
MonitorPolicy tighten(const MonitorPolicy& base, const msg::SandboxRequest& request);

// True when argv[0] names a command interpreter (sh, bash, ...), which a
// policy with allow_shell false refuses.
bool is_shell(const std::string& program);

}  // namespace zfleet::worker
