// zfleet-broker: wires config, logging, the Broker core and its Reactor.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <spdlog/spdlog.h>

#include "broker/broker_config.hpp"
#include "broker/reactor.hpp"
#include "common/logging.hpp"

namespace {

// Written to a temporary name then renamed, so a reader never sees half a file.
bool write_ready_file(const std::string& path, const std::string& clients,
                      const std::string& workers, const std::string& events) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "clients=" << clients << "\nworkers=" << workers << "\nevents=" << events << "\n";
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

std::unique_ptr<zfleet::broker::TaskStore> open_store(const zfleet::broker::BrokerConfig& c) {
  using namespace zfleet::broker;
  if (c.durability == "off") {
    spdlog::warn("durability off: tasks live in memory only and a restart loses them");
    return std::make_unique<MemoryTaskStore>();
  }
  const std::filesystem::path path(c.journal_path);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  auto store = std::make_unique<JournalTaskStore>(
      c.journal_path, c.durability == "full" ? Journal::Sync::kFull : Journal::Sync::kNormal);
  spdlog::info("journal {} (durability {})", c.journal_path, c.durability);
  return store;
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
  std::unique_ptr<broker::TaskStore> store;
  try {
    store = open_store(*config);
  } catch (const broker::JournalError& e) {
    spdlog::critical("{}", e.what());
    spdlog::critical(
        "the broker will not start on this journal; move it aside or repair it "
        "(it was not modified)");
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    spdlog::critical("cannot use data directory {}: {}", config->data_dir, e.what());
    return 1;
  }
  broker::Broker core(config->settings, clock, *store);
  zmq::context_t context(1);
  broker::Reactor reactor(context, core, clock, signal_fd);
  try {
    reactor.bind(config->clients_endpoint, config->workers_endpoint);
  } catch (const zmq::error_t& e) {
    spdlog::critical("cannot bind {} / {}: {}", config->clients_endpoint, config->workers_endpoint,
                     e.what());
    return 1;
  }
  // A broker without its events socket would start "fine" and fail every
  // `zfleetctl events` and `logs -f` later; refusing now puts the reason on
  // the operator's terminal. No events at all is asked for with --events ''.
  if (!config->events_endpoint.empty()) {
    try {
      reactor.bind_events(config->events_endpoint);
    } catch (const zmq::error_t& e) {
      spdlog::critical(
          "cannot bind events endpoint {}: {} (choose another with --events ENDPOINT, or "
          "--events '' to run without events)",
          config->events_endpoint, e.what());
      return 1;
    }
  }
  const std::string clients = reactor.clients_endpoint();
  const std::string workers = reactor.workers_endpoint();
  const std::string events = reactor.events_endpoint();
  spdlog::info("zfleet-broker {} listening: clients {} workers {} events {} (heartbeat {} ms)",
               ZFLEET_VERSION, clients, workers, events.empty() ? "off" : events,
               config->settings.heartbeat.count());
  if (!config->ready_file.empty() &&
      !write_ready_file(config->ready_file, clients, workers, events)) {
    spdlog::critical("cannot write ready file {}", config->ready_file);
    return 1;
  }
  const int code = reactor.run();
  ::close(signal_fd);
  spdlog::info("zfleet-broker stopped");
  return code;
}
