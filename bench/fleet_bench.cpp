// fleet_bench: one producer measuring a running fleet end to end through
// zfleet::Client. Throughput phase: submit_many() N tasks (argv [PROGRAM], or
// --type noop: no child at all) from one thread while collector clients
// (one by default) fetch every result with waiting RESULT requests; the clock
// stops when the last result is back. Latency phase: M tasks one at a time
// on the idle fleet. Reports tasks/s and submit->start / submit->finish
// percentiles from the broker's and the worker's timestamps (Unix ms, one
// machine), and the broker's own span: first submission to last finish.
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <zmq.hpp>

#include "bench/bench_util.hpp"
#include "common/client.hpp"

namespace {

using zfleet::Millis;
using zfleet::bench::fixed;
using zfleet::bench::percentile;

struct Options {
  std::string broker = std::string(zfleet::proto::kDefaultClientEndpoint);
  long count = 5000;
  std::size_t window = 256;
  std::string program = "/bin/true";
  std::string type = "shell";
  std::string module = "echo";
  std::string name = "fleet";  // of the RESULT line
  int collectors = 1;
  std::string project = "bench";
  long latency_samples = 200;
  long request_timeout_ms = 10'000;
  long result_wait_ms = 2'000;
  long deadline_s = 600;
  long ready_timeout_s = 20;
};

// Ids handed from the submitting thread to the collecting one.
class IdQueue {
 public:
  void push(std::uint64_t id) {
    {
      std::lock_guard lock(mutex_);
      ids_.push_back(id);
    }
    ready_.notify_one();
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();  // every collector waiting must see the end
  }
  // Every id waiting (at least one), or none once the queue is closed and empty.
  std::vector<std::uint64_t> pop_all() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return closed_ || !ids_.empty(); });
    std::vector<std::uint64_t> out(ids_.begin(), ids_.end());
    ids_.clear();
    return out;
  }
  // The next id, or nothing once the queue is closed and empty.
  std::optional<std::uint64_t> pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return closed_ || !ids_.empty(); });
    if (ids_.empty()) return std::nullopt;
    const std::uint64_t id = ids_.front();
    ids_.pop_front();
    return id;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::uint64_t> ids_;
  bool closed_ = false;
};

struct Latencies {
  std::vector<double> start_ms;   // submitted_at -> started_at
  std::vector<double> finish_ms;  // submitted_at -> finished_at
  long failed = 0;
  std::int64_t first_submitted_ms = 0;  // broker clock, Unix ms
  std::int64_t last_finished_ms = 0;

  void merge(const Latencies& other) {
    start_ms.insert(start_ms.end(), other.start_ms.begin(), other.start_ms.end());
    finish_ms.insert(finish_ms.end(), other.finish_ms.begin(), other.finish_ms.end());
    failed += other.failed;
    if (other.first_submitted_ms != 0 &&
        (first_submitted_ms == 0 || other.first_submitted_ms < first_submitted_ms)) {
      first_submitted_ms = other.first_submitted_ms;
    }
    last_finished_ms = std::max(last_finished_ms, other.last_finished_ms);
  }
};

void record(const zfleet::msg::TaskView& view, Latencies& out) {
  if (view.state != zfleet::msg::TaskState::kSucceeded) ++out.failed;
  const std::int64_t started = view.outcome && view.outcome->started_at_ms
                                   ? view.outcome->started_at_ms
                                   : view.started_at_ms;
  const std::int64_t finished = view.outcome && view.outcome->finished_at_ms
                                    ? view.outcome->finished_at_ms
                                    : view.finished_at_ms;
  if (started > 0) out.start_ms.push_back(static_cast<double>(started - view.submitted_at_ms));
  if (finished > 0) out.finish_ms.push_back(static_cast<double>(finished - view.submitted_at_ms));
  if (out.first_submitted_ms == 0 || view.submitted_at_ms < out.first_submitted_ms) {
    out.first_submitted_ms = view.submitted_at_ms;
  }
  out.last_finished_ms = std::max(out.last_finished_ms, view.finished_at_ms);
}

// Waits for task `id` to reach a final state; nothing when `deadline` passes.
std::optional<zfleet::msg::TaskView> await_final(zfleet::Client& client, std::uint64_t id,
                                                 Millis wait,
                                                 std::chrono::steady_clock::time_point deadline) {
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = client.result(id, wait);
    if (reply && zfleet::msg::is_final(reply.value().state)) return reply.value();
    if (!reply && reply.error().kind != zfleet::ClientError::Kind::kTimeout) {
      std::fprintf(stderr, "fleet_bench: result %llu: %s\n", static_cast<unsigned long long>(id),
                   zfleet::describe(reply.error()).c_str());
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// Pings until the broker answers and its workers offer at least one slot.
bool wait_for_fleet(zfleet::Client& client, long timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto workers = client.workers()) {
      std::uint32_t slots = 0;
      for (const auto& w : workers.value())
        slots += w.slots;
      if (slots > 0) return true;
    }
    std::this_thread::sleep_for(Millis{50});
  }
  return false;
}

zfleet::msg::TaskSpec make_spec(const Options& o) {
  zfleet::msg::TaskSpec spec;
  spec.project = o.project;
  spec.type = o.type;
  if (o.type == "shell") spec.argv = {o.program};
  if (o.type == "module") {
    spec.module = o.module;
    spec.args = std::string("\x81\xa1x\x01", 4);  // {"x": 1}
  }
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"End-to-end throughput and latency of a running zfleet"};
  app.add_option("--broker", o.broker, "broker client endpoint");
  app.add_option("-n,--count", o.count, "tasks in the throughput phase")
      ->check(CLI::PositiveNumber);
  app.add_option("-w,--window", o.window, "unacknowledged submissions in flight")
      ->check(CLI::PositiveNumber);
  app.add_option("--program", o.program, "program each task runs (no arguments)");
  app.add_option("--type", o.type, "task type: shell runs PROGRAM, noop runs nothing")
      ->check(CLI::IsMember({"shell", "noop", "module"}));
  app.add_option("--name", o.name, "name of the RESULT line");
  app.add_option("--module", o.module, "--type module: the module each task runs");
  app.add_option("--collectors", o.collectors, "clients fetching results, each its own thread")
      ->check(CLI::Range(1, 64));
  app.add_option("--project", o.project, "project the tasks belong to");
  app.add_option("--latency-samples", o.latency_samples, "tasks in the one-at-a-time phase")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--request-timeout-ms", o.request_timeout_ms, "per request");
  app.add_option("--result-wait-ms", o.result_wait_ms, "wait asked of each RESULT request");
  app.add_option("--deadline-s", o.deadline_s, "give up after this long");
  app.add_option("--ready-timeout-s", o.ready_timeout_s, "wait this long for a worker");
  CLI11_PARSE(app, argc, argv);

  zmq::context_t context(1);
  const zfleet::Client::Options client_options{o.broker, Millis{o.request_timeout_ms}};
  zfleet::Client collector(context, client_options);
  if (!wait_for_fleet(collector, o.ready_timeout_s)) {
    std::fprintf(stderr, "fleet_bench: no broker with a worker at %s after %ld s\n",
                 o.broker.c_str(), o.ready_timeout_s);
    return 2;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.deadline_s);
  const std::vector<zfleet::msg::TaskSpec> specs(static_cast<std::size_t>(o.count), make_spec(o));

  // Throughput phase.
  IdQueue ids;
  long submit_errors = 0;
  double submit_seconds = 0;
  zfleet::bench::Stopwatch clock;
  std::thread producer([&] {
    zfleet::Client client(context, client_options);
    client.submit_many(specs, o.window,
                       [&](std::size_t, const zfleet::Result<std::uint64_t>& acked) {
                         if (acked) {
                           ids.push(acked.value());
                         } else if (submit_errors++ == 0) {
                           std::fprintf(stderr, "fleet_bench: submit: %s\n",
                                        zfleet::describe(acked.error()).c_str());
                         }
                       });
    submit_seconds = clock.seconds();
    ids.close();
  });
  // Collectors take ids in submission order; the first one is `collector`
  // on this thread, the others have their own clients.
  std::vector<Latencies> per_collector(static_cast<std::size_t>(o.collectors));
  std::vector<long> collected_by(per_collector.size(), 0);
  // Results are long-polled many at a time (Client::await_results): one
  // round trip per task would measure the loopback ping-pong, not the fleet.
  auto collect = [&](zfleet::Client& client, std::size_t k) {
    bool failed = false;
    for (auto batch = ids.pop_all(); !batch.empty() && !failed; batch = ids.pop_all()) {
      client.await_results(batch, 4096, std::chrono::time_point_cast<Millis>(deadline),
                           [&](std::size_t, const zfleet::Result<zfleet::msg::TaskView>& view) {
                             if (!view) {
                               if (!failed) {
                                 std::fprintf(stderr, "fleet_bench: %s\n",
                                              zfleet::describe(view.error()).c_str());
                               }
                               failed = true;
                               return;
                             }
                             record(view.value(), per_collector[k]);
                             ++collected_by[k];
                           });
    }
  };
  std::vector<std::thread> helpers;
  for (std::size_t k = 1; k < per_collector.size(); ++k) {
    helpers.emplace_back([&, k] {
      zfleet::Client client(context, client_options);
      collect(client, k);
    });
  }
  collect(collector, 0);
  for (auto& t : helpers)
    t.join();
  const double seconds = clock.seconds();
  producer.join();
  Latencies loaded;
  long collected = 0;
  for (std::size_t k = 0; k < per_collector.size(); ++k) {
    loaded.merge(per_collector[k]);
    collected += collected_by[k];
  }
  const double span_s =
      static_cast<double>(loaded.last_finished_ms - loaded.first_submitted_ms) / 1e3;
  const double span_rate = span_s > 0 ? static_cast<double>(collected) / span_s : 0.0;
  const double rate = static_cast<double>(collected) / seconds;
  std::fprintf(
      stderr,
      "zfleet: %ld tasks (%s) in %.3f s: %.0f tasks/s (broker span %.3f s: %.0f/s); "
      "submit->start p50 %.0f ms p99 %.0f ms; submit->finish p50 %.0f ms p99 %.0f ms "
      "(all submitted at once)\n",
      collected,
      o.type == "shell" ? o.program.c_str() : (o.type == "module" ? o.module.c_str() : "noop"),
      seconds, rate, span_s, span_rate, percentile(loaded.start_ms, 50),
      percentile(loaded.start_ms, 99), percentile(loaded.finish_ms, 50),
      percentile(loaded.finish_ms, 99));

  // Latency phase: one task at a time on an idle fleet.
  Latencies idle;
  std::vector<double> round_trip_ms;
  for (long i = 0; i < o.latency_samples && collected == o.count; ++i) {
    zfleet::bench::Stopwatch one;
    auto id = collector.submit(specs.front());
    if (!id) {
      ++submit_errors;
      break;
    }
    auto view = await_final(collector, id.value(), Millis{o.result_wait_ms}, deadline);
    if (!view) break;
    round_trip_ms.push_back(one.seconds() * 1e3);
    record(*view, idle);
  }
  if (!round_trip_ms.empty()) {
    std::fprintf(stderr,
                 "zfleet idle: %zu tasks one at a time: submit->start p50 %.0f ms p99 %.0f ms; "
                 "submit call -> result in hand p50 %.2f ms p99 %.2f ms\n",
                 round_trip_ms.size(), percentile(idle.start_ms, 50), percentile(idle.start_ms, 99),
                 percentile(round_trip_ms, 50), percentile(round_trip_ms, 99));
  }

  zfleet::bench::print_result(o.name,
                              {{"count", std::to_string(o.count)},
                               {"type", o.type},
                               {"collected", std::to_string(collected)},
                               {"seconds", fixed(seconds, 3)},
                               {"per_s", fixed(rate, 1)},
                               {"submit_s", fixed(submit_seconds, 3)},
                               {"span_s", fixed(span_s, 3)},
                               {"span_per_s", fixed(span_rate, 1)},
                               {"failed", std::to_string(loaded.failed + idle.failed)},
                               {"submit_errors", std::to_string(submit_errors)},
                               {"start_p50_ms", fixed(percentile(loaded.start_ms, 50), 0)},
                               {"start_p99_ms", fixed(percentile(loaded.start_ms, 99), 0)},
                               {"finish_p50_ms", fixed(percentile(loaded.finish_ms, 50), 0)},
                               {"finish_p99_ms", fixed(percentile(loaded.finish_ms, 99), 0)},
                               {"idle_samples", std::to_string(round_trip_ms.size())},
                               {"idle_start_p50_ms", fixed(percentile(idle.start_ms, 50), 0)},
                               {"idle_start_p99_ms", fixed(percentile(idle.start_ms, 99), 0)},
                               {"idle_rtt_p50_ms", fixed(percentile(round_trip_ms, 50), 2)},
                               {"idle_rtt_p99_ms", fixed(percentile(round_trip_ms, 99), 2)}});
  const bool complete = collected == o.count && submit_errors == 0 &&
                        static_cast<long>(round_trip_ms.size()) == o.latency_samples;
  return complete && loaded.failed + idle.failed == 0 ? 0 : 1;
}
