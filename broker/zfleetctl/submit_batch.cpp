// `submit --file`; see submit_batch.hpp.
#include "broker/zfleetctl/submit_batch.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "broker/zfleetctl/exit_code.hpp"
#include "broker/zfleetctl/json_view.hpp"
#include "broker/zfleetctl/progress.hpp"
#include "broker/zfleetctl/result_wait.hpp"
#include "broker/zfleetctl/task_file.hpp"
#include "broker/zfleetctl/task_report.hpp"
#include "broker/zfleetctl/units.hpp"

namespace zfleet::ctl {

namespace {

struct Submitted {
  std::size_t line = 0;
  std::uint64_t id = 0;
};

class Batch {
 public:
  Batch(Client& client, const GlobalOptions& global, const BatchOptions& options)
      : client_(client),
        global_(global),
        options_(options),
        source_(options.file == "-" ? "stdin" : options.file) {}

  int run(const msg::TaskSpec& defaults);

 private:
  bool read(const msg::TaskSpec& defaults, TaskFile& file);
  void submit(TaskFile& file);  // the valid lines; reports progress and ids
  void wait_all();
  void note(ExitCode code) { exit_ = more_severe(exit_, code); }
  std::string where(std::size_t line) const { return source_ + ":" + std::to_string(line); }

  Client& client_;
  const GlobalOptions& global_;
  const BatchOptions& options_;
  const std::string source_;
  const SystemClock clock_;
  std::vector<Submitted> submitted_;
  ExitCode exit_ = ExitCode::kOk;
};

bool Batch::read(const msg::TaskSpec& defaults, TaskFile& file) {
  if (options_.file == "-") {
    file = read_task_file(std::cin, defaults, clock_.wall_ms());
    return true;
  }
  std::ifstream in(options_.file);
  if (!in) {
    std::cerr << "zfleetctl: " << options_.file << ": " << std::strerror(errno) << "\n";
    return false;
  }
  file = read_task_file(in, defaults, clock_.wall_ms());
  return true;
}

void Batch::submit(TaskFile& file) {
  const std::size_t total = file.tasks.size();
  const TimePoint started = clock_.now();
  ProgressBar bar(stderr, is_terminal(stderr), clock_, "submitted", total);
  std::vector<std::optional<std::uint64_t>> ids(total);
  std::size_t acked = 0;
  std::size_t failed = 0;
  bool unreachable = false;
  auto on_ack = [&](std::size_t i, const Result<std::uint64_t>& result) {
    ++acked;
    if (result) {
      ids[i] = result.value();
      if (global_.json) {
        std::cout << dump_line({{"line", file.tasks[i].line}, {"id", result.value()}}) << "\n";
      }
    } else {
      ++failed;
      const ExitCode code = exit_for_error(result.error());
      note(code);
      // A timeout is one fact about the broker, told once below, not per line.
      if (code == ExitCode::kUnreachable) {
        unreachable = true;
      } else {
        std::cerr << "zfleetctl: " << where(file.tasks[i].line)
                  << ": not submitted: " << describe(result.error()) << "\n";
      }
    }
    bar.update(acked, failed);
  };
  // submit_many() fails everything left at once if the broker stops answering.
  std::vector<msg::TaskSpec> specs;
  specs.reserve(total);
  for (std::size_t i = 0; i < total; ++i)
    specs.push_back(std::move(file.tasks[i].spec));
  client_.submit_many(specs, options_.window, on_ack);
  bar.finish();
  for (std::size_t i = 0; i < total; ++i) {
    if (!ids[i]) continue;
    submitted_.push_back({file.tasks[i].line, *ids[i]});
    if (!global_.json) std::cout << *ids[i] << "\n";
  }
  std::cout.flush();
  if (unreachable) {
    std::cerr << "zfleetctl: lost the broker at " << global_.broker << " (no reply within "
              << global_.timeout_ms << " ms); " << (total - submitted_.size()) << " of " << total
              << " tasks not submitted\n";
  }
  if (!global_.json) {
    const auto elapsed = std::chrono::duration_cast<Millis>(clock_.now() - started);
    std::cerr << "zfleetctl: submitted " << submitted_.size() << " of " << total << " tasks from "
              << source_;
    if (!file.errors.empty()) std::cerr << " (" << file.errors.size() << " invalid lines skipped)";
    std::cerr << " in " << format_duration_ms(elapsed.count());
    if (!submitted_.empty() && elapsed.count() > 0) {
      std::cerr << ", " << format_rate(1000.0 * submitted_.size() / elapsed.count());
    }
    std::cerr << "\n";
  }
}

void Batch::wait_all() {
  const TimePoint started = clock_.now();
  ProgressBar bar(stderr, is_terminal(stderr), clock_, "done", submitted_.size());
  std::size_t done = 0;
  std::size_t failed = 0;
  std::size_t not_final = 0;
  for (const auto& task : submitted_) {
    std::optional<Millis> left;
    if (options_.wait_limit)
      left = Millis{millis_until(clock_.now(), started + *options_.wait_limit)};
    auto result = wait_for_result(client_, task.id, left);
    if (!result) {
      bar.finish();
      std::cerr << error_line(result.error(), global_.broker) << "\n";
      note(exit_for_error(result.error()));
      return;
    }
    const msg::TaskView& view = result.value();
    if (global_.json) {
      std::cout << dump_line({{"line", task.line}, {"id", task.id}, {"result", task_json(view)}})
                << "\n";
    }
    if (!msg::is_final(view.state)) {
      ++not_final;
      note(ExitCode::kNotFinal);
    } else {
      ++done;
      // Dead (retries used up) and cancelled count as failed too.
      if (view.state != msg::TaskState::kSucceeded) {
        ++failed;
        note(ExitCode::kFailed);
        if (!global_.json)
          std::cerr << "zfleetctl: " << where(task.line) << ": " << status_line(view) << "\n";
      }
    }
    bar.update(done, failed);
  }
  bar.finish();
  if (!global_.json) {
    std::cerr << "zfleetctl: done " << done << "/" << submitted_.size() << ", failed " << failed;
    if (not_final > 0) std::cerr << ", not final " << not_final;
    std::cerr << "\n";
  }
}

int Batch::run(const msg::TaskSpec& defaults) {
  TaskFile file;
  if (!read(defaults, file)) return as_int(ExitCode::kUsage);
  for (const auto& error : file.errors) {
    std::cerr << "zfleetctl: " << where(error.line) << ": " << error.message << " (skipped)\n";
  }
  if (!file.errors.empty()) note(ExitCode::kFailed);
  if (file.tasks.empty()) return as_int(exit_);
  // One round trip first, so an unreachable broker costs one timeout and one
  // message rather than a timeout per slice.
  if (auto pong = client_.ping(); !pong) {
    std::cerr << error_line(pong.error(), global_.broker) << "\n";
    return as_int(more_severe(exit_, exit_for_error(pong.error())));
  }
  submit(file);
  if (options_.wait && exit_ != ExitCode::kUnreachable) wait_all();
  return as_int(exit_);
}

}  // namespace

int submit_batch(Client& client, const GlobalOptions& global, const BatchOptions& options,
                 const msg::TaskSpec& defaults) {
  return Batch(client, global, options).run(defaults);
}

}  // namespace zfleet::ctl
