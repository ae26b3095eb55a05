// BrokerConfig: zfleet-broker's settings from flags, environment variables
// (ZFLEET_BROKER_<FLAG>) and an optional INI/TOML file (--config), in that
// order of precedence. Parsing errors are reported before anything starts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/broker.hpp"

namespace zfleet::broker {

struct BrokerConfig {
  std::string clients_endpoint = std::string(proto::kDefaultClientEndpoint);
  std::string workers_endpoint = std::string(proto::kDefaultWorkerEndpoint);
  // The PUB socket for events and live output; empty: no events. Failing
  // to bind it stops the broker, default or not.
  std::string events_endpoint = std::string(proto::kDefaultEventsEndpoint);
  std::string ready_file;  // written once the endpoints are bound
  std::string log_level;
  // The journal: <data_dir>/journal.db unless journal_path says otherwise.
  std::string data_dir;
  std::string journal_path;
  // full: fsync per commit (survives power loss); normal: survives a crash of
  // the broker, not of the host; off: memory only, a restart forgets tasks.
  std::string durability = "full";
  BrokerSettings settings;
};

// Parses argv; on --help or an error prints to stdout/stderr and returns the
// exit code to use in `exit_code` with std::nullopt.
std::optional<BrokerConfig> parse_broker_config(int argc, char** argv, int& exit_code);

// $ZFLEET_DATA_DIR, else $XDG_STATE_HOME/zfleet, else ~/.local/state/zfleet,
// else /var/lib/zfleet.
std::string default_data_dir();

}  // namespace zfleet::broker
