// HttpRequest / HttpResponse: msgpack round trips, defaults and limits.
#include <string>

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include "worker/executors/http/http_request.hpp"

namespace zfleet::worker {
namespace {

HttpRequest valid_request() {
  HttpRequest r;
  r.url = "http://example.com/path?q=1";
  return r;
}

// A request map holding only the given url, as a producer would send it.
std::string minimal_map(std::string_view url) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> p(buffer);
  p.pack_map(1);
  p.pack("url");
  p.pack(std::string(url));
  return {buffer.data(), buffer.size()};
}

std::string decode_error(const HttpRequest& request) {
  HttpRequest out;
  std::string error;
  EXPECT_FALSE(decode(encode(request), out, error));
  return error;
}

TEST(HttpRequestCodec, RoundTripsEveryField) {
  HttpRequest in;
  in.method = "POST";
  in.url = "https://api.example.com/v1/items";
  in.headers = {
      {"Content-Type", "application/json"}, {"X-Dup", "1"}, {"X-Dup", "2"}, {"X-Empty", ""}};
  in.body = std::string("{\"a\":1}\0binary", 14);
  in.timeout_ms = 2'000;
  in.max_response_bytes = 4'096;
  in.max_redirects = 0;
  in.allow = {"10.0.0.0/8", "*.example.com"};
  in.deny = {"10.9.0.0/16"};
  in.allow_within = {{"10.0.0.0/16"}, {}, {"*.example.com", "10.0.1.0/24"}};

  HttpRequest out;
  std::string error;
  ASSERT_TRUE(decode(encode(in), out, error)) << error;
  EXPECT_EQ(out.method, in.method);
  EXPECT_EQ(out.url, in.url);
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.body, in.body);
  EXPECT_EQ(out.timeout_ms, in.timeout_ms);
  EXPECT_EQ(out.max_response_bytes, in.max_response_bytes);
  EXPECT_EQ(out.max_redirects, in.max_redirects);
  EXPECT_EQ(out.allow, in.allow);
  EXPECT_EQ(out.deny, in.deny);
  EXPECT_EQ(out.allow_within, in.allow_within);
}

TEST(HttpRequestCodec, AppliesDefaultsToAbsentFields) {
  HttpRequest out;
  std::string error;
  ASSERT_TRUE(decode(minimal_map("http://example.com/"), out, error)) << error;
  EXPECT_EQ(out.method, "GET");
  EXPECT_TRUE(out.headers.empty());
  EXPECT_TRUE(out.body.empty());
  EXPECT_EQ(out.timeout_ms, 30'000U);
  EXPECT_EQ(out.max_response_bytes, 1024U * 1024U);
  EXPECT_EQ(out.max_redirects, 5U);
  EXPECT_TRUE(out.allow.empty());
  EXPECT_TRUE(out.deny.empty());
}

TEST(HttpRequestCodec, RejectsInvalidFields) {
  struct Case {
    const char* what;
    void (*mutate)(HttpRequest&);
    const char* message_part;
  };
  const Case cases[] = {
      {"method", [](HttpRequest& r) { r.method = "TRACE"; }, "method 'TRACE'"},
      {"lower-case method", [](HttpRequest& r) { r.method = "get"; }, "method 'get'"},
      {"file url", [](HttpRequest& r) { r.url = "file:///etc/passwd"; }, "http:// or https://"},
      {"gopher url", [](HttpRequest& r) { r.url = "gopher://x/"; }, "http:// or https://"},
      {"no host", [](HttpRequest& r) { r.url = "http://"; }, "no host"},
      {"space in url", [](HttpRequest& r) { r.url = "http://a b/"; }, "control characters"},
      {"long url", [](HttpRequest& r) { r.url = "http://x/" + std::string(8 * 1024, 'a'); },
       "longer than"},
      {"CRLF in value",
       [](HttpRequest& r) {
         r.headers = {{"X-A", "1\r\nX-B: 2"}};
       },
       "CR, LF"},
      {"LF in value",
       [](HttpRequest& r) {
         r.headers = {{"X-A", "1\nX"}};
       },
       "CR, LF"},
      {"bad name",
       [](HttpRequest& r) {
         r.headers = {{"X A", "1"}};
       },
       "invalid header name"},
      {"colon in name",
       [](HttpRequest& r) {
         r.headers = {{"X:A", "1"}};
       },
       "invalid header name"},
      {"empty name",
       [](HttpRequest& r) {
         r.headers = {{"", "1"}};
       },
       "invalid header name"},
      {"framing header",
       [](HttpRequest& r) {
         r.headers = {{"content-length", "5"}};
       },
       "set from the body"},
      {"too many headers",
       [](HttpRequest& r) {
         r.headers.assign(101, {"X-A", "1"});
       },
       "more than 100"},
      {"HEAD body",
       [](HttpRequest& r) {
         r.method = "HEAD";
         r.body = "x";
       },
       "HEAD"},
      {"timeout", [](HttpRequest& r) { r.timeout_ms = 600'001; }, "timeout_ms"},
      {"zero timeout", [](HttpRequest& r) { r.timeout_ms = 0; }, "timeout_ms"},
      {"response cap", [](HttpRequest& r) { r.max_response_bytes = 64 * 1024 * 1024 + 1; },
       "max_response_bytes"},
      {"redirects", [](HttpRequest& r) { r.max_redirects = 21; }, "max_redirects"},
      {"allow_within lists", [](HttpRequest& r) { r.allow_within.assign(9, {"10.0.0.0/8"}); },
       "more than 8 lists"},
  };
  for (const auto& c : cases) {
    HttpRequest r = valid_request();
    c.mutate(r);
    const std::string error = decode_error(r);
    EXPECT_NE(error.find(c.message_part), std::string::npos) << c.what << " -> " << error;
  }
}

TEST(HttpRequestCodec, AcceptsTheLimitsThemselves) {
  HttpRequest r = valid_request();
  r.method = "OPTIONS";
  r.headers.assign(100, {"X-A", "1"});
  r.timeout_ms = 600'000;
  r.max_response_bytes = 64 * 1024 * 1024;
  r.max_redirects = 20;
  HttpRequest out;
  std::string error;
  EXPECT_TRUE(decode(encode(r), out, error)) << error;
}

TEST(HttpRequestCodec, RejectsMalformedInput) {
  HttpRequest out;
  std::string error;
  EXPECT_FALSE(decode("", out, error));
  EXPECT_FALSE(decode("\x93\x01\x02\x03", out, error));  // an array, not a map
  EXPECT_NE(error.find("not a msgpack map"), std::string::npos) << error;
  EXPECT_FALSE(decode(minimal_map("http://e/") + "x", out, error));
  EXPECT_NE(error.find("trailing"), std::string::npos) << error;

  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> p(buffer);
  p.pack_map(2);
  p.pack("url");
  p.pack("http://e/");
  p.pack("headers");
  p.pack_array(1);
  p.pack_array(1);  // [name] without a value
  p.pack("X-A");
  EXPECT_FALSE(decode({buffer.data(), buffer.size()}, out, error));
  EXPECT_NE(error.find("[name, value]"), std::string::npos) << error;
}

TEST(HttpResponseCodec, RoundTripsEveryField) {
  HttpResponse in;
  in.status = 206;
  in.headers = {{"Content-Type", "text/plain"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}};
  in.headers_truncated = true;
  in.body = std::string("part\0ial", 8);
  in.body_truncated = true;
  in.body_bytes = 16'384;
  in.url = "http://example.com/final";
  in.redirects = 2;
  in.elapsed_ms = 123;
  in.error = "";

  HttpResponse out;
  std::string error;
  ASSERT_TRUE(decode(encode(in), out, error)) << error;
  EXPECT_EQ(out.status, in.status);
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.headers_truncated, in.headers_truncated);
  EXPECT_EQ(out.body, in.body);
  EXPECT_EQ(out.body_truncated, in.body_truncated);
  EXPECT_EQ(out.body_bytes, in.body_bytes);
  EXPECT_EQ(out.url, in.url);
  EXPECT_EQ(out.redirects, in.redirects);
  EXPECT_EQ(out.elapsed_ms, in.elapsed_ms);
  EXPECT_EQ(out.error, in.error);
}

TEST(HttpResponseCodec, CarriesAnErrorWithoutAStatus) {
  HttpResponse in;
  in.error = "address denied by policy: 127.0.0.1 (loopback)";
  HttpResponse out;
  std::string error;
  ASSERT_TRUE(decode(encode(in), out, error)) << error;
  EXPECT_EQ(out.status, 0U);
  EXPECT_EQ(out.error, in.error);
}

TEST(HttpResponseCodec, RejectsABodyOverTheHardCap) {
  HttpResponse in;
  in.status = 200;
  in.body.assign(64 * 1024 * 1024 + 1, 'x');
  HttpResponse out;
  std::string error;
  EXPECT_FALSE(decode(encode(in), out, error));
  EXPECT_NE(error.find("'body'"), std::string::npos) << error;
}

}  // namespace
}  // namespace zfleet::worker
