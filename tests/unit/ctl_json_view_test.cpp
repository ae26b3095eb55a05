// The --json shapes zfleetctl prints for tasks, workers, projects and stats.
#include <gtest/gtest.h>

#include "broker/zfleetctl/json_view.hpp"

namespace zfleet::ctl {
namespace {

msg::TaskView finished_task() {
  msg::TaskView task;
  task.id = 42;
  task.type = "shell";
  task.project = "billing";
  task.priority = 7;
  task.state = msg::TaskState::kFailed;
  task.attempts = 2;
  task.worker = "w-1";
  task.submitted_at_ms = 1'700'000'000'000;
  task.started_at_ms = 1'700'000'000'100;
  task.finished_at_ms = 1'700'000'000'900;
  msg::Outcome outcome;
  outcome.exit_code = 3;
  outcome.stdout_tail = "out\n";
  outcome.stdout_bytes = 4;
  outcome.max_rss_kb = 2048;
  task.outcome = outcome;
  return task;
}

TEST(CtlJsonView, TaskCarriesEveryFieldUnderItsWireName) {
  const auto json = task_json(finished_task());
  EXPECT_EQ(json["id"], 42);
  EXPECT_EQ(json["project"], "billing");
  EXPECT_EQ(json["priority"], 7);
  EXPECT_EQ(json["state"], "failed");
  EXPECT_EQ(json["final"], true);
  EXPECT_EQ(json["attempts"], 2);
  EXPECT_EQ(json["worker"], "w-1");
  EXPECT_EQ(json["started_at_ms"], 1'700'000'000'100);
  EXPECT_EQ(json["outcome"]["exit_code"], 3);
  EXPECT_TRUE(json["outcome"]["signal"].is_null());
  EXPECT_EQ(json["outcome"]["succeeded"], false);
  EXPECT_EQ(json["outcome"]["stdout"], "out\n");
  EXPECT_EQ(json["outcome"]["max_rss_kb"], 2048);
}

TEST(CtlJsonView, UnsetValuesAreNullSoEveryTaskHasTheSameKeys) {
  msg::TaskView queued;
  queued.id = 1;
  const auto json = task_json(queued);
  EXPECT_EQ(json.size(), task_json(finished_task()).size());
  EXPECT_TRUE(json["worker"].is_null());
  EXPECT_TRUE(json["started_at_ms"].is_null());
  EXPECT_TRUE(json["outcome"].is_null());
  EXPECT_EQ(json["final"], false);
}

TEST(CtlJsonView, DumpReplacesInvalidUtf8InTaskOutput) {
  msg::TaskView task = finished_task();
  task.outcome->stdout_tail = std::string("ok\xFF\xFE", 4);
  const std::string line = dump_line(task_json(task));
  EXPECT_NE(line.find("ok\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(CtlJsonView, WorkersAreAnArrayEvenWhenEmpty) {
  EXPECT_EQ(dump_line(workers_json({})), "[]");
  msg::WorkerView worker;
  worker.id = "w-1";
  worker.hostname = "alpha";
  worker.slots = 4;
  worker.labels = {"gpu", "ssd"};
  worker.draining = true;
  const auto json = workers_json({worker});
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["hostname"], "alpha");
  EXPECT_EQ(json[0]["labels"][1], "ssd");
  EXPECT_EQ(json[0]["draining"], true);
}

TEST(CtlJsonView, ProjectsKeepLimitAndCounts) {
  msg::ProjectView project;
  project.name = "etl";
  project.limit = 3;
  project.peak_running = 3;
  project.failed = 1;
  const auto json = projects_json({project});
  EXPECT_EQ(json[0]["name"], "etl");
  EXPECT_EQ(json[0]["limit"], 3);
  EXPECT_EQ(json[0]["peak_running"], 3);
  EXPECT_EQ(json[0]["failed"], 1);
}

TEST(CtlJsonView, CountersBecomeOneObjectInTheBrokersOrder) {
  EXPECT_EQ(dump_line(counters_json({{"tasks_submitted", 10}, {"tasks_failed", 1}})),
            R"({"tasks_submitted":10,"tasks_failed":1})");
}

TEST(CtlJsonView, PongReportsRoundTripInMilliseconds) {
  msg::PongReply pong;
  pong.version = "0.1.0";
  pong.uptime_ms = 5000;
  const auto json = pong_json(pong, std::chrono::microseconds{1500});
  EXPECT_EQ(json["version"], "0.1.0");
  EXPECT_EQ(json["uptime_ms"], 5000);
  EXPECT_DOUBLE_EQ(json["rtt_ms"].get<double>(), 1.5);
}

TEST(CtlJsonView, TaskShowsNotBeforeAndCancellation) {
  msg::TaskView task = finished_task();
  EXPECT_TRUE(task_json(task)["not_before_ms"].is_null());
  EXPECT_EQ(task_json(task)["outcome"]["cancelled"], false);
  task.state = msg::TaskState::kCancelled;
  task.not_before_ms = 1'700'000'000'050;
  task.outcome->cancelled = true;
  const auto json = task_json(task);
  EXPECT_EQ(json["state"], "cancelled");
  EXPECT_EQ(json["final"], true);
  EXPECT_EQ(json["not_before_ms"], 1'700'000'000'050);
  EXPECT_EQ(json["outcome"]["cancelled"], true);
}

TEST(CtlJsonView, ProjectsShowDeadCancelledAndPolicy) {
  msg::ProjectView project;
  project.name = "etl";
  project.dead = 2;
  project.cancelled = 1;
  project.policy = {5, 100, 0, {"exit"}};
  const auto json = project_json(project);
  EXPECT_EQ(json["dead"], 2);
  EXPECT_EQ(json["cancelled"], 1);
  EXPECT_EQ(dump_line(json["policy"]),
            R"({"max_attempts":5,"backoff_ms":100,"backoff_max_ms":null,"retry_on":["exit"]})");
  EXPECT_EQ(dump_line(policy_json({})),
            R"({"max_attempts":null,"backoff_ms":null,"backoff_max_ms":null,"retry_on":null})");
}

TEST(CtlJsonView, DeadLettersCarryTotalAndTasks) {
  const auto json = dead_letters_json(7, {finished_task()});
  EXPECT_EQ(json["total"], 7);
  ASSERT_EQ(json["tasks"].size(), 1u);
  EXPECT_EQ(json["tasks"][0]["id"], 42);
  EXPECT_EQ(dump_line(dead_letters_json(0, {})), R"({"total":0,"tasks":[]})");
}

}  // namespace
}  // namespace zfleet::ctl
