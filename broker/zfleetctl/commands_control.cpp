// The subcommands that change one task's fate: `cancel ID`, and the
// dead-letter list (`dlq list`, `dlq retry ID`, `dlq purge`) of tasks whose
// retries were used up.
#include <iostream>

#include "broker/zfleetctl/command.hpp"
#include "broker/zfleetctl/exit_code.hpp"
#include "broker/zfleetctl/json_view.hpp"
#include "broker/zfleetctl/task_report.hpp"

namespace zfleet::ctl {

namespace {

struct TaskOptions {
  std::uint64_t id = 0;
};

struct ListOptions {
  std::uint64_t limit = 100;
};

int run_cancel(Client& client, const GlobalOptions& global, const TaskOptions& options) {
  auto reply = client.cancel(options.id);
  if (!reply) return report_error(reply.error(), global);
  if (global.json) {
    std::cout << dump_line({{"id", options.id}, {"cancelled", true}}) << "\n";
  } else {
    std::cout << "task " << options.id << ": cancelled\n";
  }
  return as_int(ExitCode::kOk);
}

int run_dlq_list(Client& client, const GlobalOptions& global, const ListOptions& options) {
  auto reply = client.dlq_list(options.limit);
  if (!reply) return report_error(reply.error(), global);
  const DeadLetters& dead = reply.value();
  if (global.json) {
    std::cout << dump_line(dead_letters_json(dead.total, dead.tasks)) << "\n";
    return as_int(ExitCode::kOk);
  }
  std::cout << dead_letter_table(dead.tasks).render();
  // On stderr, so the table on stdout stays a table for scripts that cut it.
  if (dead.total > dead.tasks.size()) {
    std::cerr << "zfleetctl: showing the oldest " << dead.tasks.size() << " of " << dead.total
              << " dead tasks (--limit)\n";
  }
  return as_int(ExitCode::kOk);
}

int run_dlq_retry(Client& client, const GlobalOptions& global, const TaskOptions& options) {
  auto reply = client.dlq_retry(options.id);
  if (!reply) return report_error(reply.error(), global);
  if (global.json) {
    std::cout << dump_line({{"id", options.id}, {"requeued", true}}) << "\n";
  } else {
    std::cout << "task " << options.id << ": queued again with a fresh attempt budget\n";
  }
  return as_int(ExitCode::kOk);
}

int run_dlq_purge(Client& client, const GlobalOptions& global) {
  auto reply = client.dlq_purge();
  if (!reply) return report_error(reply.error(), global);
  if (global.json) {
    std::cout << dump_line({{"purged", reply.value()}}) << "\n";
  } else {
    std::cout << "purged " << reply.value() << " dead tasks\n";
  }
  return as_int(ExitCode::kOk);
}

}  // namespace

std::vector<Command> add_control_commands(CLI::App& app, const GlobalOptions& global) {
  std::vector<Command> commands;
  auto cancel = std::make_shared<TaskOptions>();
  CLI::App* cancel_app = app.add_subcommand(
      "cancel", "Cancel a task: a queued or scheduled one at once, a running one is stopped");
  cancel_app->add_option("id", cancel->id, "Task id")->required();
  commands.push_back(
      {cancel_app, [cancel, &global](Client& c) { return run_cancel(c, global, *cancel); }});

  CLI::App* dlq = app.add_subcommand("dlq", "The dead-letter list: tasks whose retries ran out");
  dlq->require_subcommand(1);

  auto list = std::make_shared<ListOptions>();
  CLI::App* list_app = dlq->add_subcommand("list", "List dead tasks, oldest first");
  list_app->add_option("--limit", list->limit, "Show at most this many")
      ->check(CLI::Range(std::uint64_t{1}, proto::kMaxDlqList))
      ->capture_default_str();
  commands.push_back(
      {list_app, [list, &global](Client& c) { return run_dlq_list(c, global, *list); }});

  auto retry = std::make_shared<TaskOptions>();
  CLI::App* retry_app =
      dlq->add_subcommand("retry", "Queue a dead task again with a fresh attempt budget");
  retry_app->add_option("id", retry->id, "Task id")->required();
  commands.push_back(
      {retry_app, [retry, &global](Client& c) { return run_dlq_retry(c, global, *retry); }});

  commands.push_back({dlq->add_subcommand("purge", "Drop every dead task"),
                      [&global](Client& c) { return run_dlq_purge(c, global); }});
  return commands;
}

}  // namespace zfleet::ctl
