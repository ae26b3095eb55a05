// The per-task queries: `status ID` (where the task is) and `result ID`
// (how it ended, with its output tails), optionally waiting for the end.
#include <iostream>

#include "broker/zfleetctl/command.hpp"
#include "broker/zfleetctl/exit_code.hpp"
#include "broker/zfleetctl/json_view.hpp"
#include "broker/zfleetctl/result_wait.hpp"
#include "broker/zfleetctl/task_report.hpp"

namespace zfleet::ctl {

namespace {

struct QueryOptions {
  std::uint64_t id = 0;
  bool wait = false;
  std::uint64_t wait_ms = 0;  // with --wait, 0: no limit
};

void print_tail(std::string_view stream, std::uint64_t total, const std::string& tail) {
  if (tail.empty()) return;
  std::cout << tail_header(stream, total, tail.size()) << "\n" << tail;
  if (tail.back() != '\n') std::cout << "\n";
}

int run_status(Client& client, const GlobalOptions& global, const QueryOptions& options) {
  auto reply = client.status(options.id);
  if (!reply) return report_error(reply.error(), global);
  if (global.json) {
    std::cout << dump_line(task_json(reply.value())) << "\n";
  } else {
    std::cout << render_fields(status_fields(reply.value(), SystemClock().wall_ms()));
  }
  return as_int(ExitCode::kOk);
}

int run_result(Client& client, const GlobalOptions& global, const QueryOptions& options) {
  Result<msg::TaskView> reply = msg::TaskView{};
  if (options.wait || options.wait_ms > 0) {
    std::optional<Millis> limit;
    if (options.wait_ms > 0) limit = Millis{static_cast<Millis::rep>(options.wait_ms)};
    reply = wait_for_result(client, options.id, limit);
  } else {
    reply = client.result(options.id);
  }
  if (!reply) return report_error(reply.error(), global);
  const msg::TaskView& task = reply.value();
  if (global.json) {
    std::cout << dump_line(task_json(task)) << "\n";
  } else {
    std::cout << render_fields(result_fields(task));
    if (task.outcome) {
      print_tail("stdout", task.outcome->stdout_bytes, task.outcome->stdout_tail);
      print_tail("stderr", task.outcome->stderr_bytes, task.outcome->stderr_tail);
    }
  }
  return as_int(exit_for_task(task));
}

}  // namespace

std::vector<Command> add_query_commands(CLI::App& app, const GlobalOptions& global) {
  auto status = std::make_shared<QueryOptions>();
  CLI::App* status_app = app.add_subcommand("status", "Show a task's state, worker and timestamps");
  status_app->add_option("id", status->id, "Task id")->required();

  auto result = std::make_shared<QueryOptions>();
  CLI::App* result_app = app.add_subcommand(
      "result", "Show how a task ended; exit 1 if it failed, 3 if it has not ended");
  result_app->add_option("id", result->id, "Task id")->required();
  result_app->add_flag("--wait", result->wait, "Wait until the task ends");
  result_app->add_option("--wait-ms", result->wait_ms, "Wait at most this many ms (implies --wait)")
      ->check(CLI::NonNegativeNumber);

  return {
      Command{status_app, [status, &global](Client& c) { return run_status(c, global, *status); }},
      Command{result_app, [result, &global](Client& c) { return run_result(c, global, *result); }},
  };
}

}  // namespace zfleet::ctl
