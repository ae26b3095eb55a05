// zfleetctl: the admin and producer CLI. Wiring only: global options, the
// subcommands from commands_*.cpp, usage errors (usage_error.hpp) -> exit 2,
// one Client for the chosen subcommand. docs/zfleetctl.md is the reference.
#include <iostream>
#include <optional>

#include "broker/zfleetctl/command.hpp"
#include "broker/zfleetctl/exit_code.hpp"
#include "broker/zfleetctl/number_check.hpp"
#include "broker/zfleetctl/usage_error.hpp"

namespace zfleet::ctl {

int report_error(const ClientError& error, const GlobalOptions& options) {
  std::cerr << error_line(error, options.broker) << "\n";
  return as_int(exit_for_error(error));
}

namespace {

int run(int argc, char** argv) {
  CLI::App app{"Submit tasks to a zfleet broker and inspect the fleet.", "zfleetctl"};
  GlobalOptions options;
  app.add_option("--broker", options.broker, "Broker client endpoint")
      ->envname("ZFLEET_BROKER")
      ->capture_default_str();
  app.add_option("--timeout-ms", options.timeout_ms,
                 "Per-request timeout in ms (on top of any wait asked for)")
      ->check(CLI::Range(std::uint64_t{1}, proto::kMaxWaitMs))
      ->capture_default_str();
  app.add_option("--submit-retries", options.submit_retries,
                 "Times an unanswered submit is sent again (same idempotency key)")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  app.add_flag("--json", options.json, "Machine-readable output on stdout");
  app.require_subcommand(1);
  // Lets the global options follow the subcommand too ("status 7 --json").
  app.fallthrough();

  std::vector<Command> commands;
  for (auto add : {add_submit_commands, add_query_commands, add_control_commands,
                   add_admin_commands, add_live_commands}) {
    auto added = add(app, options);
    commands.insert(commands.end(), added.begin(), added.end());
  }

  require_plain_unsigned(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    // --help is an "error" with exit code 0 in CLI11; it prints the help.
    app.exit(e);
    return as_int(ExitCode::kOk);
  } catch (const CLI::ParseError& e) {
    std::cerr << usage_error_text(describe_usage_error(app, e));
    return as_int(ExitCode::kUsage);
  }

  std::optional<Client> client;
  try {
    Client::Options client_options;
    client_options.endpoint = options.broker;
    client_options.timeout = Millis{static_cast<Millis::rep>(options.timeout_ms)};
    client_options.submit_retries = options.submit_retries;
    client.emplace(client_options);
  } catch (const zmq::error_t& e) {
    std::cerr << "zfleetctl: invalid broker endpoint '" << options.broker << "': " << e.what()
              << "\n";
    return as_int(ExitCode::kUsage);
  }
  for (const auto& command : commands) {
    if (command.app->parsed()) return command.run(*client);
  }
  return as_int(ExitCode::kUsage);
}

}  // namespace

}  // namespace zfleet::ctl

int main(int argc, char** argv) {
  return zfleet::ctl::run(argc, argv);
}
