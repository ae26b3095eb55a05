// Signals as an fd; see signal_source.hpp.
#include "worker/core/signal_source.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace zfleet::worker {

SignalSource::SignalSource(bool with_sigchld) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (with_sigchld) sigaddset(&set, SIGCHLD);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    throw std::runtime_error("sigprocmask: " + std::string(std::strerror(errno)));
  }
  fd_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd_) throw std::runtime_error("signalfd: " + std::string(std::strerror(errno)));
}

SignalCounts SignalSource::read() {
  SignalCounts counts;
  signalfd_siginfo info;
  while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGCHLD) {
      counts.child = true;
    } else {
      ++counts.stop;
    }
  }
  return counts;
}

}  // namespace zfleet::worker
