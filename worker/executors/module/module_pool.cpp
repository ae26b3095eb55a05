// Module runners: start, reuse, recycle, time out; see module_pool.hpp.
// Over 500 lines: a runner's whole lifecycle (spawn into its sandbox, the
// frame exchange, reuse, recycling by task count and RSS, timeouts, adoption
// checks) shares one Runner record and its release path; split by stage, each
// part would need the others' private state.
#include "worker/executors/module/module_pool.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "worker/executors/module/module_frames.hpp"
#include "worker/executors/module/module_locator.hpp"
#include "worker/monitor/output_tail.hpp"
#include "worker/sandbox/task_home.hpp"
#include "worker/sandbox/unique_fd.hpp"

namespace zfleet::worker {

namespace {

// What is left in a pipe once the runner has exited; bounded in case a
// grandchild the module started keeps writing to an inherited copy.
constexpr std::size_t kDrainBudget = 1024 * 1024;

zmq_pollitem_t fd_item(int fd, short events) {
  zmq_pollitem_t item{};
  item.fd = fd;
  item.events = events;
  return item;
}

std::string describe_exit(const ExitStatus& status) {
  if (status.signal) {
    const char* abbrev = ::sigabbrev_np(*status.signal);
    return "killed by signal " + std::to_string(*status.signal) +
           (abbrev != nullptr ? std::string(" (SIG") + abbrev + ")" : std::string());
  }
  if (status.exit_code) return "exited with status " + std::to_string(*status.exit_code);
  return "exit status lost";
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace

struct ModulePool::Job {
  std::uint64_t task_id = 0;
  std::uint32_t attempt = 0;
  std::uint64_t request_id = 0;
  std::int64_t started_at_ms = 0;
  std::optional<TimePoint> deadline;
  Millis timeout{0};
  bool timed_out = false;
  bool cancelled = false;
  bool shutdown = false;
};

struct ModulePool::Runner {
  explicit Runner(std::size_t cap) : stderr_tail(cap) {}

  std::uint64_t serial = 0;
  std::string module;       // the name, for messages
  std::string module_path;  // canonical
  std::string pool_key;
  // Declared before the child so the child is killed and reaped before its
  // cgroup leaves are removed.
  std::optional<PreparedSandbox> sandbox;
  std::string dir;
  std::optional<ChildProcess> child;
  UniqueFd requests;  // its stdin
  UniqueFd replies;
  UniqueFd errors;  // its stderr (and stdout)
  std::string outbox;
  std::size_t outbox_offset = 0;
  ModuleFrameReader reader;
  OutputTail stderr_tail;
  std::uint64_t next_request_id = 1;
  std::uint32_t tasks = 0;   // tasks handed to it, the current one included
  std::uint64_t cpu_ms = 0;  // its CPU time at the last reply
  std::optional<Job> job;
  TimePoint idle_since{};
  bool retiring = false;  // takes no more tasks; waits to be reaped
  bool reaped = false;
  std::string failure;  // why the pool gave up on it (protocol error)
  std::string load_error;
  bool polled_requests = false;
  bool polled_replies = false;
  bool polled_errors = false;
  bool polled_exit = false;

  bool idle() const { return !job && !retiring && !reaped; }
};

ModulePool::ModulePool(const Clock& clock, ModulePoolOptions options, Sandbox* sandbox)
    : clock_(clock), options_(std::move(options)), sandbox_(sandbox) {
  // A runner may die with a request half written; the write must fail with
  // EPIPE instead of killing the worker.
  ::signal(SIGPIPE, SIG_IGN);
  if (options_.work_dir.empty()) {
    std::string pattern = "/tmp/zfleet-modules-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error(std::string("module pool directory: ") + std::strerror(errno));
    }
    options_.work_dir = pattern;
    own_work_dir_ = true;
    // Runners running as another uid reach their directories by name.
    ::chmod(options_.work_dir.c_str(), 0711);
  } else {
    // A worker killed with SIGKILL leaves its runners' directories; runner
    // names restart at 1, and a new runner must not find an old one's files.
    // The directory itself is made with the first runner.
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(options_.work_dir, ec)) {
      if (entry.path().filename().string().starts_with("runner-")) remove_tree(entry.path());
    }
  }
}

ModulePool::~ModulePool() {
  for (auto& r : runners_) {
    r->child.reset();  // kills the group and reaps
    remove_tree(r->dir);
  }
  runners_.clear();
  if (own_work_dir_) {
    remove_tree(options_.work_dir);
  } else {
    ::rmdir(options_.work_dir.c_str());  // only if no runner left anything in it
  }
}

bool ModulePool::start(const ModuleJob& job, std::string& error) {
  if (holds(job.task_id, job.attempt)) {
    error = "task " + std::to_string(job.task_id) + " attempt " + std::to_string(job.attempt) +
            " is already running";
    return false;
  }
  if (job.args.size() > ZFLEET_MODULE_MAX_ARGS) {
    error = "module args exceed " + std::to_string(ZFLEET_MODULE_MAX_ARGS) + " bytes";
    return false;
  }
  std::string path;
  if (!locate_module(options_.modules_dir, job.module, path, error)) return false;

  // The most recently idle runner: it is warm, and the others may time out.
  Runner* chosen = nullptr;
  for (auto& r : runners_) {
    if (!r->idle() || r->module_path != path || r->pool_key != job.pool_key) continue;
    if (chosen == nullptr || r->idle_since > chosen->idle_since) chosen = r.get();
  }
  if (chosen == nullptr) chosen = spawn_runner(job, path, error);
  if (chosen == nullptr) return false;
  assign(*chosen, job);
  return true;
}

ModulePool::Runner* ModulePool::spawn_runner(const ModuleJob& job, const std::string& module_path,
                                             std::string& error) {
  const std::uint64_t serial = next_serial_++;
  auto runner = std::make_unique<Runner>(options_.output_cap);
  runner->serial = serial;
  runner->module = job.module;
  runner->module_path = module_path;
  runner->pool_key = job.pool_key;
  const std::string name = "runner-" + std::to_string(serial);

  if (job.policy != nullptr && sandbox_ != nullptr) {
    runner->sandbox = sandbox_->prepare(*job.policy, name, 1, error);
    if (!runner->sandbox) {
      error = "module runner sandbox: " + error;
      return nullptr;
    }
  }
  const bool switch_user = runner->sandbox && runner->sandbox->plan.switch_user;
  const uid_t uid = switch_user ? runner->sandbox->plan.uid : ::geteuid();
  const gid_t gid = switch_user ? runner->sandbox->plan.gid : ::getegid();
  if (::mkdir(options_.work_dir.c_str(), 0711) == 0) {
    ::chmod(options_.work_dir.c_str(), 0711);  // whatever the umask made of it
  } else if (errno != EEXIST) {
    error = "module pool directory " + options_.work_dir + ": " + std::strerror(errno);
    return nullptr;
  }
  runner->dir = options_.work_dir + "/" + name;
  if (!make_private_directory(runner->dir, uid, gid, error)) return nullptr;
  const std::vector<std::string> helpers{std::filesystem::absolute(options_.runner_path).string(),
                                         std::filesystem::absolute(module_path).string()};
  if (runner->sandbox &&
      !keep_task_paths(runner->sandbox->plan, std::filesystem::absolute(runner->dir).string(),
                       std::filesystem::absolute(runner->dir).string(), error, helpers)) {
    remove_tree(runner->dir);
    return nullptr;
  }

  auto fail = [&](std::string why) -> Runner* {
    remove_tree(runner->dir);
    error = std::move(why);
    return nullptr;
  };
  Pipe in;
  Pipe out;
  Pipe err;
  if (int e = make_pipe(in, NonBlockingEnd::kWrite))
    return fail("pipe: " + std::string(std::strerror(e)));
  if (int e = make_pipe(out, NonBlockingEnd::kRead))
    return fail("pipe: " + std::string(std::strerror(e)));
  if (int e = make_pipe(err, NonBlockingEnd::kRead))
    return fail("pipe: " + std::string(std::strerror(e)));

  const std::vector<std::string> argv{options_.runner_path, module_path};
  ScrubbedEnvironment env;
  SpawnRequest request;
  request.program = options_.runner_path;
  request.argv = &argv;
  request.envp = env.build(runner->dir, {});
  request.cwd = runner->dir.c_str();
  request.stdin_fd = in.read.get();
  request.stdout_fd = out.write.get();
  request.stderr_fd = err.write.get();
  request.sandbox = runner->sandbox ? &runner->sandbox->plan : nullptr;
  std::string spawn_error;
  auto child = ChildProcess::spawn(request, spawn_error);
  if (!child) return fail("module runner: " + spawn_error);

  // The child's ends close here, so end of file reaches us when it exits.
  runner->child = std::move(child);
  runner->requests = std::move(in.write);
  runner->replies = std::move(out.read);
  runner->errors = std::move(err.read);
  ++runners_started_;
  runners_.push_back(std::move(runner));
  return runners_.back().get();
}

void ModulePool::assign(Runner& r, const ModuleJob& spec) {
  Job job;
  job.task_id = spec.task_id;
  job.attempt = spec.attempt;
  job.request_id = r.next_request_id++;
  job.started_at_ms = clock_.wall_ms();
  job.timeout = spec.timeout;
  if (spec.timeout.count() > 0) job.deadline = clock_.now() + spec.timeout;
  r.job = job;
  ++r.tasks;
  r.stderr_tail = OutputTail(options_.output_cap);
  r.outbox = encode_module_request({job.request_id, spec.args});
  r.outbox_offset = 0;
  flush_requests(r);
}

void ModulePool::flush_requests(Runner& r) {
  while (r.requests && r.outbox_offset < r.outbox.size()) {
    const ssize_t n = ::write(r.requests.get(), r.outbox.data() + r.outbox_offset,
                              r.outbox.size() - r.outbox_offset);
    if (n > 0) {
      r.outbox_offset += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // EPIPE: it is gone; its exit says how.
    r.requests.reset();
  }
  if (r.outbox_offset >= r.outbox.size()) {
    std::string().swap(r.outbox);
    r.outbox_offset = 0;
  }
}

void ModulePool::read_replies(Runner& r, std::size_t budget) {
  std::array<char, 64 * 1024> buffer;
  std::size_t taken = 0;
  while (r.replies && taken < budget) {
    const ssize_t n = ::read(r.replies.get(), buffer.data(), buffer.size());
    if (n > 0) {
      r.reader.append(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      taken += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    r.replies.reset();  // end of file, or an error that ends the stream alike
  }
  std::string payload;
  while (!r.reaped || r.job) {
    const auto next = r.reader.next(payload);
    if (next == ModuleFrameReader::Next::kNeedMore) break;
    if (next == ModuleFrameReader::Next::kTooLarge) {
      kill(r, "module runner sent an oversized frame");
      break;
    }
    handle_frame(r, payload);
  }
}

void ModulePool::handle_frame(Runner& r, const std::string& payload) {
  ModuleReply reply;
  std::string error;
  if (!decode_module_reply(payload, reply, error)) {
    kill(r, "module runner sent a malformed reply: " + error);
    return;
  }
  if (reply.kind == ModuleReplyKind::kDone && reply.id == 0 && !reply.ok) {
    r.load_error = "module '" + r.module + "' failed to load: " + reply.error;
    retire(r);  // it exits by itself; the task fails when it is reaped
    return;
  }
  if (!r.job || reply.id != r.job->request_id) {
    kill(r, "module runner replied to request " + std::to_string(reply.id) +
                ", which it was not serving");
    return;
  }
  if (reply.kind == ModuleReplyKind::kProgress) {
    progress_.push_back({r.job->task_id, r.job->attempt, reply.percent, std::move(reply.message)});
    return;
  }
  complete(r, reply);
}

void ModulePool::complete(Runner& r, ModuleReply& reply) {
  // The runner flushed the module's output before replying, so it is all in
  // the pipe by now.
  if (r.errors &&
      read_available(r.errors.get(), r.stderr_tail, kDrainBudget) == PipeState::kClosed) {
    r.errors.reset();
  }
  const Job job = *r.job;
  r.job.reset();
  ModuleOutcome o;
  o.task_id = job.task_id;
  o.attempt = job.attempt;
  o.ok = reply.ok;
  o.result = std::move(reply.result);
  o.error = std::move(reply.error);
  o.stderr_tail = r.stderr_tail.contents();
  o.started_at_ms = job.started_at_ms;
  o.finished_at_ms = clock_.wall_ms();
  o.cpu_ms = reply.cpu_ms >= r.cpu_ms ? reply.cpu_ms - r.cpu_ms : 0;
  o.rss_kb = reply.rss_kb;
  o.runner_pid = static_cast<std::uint64_t>(r.child->pid());
  o.runner_tasks = r.tasks;
  finished_.push_back(std::move(o));
  r.cpu_ms = reply.cpu_ms;

  if (job.cancelled || job.timed_out || job.shutdown) {
    // Its kill is already under way and the reply raced it; the kill stands.
    finished_.back().ok = false;
    finished_.back().result.clear();
    finished_.back().error = job.timed_out   ? "module task timed out"
                             : job.cancelled ? "module task cancelled"
                                             : "module task stopped: the worker is shutting down";
    finished_.back().cancelled = job.cancelled;
    finished_.back().timed_out = job.timed_out;
    finished_.back().shutdown = job.shutdown;
    return;
  }
  if (r.tasks >= options_.max_tasks_per_runner || reply.rss_kb >= options_.max_runner_rss_kb) {
    ++runners_recycled_;
    retire(r);
    return;
  }
  r.idle_since = clock_.now();
  enforce_idle_limit();
}

void ModulePool::on_exit(Runner& r, const ExitStatus& status) {
  r.reaped = true;
  if (r.errors) read_available(r.errors.get(), r.stderr_tail, kDrainBudget);
  r.errors.reset();
  // A reply written just before the exit still counts.
  if (r.replies) read_replies(r, kDrainBudget);
  r.replies.reset();
  r.requests.reset();
  if (r.job) {
    const Job& job = *r.job;
    ModuleOutcome o;
    o.task_id = job.task_id;
    o.attempt = job.attempt;
    o.timed_out = job.timed_out;
    o.cancelled = job.cancelled;
    o.shutdown = job.shutdown;
    if (job.timed_out) {
      o.error = "module task timed out after " + std::to_string(job.timeout.count()) + " ms";
    } else if (job.cancelled) {
      o.error = "module task cancelled";
    } else if (job.shutdown) {
      o.error = "module task stopped: the worker is shutting down";
    } else if (!r.load_error.empty()) {
      o.error = r.load_error;
    } else {
      o.runner_crashed = true;
      o.runner_signal = status.signal;
      o.error = !r.failure.empty() ? r.failure : "module runner crashed: " + describe_exit(status);
    }
    o.stderr_tail = r.stderr_tail.contents();
    o.started_at_ms = job.started_at_ms;
    o.finished_at_ms = clock_.wall_ms();
    const std::uint64_t total = status.user_cpu_ms + status.sys_cpu_ms;
    o.cpu_ms = total >= r.cpu_ms ? total - r.cpu_ms : 0;
    o.rss_kb = status.max_rss_kb;
    o.runner_pid = static_cast<std::uint64_t>(r.child->pid());
    o.runner_tasks = r.tasks;
    finished_.push_back(std::move(o));
    r.job.reset();
  }
  remove_tree(r.dir);
}

void ModulePool::retire(Runner& r) {
  // End of stdin tells it to exit once the current reply is out.
  r.retiring = true;
  r.requests.reset();
  std::string().swap(r.outbox);
  r.outbox_offset = 0;
}

void ModulePool::kill(Runner& r, std::string why) {
  if (r.failure.empty()) r.failure = std::move(why);
  retire(r);
  if (r.child && !r.reaped) r.child->signal_group(SIGKILL);
}

void ModulePool::enforce_idle_limit() {
  for (;;) {
    std::size_t idle = 0;
    Runner* oldest = nullptr;
    for (auto& r : runners_) {
      if (!r->idle()) continue;
      ++idle;
      if (oldest == nullptr || r->idle_since < oldest->idle_since) oldest = r.get();
    }
    if (idle <= options_.max_idle_runners || oldest == nullptr) return;
    retire(*oldest);
  }
}

void ModulePool::sweep() {
  std::erase_if(runners_, [](const auto& r) { return r->reaped; });
}

std::size_t ModulePool::running() const {
  return static_cast<std::size_t>(std::count_if(runners_.begin(), runners_.end(),
                                                [](const auto& r) { return r->job.has_value(); }));
}

bool ModulePool::holds(std::uint64_t task_id, std::uint32_t attempt) const {
  return std::any_of(runners_.begin(), runners_.end(), [&](const auto& r) {
    return r->job && r->job->task_id == task_id && r->job->attempt == attempt;
  });
}

void ModulePool::append_poll_items(std::vector<zmq_pollitem_t>& items) {
  for (auto& r : runners_) {
    r->polled_requests = r->requests.valid() && r->outbox_offset < r->outbox.size();
    r->polled_replies = r->replies.valid();
    r->polled_errors = r->errors.valid();
    r->polled_exit = r->child && !r->reaped && r->child->exit_fd() >= 0;
    if (r->polled_requests) items.push_back(fd_item(r->requests.get(), ZMQ_POLLOUT));
    // The order on_poll() reads them back in.
    if (r->polled_errors) items.push_back(fd_item(r->errors.get(), ZMQ_POLLIN));
    if (r->polled_replies) items.push_back(fd_item(r->replies.get(), ZMQ_POLLIN));
    if (r->polled_exit) items.push_back(fd_item(r->child->exit_fd(), ZMQ_POLLIN));
  }
}

void ModulePool::on_poll(const zmq_pollitem_t* items, std::size_t count) {
  std::size_t i = 0;
  auto next_ready = [&]() { return i < count && items[i++].revents != 0; };
  // Runners started by a callback during this loop have no items; the loop
  // covers only those present when the items were appended.
  const std::size_t polled = runners_.size();
  for (std::size_t k = 0; k < polled; ++k) {
    Runner& r = *runners_[k];
    // POLLHUP and POLLERR arrive as ZMQ_POLLERR; a read or write reports them.
    if (r.polled_requests && next_ready() && r.requests) flush_requests(r);
    if (r.polled_errors && next_ready() && r.errors) {
      if (read_available(r.errors.get(), r.stderr_tail, options_.read_budget) ==
          PipeState::kClosed) {
        r.errors.reset();
      }
    }
    if (r.polled_replies && next_ready() && r.replies) read_replies(r, options_.read_budget);
    if (r.polled_exit && next_ready() && !r.reaped) {
      if (auto status = r.child->try_reap()) on_exit(r, *status);
    }
    r.polled_requests = r.polled_replies = r.polled_errors = r.polled_exit = false;
  }
  sweep();
}

void ModulePool::check_exits() {
  for (auto& r : runners_) {
    if (r->reaped) continue;
    if (auto status = r->child->try_reap()) on_exit(*r, *status);
  }
  sweep();
}

void ModulePool::on_timer(TimePoint now) {
  for (auto& r : runners_) {
    if (r->reaped) continue;
    if (r->job && r->job->deadline && !r->job->timed_out && *r->job->deadline <= now) {
      r->job->timed_out = true;
      kill(*r, "module task timed out");
    } else if (r->idle() && r->idle_since + options_.idle_timeout <= now) {
      retire(*r);
    }
  }
}

std::optional<TimePoint> ModulePool::next_deadline() const {
  std::optional<TimePoint> earliest;
  auto consider = [&](TimePoint t) {
    if (!earliest || t < *earliest) earliest = t;
  };
  for (const auto& r : runners_) {
    if (r->job && r->job->deadline && !r->job->timed_out) consider(*r->job->deadline);
    if (r->idle()) consider(r->idle_since + options_.idle_timeout);
  }
  return earliest;
}

bool ModulePool::cancel(std::uint64_t task_id, std::uint32_t attempt) {
  for (auto& r : runners_) {
    if (!r->job || r->job->task_id != task_id || r->job->attempt != attempt) continue;
    r->job->cancelled = true;
    kill(*r, "module task cancelled");
    return true;
  }
  return false;
}

void ModulePool::stop_all() {
  for (auto& r : runners_) {
    if (r->job) r->job->shutdown = true;
    kill(*r, "module runner stopped");
  }
}

void ModulePool::take_finished(std::vector<ModuleOutcome>& out) {
  for (auto& o : finished_)
    out.push_back(std::move(o));
  finished_.clear();
}

void ModulePool::take_progress(std::vector<ModuleProgress>& out) {
  for (auto& p : progress_)
    out.push_back(std::move(p));
  progress_.clear();
}

void ModulePool::children(std::vector<ChildRecord>& out) const {
  for (const auto& r : runners_) {
    if (!r->child || r->reaped) continue;
    const std::uint64_t task = r->job ? r->job->task_id : 0;
    const std::uint32_t attempt = r->job ? r->job->attempt : 0;
    out.push_back({r->child->pid(), r->child->start_time(), task, attempt});
  }
}

}  // namespace zfleet::worker
