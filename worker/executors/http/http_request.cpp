// msgpack encoding and validation of http task requests and responses; see
// http_request.hpp.
#include "worker/executors/http/http_request.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include <msgpack.hpp>

#include "common/codec.hpp"

namespace zfleet::worker {

namespace {

using codec::FieldReader;
using codec::Need;

// Bodies are larger than the broker protocol allows (kUnpackMaxBin), so
// these messages get limits of their own rather than codec::parse_body's.
constexpr std::size_t kUnpackMaxArray = 65'536;
constexpr std::size_t kUnpackMaxMap = 64;
constexpr std::size_t kUnpackMaxBytes = kHttpMaxRequestMessageBytes;
constexpr std::size_t kUnpackMaxDepth = 4;
constexpr std::size_t kMaxResponseHeaders = 10'000;

constexpr std::array<std::string_view, 7> kMethods = {"GET",   "HEAD",   "POST",   "PUT",
                                                      "PATCH", "DELETE", "OPTIONS"};

class Writer {
 public:
  explicit Writer(std::uint32_t fields) : packer_(buffer_) { packer_.pack_map(fields); }

  void str(std::string_view s) {
    packer_.pack_str(static_cast<std::uint32_t>(s.size()));
    packer_.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
  }
  void bin(std::string_view key, std::string_view b) {
    str(key);
    packer_.pack_bin(static_cast<std::uint32_t>(b.size()));
    packer_.pack_bin_body(b.data(), static_cast<std::uint32_t>(b.size()));
  }
  void field(std::string_view key, std::string_view value) {
    str(key);
    str(value);
  }
  template <typename T>
  void scalar(std::string_view key, T value) {
    str(key);
    packer_.pack(value);
  }
  void list(std::string_view key, const std::vector<std::string>& values) {
    str(key);
    packer_.pack_array(static_cast<std::uint32_t>(values.size()));
    for (const auto& v : values)
      str(v);
  }
  void headers(std::string_view key, const HeaderList& values) {
    str(key);
    packer_.pack_array(static_cast<std::uint32_t>(values.size()));
    for (const auto& [name, value] : values) {
      packer_.pack_array(2);
      str(name);
      str(value);
    }
  }
  void lists(std::string_view key, const std::vector<std::vector<std::string>>& values) {
    str(key);
    packer_.pack_array(static_cast<std::uint32_t>(values.size()));
    for (const auto& list : values) {
      packer_.pack_array(static_cast<std::uint32_t>(list.size()));
      for (const auto& v : list)
        str(v);
    }
  }
  std::string finish() const { return {buffer_.data(), buffer_.size()}; }

 private:
  msgpack::sbuffer buffer_;
  msgpack::packer<msgpack::sbuffer> packer_;
};

std::optional<msgpack::object_handle> unpack_map(std::string_view bytes, std::string& error) {
  const msgpack::unpack_limit limits(kUnpackMaxArray, kUnpackMaxMap, kUnpackMaxBytes,
                                     kUnpackMaxBytes, 0, kUnpackMaxDepth);
  msgpack::object_handle handle;
  try {
    std::size_t offset = 0;
    handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limits);
    if (offset != bytes.size()) {
      error = "trailing bytes after the msgpack map";
      return std::nullopt;
    }
  } catch (const std::exception& e) {
    error = std::string("invalid msgpack: ") + e.what();
    return std::nullopt;
  }
  if (handle.get().type != msgpack::type::MAP) {
    error = "not a msgpack map";
    return std::nullopt;
  }
  return handle;
}

std::string_view as_view(const msgpack::object& o) {
  if (o.type == msgpack::type::STR) return {o.via.str.ptr, o.via.str.size};
  return {o.via.bin.ptr, o.via.bin.size};
}

bool is_bytes(const msgpack::object& o) {
  return o.type == msgpack::type::STR || o.type == msgpack::type::BIN;
}

// [[name, value], ...]: a list rather than a map because HTTP headers repeat
// and their order matters (Set-Cookie, Via).
void read_headers(FieldReader& r, std::string_view key, HeaderList& out, std::size_t max_items,
                  std::size_t max_total_bytes) {
  if (!r.ok()) return;
  const msgpack::object* o = r.find(key);
  if (o == nullptr) return;
  const std::string must = "field '" + std::string(key) + "' must be an array of [name, value]";
  if (o->type != msgpack::type::ARRAY) return r.fail(ErrorCode::kInvalidField, must);
  if (o->via.array.size > max_items) {
    return r.fail(ErrorCode::kTooLarge, "field '" + std::string(key) + "' has more than " +
                                            std::to_string(max_items) + " items");
  }
  HeaderList values;
  std::size_t total = 0;
  for (std::uint32_t i = 0; i < o->via.array.size; ++i) {
    const msgpack::object& pair = o->via.array.ptr[i];
    if (pair.type != msgpack::type::ARRAY || pair.via.array.size != 2 ||
        !is_bytes(pair.via.array.ptr[0]) || !is_bytes(pair.via.array.ptr[1])) {
      return r.fail(ErrorCode::kInvalidField, must);
    }
    const auto name = as_view(pair.via.array.ptr[0]);
    const auto value = as_view(pair.via.array.ptr[1]);
    total += name.size() + value.size();
    if (total > max_total_bytes) {
      return r.fail(ErrorCode::kTooLarge, "field '" + std::string(key) + "' is too large");
    }
    values.emplace_back(name, value);
  }
  out = std::move(values);
}

// [[entry, ...], ...]
void read_lists(FieldReader& r, std::string_view key, std::vector<std::vector<std::string>>& out) {
  if (!r.ok()) return;
  const msgpack::object* o = r.find(key);
  if (o == nullptr) return;
  const std::string must = "field '" + std::string(key) + "' must be an array of string arrays";
  if (o->type != msgpack::type::ARRAY) return r.fail(ErrorCode::kInvalidField, must);
  if (o->via.array.size > kHttpMaxAllowWithinLists) {
    return r.fail(ErrorCode::kTooLarge, "field '" + std::string(key) + "' has more than " +
                                            std::to_string(kHttpMaxAllowWithinLists) + " lists");
  }
  std::vector<std::vector<std::string>> values;
  for (std::uint32_t i = 0; i < o->via.array.size; ++i) {
    const msgpack::object& list = o->via.array.ptr[i];
    if (list.type != msgpack::type::ARRAY) return r.fail(ErrorCode::kInvalidField, must);
    if (list.via.array.size > kHttpMaxPolicyEntries) {
      return r.fail(ErrorCode::kTooLarge, "field '" + std::string(key) +
                                              "' has a list of more than " +
                                              std::to_string(kHttpMaxPolicyEntries) + " entries");
    }
    auto& entries = values.emplace_back();
    for (std::uint32_t j = 0; j < list.via.array.size; ++j) {
      const msgpack::object& entry = list.via.array.ptr[j];
      if (!is_bytes(entry) || as_view(entry).size() > 256) {
        return r.fail(ErrorCode::kInvalidField, must + " (entries at most 256 bytes)");
      }
      entries.emplace_back(as_view(entry));
    }
  }
  out = std::move(values);
}

bool finish(const FieldReader& r, std::string& error) {
  if (r.ok()) return true;
  error = r.take_error().message;
  return false;
}

bool valid_url(std::string_view url, std::string& error) {
  if (url.empty()) {
    error = "field 'url' is required";
    return false;
  }
  if (url.size() > kHttpMaxUrlBytes) {
    error = "url is longer than " + std::to_string(kHttpMaxUrlBytes) + " bytes";
    return false;
  }
  const auto colon = url.find("://");
  std::string scheme(url.substr(0, colon == std::string_view::npos ? 0 : colon));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") {
    error = "url must start with http:// or https://";
    return false;
  }
  const bool control =
      std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
  if (control) {
    error = "url contains spaces or control characters";
    return false;
  }
  if (url.size() == colon + 3) {
    error = "url has no host";
    return false;
  }
  return true;
}

bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool allowed_method(std::string_view method) {
  return std::find(kMethods.begin(), kMethods.end(), method) != kMethods.end();
}

bool valid_header_name(std::string_view name) {
  // RFC 9110 token characters.
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSpecials.find(c) != std::string::npos;
  });
}

bool valid_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

bool validate(const HttpRequest& request, std::string& error) {
  if (!allowed_method(request.method)) {
    error = "method '" + request.method + "' is not one of GET HEAD POST PUT PATCH DELETE OPTIONS";
    return false;
  }
  if (!valid_url(request.url, error)) return false;
  if (request.headers.size() > kHttpMaxRequestHeaders) {
    error = "more than " + std::to_string(kHttpMaxRequestHeaders) + " headers";
    return false;
  }
  for (const auto& [name, value] : request.headers) {
    if (!valid_header_name(name)) {
      error = "invalid header name '" + name + "'";
      return false;
    }
    if (!valid_header_value(value)) {
      error = "header '" + name + "' has CR, LF or NUL in its value";
      return false;
    }
    if (name.size() + value.size() > kHttpMaxHeaderBytes) {
      error = "header '" + name + "' is longer than " + std::to_string(kHttpMaxHeaderBytes);
      return false;
    }
    // libcurl frames the body itself; a second framing header would let a
    // task smuggle a request past it.
    if (ieq(name, "Content-Length") || ieq(name, "Transfer-Encoding")) {
      error = "header '" + name + "' is set from the body and may not be given";
      return false;
    }
  }
  if (request.body.size() > kHttpMaxRequestBodyBytes) {
    error = "body is larger than " + std::to_string(kHttpMaxRequestBodyBytes) + " bytes";
    return false;
  }
  if (request.method == "HEAD" && !request.body.empty()) {
    error = "a HEAD request cannot have a body";
    return false;
  }
  if (request.timeout_ms == 0 || request.timeout_ms > kHttpMaxTimeoutMs) {
    error = "timeout_ms must be 1.." + std::to_string(kHttpMaxTimeoutMs);
    return false;
  }
  if (request.max_response_bytes > kHttpMaxResponseBytes) {
    error = "max_response_bytes exceeds " + std::to_string(kHttpMaxResponseBytes);
    return false;
  }
  if (request.max_redirects > kHttpMaxRedirects) {
    error = "max_redirects exceeds " + std::to_string(kHttpMaxRedirects);
    return false;
  }
  if (request.allow.size() > kHttpMaxPolicyEntries || request.deny.size() > kHttpMaxPolicyEntries) {
    error = "more than " + std::to_string(kHttpMaxPolicyEntries) + " allow or deny entries";
    return false;
  }
  return true;
}

std::string encode(const HttpRequest& request) {
  Writer w(10);
  w.field("method", request.method);
  w.field("url", request.url);
  w.headers("headers", request.headers);
  w.bin("body", request.body);
  w.scalar("timeout_ms", request.timeout_ms);
  w.scalar("max_response_bytes", request.max_response_bytes);
  w.scalar("max_redirects", request.max_redirects);
  w.list("allow", request.allow);
  w.list("deny", request.deny);
  w.lists("allow_within", request.allow_within);
  return w.finish();
}

bool decode(std::string_view bytes, HttpRequest& out, std::string& error) {
  auto handle = unpack_map(bytes, error);
  if (!handle) return false;
  HttpRequest request;
  FieldReader r(handle->get());
  r.bytes("method", request.method, Need::kOptional, 16);
  r.bytes("url", request.url, Need::kRequired, kHttpMaxUrlBytes);
  read_headers(r, "headers", request.headers, kHttpMaxRequestHeaders,
               kHttpMaxRequestHeaders * kHttpMaxHeaderBytes);
  r.bytes("body", request.body, Need::kOptional, kHttpMaxRequestBodyBytes);
  r.u64("timeout_ms", request.timeout_ms, Need::kOptional, kHttpMaxTimeoutMs);
  r.u64("max_response_bytes", request.max_response_bytes, Need::kOptional, kHttpMaxResponseBytes);
  r.u32("max_redirects", request.max_redirects, Need::kOptional, kHttpMaxRedirects);
  r.str_list("allow", request.allow, Need::kOptional, kHttpMaxPolicyEntries, 256, 64 * 1024);
  r.str_list("deny", request.deny, Need::kOptional, kHttpMaxPolicyEntries, 256, 64 * 1024);
  read_lists(r, "allow_within", request.allow_within);
  if (!finish(r, error) || !validate(request, error)) return false;
  out = std::move(request);
  return true;
}

std::string encode(const HttpResponse& response) {
  Writer w(10);
  w.scalar("status", response.status);
  w.headers("headers", response.headers);
  w.scalar("headers_truncated", response.headers_truncated);
  w.bin("body", response.body);
  w.scalar("body_truncated", response.body_truncated);
  w.scalar("body_bytes", response.body_bytes);
  w.field("url", response.url);
  w.scalar("redirects", response.redirects);
  w.scalar("elapsed_ms", response.elapsed_ms);
  w.field("error", response.error);
  return w.finish();
}

bool decode(std::string_view bytes, HttpResponse& out, std::string& error) {
  auto handle = unpack_map(bytes, error);
  if (!handle) return false;
  HttpResponse response;
  FieldReader r(handle->get());
  r.u32("status", response.status, Need::kRequired, 999);
  read_headers(r, "headers", response.headers, kMaxResponseHeaders, kHttpMaxResponseHeaderBytes);
  r.boolean("headers_truncated", response.headers_truncated);
  r.bytes("body", response.body, Need::kOptional, kHttpMaxResponseBytes);
  r.boolean("body_truncated", response.body_truncated);
  r.u64("body_bytes", response.body_bytes);
  r.bytes("url", response.url, Need::kOptional, kHttpMaxUrlBytes);
  r.u32("redirects", response.redirects, Need::kOptional, kHttpMaxRedirects);
  r.u64("elapsed_ms", response.elapsed_ms);
  r.bytes("error", response.error, Need::kOptional, kHttpMaxErrorBytes);
  if (!finish(r, error)) return false;
  out = std::move(response);
  return true;
}

}  // namespace zfleet::worker
