// The fleet-wide admin subcommands: stats, workers, projects, set-limit,
// set-policy and ping. Each is one request; tables for people, JSON for scripts.
#include <iomanip>
#include <iostream>

#include "broker/zfleetctl/command.hpp"
#include "broker/zfleetctl/exit_code.hpp"
#include "broker/zfleetctl/json_view.hpp"
#include "broker/zfleetctl/retry_flags.hpp"
#include "broker/zfleetctl/table.hpp"
#include "broker/zfleetctl/units.hpp"
#include "broker/zfleetctl/worker_report.hpp"

namespace zfleet::ctl {

namespace {

int run_stats(Client& client, const GlobalOptions& global) {
  auto reply = client.stats();
  if (!reply) return report_error(reply.error(), global);
  if (global.json) {
    std::cout << dump_line(counters_json(reply.value())) << "\n";
    return as_int(ExitCode::kOk);
  }
  Table table({{"COUNTER"}, {"VALUE", Align::kRight}});
  for (const auto& [name, value] : reply.value())
    table.add_row({name, std::to_string(value)});
  std::cout << table.render();
  return as_int(ExitCode::kOk);
}

int run_workers(Client& client, const GlobalOptions& global) {
  auto reply = client.workers();
  if (!reply) return report_error(reply.error(), global);
  if (global.json) {
    std::cout << dump_line(workers_json(reply.value())) << "\n";
    return as_int(ExitCode::kOk);
  }
  std::cout << workers_table(reply.value()).render();
  return as_int(ExitCode::kOk);
}

int run_projects(Client& client, const GlobalOptions& global) {
  auto reply = client.projects();
  if (!reply) return report_error(reply.error(), global);
  if (global.json) {
    std::cout << dump_line(projects_json(reply.value())) << "\n";
    return as_int(ExitCode::kOk);
  }
  Table table({{"PROJECT"},
               {"LIMIT", Align::kRight},
               {"QUEUED", Align::kRight},
               {"RUNNING", Align::kRight},
               {"PEAK", Align::kRight},
               {"SUCCEEDED", Align::kRight},
               {"FAILED", Align::kRight},
               {"DEAD", Align::kRight},
               {"CANCELLED", Align::kRight},
               {"POLICY"}});
  for (const auto& p : reply.value()) {
    table.add_row({p.name, p.limit == 0 ? "-" : std::to_string(p.limit), std::to_string(p.queued),
                   std::to_string(p.running), std::to_string(p.peak_running),
                   std::to_string(p.succeeded), std::to_string(p.failed), std::to_string(p.dead),
                   std::to_string(p.cancelled), describe_policy(p.policy)});
  }
  std::cout << table.render();
  return as_int(ExitCode::kOk);
}

struct LimitOptions {
  std::string project;
  std::uint32_t limit = 0;
};

int run_set_limit(Client& client, const GlobalOptions& global, const LimitOptions& options) {
  auto reply = client.set_limit(options.project, options.limit);
  if (!reply) return report_error(reply.error(), global);
  if (global.json) {
    std::cout << dump_line({{"project", options.project}, {"limit", options.limit}}) << "\n";
  } else {
    std::cout << "project " << options.project << ": limit "
              << (options.limit == 0 ? std::string("unlimited") : std::to_string(options.limit))
              << "\n";
  }
  return as_int(ExitCode::kOk);
}

struct PolicyOptions {
  std::string project;
  RetryFlags flags;
};

int run_set_policy(Client& client, const GlobalOptions& global, const PolicyOptions& options) {
  msg::RetryPolicy policy;
  if (auto error = build_policy(options.flags, policy)) {
    std::cerr << "zfleetctl: " << *error << "\n";
    return as_int(ExitCode::kUsage);
  }
  auto reply = client.set_policy(options.project, policy);
  if (!reply) return report_error(reply.error(), global);
  if (global.json) {
    std::cout << dump_line({{"project", options.project}, {"policy", policy_json(policy)}}) << "\n";
  } else {
    const std::string summary = describe_policy(policy);
    std::cout << "project " << options.project << ": retry policy "
              << (summary == "-" ? std::string("the broker's defaults") : summary) << "\n";
  }
  return as_int(ExitCode::kOk);
}

CLI::App* add_set_policy(CLI::App& app, PolicyOptions& options) {
  CLI::App* sub = app.add_subcommand(
      "set-policy",
      "Set a project's retry policy; flags left out go back to the broker's defaults");
  sub->add_option("project", options.project, "Project name")->required();
  sub->add_option("--max-attempts", options.flags.max_attempts,
                  "Attempts in all, the first included (0: the broker's default)")
      ->check(CLI::Range(std::uint32_t{0}, proto::kMaxAttempts));
  sub->add_option("--backoff-ms", options.flags.backoff_ms,
                  "Delay before the 2nd attempt in ms, doubling after (0: the broker's default)")
      ->check(CLI::Range(std::uint64_t{0}, proto::kMaxBackoffMs));
  sub->add_option("--backoff-max-ms", options.flags.backoff_max_ms,
                  "Cap on that delay in ms (0: the broker's default)")
      ->check(CLI::Range(std::uint64_t{0}, proto::kMaxBackoffMs));
  sub->add_option("--retry-on", options.flags.retry_on,
                  "Endings that are retried: exit,signal,timeout,lost,error (comma-separated)");
  return sub;
}

int run_ping(Client& client, const GlobalOptions& global) {
  const auto sent = std::chrono::steady_clock::now();
  auto reply = client.ping();
  const auto round_trip = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - sent);
  if (!reply) return report_error(reply.error(), global);
  const msg::PongReply& pong = reply.value();
  if (global.json) {
    std::cout << dump_line(pong_json(pong, round_trip)) << "\n";
  } else {
    const double rtt_ms = static_cast<double>(round_trip.count()) / 1000.0;
    std::cout << "pong from " << global.broker << ": version " << pong.version << ", uptime "
              << format_duration_ms(pong.uptime_ms) << ", round trip " << std::fixed
              << std::setprecision(2) << rtt_ms << " ms, events "
              << (pong.events.empty() ? std::string("off") : pong.events) << "\n";
  }
  return as_int(ExitCode::kOk);
}

}  // namespace

std::vector<Command> add_admin_commands(CLI::App& app, const GlobalOptions& global) {
  std::vector<Command> commands;
  commands.push_back({app.add_subcommand("stats", "Show the broker's counters"),
                      [&global](Client& c) { return run_stats(c, global); }});
  commands.push_back({app.add_subcommand("workers", "List connected workers"),
                      [&global](Client& c) { return run_workers(c, global); }});
  commands.push_back(
      {app.add_subcommand("projects", "List projects with limits, counts and policies"),
       [&global](Client& c) { return run_projects(c, global); }});

  auto limit = std::make_shared<LimitOptions>();
  CLI::App* set_limit =
      app.add_subcommand("set-limit", "Set a project's concurrency limit (0: unlimited)");
  set_limit->add_option("project", limit->project, "Project name")->required();
  set_limit->add_option("limit", limit->limit, "Tasks of the project running at once")->required();
  commands.push_back(
      {set_limit, [limit, &global](Client& c) { return run_set_limit(c, global, *limit); }});

  auto policy = std::make_shared<PolicyOptions>();
  commands.push_back({add_set_policy(app, *policy),
                      [policy, &global](Client& c) { return run_set_policy(c, global, *policy); }});

  commands.push_back({app.add_subcommand("ping", "Check the broker answers; show its version"),
                      [&global](Client& c) { return run_ping(c, global); }});
  return commands;
}

}  // namespace zfleet::ctl
