// See project_policies.hpp.
#include "broker/project_policies.hpp"

namespace zfleet::broker {

namespace {
const msg::RetryPolicy kNoPolicy{};
}  // namespace

void ProjectPolicies::set(const std::string& project, const msg::RetryPolicy& policy) {
  if (policy == kNoPolicy) {
    policies_.erase(project);
  } else {
    policies_[project] = policy;
  }
}

const msg::RetryPolicy& ProjectPolicies::policy_of(const std::string& project) const {
  auto it = policies_.find(project);
  return it == policies_.end() ? kNoPolicy : it->second;
}

ResolvedPolicy ProjectPolicies::resolve_for(const std::string& project,
                                            const msg::RetryPolicy& task_policy) const {
  return resolve(task_policy, policy_of(project), defaults_);
}

}  // namespace zfleet::broker
