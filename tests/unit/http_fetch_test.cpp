// zfleet-http-fetch end to end: the real binary as a child process against a
// small HTTP/1.1 server on 127.0.0.1:<ephemeral> run by the test itself.
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "worker/executors/http/http_request.hpp"
#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {
namespace {

constexpr std::size_t kLargeBodyBytes = 5 * 1024 * 1024;

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    // MSG_NOSIGNAL: the client hangs up mid-body on purpose (size cap).
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string response(int status, std::string_view body, std::string_view extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: text/plain\r\n" +
         std::string(extra_headers) + "Content-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + std::string(body);
}

std::string redirect(int status, std::string_view location) {
  return response(status, "", "Location: " + std::string(location) + "\r\n");
}

// One request per connection, each on its own thread so a response that
// never finishes (/slow) does not hold up the others.
class TestHttpServer {
 public:
  TestHttpServer() {
    listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listener_.get(), 64) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~TestHttpServer() {
    // shutdown() wakes the blocked accept(); open connections are shut down
    // so a handler waiting on a client can never outlive the test.
    ::shutdown(listener_.get(), SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> handlers;
    {
      std::lock_guard lock(mutex_);
      for (const int fd : open_)
        ::shutdown(fd, SHUT_RDWR);
      handlers.swap(handlers_);
    }
    // Joined unlocked: each handler takes the lock to deregister its fd.
    for (auto& t : handlers)
      t.join();
  }

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void accept_loop() {
    for (;;) {
      const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;
      }
      ++accepted_;
      std::lock_guard lock(mutex_);
      open_.push_back(fd);
      handlers_.emplace_back([this, fd] {
        serve(fd);
        std::lock_guard inner(mutex_);
        std::erase(open_, fd);
        ::close(fd);
      });
    }
  }

  void serve(int fd) {
    std::string in;
    std::array<char, 4096> chunk{};
    std::size_t header_end = std::string::npos;
    while ((header_end = in.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
      if (n <= 0) return;
      in.append(chunk.data(), static_cast<std::size_t>(n));
    }
    const std::string head = in.substr(0, header_end);
    std::string body = in.substr(header_end + 4);
    std::size_t content_length = 0;
    std::string headers;  // "name: value\n" per line, as received
    std::size_t line_start = head.find("\r\n");
    const std::string request_line = head.substr(0, line_start);
    while (line_start != std::string::npos && line_start + 2 <= head.size()) {
      const std::size_t next = head.find("\r\n", line_start + 2);
      const std::string line = head.substr(line_start + 2, next - line_start - 2);
      headers += line + "\n";
      if (line.rfind("Content-Length:", 0) == 0) content_length = std::stoul(line.substr(15));
      line_start = next;
    }
    while (body.size() < content_length) {
      const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
      if (n <= 0) return;
      body.append(chunk.data(), static_cast<std::size_t>(n));
    }
    const std::string method = request_line.substr(0, request_line.find(' '));
    const std::size_t path_start = request_line.find(' ') + 1;
    const std::string path =
        request_line.substr(path_start, request_line.find(' ', path_start) - path_start);
    route(fd, method, path, headers, body);
  }

  void route(int fd, const std::string& method, const std::string& path, const std::string& headers,
             const std::string& body) {
    if (path == "/ok") return send_all(fd, response(200, "hello"));
    if (path == "/redirect") return send_all(fd, redirect(302, "/ok"));
    if (path == "/see-other") return send_all(fd, redirect(303, "/echo"));
    if (path == "/to-metadata") {
      return send_all(fd, redirect(302, "http://169.254.169.254/latest/meta-data/"));
    }
    if (path == "/to-file") return send_all(fd, redirect(302, "file:///etc/passwd"));
    if (path.rfind("/chain/", 0) == 0) {
      return send_all(fd, redirect(302, "/chain/" + std::to_string(std::stoi(path.substr(7)) + 1)));
    }
    if (path == "/echo") return send_all(fd, response(200, method + "\n" + headers + "\n" + body));
    if (path == "/large") {
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kLargeBodyBytes) +
                       "\r\nConnection: close\r\n\r\n");
      const std::string block(64 * 1024, 'x');
      for (std::size_t sent = 0; sent < kLargeBodyBytes; sent += block.size()) {
        if (::send(fd, block.data(), block.size(), MSG_NOSIGNAL) <= 0) return;
      }
      return;
    }
    if (path == "/slow") {
      // Half a body, then nothing until the client gives up and hangs up.
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
      std::array<char, 256> sink{};
      while (::recv(fd, sink.data(), sink.size(), 0) > 0) {
      }
      return;
    }
    send_all(fd, response(404, "no such path"));
  }

  UniqueFd listener_;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<int> open_;
  std::vector<std::thread> handlers_;
};

std::string fetch_binary() {
  // Tests run from <build>/tests; the binary is <build>/worker/zfleet-http-fetch.
  const auto self = std::filesystem::read_symlink("/proc/self/exe");
  return (self.parent_path().parent_path() / "worker" / "zfleet-http-fetch").string();
}

struct FetchRun {
  int exit_code = -1;
  HttpResponse response;
};

FetchRun run_fetch(const std::string& input) {
  FetchRun run;
  const std::string binary = fetch_binary();
  if (::access(binary.c_str(), X_OK) != 0) {
    ADD_FAILURE() << binary << " is missing: build the zfleet-http-fetch target";
    return run;
  }
  std::array<int, 2> in{};
  std::array<int, 2> out{};
  if (::pipe2(in.data(), O_CLOEXEC) != 0 || ::pipe2(out.data(), O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return run;
  }
  UniqueFd in_read(in[0]), in_write(in[1]), out_read(out[0]), out_write(out[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  // A proxy in the environment must be ignored: if it were used, every
  // request would go to this dead port instead of the test server.
  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "http_proxy=http://127.0.0.1:9",
                                  "https_proxy=http://127.0.0.1:9", "ALL_PROXY=http://127.0.0.1:9"};
  std::vector<char*> envp;
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string argv0 = binary;
  char* argv[] = {argv0.data(), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn: " << std::strerror(rc);
    return run;
  }
  in_read.reset();
  out_write.reset();

  // The child reads all of stdin before it writes anything, so writing
  // first and reading after cannot deadlock.
  std::string_view pending = input;
  while (!pending.empty()) {
    const ssize_t n = ::write(in_write.get(), pending.data(), pending.size());
    if (n <= 0) break;
    pending.remove_prefix(static_cast<std::size_t>(n));
  }
  in_write.reset();
  std::string output;
  std::array<char, 64 * 1024> chunk{};
  ssize_t n = 0;
  while ((n = ::read(out_read.get(), chunk.data(), chunk.size())) > 0) {
    output.append(chunk.data(), static_cast<std::size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::string error;
  EXPECT_TRUE(decode(output, run.response, error)) << "child output: " << error;
  return run;
}

FetchRun run_fetch(const HttpRequest& request) {
  return run_fetch(encode(request));
}

class HttpFetch : public ::testing::Test {
 protected:
  HttpRequest get(std::string_view path) {
    HttpRequest r;
    r.url = server_.url(path);
    r.allow = {"127.0.0.1"};
    return r;
  }

  // Runs `request`, then an allowed request; if the first had reached the
  // server, it was accepted first, so exactly one more accept means it never
  // connected.
  FetchRun run_expecting_no_connection(const HttpRequest& request) {
    const int before = server_.accepted();
    FetchRun run = run_fetch(request);
    const FetchRun probe = run_fetch(get("/ok"));
    EXPECT_EQ(probe.response.status, 200U);
    EXPECT_EQ(server_.accepted(), before + 1) << "the refused request reached the server";
    return run;
  }

  static std::string header(const HttpResponse& r, std::string_view name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "<absent>";
  }

  TestHttpServer server_;
};

TEST_F(HttpFetch, GetsABodyWhenLoopbackIsAllowed) {
  const FetchRun run = run_fetch(get("/ok"));
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.response.error, "");
  EXPECT_EQ(run.response.status, 200U);
  EXPECT_EQ(run.response.body, "hello");
  EXPECT_FALSE(run.response.body_truncated);
  EXPECT_EQ(run.response.body_bytes, 5U);
  EXPECT_EQ(header(run.response, "Content-Type"), "text/plain");
  EXPECT_EQ(run.response.url, server_.url("/ok"));
  EXPECT_EQ(run.response.redirects, 0U);
}

TEST_F(HttpFetch, DeniesLoopbackLiteralWithoutAnAllowEntry) {
  HttpRequest r = get("/ok");
  r.allow.clear();
  const FetchRun run = run_expecting_no_connection(r);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.response.error, "address denied by policy: 127.0.0.1 (loopback)");
  EXPECT_EQ(run.response.status, 0U);
}

TEST_F(HttpFetch, DeniesANameThatResolvesToLoopback) {
  HttpRequest r;
  r.url = "http://localhost:" + std::to_string(server_.port()) + "/ok";
  const FetchRun run = run_expecting_no_connection(r);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.response.error.rfind("address denied by policy: ", 0), 0U) << run.response.error;
  EXPECT_NE(run.response.error.find("(loopback)"), std::string::npos) << run.response.error;
}

TEST_F(HttpFetch, FollowsARedirectWithinThePolicy) {
  const FetchRun run = run_fetch(get("/redirect"));
  EXPECT_EQ(run.exit_code, 0) << run.response.error;
  EXPECT_EQ(run.response.status, 200U);
  EXPECT_EQ(run.response.body, "hello");
  EXPECT_EQ(run.response.redirects, 1U);
  EXPECT_EQ(run.response.url, server_.url("/ok"));
}

TEST_F(HttpFetch, DeniesARedirectToTheMetadataAddress) {
  const FetchRun run = run_fetch(get("/to-metadata"));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.response.error, "address denied by policy: 169.254.169.254 (cloud metadata)");
  EXPECT_EQ(run.response.redirects, 1U);
}

TEST_F(HttpFetch, RefusesARedirectToAnotherScheme) {
  const FetchRun run = run_fetch(get("/to-file"));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.response.error.rfind("redirect refused: ", 0), 0U) << run.response.error;
}

TEST_F(HttpFetch, StopsAtTheRedirectLimit) {
  HttpRequest r = get("/chain/0");
  r.max_redirects = 3;
  const FetchRun run = run_fetch(r);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.response.error, "too many redirects (limit 3)");
  EXPECT_EQ(run.response.redirects, 3U);
}

TEST_F(HttpFetch, ZeroMaxRedirectsReturnsTheRedirectItself) {
  HttpRequest r = get("/redirect");
  r.max_redirects = 0;
  const FetchRun run = run_fetch(r);
  EXPECT_EQ(run.exit_code, 0) << run.response.error;
  EXPECT_EQ(run.response.status, 302U);
  EXPECT_EQ(header(run.response, "Location"), "/ok");
  EXPECT_EQ(run.response.redirects, 0U);
}

TEST_F(HttpFetch, TruncatesTheBodyAtTheCap) {
  HttpRequest r = get("/large");
  r.max_response_bytes = 1024 * 1024;
  const FetchRun run = run_fetch(r);
  EXPECT_EQ(run.exit_code, 0) << run.response.error;
  EXPECT_EQ(run.response.status, 200U);
  EXPECT_EQ(run.response.body.size(), 1024U * 1024U);
  EXPECT_TRUE(run.response.body_truncated);
  EXPECT_GT(run.response.body_bytes, 1024U * 1024U);
  EXPECT_LE(run.response.body_bytes, kLargeBodyBytes);
}

TEST_F(HttpFetch, TimesOutAResponseThatNeverFinishes) {
  HttpRequest r = get("/slow");
  r.timeout_ms = 500;
  const FetchRun run = run_fetch(r);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.response.error, "timed out after 500 ms");
}

TEST_F(HttpFetch, PostSendsHeadersAndBody) {
  HttpRequest r = get("/echo");
  r.method = "POST";
  r.headers = {{"X-Token", "abc"}, {"Content-Type", "application/octet-stream"}, {"X-Empty", ""}};
  r.body = std::string("payload\0with nul", 16);
  const FetchRun run = run_fetch(r);
  ASSERT_EQ(run.exit_code, 0) << run.response.error;
  const std::string& echo = run.response.body;
  EXPECT_EQ(echo.rfind("POST\n", 0), 0U) << echo;
  EXPECT_NE(echo.find("X-Token: abc\n"), std::string::npos) << echo;
  EXPECT_NE(echo.find("Content-Type: application/octet-stream\n"), std::string::npos) << echo;
  EXPECT_NE(echo.find("X-Empty:"), std::string::npos) << echo;
  EXPECT_NE(echo.find("Content-Length: 16\n"), std::string::npos) << echo;
  EXPECT_EQ(echo.find("Expect:"), std::string::npos) << echo;
  EXPECT_TRUE(echo.ends_with("\n\n" + r.body)) << echo;
}

TEST_F(HttpFetch, PutAndDeleteUseTheirMethod) {
  for (const char* method : {"PUT", "DELETE", "PATCH", "OPTIONS"}) {
    HttpRequest r = get("/echo");
    r.method = method;
    r.body = "b";
    const FetchRun run = run_fetch(r);
    EXPECT_EQ(run.response.body.rfind(std::string(method) + "\n", 0), 0U) << run.response.body;
    EXPECT_TRUE(run.response.body.ends_with("\n\nb")) << run.response.body;
  }
}

TEST_F(HttpFetch, SeeOtherTurnsAPostIntoABodylessGet) {
  HttpRequest r = get("/see-other");
  r.method = "POST";
  r.body = "form";
  const FetchRun run = run_fetch(r);
  ASSERT_EQ(run.exit_code, 0) << run.response.error;
  EXPECT_EQ(run.response.body.rfind("GET\n", 0), 0U) << run.response.body;
  EXPECT_TRUE(run.response.body.ends_with("\n\n")) << run.response.body;
  EXPECT_EQ(run.response.redirects, 1U);
}

TEST_F(HttpFetch, RejectsInvalidRequestsWithoutPerforming) {
  struct Case {
    const char* what;
    void (*mutate)(HttpRequest&);
    const char* message_part;
  };
  const Case cases[] = {
      {"bad method", [](HttpRequest& r) { r.method = "CONNECT"; }, "method 'CONNECT'"},
      {"CRLF in header",
       [](HttpRequest& r) {
         r.headers = {{"X-A", "1\r\nHost: evil"}};
       },
       "CR, LF"},
      {"file url", [](HttpRequest& r) { r.url = "file:///etc/passwd"; }, "http:// or https://"},
      {"bad policy entry", [](HttpRequest& r) { r.deny = {"10.0.0.0/40"}; }, "10.0.0.0/40"},
  };
  for (const auto& c : cases) {
    HttpRequest r = get("/ok");
    c.mutate(r);
    const FetchRun run = run_expecting_no_connection(r);
    EXPECT_EQ(run.exit_code, 2) << c.what;
    EXPECT_EQ(run.response.error.rfind("invalid request: ", 0), 0U) << run.response.error;
    EXPECT_NE(run.response.error.find(c.message_part), std::string::npos) << run.response.error;
  }
}

TEST_F(HttpFetch, RejectsInputThatIsNotARequest) {
  const FetchRun run = run_fetch(std::string("\xc1 not msgpack"));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.response.error.rfind("invalid request: ", 0), 0U) << run.response.error;
}

}  // namespace
}  // namespace zfleet::worker
