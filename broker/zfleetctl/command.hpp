// What every zfleetctl subcommand shares: the global options, the client they
// build from them, and the shape of a registered subcommand. Each commands_*
// file adds its subcommands to the CLI11 app and returns what to run when one
// of them is chosen; main.cpp runs the chosen one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/client.hpp"

namespace zfleet::ctl {

struct GlobalOptions {
  std::string broker = std::string(proto::kDefaultClientEndpoint);
  std::uint64_t timeout_ms = 5000;  // per request, on top of any wait asked for
  int submit_retries = 3;           // resends of an unanswered submit (same idempotency key)
  bool json = false;
};

// Runs a parsed subcommand against the broker; returns the exit status.
using Action = std::function<int(Client&)>;

// `app` may be nested (`dlq list`); it runs when it was the one parsed.
struct Command {
  CLI::App* app = nullptr;
  Action run;
};

std::vector<Command> add_submit_commands(CLI::App& app, const GlobalOptions& options);
std::vector<Command> add_query_commands(CLI::App& app, const GlobalOptions& options);
std::vector<Command> add_admin_commands(CLI::App& app, const GlobalOptions& options);
std::vector<Command> add_control_commands(CLI::App& app, const GlobalOptions& options);
std::vector<Command> add_live_commands(CLI::App& app, const GlobalOptions& options);

// Prints `error` on stderr and returns the exit status it maps to.
int report_error(const ClientError& error, const GlobalOptions& options);

}  // namespace zfleet::ctl
