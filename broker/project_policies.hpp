// ProjectPolicies: the retry policies operators set per project
// (SET_POLICY), and the resolution of a task's effective policy: the task's
// own fields, then its project's, then the broker's defaults. Saved with the
// project's settings by the broker; recovery hands them back through set().
//
// Invariant: only non-empty policies are held, so "no policy" and "an empty
// one" are the same answer (policy_of() returns the empty policy).
#pragma once

#include <map>
#include <string>

#include "broker/retry_policy.hpp"
#include "common/messages.hpp"

namespace zfleet::broker {

class ProjectPolicies {
 public:
  explicit ProjectPolicies(ResolvedPolicy defaults) : defaults_(std::move(defaults)) {}

  void set(const std::string& project, const msg::RetryPolicy& policy);
  // The project's own policy; empty when it has none.
  const msg::RetryPolicy& policy_of(const std::string& project) const;
  bool has(const std::string& project) const { return policies_.count(project) != 0; }
  // What governs a task of `project` whose own policy is `task_policy`.
  ResolvedPolicy resolve_for(const std::string& project, const msg::RetryPolicy& task_policy) const;
  const ResolvedPolicy& defaults() const { return defaults_; }

 private:
  ResolvedPolicy defaults_;
  std::map<std::string, msg::RetryPolicy> policies_;
};

}  // namespace zfleet::broker
