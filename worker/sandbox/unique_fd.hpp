// UniqueFd owns one file descriptor (closed on destruction); make_pipe()
// creates the close-on-exec pipes the worker hands to children. Every fd the
// worker opens is close-on-exec so a child inherits only what it is given.
#pragma once

#include <unistd.h>

#include <utility>

namespace zfleet::worker {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

enum class NonBlockingEnd { kRead, kWrite };

// A close-on-exec pipe whose worker-side end (`nonblocking`) does not block;
// the child's end stays blocking as programs expect. Returns errno on failure.
int make_pipe(Pipe& out, NonBlockingEnd nonblocking);

}  // namespace zfleet::worker
