// `submit --file`: many tasks from a JSON-lines file, pipelined through
// Client::submit_many, then (with --wait) every result collected. Bad lines
// are reported with their number and skipped; the rest still go out.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "broker/zfleetctl/command.hpp"
#include "common/client.hpp"

namespace zfleet::ctl {

struct BatchOptions {
  std::string file;  // a path, or "-" for standard input
  std::size_t window = 256;
  bool wait = false;
  std::optional<Millis> wait_limit;  // for all results together; nullopt: no limit
};

// `defaults` is what the submit flags given alongside --file set.
int submit_batch(Client& client, const GlobalOptions& global, const BatchOptions& options,
                 const msg::TaskSpec& defaults);

}  // namespace zfleet::ctl
