// zfleet-http-fetch: the sandboxed child that runs one http task. Reads one
// encoded HttpRequest from stdin (until EOF), writes one encoded HttpResponse
// to stdout. Exit status: 0 the request completed (any HTTP status), 1 it
// failed (response.error says why), 2 the request was invalid and nothing was
// sent. The worker applies the sandbox before this program starts.
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

#include <curl/curl.h>

#include "worker/executors/http/address_policy.hpp"
#include "worker/executors/http/http_fetch.hpp"
#include "worker/executors/http/http_request.hpp"

namespace {

using zfleet::worker::HttpResponse;

enum Exit { kCompleted = 0, kFailed = 1, kInvalid = 2 };

// False when stdin holds more than `cap` bytes or cannot be read.
bool read_all(int fd, std::string& out, std::size_t cap) {
  std::array<char, 64 * 1024> chunk{};
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (out.size() + static_cast<std::size_t>(n) > cap) return false;
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

bool write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

int respond(const HttpResponse& response, int status) {
  return write_all(STDOUT_FILENO, zfleet::worker::encode(response)) ? status : kFailed;
}

int invalid(const std::string& why) {
  HttpResponse response;
  response.error = "invalid request: " + why;
  return respond(response, kInvalid);
}

}  // namespace

int main() {
  namespace w = zfleet::worker;
  std::string input;
  if (!read_all(STDIN_FILENO, input, w::kHttpMaxRequestMessageBytes)) {
    return invalid("stdin unreadable or larger than " +
                   std::to_string(w::kHttpMaxRequestMessageBytes) + " bytes");
  }
  w::HttpRequest request;
  std::string error;
  if (!w::decode(input, request, error)) return invalid(error);
  const auto policy =
      w::AddressPolicy::parse(request.allow, request.deny, error, request.allow_within);
  if (!policy) return invalid(error);

  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    HttpResponse response;
    response.error = "libcurl initialisation failed";
    return respond(response, kFailed);
  }
  const HttpResponse response = w::perform(request, *policy);
  curl_global_cleanup();
  return respond(response, response.error.empty() ? kCompleted : kFailed);
}
