// The `submit` subcommand: one task from flags and argv, or many from a
// JSON-lines file (submit_batch.cpp); with --wait, the task's result decides
// the exit status. Retry policy, start time and idempotency key are flags too.
#include <iostream>

#include "broker/zfleetctl/command.hpp"
#include "broker/zfleetctl/exit_code.hpp"
#include "broker/zfleetctl/json_view.hpp"
#include "broker/zfleetctl/result_wait.hpp"
#include "broker/zfleetctl/spec_flags.hpp"
#include "broker/zfleetctl/submit_batch.hpp"
#include "broker/zfleetctl/task_report.hpp"

namespace zfleet::ctl {

namespace {

struct SubmitOptions {
  SpecFlags spec;
  // Read only when given: SpecFlags holds them as optionals.
  std::uint64_t delay_ms = 0;
  std::int64_t not_before_ms = 0;
  std::string stdin_file;
  std::string file;
  std::size_t window = 256;
  bool wait = false;
  std::uint64_t wait_ms = 0;  // 0: no limit
};

void write_all(std::ostream& out, const std::string& data) {
  out << data;
  if (!data.empty() && data.back() != '\n') out << '\n';
  out.flush();
}

// Prints the outcome the way running the task in this shell would have:
// its output on our stdout and stderr, then its status as our exit status.
int report_waited(const msg::TaskView& task, const GlobalOptions& global) {
  if (global.json) {
    std::cout << dump_line(task_json(task)) << "\n";
  } else if (!msg::is_final(task.state)) {
    std::cerr << "zfleetctl: task " << task.id << " is still " << msg::state_name(task.state)
              << "\n";
  } else {
    if (task.outcome) {
      write_all(std::cout, task.outcome->stdout_tail);
      // A module's or http task's output is its result.
      write_all(std::cout, result_line(*task.outcome));
      write_all(std::cerr, task.outcome->stderr_tail);
    }
    std::cerr << "zfleetctl: " << status_line(task) << "\n";
  }
  return task_exit_status(task);
}

int submit_one(Client& client, const GlobalOptions& global, const SubmitOptions& options) {
  std::string stdin_data;
  if (!options.stdin_file.empty()) {
    if (auto error = read_input_file(options.stdin_file, proto::kMaxStdinBytes, stdin_data)) {
      std::cerr << "zfleetctl: --stdin-file " << *error << "\n";
      return as_int(ExitCode::kUsage);
    }
  }
  msg::TaskSpec spec;
  if (auto error = build_spec(options.spec, std::move(stdin_data), SystemClock().wall_ms(), spec)) {
    std::cerr << "zfleetctl: " << *error << "\n";
    return as_int(ExitCode::kUsage);
  }
  auto submitted = client.submit_detailed(spec);
  if (!submitted) return report_error(submitted.error(), global);
  const std::uint64_t id = submitted.value().id;
  // Only news for a key the caller chose: with the client's own key, a
  // duplicate just means an earlier try got through and its reply was lost.
  if (submitted.value().duplicate && !options.spec.idempotency_key.empty() && !global.json) {
    std::cerr << "zfleetctl: idempotency key '" << options.spec.idempotency_key
              << "' was already used: task " << id << " is that submission\n";
  }
  if (!options.wait) {
    if (global.json) {
      std::cout << dump_line({{"id", id}, {"duplicate", submitted.value().duplicate}}) << "\n";
    } else {
      std::cout << id << "\n";
    }
    return as_int(ExitCode::kOk);
  }
  std::optional<Millis> limit;
  if (options.wait_ms > 0) limit = Millis{static_cast<Millis::rep>(options.wait_ms)};
  auto result = wait_for_result(client, id, limit);
  if (!result) {
    std::cerr << "zfleetctl: submitted task " << id << "\n";
    return report_error(result.error(), global);
  }
  return report_waited(result.value(), global);
}

int submit_file(Client& client, const GlobalOptions& global, const SubmitOptions& options) {
  if (!options.spec.argv.empty() || !options.spec.script.empty()) {
    std::cerr << "zfleetctl: give either --file or a command line (or --script), not both\n";
    return as_int(ExitCode::kUsage);
  }
  if (!options.spec.idempotency_key.empty()) {
    // As a default for every line it would make the whole file one task.
    std::cerr << "zfleetctl: --idempotency-key names one task; give each line its own "
                 "\"idempotency_key\" instead\n";
    return as_int(ExitCode::kUsage);
  }
  std::string stdin_data;
  if (!options.stdin_file.empty()) {
    if (options.stdin_file == "-" && options.file == "-") {
      std::cerr << "zfleetctl: --file - and --stdin-file - cannot both read standard input\n";
      return as_int(ExitCode::kUsage);
    }
    if (auto error = read_input_file(options.stdin_file, proto::kMaxStdinBytes, stdin_data)) {
      std::cerr << "zfleetctl: --stdin-file " << *error << "\n";
      return as_int(ExitCode::kUsage);
    }
  }
  msg::TaskSpec defaults;
  if (auto error =
          apply_flags(options.spec, std::move(stdin_data), SystemClock().wall_ms(), defaults)) {
    std::cerr << "zfleetctl: " << *error << "\n";
    return as_int(ExitCode::kUsage);
  }
  BatchOptions batch{options.file, options.window, options.wait, std::nullopt};
  if (options.wait_ms > 0) batch.wait_limit = Millis{static_cast<Millis::rep>(options.wait_ms)};
  return submit_batch(client, global, batch, defaults);
}

}  // namespace

std::vector<Command> add_submit_commands(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<SubmitOptions>();
  CLI::App* sub = app.add_subcommand(
      "submit", "Submit a task (argv after --) or many (--file), optionally waiting for results");
  SpecFlags& spec = options->spec;
  sub->add_option("--project", spec.project, "Project the task counts against")
      ->capture_default_str();
  sub->add_option("--priority", spec.priority, "0 (lowest) to 10 (highest)")
      ->check(CLI::Range(proto::kMinPriority, proto::kMaxPriority))
      ->capture_default_str();
  // One value per --env, so "--env A=1 -- argv" keeps its "--" and argv.
  sub->add_option("--env", spec.env, "K=V added to the task's environment (repeatable)")
      ->allow_extra_args(false);
  sub->add_option("--cwd", spec.cwd, "Working directory inside the worker's sandbox");
  sub->add_option("--attach", spec.attach,
                  "FILE[=NAME]: copy FILE into the task's directory first, as NAME "
                  "(repeatable; 1 MiB in all)")
      ->allow_extra_args(false);
  sub->add_option("--script", spec.script,
                  "Send FILE with the task and run it (./FILE), with the arguments after --");
  sub->add_option("--timeout-ms", spec.timeout_ms,
                  "Task run-time limit in ms, 0: the worker's default (the global request "
                  "timeout goes before the subcommand)");
  sub->add_option("--grace-ms", spec.grace_ms,
                  "SIGTERM to SIGKILL delay in ms, 0: the worker's default");
  sub->add_option("--stdin-file", options->stdin_file,
                  "File whose bytes are the task's stdin ('-': ours)");
  sub->add_option("--output-cap", spec.output_cap, "Bytes of stdout and of stderr kept (the tail)")
      ->check(CLI::Range(std::uint64_t{0}, proto::kMaxOutputCapBytes))
      ->capture_default_str();
  sub->add_option(
      "--file", options->file,
      "JSON-lines file of tasks ('-': stdin); the flags above are each line's defaults");
  sub->add_option("--window", options->window, "Submissions in flight at once with --file")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->capture_default_str();
  sub->add_flag("--wait", options->wait, "Wait for the result(s) and exit with the task's status");
  sub->add_option("--wait-ms", options->wait_ms,
                  "Give up waiting after this many ms (implies --wait; 0: never)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--type", spec.type,
                  "Task type: shell (argv), module (--module), http (--url), or noop (no child)")
      ->check(CLI::IsMember({"shell", "module", "http", "noop"}))
      ->capture_default_str();
  sub->add_option("--module", spec.module, "module tasks: the module to run");
  sub->add_option("--args", spec.args_json, "module tasks: its arguments as JSON");
  sub->add_option("--url", spec.http.url, "http tasks: the URL (http:// or https://)");
  sub->add_option("--method", spec.http.method, "http tasks: the request method")
      ->capture_default_str();
  sub->add_option("--header", spec.http.headers, "http tasks: 'Name: value' (repeatable)")
      ->allow_extra_args(false);
  sub->add_option("--data", spec.http.data, "http tasks: the request body");
  sub->add_option("--max-response-bytes", spec.http.max_response_bytes,
                  "http tasks: response body bytes kept");
  sub->add_option("--max-redirects", spec.http.max_redirects, "http tasks: redirects followed")
      ->check(CLI::Range(std::uint32_t{0}, proto::kMaxHttpRedirects));
  sub->add_option("--allow-host", spec.http.allow,
                  "http tasks: only these hosts (repeatable; narrows the worker's rules)")
      ->allow_extra_args(false);
  sub->add_option("--deny-host", spec.http.deny, "http tasks: never these hosts (repeatable)")
      ->allow_extra_args(false);
  // Sandbox limits only tighten the worker's own: it applies the smaller.
  SandboxFlags& box = spec.sandbox;
  sub->add_option("--memory", box.memory, "Memory limit (e.g. 256M); killed above it");
  sub->add_option("--memory-soft", box.memory_soft, "Memory mark for a resource_warning event");
  sub->add_option("--cpu-seconds", box.cpu_seconds, "CPU time limit in seconds");
  sub->add_option("--address-space", box.address_space, "Address space limit (e.g. 4G)");
  sub->add_option("--open-files", box.open_files, "Open file limit");
  sub->add_option("--processes", box.processes, "Process limit of the task");
  sub->add_option("--file-size", box.file_size, "Largest file the task may write (e.g. 1G)");
  sub->add_option("--network", box.network, "none (loopback only) or host")
      ->check(CLI::IsMember({"none", "host"}));
  sub->add_option("--stall-ms", box.stall_ms,
                  "Report the task stalled after this long without output or progress");
  sub->add_flag("--kill-on-stall", box.kill_on_stall, "Kill a stalled task (needs --stall-ms)");
  sub->add_option("--max-attempts", spec.retry.max_attempts,
                  "Attempts in all, the first included (0: the project's policy)")
      ->check(CLI::Range(std::uint32_t{0}, proto::kMaxAttempts));
  sub->add_option("--backoff-ms", spec.retry.backoff_ms,
                  "Delay before the 2nd attempt in ms, doubling after (0: the project's policy)")
      ->check(CLI::Range(std::uint64_t{0}, proto::kMaxBackoffMs));
  sub->add_option("--backoff-max-ms", spec.retry.backoff_max_ms,
                  "Cap on that delay in ms (0: the project's policy)")
      ->check(CLI::Range(std::uint64_t{0}, proto::kMaxBackoffMs));
  sub->add_option("--retry-on", spec.retry.retry_on,
                  "Endings that are retried: exit,signal,timeout,lost,error (comma-separated)");
  CLI::Option* delay = sub->add_option("--delay-ms", options->delay_ms,
                                       "Start no sooner than this many ms from now");
  CLI::Option* not_before = sub->add_option("--not-before", options->not_before_ms,
                                            "Start no sooner than this Unix time in ms")
                                ->excludes(delay);
  sub->add_option("--idempotency-key", spec.idempotency_key,
                  "Submitting the same key again returns the first task's id (default: a random "
                  "key, so retries of this submit are safe)");
  sub->add_option("argv", spec.argv, "The command to run (put it after --)");

  Action run = [options, delay, not_before, &global](Client& client) {
    options->wait = options->wait || options->wait_ms > 0;
    if (delay->count() > 0) options->spec.delay_ms = options->delay_ms;
    if (not_before->count() > 0) options->spec.not_before_ms = options->not_before_ms;
    if (!options->file.empty()) return submit_file(client, global, *options);
    if (options->spec.argv.empty() && options->spec.script.empty() &&
        options->spec.type == "shell") {
      std::cerr << "zfleetctl: submit needs a command (zfleetctl submit -- ARGV...) or --file\n";
      return as_int(ExitCode::kUsage);
    }
    return submit_one(client, global, *options);
  };
  return {Command{sub, std::move(run)}};
}

}  // namespace zfleet::ctl
