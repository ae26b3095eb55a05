// zfleetctl's monitoring renderings: event lines and filters, live status,
// the workers table with adaptive slots and layers, result JSON, and the log
// follower that prints each byte once.
#include <gtest/gtest.h>

#include "broker/zfleetctl/event_view.hpp"
#include "broker/zfleetctl/json_view.hpp"
#include "broker/zfleetctl/log_follower.hpp"
#include "broker/zfleetctl/task_report.hpp"
#include "broker/zfleetctl/worker_report.hpp"

namespace zfleet::ctl {
namespace {

msg::Event progress_event() {
  msg::Event e;
  e.kind = "progress";
  e.at_ms = 1'700'000'000'250;
  e.task_id = 7;
  e.attempt = 1;
  e.project = "etl";
  e.worker = "w1";
  e.percent = 40;
  e.message = "copying";
  return e;
}

TEST(CtlEventView, LineNamesKindTaskWorkerAndSetFields) {
  const std::string line = event_line(progress_event());
  // Local time first (zone-dependent), then the rest.
  EXPECT_EQ(line.substr(8, 4), ".250");
  EXPECT_EQ(line.substr(13), "progress task 7 (etl) on w1: 40%, copying");
  msg::Event slots;
  slots.kind = "slots_down";
  slots.worker = "w2";
  slots.from = 4;
  slots.to = 2;
  EXPECT_EQ(event_line(slots).substr(13), "slots_down worker w2: slots 4 -> 2");
}

TEST(CtlEventView, JsonHasEveryKeyWithNullsForUnset) {
  const Json j = event_json("task.7.progress", progress_event());
  EXPECT_EQ(j["topic"], "task.7.progress");
  EXPECT_EQ(j["percent"], 40);
  EXPECT_TRUE(j["reason"].is_null());
  EXPECT_EQ(j["worker"], "w1");
}

TEST(CtlEventView, FilterSubscribesNarrowlyAndKeepsMatches) {
  EventFilter by_task{7, "", {"finished"}};
  EXPECT_EQ(by_task.prefixes(), std::vector<std::string>{"task.7.finished"});
  EventFilter by_worker{0, "w1", {}};
  EXPECT_EQ(by_worker.prefixes(), (std::vector<std::string>{"task.", "worker.w1."}));
  EXPECT_TRUE(by_worker.keeps("task.7.progress", progress_event()));
  msg::Event other = progress_event();
  other.worker = "w2";
  EXPECT_FALSE(by_worker.keeps("task.7.progress", other));
  EventFilter kinds{0, "", {"started", "finished"}};
  EXPECT_FALSE(kinds.keeps("task.7.progress", progress_event()));
}

TEST(CtlEventView, LiveSummaryShowsWhatIsKnown) {
  msg::LiveStatus l;
  l.progress = 70;
  l.message = "almost";
  l.rss_kb = 2048;
  l.cpu_ms = 1200;
  l.idle_ms = 3000;
  l.suspended = true;
  EXPECT_EQ(live_summary(l), "70% almost, rss 2.0 MiB, cpu 1.20 s, idle 3.00 s, suspended");
  msg::TaskView t;
  t.state = msg::TaskState::kRunning;
  t.live = l;
  EXPECT_EQ(task_json(t)["live"]["progress"], 70);
  bool found = false;
  for (const auto& [k, v] : status_fields(t, 0))
    found = found || k == "live";
  EXPECT_TRUE(found);
}

TEST(CtlWorkerReport, SlotsShowBusyOverSlotsAndTheAdaptiveRange) {
  msg::WorkerView w;
  w.id = "w1";
  w.slots = 4;
  w.busy = 2;
  EXPECT_EQ(slots_cell(w), "2/4");
  w.min_slots = 1;
  w.max_slots = 8;
  w.layers = {"rlimits", "seccomp"};
  EXPECT_EQ(slots_cell(w), "2/4 (1-8)");
  const std::string table = workers_table({w}).render();
  EXPECT_NE(table.find("LAYERS"), std::string::npos);
  EXPECT_NE(table.find("rlimits,seccomp"), std::string::npos);
  EXPECT_EQ(worker_json(w)["max_slots"], 8);
  EXPECT_EQ(worker_json(w)["layers"].size(), 2u);
}

TEST(CtlTaskReport, OutcomeShowsKilledBySandboxAndResult) {
  msg::TaskView t;
  t.state = msg::TaskState::kFailed;
  msg::Outcome o;
  o.signal = 9;
  o.killed_by = "memory";
  o.sandbox = "rlimits,cgroup";
  o.peak_rss_kb = 1024;
  o.progress = 55;
  o.result = std::string("\x81\xa2ok\xc3", 5);  // {"ok": true}
  t.outcome = o;
  EXPECT_EQ(describe_outcome(o), "killed by the worker: memory limit (SIGKILL)");
  std::map<std::string, std::string> fields;
  for (const auto& [k, v] : result_fields(t))
    fields[k] = v;
  EXPECT_EQ(fields["sandbox"], "rlimits,cgroup");
  EXPECT_EQ(fields["result"], R"({"ok":true})");
  EXPECT_EQ(fields["progress"], "55%");
  const Json j = outcome_json(o);
  EXPECT_EQ(j["killed_by"], "memory");
  EXPECT_EQ(j["result"]["ok"], true);
  EXPECT_EQ(j["peak_rss_kb"], 1024);
}

TEST(CtlLogFollower, PrintsEachByteOnceAcrossLogsAndChunks) {
  LogFollower f;
  msg::LogsReply logs;
  logs.stdout_data = "hello ";
  logs.stdout_offset = 100;
  auto first = f.take_logs(logs);
  EXPECT_EQ(first.out, "hello ");
  EXPECT_EQ(first.skipped, 0u);
  auto repeat = f.take_chunk({1, 1, "stdout", 103, "lo "});
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->out, "");
  auto more = f.take_chunk({1, 1, "stdout", 104, "o world"});
  ASSERT_TRUE(more.has_value());
  EXPECT_EQ(more->out, "world");
  EXPECT_FALSE(f.take_chunk({1, 1, "stdout", 200, "late"}).has_value());  // a gap
  logs.stdout_data = "xyz";
  logs.stdout_offset = 150;
  auto refill = f.take_logs(logs);
  EXPECT_EQ(refill.out, "xyz");
  EXPECT_EQ(refill.skipped, 39u);
  auto err = f.take_chunk({1, 1, "stderr", 0, "oops"});
  EXPECT_EQ(err->err, "oops");
}

TEST(CtlLogFollower, ANewAttemptStartsItsStreamsAgain) {
  LogFollower f;
  f.take_logs(msg::LogsReply{});
  f.take_chunk({1, 1, "stdout", 0, "first try"});
  auto second = f.take_chunk({1, 2, "stdout", 0, "second"});
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->out, "second");
  auto late = f.take_chunk({1, 1, "stdout", 9, "old"});
  EXPECT_EQ(late->out, "");
}

}  // namespace
}  // namespace zfleet::ctl
