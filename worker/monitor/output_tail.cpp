// Capped tail buffer and pipe reading; see output_tail.hpp.
#include "worker/monitor/output_tail.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace zfleet::worker {

void OutputTail::append(std::string_view bytes) {
  total_ += bytes.size();
  if (cap_ == 0 || bytes.empty()) return;
  if (bytes.size() >= cap_) {
    buffer_.assign(bytes.substr(bytes.size() - cap_));
    start_ = 0;
    return;
  }
  if (buffer_.size() < cap_) {
    const std::size_t room = cap_ - buffer_.size();
    const std::size_t n = std::min(room, bytes.size());
    buffer_.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  while (!bytes.empty()) {
    const std::size_t n = std::min(cap_ - start_, bytes.size());
    std::memcpy(buffer_.data() + start_, bytes.data(), n);
    start_ = (start_ + n) % cap_;
    bytes.remove_prefix(n);
  }
}

std::string OutputTail::contents() const {
  if (start_ == 0) return buffer_;
  std::string out;
  out.reserve(buffer_.size());
  out.append(buffer_, start_, std::string::npos);
  out.append(buffer_, 0, start_);
  return out;
}

PipeState read_available(int fd, OutputTail& tail, std::size_t budget) {
  // One scratch buffer for every pipe: the reactor is single-threaded and the
  // data is copied into the tail before the next read.
  thread_local std::array<char, 64 * 1024> scratch;
  std::size_t taken = 0;
  while (taken < budget) {
    const ssize_t n = ::read(fd, scratch.data(), scratch.size());
    if (n > 0) {
      tail.append(std::string_view(scratch.data(), static_cast<std::size_t>(n)));
      taken += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) return PipeState::kClosed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return PipeState::kOpen;
    return PipeState::kClosed;
  }
  return PipeState::kOpen;
}

}  // namespace zfleet::worker
