// The subcommands that watch and steer running tasks: `events` (tail the
// broker's events socket), `logs ID [-f]` (a task's output, followed live),
// `suspend ID` and `resume ID`.
#include <csignal>
#include <iostream>

#include "broker/zfleetctl/command.hpp"
#include "broker/zfleetctl/event_view.hpp"
#include "broker/zfleetctl/exit_code.hpp"
#include "broker/zfleetctl/json_view.hpp"
#include "broker/zfleetctl/log_follower.hpp"
#include "common/event_subscriber.hpp"

namespace zfleet::ctl {

namespace {

// How often a waiting follower re-reads LOGS: the finished event can be lost
// (at-most-once delivery, or a subscription that was not active yet).
constexpr Millis kFollowPoll{1000};
constexpr Millis kEventPoll{200};

volatile std::sig_atomic_t g_interrupted = 0;

void on_interrupt(int) {
  g_interrupted = 1;
}

// SIGINT ends a tail cleanly (exit 0); restored when the scope ends.
class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted = 0;
    previous_ = std::signal(SIGINT, on_interrupt);
  }
  ~InterruptScope() { std::signal(SIGINT, previous_); }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  void (*previous_)(int) = SIG_DFL;
};

struct TaskOptions {
  std::uint64_t id = 0;
};

struct EventsOptions {
  EventFilter filter;
  std::uint64_t count = 0;  // 0: until interrupted
  std::string endpoint;     // empty: ask the broker (PING)
};

struct LogsOptions {
  std::uint64_t id = 0;
  bool follow = false;
  std::string endpoint;
};

// The events endpoint: --events, else what PONG announces.
Result<std::string> events_endpoint(Client& client, const std::string& given) {
  if (!given.empty()) return given;
  auto pong = client.ping();
  if (!pong) return pong.error();
  if (pong.value().events.empty()) {
    return ClientError{ClientError::Kind::kBroker, ErrorCode::kInvalidState,
                       "the broker has events off (zfleet-broker --events)"};
  }
  return resolve_events_endpoint(pong.value().events, client.endpoint());
}

int run_events(Client& client, const GlobalOptions& global, const EventsOptions& options) {
  auto endpoint = events_endpoint(client, options.endpoint);
  if (!endpoint) return report_error(endpoint.error(), global);
  EventSubscriber subscriber(endpoint.value());
  for (const auto& prefix : options.filter.prefixes())
    subscriber.subscribe(prefix);
  InterruptScope interrupt;
  std::uint64_t shown = 0;
  while (g_interrupted == 0 && (options.count == 0 || shown < options.count)) {
    auto received = subscriber.receive(kEventPoll);
    if (!received || received->is_output()) continue;
    if (!options.filter.keeps(received->topic, received->event())) continue;
    if (global.json) {
      std::cout << dump_line(event_json(received->topic, received->event())) << "\n";
    } else {
      std::cout << event_line(received->event()) << "\n";
    }
    std::cout.flush();
    ++shown;
  }
  return as_int(ExitCode::kOk);
}

void print(const LogFollower::Print& p) {
  if (p.skipped != 0) {
    std::cerr << "zfleetctl: [" << p.skipped << " bytes of output not available]\n";
  }
  std::cout << p.out << std::flush;
  std::cerr << p.err << std::flush;
}

int run_logs(Client& client, const GlobalOptions& global, const LogsOptions& options) {
  LogFollower follower;
  if (!options.follow) {
    auto logs = client.logs(options.id);
    if (!logs) return report_error(logs.error(), global);
    if (global.json) {
      const auto& l = logs.value();
      std::cout << dump_line({{"id", l.id},
                              {"state", std::string(msg::state_name(l.state))},
                              {"stdout", l.stdout_data},
                              {"stderr", l.stderr_data},
                              {"stdout_offset", l.stdout_offset},
                              {"stderr_offset", l.stderr_offset}})
                << "\n";
    } else {
      print(follower.take_logs(logs.value()));
    }
    return as_int(ExitCode::kOk);
  }
  auto endpoint = events_endpoint(client, options.endpoint);
  if (!endpoint) return report_error(endpoint.error(), global);
  // Subscribe before the first LOGS, so nothing falls between the two.
  EventSubscriber subscriber(endpoint.value());
  const std::string id = std::to_string(options.id);
  subscriber.subscribe("log." + id + ".");
  subscriber.subscribe("task." + id + ".finished");
  InterruptScope interrupt;
  auto logs = client.logs(options.id);
  if (!logs) return report_error(logs.error(), global);
  print(follower.take_logs(logs.value()));
  bool finished = msg::is_final(logs.value().state);
  TimePoint next_poll = SystemClock().now() + kFollowPoll;
  while (!finished && g_interrupted == 0) {
    auto received = subscriber.receive(kEventPoll);
    bool refresh = SystemClock().now() >= next_poll;
    if (received && received->is_output()) {
      if (auto p = follower.take_chunk(received->output())) {
        print(*p);
      } else {
        refresh = true;  // a gap: LOGS may still hold the missing bytes
      }
    } else if (received) {
      finished = true;
      refresh = true;
    }
    if (!refresh) continue;
    logs = client.logs(options.id);
    if (!logs) return report_error(logs.error(), global);
    print(follower.take_logs(logs.value()));
    finished = finished || msg::is_final(logs.value().state);
    next_poll = SystemClock().now() + kFollowPoll;
  }
  return as_int(ExitCode::kOk);
}

int run_suspend(Client& client, const GlobalOptions& global, const TaskOptions& options,
                bool suspend) {
  auto reply = suspend ? client.suspend(options.id) : client.resume(options.id);
  if (!reply) return report_error(reply.error(), global);
  if (global.json) {
    std::cout << dump_line({{"id", options.id}, {suspend ? "suspended" : "resumed", true}}) << "\n";
  } else {
    std::cout << "task " << options.id << ": " << (suspend ? "suspend" : "resume")
              << " sent to its worker\n";
  }
  return as_int(ExitCode::kOk);
}

}  // namespace

std::vector<Command> add_live_commands(CLI::App& app, const GlobalOptions& global) {
  std::vector<Command> commands;
  auto events = std::make_shared<EventsOptions>();
  CLI::App* events_app =
      app.add_subcommand("events", "Print task and worker events as they happen (Ctrl-C ends)");
  events_app->add_option("--task", events->filter.task, "Only this task's events");
  events_app->add_option("--worker", events->filter.worker, "Only events naming this worker");
  events_app->add_option("--kind", events->filter.kinds,
                         "Only events of this kind (repeatable): started, progress, finished, ...");
  events_app->add_option("--count", events->count, "Stop after this many events");
  events_app->add_option("--events", events->endpoint,
                         "The broker's events endpoint (default: as the broker announces it)");
  commands.push_back(
      {events_app, [events, &global](Client& c) { return run_events(c, global, *events); }});

  auto logs = std::make_shared<LogsOptions>();
  CLI::App* logs_app = app.add_subcommand(
      "logs", "Print a task's output: stdout to stdout, stderr to stderr (-f: follow it live)");
  logs_app->add_option("id", logs->id, "Task id")->required();
  logs_app->add_flag("-f,--follow", logs->follow, "Keep printing until the task ends");
  logs_app->add_option("--events", logs->endpoint, "The broker's events endpoint (for -f)");
  commands.push_back({logs_app, [logs, &global](Client& c) { return run_logs(c, global, *logs); }});

  for (bool suspend : {true, false}) {
    auto task = std::make_shared<TaskOptions>();
    CLI::App* sub =
        app.add_subcommand(suspend ? "suspend" : "resume",
                           suspend ? "Stop a running task's processes (SIGSTOP) until resumed"
                                   : "Continue a suspended task (SIGCONT)");
    sub->add_option("id", task->id, "Task id")->required();
    commands.push_back({sub, [task, suspend, &global](Client& c) {
                          return run_suspend(c, global, *task, suspend);
                        }});
  }
  return commands;
}

}  // namespace zfleet::ctl
