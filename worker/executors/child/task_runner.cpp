// Running attempts: confinement, spawn, stdio, timeouts, results; see
// task_runner.hpp. Monitoring lives in task_runner_monitor.cpp. Just over
// 500 lines: start() is one ordered sequence (directory, confinement, files,
// pipes, spawn) whose failure paths share one release.
#include "worker/executors/child/task_runner.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "worker/executors/http/http_task.hpp"
#include "worker/policy/limit_message.hpp"
#include "worker/sandbox/task_files.hpp"

namespace zfleet::worker {

namespace {

// What is left in a pipe after the exit; bounded in case an escaped
// grandchild keeps writing to an inherited copy of it.
constexpr std::size_t kDrainBudget = 1024 * 1024;
// The fetch child's stdout holds the whole response map.
constexpr std::size_t kHttpStdoutCap = proto::kMaxResultBytes + 128 * 1024;

zmq_pollitem_t fd_item(int fd, short events) {
  zmq_pollitem_t item{};
  item.socket = nullptr;
  item.fd = fd;
  item.events = events;
  item.revents = 0;
  return item;
}

// A relative path without "..": where a sandboxed task may ask to start.
bool inside(const std::string& cwd) {
  if (cwd.empty() || cwd.front() == '/') return false;
  std::size_t start = 0;
  while (start <= cwd.size()) {
    const std::size_t end = std::min(cwd.find('/', start), cwd.size());
    if (cwd.compare(start, end - start, "..") == 0 && end - start == 2) return false;
    start = end + 1;
  }
  return true;
}

// The cwd a task asked for, made inside its directory, each level its own.
bool make_cwd_directories(const std::string& work_dir, const std::string& cwd, uid_t uid, gid_t gid,
                          std::string& error) {
  std::string path = work_dir;
  std::size_t start = 0;
  while (start < cwd.size()) {
    const std::size_t end = std::min(cwd.find('/', start), cwd.size());
    if (end > start && cwd.compare(start, end - start, ".") != 0) {
      path += "/" + cwd.substr(start, end - start);
      if (!make_private_directory(path, uid, gid, error)) return false;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace

TaskRunner::TaskRunner(const Clock& clock, RunnerOptions options, WorkArea& area,
                       TaskEnvironment& env, Sandbox* sandbox, UidPool* uids, Spawner* spawner)
    : clock_(clock),
      options_(options),
      area_(area),
      env_(env),
      sandbox_(sandbox),
      uids_(uids),
      spawner_(spawner != nullptr ? *spawner : process_spawner()) {
  // A child may close its stdin before reading all of it; the write must then
  // fail with EPIPE instead of killing the worker. Children get SIG_DFL back.
  ::signal(SIGPIPE, SIG_IGN);
}

TaskRunner::~TaskRunner() {
  for (auto& a : attempts_) {
    a->child.reset();  // kills the group and reaps
    release_resources(*a);
  }
}

StartResult TaskRunner::start(const msg::TaskAssignment& task) {
  AttemptPolicy unconfined;
  unconfined.sandboxed = false;
  unconfined.monitor = MonitorPolicy{};
  unconfined.monitor.sample_every = Millis{0};
  return start(task, unconfined);
}

bool TaskRunner::prepare_confinement(Attempt& a, const AttemptPolicy& policy,
                                     const std::string& cwd, std::string& error) {
  a.sandbox = sandbox_->prepare(policy.sandbox, std::to_string(a.task_id), a.attempt, error);
  if (!a.sandbox) {
    error = "sandbox: " + error;
    return false;
  }
  SandboxPlan& plan = a.sandbox->plan;
  if (plan.switch_user && uids_ != nullptr) {
    // A uid of its own, so no other task can read its directory or signal it.
    a.pool_uid = uids_->acquire();
    if (!a.pool_uid) {
      error = "sandbox: no free task uid";
      return false;
    }
    plan.uid = *a.pool_uid;
    plan.gid = static_cast<gid_t>(*a.pool_uid);
  }
  a.cpu_limit_s = policy.sandbox.rlimits.cpu_seconds;
  const uid_t uid = plan.switch_user ? plan.uid : ::geteuid();
  const gid_t gid = plan.switch_user ? plan.gid : ::getegid();
  if (plan.switch_user && !make_private_directory(a.work_dir, uid, gid, error)) return false;
  return make_cwd_directories(a.work_dir, cwd, uid, gid, error);
}

StartResult TaskRunner::start(const msg::TaskAssignment& task, const AttemptPolicy& policy) {
  const auto& spec = task.spec;
  StartResult result;
  const bool http = spec.type == "http";
  std::vector<std::string> http_argv;
  const std::vector<std::string>* argv = &spec.argv;
  if (http) {
    if (options_.http_fetch.empty()) {
      result.error = "http tasks are not available: no zfleet-http-fetch binary";
      return result;
    }
    http_argv = {options_.http_fetch};
    argv = &http_argv;
  } else if (spec.type != "shell") {
    result.error = "task type '" + spec.type + "' is not run as a child process";
    return result;
  }
  if (argv->empty()) {
    result.error = "empty argv";
    return result;
  }
  const bool confined = policy.sandboxed && sandbox_ != nullptr;
  std::string search_path = ScrubbedEnvironment::kSafePath;
  for (const auto& [name, value] : spec.env) {
    if (name == "PATH") search_path = value;
  }
  const std::string program =
      confined ? resolve_program(argv->front(), search_path) : resolve_program(argv->front());
  if (program.empty()) {
    result.error = "spawn: not found in PATH: " + argv->front();
    result.permanent = true;
    return result;
  }
  if (!http && !policy.allow_shell && is_shell(program)) {
    result.error = "policy forbids running a shell (" + program + ")";
    result.permanent = true;
    return result;
  }
  // Files go into the task directory, so a cwd elsewhere could not see them.
  const bool with_files = !spec.files.empty();
  if (with_files && http) {
    result.error = "files: only shell tasks take files";
    result.permanent = true;
    return result;
  }
  if (with_files && !spec.cwd.empty() && !inside(spec.cwd)) {
    result.error = "files: cwd must be a relative path inside the task directory";
    result.permanent = true;
    return result;
  }
  if (confined && !spec.cwd.empty() && !inside(spec.cwd)) {
    result.error = "cwd must be a relative path inside the task directory under the sandbox";
    return result;
  }

  const Millis timeout{spec.timeout_ms != 0 ? Millis(spec.timeout_ms) : options_.default_timeout};
  const Millis grace{spec.grace_ms != 0 ? Millis(spec.grace_ms) : options_.grace};
  const TimePoint now = clock_.now();
  const std::size_t cap = http ? kHttpStdoutCap : spec.output_cap;
  auto attempt =
      std::make_unique<Attempt>(task.task_id, task.attempt, cap,
                                TerminationSchedule(now, timeout, grace), policy.monitor, now);
  Attempt& a = *attempt;
  a.type = spec.type;
  a.timeout = timeout;
  // Both hold the same limit when set: the cgroup's memory.max (kept off by
  // a policy without the cgroup layer) and the worker's sampling mark.
  a.memory_limit_bytes = confined && policy.sandbox.cgroup.memory_max_bytes
                             ? *policy.sandbox.cgroup.memory_max_bytes
                             : policy.monitor.memory_hard_kb * 1024;
  a.out.live = !http;  // the fetch child's stdout is the response, not a log
  a.err.tail = OutputTail(spec.output_cap);
  auto fail = [&](std::string error) {
    release_resources(a);
    result.error = std::move(error);
    return result;
  };

  std::string error;
  const char* cwd = nullptr;
  if (confined || spec.cwd.empty() || with_files) {
    if (!area_.acquire(a.work_dir, error)) {
      a.work_dir.clear();
      return fail(std::move(error));
    }
  }
  if (confined && !prepare_confinement(a, policy, spec.cwd, error)) return fail(std::move(error));
  if (!confined && with_files &&
      !make_cwd_directories(a.work_dir, spec.cwd, ::geteuid(), ::getegid(), error))
    return fail(std::move(error));
  std::string cwd_path;
  if (!confined && !with_files && !spec.cwd.empty()) {
    cwd_path = spec.cwd;
  } else {
    cwd_path = spec.cwd.empty() ? a.work_dir : a.work_dir + "/" + spec.cwd;
  }
  cwd = cwd_path.c_str();
  if (with_files) {
    // After the directories above, which already belong to the task's uid.
    const bool switched = a.sandbox && a.sandbox->plan.switch_user;
    const uid_t uid = switched ? a.sandbox->plan.uid : ::geteuid();
    const gid_t gid = switched ? a.sandbox->plan.gid : ::getegid();
    bool permanent = false;
    if (!write_task_files(a.work_dir, spec.files, uid, gid, error, &permanent)) {
      result.permanent = permanent;
      return fail(std::move(error));
    }
  }
  if (a.sandbox) {
    std::vector<std::string> helpers;
    if (http) helpers.push_back(std::filesystem::absolute(options_.http_fetch).string());
    if (!keep_task_paths(a.sandbox->plan, std::filesystem::absolute(a.work_dir).string(),
                         std::filesystem::absolute(cwd_path).string(), error, helpers))
      return fail(std::move(error));
  }

  Pipe out;
  Pipe err;
  Pipe in;
  if (int e = make_pipe(out, NonBlockingEnd::kRead))
    return fail("pipe: " + std::string(strerror(e)));
  if (int e = make_pipe(err, NonBlockingEnd::kRead))
    return fail("pipe: " + std::string(strerror(e)));
  std::string stdin_data = http ? http_child_request(spec, policy.http, timeout) : spec.stdin_data;
  int child_stdin = area_.dev_null();
  if (!stdin_data.empty()) {
    if (int e = make_pipe(in, NonBlockingEnd::kWrite)) {
      return fail("pipe: " + std::string(strerror(e)));
    }
    child_stdin = in.read.get();
  }

  SpawnRequest request;
  request.program = program;
  request.argv = argv;
  request.envp = confined ? scrubbed_.build(a.work_dir, spec.env) : env_.build(spec.env);
  request.cwd = cwd;
  request.stdin_fd = child_stdin;
  request.stdout_fd = out.write.get();
  request.stderr_fd = err.write.get();
  request.sandbox = a.sandbox ? &a.sandbox->plan : nullptr;
  int spawn_errno = 0;
  auto child = spawner_.spawn(request, error, &spawn_errno);
  if (!child) {
    result.permanent = is_permanent_spawn_error(spawn_errno);
    return fail(std::move(error));
  }

  // The child's ends close here, so end of file reaches us when it exits.
  a.child = std::move(child);
  a.out.fd = std::move(out.read);
  a.err.fd = std::move(err.read);
  a.started_at_ms = clock_.wall_ms();
  if (in.write) {
    a.stdin_fd = std::move(in.write);
    a.stdin_data = std::move(stdin_data);
    in.read.reset();
    feed_stdin(a);
  }
  result.started = true;
  result.pid = static_cast<std::uint64_t>(a.child->pid());
  result.started_at_ms = a.started_at_ms;
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
    a->out.polled = a->out.fd.valid();
    a->err.polled = a->err.fd.valid();
    a->polled_exit = a->child && a->child->exit_fd() >= 0;
    if (a->polled_stdin) items.push_back(fd_item(a->stdin_fd.get(), ZMQ_POLLOUT));
    if (a->out.polled) items.push_back(fd_item(a->out.fd.get(), ZMQ_POLLIN));
    if (a->err.polled) items.push_back(fd_item(a->err.fd.get(), ZMQ_POLLIN));
    if (a->polled_exit) items.push_back(fd_item(a->child->exit_fd(), ZMQ_POLLIN));
  }
}

void TaskRunner::on_poll(const zmq_pollitem_t* items, std::size_t count) {
  std::size_t i = 0;
  auto next_ready = [&]() { return i < count && items[i++].revents != 0; };
  const TimePoint now = clock_.now();
  for (auto& a : attempts_) {
    // POLLHUP and POLLERR arrive as ZMQ_POLLERR; a read or write reports them.
    if (a->polled_stdin && next_ready() && a->stdin_fd) feed_stdin(*a);
    if (a->out.polled && next_ready() && a->out.fd) {
      read_stream(*a, a->out, options_.read_budget, now);
    }
    if (a->err.polled && next_ready() && a->err.fd) {
      read_stream(*a, a->err, options_.read_budget, now);
    }
    if (a->polled_exit && next_ready()) {
      if (auto status = a->child->try_reap()) finish(*a, *status);
    }
    a->polled_stdin = a->out.polled = a->err.polled = a->polled_exit = false;
  }
  std::erase_if(attempts_, [](const auto& a) { return a->done; });
}

void TaskRunner::check_exits() {
  for (auto& a : attempts_) {
    if (auto status = a->child->try_reap()) finish(*a, *status);
  }
  std::erase_if(attempts_, [](const auto& a) { return a->done; });
}

void TaskRunner::release_resources(Attempt& a) {
  if (a.sandbox && a.sandbox->cgroup.active()) {
    std::string error;
    if (!a.sandbox->cgroup.release(&error)) {
      spdlog::warn("task {} attempt {}: {}", a.task_id, a.attempt, error);
    }
  }
  a.sandbox.reset();
  if (!a.work_dir.empty()) {
    std::string error;
    if (a.pool_uid && !reclaim_private_directory(a.work_dir, error)) {
      spdlog::warn("task {} attempt {}: {}", a.task_id, a.attempt, error);
    }
    area_.release(a.work_dir);
    a.work_dir.clear();
  }
  if (a.pool_uid && uids_ != nullptr) uids_->release(*a.pool_uid);
  a.pool_uid.reset();
}

void TaskRunner::finish(Attempt& a, const ExitStatus& status) {
  const TimePoint now = clock_.now();
  if (a.out.fd) read_stream(a, a.out, a.out.live ? kDrainBudget : kHttpStdoutCap, now);
  if (a.err.fd) read_stream(a, a.err, kDrainBudget, now);
  a.out.fd.reset();
  a.err.fd.reset();
  a.stdin_fd.reset();
  // Markers read in the last drain still become events (kills are moot now).
  a.monitor.on_timer(now);
  drain_monitor(a, now);
  // Before the leaves go: the kernel's OOM kills are counted there.
  if (a.killed_by.empty() && a.sandbox && a.sandbox->cgroup.active()) {
    if (auto kills = a.sandbox->cgroup.oom_kills(); kills && *kills > 0) a.killed_by = "oom";
  }
  if (a.killed_by.empty() && a.cpu_limit_s && status.signal &&
      (*status.signal == SIGXCPU ||
       (*status.signal == SIGKILL &&
        status.user_cpu_ms + status.sys_cpu_ms + 100 >= *a.cpu_limit_s * 1000))) {
    a.killed_by = "cpu";
  }
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
  o.killed_by = a.killed_by;
  o.stdout_tail = a.out.tail.contents();
  o.stderr_tail = a.err.tail.contents();
  o.stdout_bytes = a.out.tail.total_bytes();
  o.stderr_bytes = a.err.tail.total_bytes();
  o.started_at_ms = a.started_at_ms;
  o.finished_at_ms = clock_.wall_ms();
  o.user_cpu_ms = status.user_cpu_ms;
  o.sys_cpu_ms = status.sys_cpu_ms;
  o.max_rss_kb = status.max_rss_kb;
  o.peak_rss_kb = std::max(a.monitor.peak_rss_kb(), status.max_rss_kb);
  if (auto p = a.monitor.percent()) o.progress = static_cast<int>(*p);
  if (a.sandbox) o.sandbox = a.sandbox->applied;
  if (a.type == "http" && !o.timed_out && !o.cancelled && a.killed_by.empty()) {
    http_outcome(o.stdout_tail, o);
  }
  AttemptLimits limits;
  limits.memory_bytes = a.memory_limit_bytes;
  limits.cpu_seconds = a.cpu_limit_s.value_or(0);
  limits.timeout_ms = static_cast<std::uint64_t>(a.timeout.count());
  limits.stall_ms = static_cast<std::uint64_t>(a.monitor_policy.stall_after.count());
  limits.memory_by_rlimit = a.sandbox && a.sandbox->memory_rlimit;
  AttemptEnding ending;
  ending.killed_by = a.killed_by;
  ending.timed_out = o.timed_out;
  ending.cancelled = o.cancelled;
  ending.failed = o.signal.has_value() || o.exit_code.value_or(0) != 0;
  ending.stderr_tail = o.stderr_tail;
  o.message = limit_message(limits, ending);
  release_resources(a);
  if (!a.killed_by.empty() && a.killed_by != "memory" && a.killed_by != "stall") {
    // Memory and stall kills were announced when they were decided.
    event(a, "killed", "killed by the " + a.killed_by + " limit");
    events_.back().reason = a.killed_by;
  }
  finished_.push_back(std::move(f));
  a.done = true;
  children_changed_ = true;
}

void TaskRunner::apply(Attempt& a, KillStep step) {
  if (step == KillStep::kTerminate) {
    a.child->signal_group(SIGTERM);
    // A stopped group would not see SIGTERM until continued.
    if (a.suspended_at) a.child->signal_group(SIGCONT);
  }
  if (step == KillStep::kKill) a.child->signal_group(SIGKILL);
}

void TaskRunner::on_timer(TimePoint now) {
  for (auto& a : attempts_) {
    const bool was_running = a->schedule.phase() == KillPhase::kRunning;
    apply(*a, a->schedule.on_timer(now));
    if (was_running && a->schedule.timed_out()) {
      event(*a, "killed", "timed out");
      events_.back().reason = "timeout";
    }
    watch(*a, now);
  }
}

std::optional<TimePoint> TaskRunner::next_deadline() const {
  std::optional<TimePoint> earliest;
  for (const auto& a : attempts_) {
    for (auto d : {a->schedule.next_deadline(), a->monitor.next_deadline()}) {
      if (d && (!earliest || *d < *earliest)) earliest = d;
    }
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
