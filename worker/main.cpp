// zfleet-worker: wires configuration, logging, signals and the reactor.
#include <fcntl.h>
#include <unistd.h>

#include <exception>

#include <spdlog/spdlog.h>

#include "common/clock.hpp"
#include "common/logging.hpp"
#include "worker/child_process.hpp"
#include "worker/reactor.hpp"
#include "worker/signal_source.hpp"
#include "worker/worker_config.hpp"

namespace {

// Children get fds 0-2 by dup2(); if one of them were closed here, a pipe
// could land on it and dup2 onto itself would leave it close-on-exec.
void ensure_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      const int opened = ::open("/dev/null", O_RDWR);
      if (opened >= 0 && opened != fd) ::close(opened);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  ensure_standard_fds();
  auto parsed = zfleet::worker::parse_worker_config(argc, argv);
  if (!parsed.config) return parsed.exit_code;
  const auto& config = *parsed.config;
  zfleet::setup_logging("worker", config.log_level);
  try {
    // Before any thread exists, so ZeroMQ's threads inherit the blocked mask.
    zfleet::worker::SignalSource signals(!zfleet::worker::ChildProcess::pidfd_supported());
    zfleet::SystemClock clock;
    zfleet::worker::Reactor reactor(config, clock, signals);
    return reactor.run();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
}
