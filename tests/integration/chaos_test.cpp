// Chaos: a producer submits thousands of short tasks while the broker and the
// workers are killed with SIGKILL at random moments and started again with
// the same arguments (the broker on the same endpoints and journal, each
// worker with the same id and work directory). Every acknowledged task must
// reach exactly one final state, keep it across a further broker crash, and
// every idempotency key must name exactly one task (PROTOCOL.md §6.3, §6.4,
// §6.9, §7.4).
//
// ZFLEET_CHAOS_SEED=<n> replays the kill schedule of an earlier run (the seed
// is printed); ZFLEET_CHAOS_TASKS=<n> changes the number of tasks;
// ZFLEET_CHAOS_KEEP=1 keeps the directory (journal, logs) and prints it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/client.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fleet_process.hpp"

namespace zfleet {
namespace {

using test_support::eventually;
using test_support::FleetProcess;
using test_support::ProcessOptions;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kWorkers = 2;
constexpr unsigned kSlotsPerWorker = 4;
constexpr int kMinKillsEach = 3;        // broker kills, and worker kills, at least
constexpr int kMaxKills = 12;           // both together, at most
constexpr std::size_t kSlowEvery = 50;  // every 50th task sleeps, to be running at a kill
constexpr std::size_t kChunk = 250;
constexpr std::size_t kWindow = 64;

long env_number(const char* name, long fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::strtol(value, nullptr, 10);
}

// Ports the kernel considers free now. Both sockets stay bound until both
// ports are known, so the two differ; they are closed before the broker
// binds them. The broker binds them again after every restart.
std::vector<int> free_ports(int count) {
  std::vector<int> fds;
  std::vector<int> ports;
  for (int i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      for (int f : fds)
        ::close(f);
      throw std::runtime_error("cannot pick a free port");
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds)
    ::close(fd);
  return ports;
}

// A broker and kWorkers workers that can each be killed and started again
// with the same arguments. Everything it started is killed and reaped, and
// its directory removed, when it is destroyed.
class ChaosFleet {
 public:
  ChaosFleet() {
    std::string pattern = (std::filesystem::temp_directory_path() / "zfleet-chaos-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    const auto ports = free_ports(2);
    clients_ = "tcp://127.0.0.1:" + std::to_string(ports[0]);
    workers_endpoint_ = "tcp://127.0.0.1:" + std::to_string(ports[1]);
    workers_.resize(kWorkers);
  }
  ~ChaosFleet() {
    for (auto& w : workers_)
      if (w.pid() > 0) w.terminate(5000ms);
    if (broker_.pid() > 0) broker_.terminate(5000ms);
    if (env_number("ZFLEET_CHAOS_KEEP", 0) != 0) {
      std::cout << "chaos: kept " << dir_ << std::endl;
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ChaosFleet(const ChaosFleet&) = delete;
  ChaosFleet& operator=(const ChaosFleet&) = delete;

  // Starts the broker and waits until it has bound its endpoints (after
  // reading back its journal). False, with the reason in `error`, if not.
  bool start_broker(std::string& error) {
    const std::string ready = dir_ + "/ready";
    std::error_code ec;
    std::filesystem::remove(ready, ec);
    broker_ =
        FleetProcess::start(ZFLEET_BROKER_BIN,
                            {"--clients", clients_, "--workers", workers_endpoint_, "--ready-file",
                             ready, "--data-dir", dir_ + "/data", "--durability", "full",
                             "--heartbeat-ms", "200", "--events", "tcp://127.0.0.1:*"},
                            ProcessOptions::log_to(dir_ + "/broker.log"));
    if (test_support::read_ready_file(ready, 20s)) return true;
    error = "broker did not come back: " + broker_.log_tail();
    return false;
  }

  void kill_broker() { broker_.kill(); }

  void start_worker(int index) {
    const std::string id = "chaos-w" + std::to_string(index);
    workers_.at(index) = FleetProcess::start(
        ZFLEET_WORKER_BIN,
        {"--broker", workers_endpoint_, "--id", id, "--slots", std::to_string(kSlotsPerWorker),
         "--work-dir", dir_ + "/work-" + id, "--heartbeat-ms", "200"},
        ProcessOptions::log_to(dir_ + "/worker-" + id + ".log"));
  }

  void kill_worker(int index) { workers_.at(index).kill(); }

  const std::string& clients() const { return clients_; }

  std::string logs() {
    std::string out = "--- broker log:\n" + broker_.log_tail(8192);
    for (std::size_t i = 0; i < workers_.size(); ++i)
      out += "\n--- worker " + std::to_string(i) + " log:\n" + workers_[i].log_tail();
    return out;
  }

 private:
  std::string dir_;
  std::string clients_;
  std::string workers_endpoint_;
  FleetProcess broker_;
  std::vector<FleetProcess> workers_;
};

std::string key_of(std::size_t n) {
  return "chaos-" + std::to_string(n);
}

msg::TaskSpec chaos_task(std::size_t n) {
  msg::TaskSpec s;
  s.project = "chaos";
  if (n % kSlowEvery == 0) {
    s.argv = {"/bin/sh", "-c", "sleep 0.2; echo " + key_of(n)};
  } else {
    s.argv = {"/bin/echo", key_of(n)};
  }
  s.idempotency_key = key_of(n);
  s.retry.max_attempts = 10;
  s.retry.backoff_ms = 10;
  s.retry.backoff_max_ms = 100;
  s.retry.retry_on = {"lost", "signal", "error"};
  return s;
}

// What the producer learnt: the id each key was acknowledged with. Written by
// the producer thread, read by the test once it has joined.
struct Acks {
  std::map<std::size_t, std::uint64_t> id_of;  // task number -> id
  std::vector<std::string> conflicts;          // a key acknowledged with two ids
  std::size_t failed_tries = 0;                // submissions that got no ack (then resent)
  std::string last_error;
  std::atomic<std::size_t> acked{0};  // acks so far (read while producing)
};

// Submits tasks [0, count) in chunks with submit_many, sending again (same
// keys) whatever a chunk could not get acknowledged, until all are in or
// `deadline` passes.
void produce(const std::string& endpoint, std::size_t count, Clock::time_point deadline,
             Acks& acks) {
  Client client(Client::Options{endpoint, Millis{1000}, 5, Millis{50}});
  for (std::size_t begin = 0; begin < count; begin += kChunk) {
    std::vector<std::size_t> pending;
    for (std::size_t n = begin; n < std::min(count, begin + kChunk); ++n)
      pending.push_back(n);
    while (!pending.empty() && Clock::now() < deadline) {
      std::vector<msg::TaskSpec> specs;
      for (std::size_t n : pending)
        specs.push_back(chaos_task(n));
      std::vector<std::size_t> unacked;
      client.submit_many(specs, kWindow, [&](std::size_t i, const Result<std::uint64_t>& r) {
        const std::size_t n = pending[i];
        if (!r.ok()) {
          ++acks.failed_tries;
          acks.last_error = describe(r.error());
          unacked.push_back(n);
          return;
        }
        auto [it, inserted] = acks.id_of.emplace(n, r.value());
        if (inserted) ++acks.acked;
        if (!inserted && it->second != r.value()) {
          acks.conflicts.push_back(key_of(n) + ": " + std::to_string(it->second) + " and " +
                                   std::to_string(r.value()));
        }
      });
      pending = std::move(unacked);
    }
  }
}

// Counters of one broker life, added up over lives (best effort: a life's
// last moments before SIGKILL are not seen).
void add_stats(Client& client, std::map<std::string, std::uint64_t>& totals) {
  auto stats = client.stats();
  if (!stats.ok()) return;
  for (const auto& [name, value] : stats.value())
    totals[name] += value;
}

struct FinalView {
  msg::TaskState state = msg::TaskState::kQueued;
  std::uint32_t attempts = 0;
  std::int64_t finished_at_ms = 0;
  bool operator==(const FinalView&) const = default;
};

TEST(Chaos, EveryAcknowledgedTaskEndsOnceWhileBrokerAndWorkersAreKilled) {
  const std::size_t count = static_cast<std::size_t>(env_number("ZFLEET_CHAOS_TASKS", 5000));
  const auto seed = static_cast<std::uint32_t>(
      env_number("ZFLEET_CHAOS_SEED", static_cast<long>(std::random_device{}() & 0x7fffffff)));
  std::cout << "chaos: seed " << seed << " (ZFLEET_CHAOS_SEED to replay), " << count << " tasks"
            << std::endl;
  RecordProperty("seed", std::to_string(seed));
  std::mt19937 random(seed);
  const auto started = Clock::now();

  ChaosFleet fleet;
  std::string error;
  ASSERT_TRUE(fleet.start_broker(error)) << error;
  for (int i = 0; i < kWorkers; ++i)
    fleet.start_worker(i);
  Client client(Client::Options{fleet.clients(), Millis{5000}, 5, Millis{50}});
  Client quick(Client::Options{fleet.clients(), Millis{500}, 0, Millis{50}});
  ASSERT_TRUE(eventually(
      [&] {
        auto w = client.workers();
        return w.ok() && w.value().size() == kWorkers;
      },
      20s, 50ms))
      << fleet.logs();

  // The producer submits while this thread kills.
  Acks acks;
  std::atomic<bool> producing{true};
  std::thread producer([&] {
    produce(fleet.clients(), count, Clock::now() + 90s, acks);
    producing = false;
  });

  std::map<std::string, std::uint64_t> totals;
  int broker_kills = 0;
  int worker_kills = 0;
  int next_worker = 0;
  bool broker_turn = true;
  std::uniform_int_distribution<int> pause_ms(50, 400);
  const auto chaos_deadline = Clock::now() + 60s;
  bool restarted = true;
  std::string kill_log;  // what was killed when: acks so far, tasks unfinished
  // Kills go on while the producer submits, then while tasks are unfinished,
  // until the minimum of each and at most kMaxKills.
  auto unfinished = [&] {
    auto projects = quick.projects();
    if (!projects.ok()) return true;
    for (const auto& p : projects.value())
      if (p.name == "chaos") return p.queued + p.running > 0;
    return true;
  };
  // The first kill (of the broker) lands at a random point of the
  // submissions, however fast they go; the others at random moments after.
  const std::size_t first_kill_at =
      std::uniform_int_distribution<std::size_t>(100, count / 2)(random);
  eventually([&] { return acks.acked.load() >= first_kill_at || !producing; }, 60s, 1ms);
  bool first = true;
  while (
      (producing || broker_kills < kMinKillsEach || worker_kills < kMinKillsEach || unfinished()) &&
      broker_kills + worker_kills < kMaxKills && Clock::now() < chaos_deadline) {
    if (!first) std::this_thread::sleep_for(Millis{pause_ms(random)});  // a random moment
    first = false;
    kill_log += std::string(broker_turn ? " broker" : " worker") + "@" +
                std::to_string(acks.acked.load()) + (producing ? "" : "(all acked)");
    if (broker_turn) {
      add_stats(quick, totals);
      fleet.kill_broker();
      ++broker_kills;
      restarted = fleet.start_broker(error);
      if (!restarted) break;
    } else {
      fleet.kill_worker(next_worker);
      ++worker_kills;
      fleet.start_worker(next_worker);
      next_worker = (next_worker + 1) % kWorkers;
    }
    broker_turn = !broker_turn;
  }
  producer.join();
  ASSERT_TRUE(restarted) << error;
  const double chaos_s = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << "chaos: " << broker_kills << " broker kills, " << worker_kills << " worker kills in "
            << chaos_s << " s; kill@acks:" << kill_log << std::endl;
  EXPECT_GE(broker_kills, kMinKillsEach);
  EXPECT_GE(worker_kills, kMinKillsEach);

  // Every key acknowledged, each with one id, no id for two keys.
  EXPECT_TRUE(acks.conflicts.empty())
      << acks.conflicts.size() << " keys with two ids, e.g. " << acks.conflicts.front();
  ASSERT_EQ(acks.id_of.size(), count) << "last submit error: " << acks.last_error << "\n"
                                      << fleet.logs();
  std::map<std::uint64_t, std::size_t> key_of_id;
  for (const auto& [n, id] : acks.id_of) {
    auto [it, inserted] = key_of_id.emplace(id, n);
    EXPECT_TRUE(inserted) << "id " << id << " acknowledged for " << key_of(it->second) << " and "
                          << key_of(n);
  }

  // Every acknowledged task reaches a final state (bounded wait).
  std::map<std::uint64_t, msg::TaskView> finals;
  const auto final_deadline = Clock::now() + 90s;
  for (const auto& [id, n] : key_of_id) {
    while (Clock::now() < final_deadline) {
      auto r = client.result(id, 2000ms);
      if (r.ok() && msg::is_final(r.value().state)) {
        finals.emplace(id, r.value());
        break;
      }
      if (!r.ok() && r.error().kind == ClientError::Kind::kBroker) break;  // e.g. NOT_FOUND
    }
  }
  ASSERT_EQ(finals.size(), key_of_id.size())
      << key_of_id.size() - finals.size() << " acknowledged tasks not final\n"
      << fleet.logs();
  add_stats(client, totals);

  std::map<msg::TaskState, std::size_t> by_state;
  std::size_t ran_again = 0;
  std::uint32_t most_attempts = 0;
  std::size_t wrong_output = 0;
  for (const auto& [id, t] : finals) {
    ++by_state[t.state];
    if (t.attempts > 1) ++ran_again;
    most_attempts = std::max(most_attempts, t.attempts);
    if (t.state == msg::TaskState::kSucceeded &&
        (!t.outcome || t.outcome->stdout_tail != key_of(key_of_id.at(id)) + "\n")) {
      ++wrong_output;
    }
  }
  std::cout << "chaos: final states:";
  for (const auto& [state, n] : by_state)
    std::cout << " " << msg::state_name(state) << "=" << n;
  std::cout << "\nchaos: " << ran_again
            << " tasks dispatched more than once (attempts > 1, at most " << most_attempts
            << "); submissions resent by the producer: " << acks.failed_tries
            << "\nchaos: broker counters summed over " << broker_kills + 1
            << " lives (at least): tasks_requeued=" << totals["tasks_requeued"]
            << " tasks_retried=" << totals["tasks_retried"]
            << " tasks_adopted=" << totals["tasks_adopted"]
            << " tasks_recovered=" << totals["tasks_recovered"]
            << " duplicate_submits=" << totals["duplicate_submits"]
            << " results_stale=" << totals["results_stale"]
            << " workers_expired=" << totals["workers_expired"] << std::endl;
  RecordProperty("broker_kills", broker_kills);
  RecordProperty("worker_kills", worker_kills);
  RecordProperty("ran_more_than_once", static_cast<int>(ran_again));
  RecordProperty("tasks_requeued", std::to_string(totals["tasks_requeued"]));
  RecordProperty("tasks_retried", std::to_string(totals["tasks_retried"]));
  RecordProperty("tasks_adopted", std::to_string(totals["tasks_adopted"]));
  EXPECT_EQ(by_state[msg::TaskState::kSucceeded], count) << fleet.logs();
  EXPECT_EQ(wrong_output, 0u);

  // One more crash once everything is final: every task keeps the one final
  // state it had (nothing runs again, nothing flips), and the journal holds
  // no task the producer was not acknowledged.
  fleet.kill_broker();
  ASSERT_TRUE(fleet.start_broker(error)) << error;
  std::size_t changed = 0;
  for (const auto& [id, before] : finals) {
    auto r = client.status(id);
    ASSERT_TRUE(r.ok()) << "task " << id << ": " << describe(r.error());
    const FinalView a{before.state, before.attempts, before.finished_at_ms};
    const FinalView b{r.value().state, r.value().attempts, r.value().finished_at_ms};
    if (!(a == b)) ++changed;
  }
  EXPECT_EQ(changed, 0u) << "tasks whose final state changed across a broker restart";
  auto projects = client.projects();
  ASSERT_TRUE(projects.ok()) << describe(projects.error());
  bool seen = false;
  for (const auto& p : projects.value()) {
    if (p.name != "chaos") continue;
    seen = true;
    EXPECT_EQ(p.succeeded + p.failed + p.dead + p.cancelled, count) << "tasks in the journal";
    EXPECT_EQ(p.queued + p.running, 0u);
  }
  EXPECT_TRUE(seen);

  // Submitting every key again creates nothing: each answers its one id.
  std::vector<msg::TaskSpec> again;
  for (std::size_t n = 0; n < count; ++n)
    again.push_back(chaos_task(n));
  std::size_t same = 0;
  client.submit_many(again, 256, [&](std::size_t n, const Result<std::uint64_t>& r) {
    if (r.ok() && r.value() == acks.id_of.at(n)) ++same;
  });
  EXPECT_EQ(same, count);
  auto probe = client.submit_detailed(chaos_task(0));
  ASSERT_TRUE(probe.ok());
  EXPECT_TRUE(probe.value().duplicate);
  EXPECT_EQ(probe.value().id, acks.id_of.at(0));

  std::cout << "chaos: done in " << std::chrono::duration<double>(Clock::now() - started).count()
            << " s" << std::endl;
}

}  // namespace
}  // namespace zfleet
