// One http task transfer with libcurl; see http_fetch.hpp.
#include "worker/executors/http/http_fetch.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <memory>

#include <curl/curl.h>

namespace zfleet::worker {

namespace {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;
using Url = std::unique_ptr<CURLU, UrlDeleter>;
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

constexpr const char* kProtocols = "http,https";

// What the callbacks of one hop see and fill in.
struct Hop {
  const AddressPolicy* policy = nullptr;
  std::string host;    // the hop's host as written in its URL
  std::string denied;  // first address the policy refused on this hop
  std::uint64_t cap = 0;
  std::string body;
  std::uint64_t body_bytes = 0;
  bool body_truncated = false;
  HeaderList headers;
  std::size_t header_bytes = 0;
  bool headers_truncated = false;
};

struct UrlParts {
  std::string scheme;
  std::string host;
  std::string port;
};

bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string url_part(CURLU* url, CURLUPart part, unsigned flags) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, flags) != CURLUE_OK) return {};
  const CurlString owned(raw);
  return raw;
}

bool split_url(const std::string& text, UrlParts& out, std::string& error) {
  const Url url(curl_url());
  if (!url) {
    error = "out of memory";
    return false;
  }
  const CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, text.c_str(), 0);
  if (rc != CURLUE_OK) {
    error = "invalid url '" + text + "': " + curl_url_strerror(rc);
    return false;
  }
  out.scheme = url_part(url.get(), CURLUPART_SCHEME, 0);
  out.host = url_part(url.get(), CURLUPART_HOST, 0);
  out.port = url_part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (out.scheme != "http" && out.scheme != "https") {
    error = "unsupported scheme '" + out.scheme + "' (http and https only)";
    return false;
  }
  if (out.host.empty()) {
    error = "url has no host";
    return false;
  }
  return true;
}

std::optional<IpAddress> to_ip(const curl_sockaddr& address) {
  IpAddress ip;
  if (address.family == AF_INET && address.addrlen >= sizeof(sockaddr_in)) {
    sockaddr_in v4{};
    std::memcpy(&v4, &address.addr, sizeof v4);
    ip.bytes[10] = ip.bytes[11] = 0xff;
    std::memcpy(ip.bytes.data() + 12, &v4.sin_addr, 4);
    return ip;
  }
  if (address.family == AF_INET6 && address.addrlen >= sizeof(sockaddr_in6)) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &address.addr, sizeof v6);
    std::memcpy(ip.bytes.data(), &v6.sin6_addr, 16);
    return ip;
  }
  return std::nullopt;
}

// Called instead of socket(2) for every address libcurl tries, after DNS:
// the last point at which a rebound name can still be refused.
curl_socket_t open_socket(void* data, curlsocktype purpose, curl_sockaddr* address) {
  auto& hop = *static_cast<Hop*>(data);
  const auto ip = to_ip(*address);
  PolicyDecision decision;
  if (purpose != CURLSOCKTYPE_IPCXN || !ip) {
    decision = {false, "address family " + std::to_string(address->family) + " (not IP)"};
  } else {
    decision = hop.policy->check_connection(hop.host, *ip);
  }
  if (!decision.allowed) {
    if (hop.denied.empty()) hop.denied = decision.reason;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& hop = *static_cast<Hop*>(user);
  const std::size_t n = size * count;
  hop.body_bytes += n;
  const std::size_t room = hop.cap - hop.body.size();
  if (n <= room) {
    hop.body.append(data, n);
    return n;
  }
  hop.body.append(data, room);
  hop.body_truncated = true;
  return CURL_WRITEFUNC_ERROR;  // stop reading: the rest would only be discarded
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& hop = *static_cast<Hop*>(user);
  const std::size_t n = size * count;
  const std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    // A new response (after 1xx): only the final one's headers are kept.
    hop.headers.clear();
    hop.header_bytes = 0;
    hop.headers_truncated = false;
    return n;
  }
  if (trim(line).empty()) return n;
  if ((line.front() == ' ' || line.front() == '\t') && !hop.headers.empty()) {
    const auto more = trim(line);  // obsolete line folding
    if (hop.header_bytes + more.size() + 1 > kHttpMaxResponseHeaderBytes) {
      hop.headers_truncated = true;
      return n;
    }
    hop.headers.back().second.append(" ").append(more);
    hop.header_bytes += more.size() + 1;
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  const auto name = trim(line.substr(0, colon));
  const auto value = trim(line.substr(colon + 1));
  if (hop.header_bytes + name.size() + value.size() > kHttpMaxResponseHeaderBytes) {
    hop.headers_truncated = true;
    return n;
  }
  hop.header_bytes += name.size() + value.size();
  hop.headers.emplace_back(name, value);
  return n;
}

bool has_header(const HeaderList& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return ieq(h.first, name); });
}

Slist header_list(const HeaderList& headers) {
  curl_slist* list = nullptr;
  const auto add = [&](const std::string& line) {
    curl_slist* grown = curl_slist_append(list, line.c_str());
    if (grown != nullptr) list = grown;
  };
  for (const auto& [name, value] : headers) {
    // "Name:" would tell libcurl to remove the header; "Name;" sends it empty.
    add(value.empty() ? name + ";" : name + ": " + value);
  }
  // libcurl would otherwise wait for a 100 Continue before large bodies.
  if (!has_header(headers, "Expect")) add("Expect:");
  return Slist(list);
}

struct HopRequest {
  std::string url;
  std::string method;
  HeaderList headers;
  const std::string* body = nullptr;
};

bool sends_body(const HopRequest& r) {
  return !r.body->empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
}

void configure(CURL* easy, const HopRequest& r, curl_slist* headers, Hop& hop, long timeout_ms,
               char* error_buffer) {
  curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, kProtocols);
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, kProtocols);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "zfleet-http-fetch/" ZFLEET_VERSION);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &hop);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &hop);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &hop);
  if (r.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (sends_body(r)) {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body->size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.body->data());
    if (r.method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  } else if (r.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// How the next hop differs from this one, as browsers and libcurl do it:
// 303 (and 301/302 after POST) turn into a body-less GET, and credentials
// are not carried to another origin.
void prepare_redirect(HopRequest& r, long status, const UrlParts& from, const UrlParts& to,
                      const std::string& empty_body) {
  const bool to_get = (status == 303 && r.method != "HEAD") ||
                      ((status == 301 || status == 302) && r.method == "POST");
  const auto drop = [&](std::string_view name) {
    std::erase_if(r.headers, [&](const auto& h) { return ieq(h.first, name); });
  };
  if (to_get) {
    r.method = "GET";
    r.body = &empty_body;
    drop("Content-Type");
  }
  if (!ieq(from.scheme, to.scheme) || !ieq(from.host, to.host) || from.port != to.port) {
    drop("Authorization");
    drop("Proxy-Authorization");
    drop("Cookie");
  }
}

std::string transfer_error(CURLcode rc, const Hop& hop, const HttpRequest& request,
                           const char* error_buffer) {
  if (!hop.denied.empty()) return "address denied by policy: " + hop.denied;
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return "timed out after " + std::to_string(request.timeout_ms) + " ms";
  }
  std::string message = curl_easy_strerror(rc);
  if (error_buffer[0] != '\0') message += ": " + std::string(error_buffer);
  return message;
}

}  // namespace

HttpResponse perform(const HttpRequest& request, const AddressPolicy& policy) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto elapsed_ms = [&] {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  };

  HttpResponse response;
  const auto fail = [&](std::string message) {
    if (message.size() > kHttpMaxErrorBytes) message.resize(kHttpMaxErrorBytes);
    response.error = std::move(message);
    response.elapsed_ms = elapsed_ms();
    return response;
  };

  const Easy easy(curl_easy_init());
  if (!easy) return fail("cannot create a libcurl handle");

  const std::string empty_body;
  HopRequest hop_request{request.url, request.method, request.headers, &request.body};
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  UrlParts parts;
  std::string error;
  if (!split_url(hop_request.url, parts, error)) return fail(error);

  for (;;) {
    response.url = hop_request.url;
    const PolicyDecision decision = policy.check_host(parts.host);
    if (!decision.allowed) {
      const bool literal = parse_ip(parts.host).has_value();
      return fail(std::string(literal ? "address" : "host") +
                  " denied by policy: " + decision.reason);
    }
    const std::uint64_t used = elapsed_ms();
    if (used >= request.timeout_ms) {
      return fail("timed out after " + std::to_string(request.timeout_ms) + " ms");
    }

    Hop hop;
    hop.policy = &policy;
    hop.host = parts.host;
    hop.cap = request.max_response_bytes;
    const Slist headers = header_list(hop_request.headers);
    error_buffer[0] = '\0';
    // curl_easy_reset keeps the connection cache, so a redirect to the same
    // origin reuses its (already checked) connection.
    curl_easy_reset(easy.get());
    configure(easy.get(), hop_request, headers.get(), hop,
              static_cast<long>(request.timeout_ms - used), error_buffer.data());
    const CURLcode rc = curl_easy_perform(easy.get());
    const bool stopped_at_cap = rc == CURLE_WRITE_ERROR && hop.body_truncated;
    if (rc != CURLE_OK && !stopped_at_cap) {
      return fail(transfer_error(rc, hop, request, error_buffer.data()));
    }

    long status = 0;
    curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
    char* next = nullptr;
    curl_easy_getinfo(easy.get(), CURLINFO_REDIRECT_URL, &next);
    if (is_redirect(status) && next != nullptr && request.max_redirects > 0) {
      if (response.redirects >= request.max_redirects) {
        return fail("too many redirects (limit " + std::to_string(request.max_redirects) + ")");
      }
      const std::string target = next;
      if (target.size() > kHttpMaxUrlBytes) {
        return fail("redirect url longer than " + std::to_string(kHttpMaxUrlBytes) + " bytes");
      }
      UrlParts next_parts;
      if (!split_url(target, next_parts, error)) return fail("redirect refused: " + error);
      ++response.redirects;
      prepare_redirect(hop_request, status, parts, next_parts, empty_body);
      hop_request.url = target;
      parts = std::move(next_parts);
      continue;
    }

    response.status = static_cast<std::uint32_t>(status);
    response.headers = std::move(hop.headers);
    response.headers_truncated = hop.headers_truncated;
    response.body = std::move(hop.body);
    response.body_truncated = hop.body_truncated;
    response.body_bytes = hop.body_bytes;
    response.elapsed_ms = elapsed_ms();
    return response;
  }
}

}  // namespace zfleet::worker
