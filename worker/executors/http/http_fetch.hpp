// perform(): runs one validated HttpRequest with libcurl under an
// AddressPolicy. Only http and https, never a proxy from the environment.
// Redirects are followed here, one hop at a time, rather than by libcurl, so
// the policy sees every hop's host before any DNS query and every address
// before any connect (through CURLOPT_OPENSOCKETFUNCTION). The response body
// is kept up to max_response_bytes; past that the transfer is stopped and the
// response marked body_truncated, which is still a completed request.
// The caller must have called curl_global_init() once.
#pragma once

#include "worker/executors/http/address_policy.hpp"
#include "worker/executors/http/http_request.hpp"

namespace zfleet::worker {

HttpResponse perform(const HttpRequest& request, const AddressPolicy& policy);

}  // namespace zfleet::worker
