// Running attempts: spawn, stdio, timeouts, results; see task_runner.hpp.
#include "worker/task_runner.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace zfleet::worker {

namespace {

// What is left in a pipe after the exit; bounded in case an escaped
// grandchild keeps writing to an inherited copy of it.
constexpr std::size_t kDrainBudget = 1024 * 1024;

zmq_pollitem_t fd_item(int fd, short events) {
  zmq_pollitem_t item{};
  item.socket = nullptr;
  item.fd = fd;
  item.events = events;
  item.revents = 0;
  return item;
}

}  // namespace

struct TaskRunner::Attempt {
  Attempt(std::uint64_t task, std::uint32_t number, std::size_t cap,
          TerminationSchedule termination)
      : task_id(task), attempt(number), stdout_tail(cap), stderr_tail(cap), schedule(termination) {}

  std::uint64_t task_id;
  std::uint32_t attempt;
  std::optional<ChildProcess> child;
  UniqueFd stdin_fd;
  std::string stdin_data;
  std::size_t stdin_offset = 0;
  UniqueFd stdout_fd;
  UniqueFd stderr_fd;
  OutputTail stdout_tail;
  OutputTail stderr_tail;
  TerminationSchedule schedule;
  std::string work_dir;  // ours to remove; empty when the task named its cwd
  std::int64_t started_at_ms = 0;
  bool shutdown = false;
  bool cancelled = false;
  bool done = false;
  // The layout of this attempt's items in the last append_poll_items().
  bool polled_stdin = false;
  bool polled_stdout = false;
  bool polled_stderr = false;
  bool polled_exit = false;
};

TaskRunner::TaskRunner(const Clock& clock, RunnerOptions options, WorkArea& area,
                       TaskEnvironment& env)
    : clock_(clock), options_(options), area_(area), env_(env) {
  // A child may close its stdin before reading all of it; the write must then
  // fail with EPIPE instead of killing the worker. Children get SIG_DFL back.
  ::signal(SIGPIPE, SIG_IGN);
}

TaskRunner::~TaskRunner() {
  for (auto& a : attempts_) {
    a->child.reset();  // kills the group and reaps
    if (!a->work_dir.empty()) area_.release(a->work_dir);
  }
}

StartResult TaskRunner::start(const msg::TaskAssignment& task) {
  const auto& spec = task.spec;
  StartResult result;
  if (spec.argv.empty()) {
    result.error = "empty argv";
    return result;
  }
  const std::string program = resolve_program(spec.argv.front());
  if (program.empty()) {
    result.error = "program not found in PATH: " + spec.argv.front();
    return result;
  }

  const Millis timeout{spec.timeout_ms != 0 ? Millis(spec.timeout_ms) : options_.default_timeout};
  const Millis grace{spec.grace_ms != 0 ? Millis(spec.grace_ms) : options_.grace};
  auto attempt = std::make_unique<Attempt>(task.task_id, task.attempt, spec.output_cap,
                                           TerminationSchedule(clock_.now(), timeout, grace));
  auto fail = [&](std::string error) {
    if (!attempt->work_dir.empty()) area_.release(attempt->work_dir);
    result.error = std::move(error);
    return result;
  };

  const char* cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  if (cwd == nullptr) {
    std::string error;
    if (!area_.acquire(attempt->work_dir, error)) {
      attempt->work_dir.clear();
      return fail(std::move(error));
    }
    cwd = attempt->work_dir.c_str();
  }

  Pipe out;
  Pipe err;
  Pipe in;
  if (int e = make_pipe(out, NonBlockingEnd::kRead))
    return fail("pipe: " + std::string(strerror(e)));
  if (int e = make_pipe(err, NonBlockingEnd::kRead))
    return fail("pipe: " + std::string(strerror(e)));
  int child_stdin = area_.dev_null();
  if (!spec.stdin_data.empty()) {
    if (int e = make_pipe(in, NonBlockingEnd::kWrite)) {
      return fail("pipe: " + std::string(strerror(e)));
    }
    child_stdin = in.read.get();
  }

  SpawnRequest request;
  request.program = program;
  request.argv = &spec.argv;
  request.envp = env_.build(spec.env);
  request.cwd = cwd;
  request.stdin_fd = child_stdin;
  request.stdout_fd = out.write.get();
  request.stderr_fd = err.write.get();
  std::string error;
  auto child = ChildProcess::spawn(request, error);
  if (!child) return fail(std::move(error));

  // The child's ends close here, so end of file reaches us when it exits.
  attempt->child = std::move(child);
  attempt->stdout_fd = std::move(out.read);
  attempt->stderr_fd = std::move(err.read);
  attempt->started_at_ms = clock_.wall_ms();
  if (in.write) {
    attempt->stdin_fd = std::move(in.write);
    attempt->stdin_data = spec.stdin_data;
    in.read.reset();
    feed_stdin(*attempt);
  }
  result.started = true;
  result.pid = static_cast<std::uint64_t>(attempt->child->pid());
  result.started_at_ms = attempt->started_at_ms;
  attempts_.push_back(std::move(attempt));
  children_changed_ = true;
  return result;
}

void TaskRunner::feed_stdin(Attempt& a) {
  while (a.stdin_offset < a.stdin_data.size()) {
    const ssize_t n = ::write(a.stdin_fd.get(), a.stdin_data.data() + a.stdin_offset,
                              a.stdin_data.size() - a.stdin_offset);
    if (n > 0) {
      a.stdin_offset += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    break;  // EPIPE: the child stopped reading, which is its right
  }
  a.stdin_fd.reset();
  std::string().swap(a.stdin_data);
}

bool TaskRunner::holds(std::uint64_t task_id, std::uint32_t attempt) const {
  return std::any_of(attempts_.begin(), attempts_.end(),
                     [&](const auto& a) { return a->task_id == task_id && a->attempt == attempt; });
}

std::vector<msg::LeaseRef> TaskRunner::leases() const {
  std::vector<msg::LeaseRef> out;
  out.reserve(attempts_.size());
  for (const auto& a : attempts_)
    out.push_back({a->task_id, a->attempt});
  return out;
}

void TaskRunner::append_poll_items(std::vector<zmq_pollitem_t>& items) {
  for (auto& a : attempts_) {
    a->polled_stdin = a->stdin_fd.valid();
    a->polled_stdout = a->stdout_fd.valid();
    a->polled_stderr = a->stderr_fd.valid();
    a->polled_exit = a->child && a->child->exit_fd() >= 0;
    if (a->polled_stdin) items.push_back(fd_item(a->stdin_fd.get(), ZMQ_POLLOUT));
    if (a->polled_stdout) items.push_back(fd_item(a->stdout_fd.get(), ZMQ_POLLIN));
    if (a->polled_stderr) items.push_back(fd_item(a->stderr_fd.get(), ZMQ_POLLIN));
    if (a->polled_exit) items.push_back(fd_item(a->child->exit_fd(), ZMQ_POLLIN));
  }
}

void TaskRunner::on_poll(const zmq_pollitem_t* items, std::size_t count) {
  std::size_t i = 0;
  auto next_ready = [&]() { return i < count && items[i++].revents != 0; };
  for (auto& a : attempts_) {
    // POLLHUP and POLLERR arrive as ZMQ_POLLERR; a read or write reports them.
    if (a->polled_stdin && next_ready() && a->stdin_fd) feed_stdin(*a);
    if (a->polled_stdout && next_ready() && a->stdout_fd) {
      if (read_available(a->stdout_fd.get(), a->stdout_tail, options_.read_budget) ==
          PipeState::kClosed) {
        a->stdout_fd.reset();
      }
    }
    if (a->polled_stderr && next_ready() && a->stderr_fd) {
      if (read_available(a->stderr_fd.get(), a->stderr_tail, options_.read_budget) ==
          PipeState::kClosed) {
        a->stderr_fd.reset();
      }
    }
    if (a->polled_exit && next_ready()) {
      if (auto status = a->child->try_reap()) finish(*a, *status);
    }
    a->polled_stdin = a->polled_stdout = a->polled_stderr = a->polled_exit = false;
  }
  std::erase_if(attempts_, [](const auto& a) { return a->done; });
}

void TaskRunner::check_exits() {
  for (auto& a : attempts_) {
    if (auto status = a->child->try_reap()) finish(*a, *status);
  }
  std::erase_if(attempts_, [](const auto& a) { return a->done; });
}

void TaskRunner::finish(Attempt& a, const ExitStatus& status) {
  if (a.stdout_fd) read_available(a.stdout_fd.get(), a.stdout_tail, kDrainBudget);
  if (a.stderr_fd) read_available(a.stderr_fd.get(), a.stderr_tail, kDrainBudget);
  a.stdout_fd.reset();
  a.stderr_fd.reset();
  a.stdin_fd.reset();
  if (!a.work_dir.empty()) area_.release(a.work_dir);

  FinishedAttempt f;
  f.task_id = a.task_id;
  f.attempt = a.attempt;
  f.shutdown = a.shutdown;
  auto& o = f.outcome;
  o.exit_code = status.exit_code;
  o.signal = status.signal;
  if (!o.exit_code && !o.signal) o.error = "exit status lost";
  o.timed_out = a.schedule.timed_out();
  o.cancelled = a.cancelled;
  o.stdout_tail = a.stdout_tail.contents();
  o.stderr_tail = a.stderr_tail.contents();
  o.stdout_bytes = a.stdout_tail.total_bytes();
  o.stderr_bytes = a.stderr_tail.total_bytes();
  o.started_at_ms = a.started_at_ms;
  o.finished_at_ms = clock_.wall_ms();
  o.user_cpu_ms = status.user_cpu_ms;
  o.sys_cpu_ms = status.sys_cpu_ms;
  o.max_rss_kb = status.max_rss_kb;
  finished_.push_back(std::move(f));
  a.done = true;
  children_changed_ = true;
}

void TaskRunner::apply(Attempt& a, KillStep step) {
  if (step == KillStep::kTerminate) a.child->signal_group(SIGTERM);
  if (step == KillStep::kKill) a.child->signal_group(SIGKILL);
}

void TaskRunner::on_timer(TimePoint now) {
  for (auto& a : attempts_)
    apply(*a, a->schedule.on_timer(now));
}

std::optional<TimePoint> TaskRunner::next_deadline() const {
  std::optional<TimePoint> earliest;
  for (const auto& a : attempts_) {
    auto d = a->schedule.next_deadline();
    if (d && (!earliest || *d < *earliest)) earliest = d;
  }
  return earliest;
}

void TaskRunner::stop_all(bool kill_now) {
  const TimePoint now = clock_.now();
  for (auto& a : attempts_) {
    a->shutdown = true;
    apply(*a, kill_now ? a->schedule.kill_now() : a->schedule.terminate_now(now));
  }
}

bool TaskRunner::cancel(std::uint64_t task_id, std::uint32_t attempt, TimePoint now) {
  for (auto& a : attempts_) {
    if (a->task_id != task_id || a->attempt != attempt) continue;
    a->cancelled = true;
    apply(*a, a->schedule.terminate_now(now));
    return true;
  }
  return false;
}

void TaskRunner::children(std::vector<ChildRecord>& out) const {
  out.clear();
  for (const auto& a : attempts_) {
    if (!a->child) continue;
    out.push_back({a->child->pid(), a->child->start_time(), a->task_id, a->attempt});
  }
}

void TaskRunner::take_finished(std::vector<FinishedAttempt>& out) {
  for (auto& f : finished_)
    out.push_back(std::move(f));
  finished_.clear();
}

}  // namespace zfleet::worker
