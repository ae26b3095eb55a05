// LocalFleet: a broker and any number of workers, the real binaries, on
// loopback with ephemeral ports and a private temp directory; everything it
// started is killed and reaped when it is destroyed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/client.hpp"
#include "tests/support/fleet_process.hpp"

namespace zfleet::test_support {

class LocalFleet {
 public:
  // `data_dir`: the broker's journal directory; empty: one inside dir().
  explicit LocalFleet(std::vector<std::string> broker_args = {}, std::string data_dir = {});
  ~LocalFleet();
  LocalFleet(const LocalFleet&) = delete;
  LocalFleet& operator=(const LocalFleet&) = delete;

  // Starts a worker; returns its index. `id` must be unique in the fleet.
  std::size_t add_worker(const std::string& id, unsigned slots,
                         std::vector<std::string> extra_args = {});
  // Waits until the broker lists `count` workers.
  bool await_workers(std::size_t count, std::chrono::milliseconds timeout);

  // SIGKILLs the broker and starts it again on the same endpoints and data
  // directory (its journal), as a supervisor would.
  void restart_broker();

  FleetProcess& broker() { return broker_; }
  FleetProcess& worker(std::size_t index) { return workers_.at(index); }
  const ReadyEndpoints& endpoints() const { return endpoints_; }
  const std::string& dir() const { return dir_; }
  Client& client() { return *client_; }
  // The broker's and every worker's log tails, for failure messages.
  std::string logs();

 private:
  void start_broker(const std::string& clients, const std::string& workers);

  std::string dir_;
  std::vector<std::string> broker_args_;
  std::string data_dir_;
  FleetProcess broker_;
  std::vector<FleetProcess> workers_;
  ReadyEndpoints endpoints_;
  std::unique_ptr<Client> client_;
};

}  // namespace zfleet::test_support
