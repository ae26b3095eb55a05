// HttpRequest and HttpResponse: what the worker hands zfleet-http-fetch on
// its stdin and what the fetch child writes back on stdout, each one msgpack
// map (docs/http-tasks.md is the field reference). decode() validates every
// field against the limits below, so a decoded request is safe to perform.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zfleet::worker {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::size_t kHttpMaxUrlBytes = 8 * 1024;
inline constexpr std::size_t kHttpMaxRequestHeaders = 100;
inline constexpr std::size_t kHttpMaxHeaderBytes = 8 * 1024;  // one request header, name + value
inline constexpr std::size_t kHttpMaxRequestBodyBytes = 64 * 1024 * 1024;
inline constexpr std::uint64_t kHttpDefaultTimeoutMs = 30'000;
inline constexpr std::uint64_t kHttpMaxTimeoutMs = 600'000;
inline constexpr std::uint64_t kHttpDefaultMaxResponseBytes = 1024 * 1024;
inline constexpr std::uint64_t kHttpMaxResponseBytes = 64 * 1024 * 1024;
inline constexpr std::uint32_t kHttpDefaultMaxRedirects = 5;
inline constexpr std::uint32_t kHttpMaxRedirects = 20;
inline constexpr std::size_t kHttpMaxPolicyEntries = 256;  // per list
inline constexpr std::size_t kHttpMaxAllowWithinLists = 8;
inline constexpr std::size_t kHttpMaxResponseHeaderBytes = 64 * 1024;  // names + values, total
inline constexpr std::size_t kHttpMaxErrorBytes = 4096;
// The fetch child's stdin cap: the largest valid request plus headroom.
inline constexpr std::size_t kHttpMaxRequestMessageBytes = 80 * 1024 * 1024;

struct HttpRequest {
  std::string method = "GET";  // GET HEAD POST PUT PATCH DELETE OPTIONS
  std::string url;             // http:// or https:// only
  HeaderList headers;
  std::string body;
  std::uint64_t timeout_ms = kHttpDefaultTimeoutMs;  // whole request, all redirects included
  std::uint64_t max_response_bytes = kHttpDefaultMaxResponseBytes;
  std::uint32_t max_redirects = kHttpDefaultMaxRedirects;  // 0: return the 3xx itself
  std::vector<std::string> allow;                          // AddressPolicy entries
  std::vector<std::string> deny;
  // Narrowing allow lists of later policy layers: a connection must match
  // one entry of each. They cannot lift the built-in denies.
  std::vector<std::vector<std::string>> allow_within;
};

struct HttpResponse {
  std::uint32_t status = 0;  // 0 when no response was received
  HeaderList headers;        // the final response's, in order received
  bool headers_truncated = false;
  std::string body;  // at most max_response_bytes
  bool body_truncated = false;
  // Body bytes received before the transfer stopped; equals body.size()
  // unless body_truncated, when it also counts the part of the last chunk
  // that crossed the cap (the rest of the body is never read).
  std::uint64_t body_bytes = 0;
  std::string url;  // effective URL after redirects
  std::uint32_t redirects = 0;
  std::uint64_t elapsed_ms = 0;
  std::string error;  // empty when the request completed, whatever its status
};

// Field checks shared by decode() and anyone building a request in code.
bool validate(const HttpRequest& request, std::string& error);
bool valid_header_name(std::string_view name);
bool valid_header_value(std::string_view value);
bool allowed_method(std::string_view method);

std::string encode(const HttpRequest& request);
bool decode(std::string_view bytes, HttpRequest& out, std::string& error);

std::string encode(const HttpResponse& response);
bool decode(std::string_view bytes, HttpResponse& out, std::string& error);

}  // namespace zfleet::worker
