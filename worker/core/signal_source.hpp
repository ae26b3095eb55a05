// SignalSource turns the signals the worker reacts to (SIGTERM, SIGINT, and
// SIGCHLD on kernels without pidfds) into a readable fd for the reactor's
// poll. Construct it before any thread exists (the ZeroMQ context's I/O
// threads inherit the blocked mask), so no thread takes these signals itself.
#pragma once

#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

struct SignalCounts {
  int stop = 0;        // SIGTERM and SIGINT
  bool child = false;  // at least one SIGCHLD
};

class SignalSource {
 public:
  // Throws std::runtime_error when the signalfd cannot be made (start-up).
  explicit SignalSource(bool with_sigchld);
  SignalSource(const SignalSource&) = delete;
  SignalSource& operator=(const SignalSource&) = delete;

  int fd() const { return fd_.get(); }
  // Consumes everything pending; never blocks.
  SignalCounts read();

 private:
  UniqueFd fd_;
};

}  // namespace zfleet::worker
