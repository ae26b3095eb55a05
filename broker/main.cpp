// zfleet-broker: wires config, logging, the Broker core and its Reactor.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "broker/broker_config.hpp"
#include "broker/reactor.hpp"
#include "common/logging.hpp"

namespace {

// Written to a temporary name then renamed, so a reader never sees half a file.
bool write_ready_file(const std::string& path, const std::string& clients,
                      const std::string& workers) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "clients=" << clients << "\nworkers=" << workers << "\n";
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace zfleet;
  int exit_code = 0;
  auto config = broker::parse_broker_config(argc, argv, exit_code);
  if (!config) return exit_code;
  setup_logging("broker", config->log_level);

  // Block the termination signals before libzmq starts its threads, so they
  // are delivered only through the signalfd the reactor polls.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0) {
    spdlog::critical("signalfd: {}", std::strerror(errno));
    return 1;
  }

  SystemClock clock;
  broker::MemoryTaskStore store;
  broker::Broker core(config->settings, clock, store);
  zmq::context_t context(1);
  broker::Reactor reactor(context, core, clock, signal_fd);
  try {
    reactor.bind(config->clients_endpoint, config->workers_endpoint);
  } catch (const zmq::error_t& e) {
    spdlog::critical("cannot bind {} / {}: {}", config->clients_endpoint, config->workers_endpoint,
                     e.what());
    return 1;
  }
  const std::string clients = reactor.clients_endpoint();
  const std::string workers = reactor.workers_endpoint();
  spdlog::info("zfleet-broker {} listening: clients {} workers {} (heartbeat {} ms)",
               ZFLEET_VERSION, clients, workers, config->settings.heartbeat.count());
  if (!config->ready_file.empty() && !write_ready_file(config->ready_file, clients, workers)) {
    spdlog::critical("cannot write ready file {}", config->ready_file);
    return 1;
  }
  reactor.run();
  ::close(signal_fd);
  spdlog::info("zfleet-broker stopped");
  return 0;
}
