// HTTP task requests and outcomes; see http_task.hpp.
#include "worker/executors/http/http_task.hpp"

#include "worker/executors/http/http_request.hpp"

namespace zfleet::worker {

std::string http_child_request(const msg::TaskSpec& spec, const std::vector<HostRules>& rules,
                               Millis timeout) {
  HttpRequest r;
  r.method = spec.http.method;
  r.url = spec.http.url;
  r.headers.assign(spec.http.headers.begin(), spec.http.headers.end());
  r.body = spec.http.body;
  if (timeout.count() > 0) {
    r.timeout_ms =
        std::min<std::uint64_t>(static_cast<std::uint64_t>(timeout.count()), kHttpMaxTimeoutMs);
  }
  r.max_response_bytes = spec.http.max_response_bytes != 0 ? spec.http.max_response_bytes
                                                           : proto::kDefaultHttpResponseCap;
  r.max_redirects = spec.http.max_redirects;
  if (!rules.empty()) {
    // The worker's layer may allow what is denied by default; every later
    // layer (project, task) only adds denials and narrowing allow lists.
    r.allow = rules.front().allow;
    r.deny = rules.front().deny;
    for (std::size_t i = 1; i < rules.size(); ++i) {
      r.deny.insert(r.deny.end(), rules[i].deny.begin(), rules[i].deny.end());
      if (!rules[i].allow.empty()) r.allow_within.push_back(rules[i].allow);
    }
  }
  return encode(r);
}

void http_outcome(const std::string& stdout_bytes, msg::Outcome& o) {
  HttpResponse response;
  std::string error;
  if (!decode(stdout_bytes, response, error)) {
    if (o.exit_code == 0) o.exit_code = 1;
    o.stderr_tail += "zfleet: the fetch child wrote no valid response: " + error + "\n";
    return;
  }
  o.result = stdout_bytes;
  o.stdout_tail.clear();
  if (!response.error.empty()) {
    o.stderr_tail += response.error + "\n";
    if (o.exit_code == 0) o.exit_code = 1;
    return;
  }
  if (o.exit_code == 0) {
    if (response.status >= 500) {
      o.exit_code = 5;
    } else if (response.status >= 400) {
      o.exit_code = 4;
    }
  }
}

}  // namespace zfleet::worker
