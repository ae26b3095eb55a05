// Human renderings of one task in `status`, `result` and `submit --wait`.
#include <gtest/gtest.h>

#include <csignal>

#include "broker/zfleetctl/task_report.hpp"

namespace zfleet::ctl {
namespace {

msg::TaskView task_with(msg::Outcome outcome) {
  msg::TaskView task;
  task.id = 42;
  task.state = outcome.succeeded() ? msg::TaskState::kSucceeded : msg::TaskState::kFailed;
  task.worker = "w-1";
  task.started_at_ms = 1'700'000'000'000;
  task.finished_at_ms = 1'700'000'001'230;
  task.outcome = std::move(outcome);
  return task;
}

std::string field(const Fields& fields, const std::string& key) {
  for (const auto& [k, v] : fields) {
    if (k == key) return v;
  }
  return "<absent>";
}

TEST(CtlTaskReport, DescribesEachWayATaskEnds) {
  msg::Outcome o;
  o.exit_code = 3;
  EXPECT_EQ(describe_outcome(o), "exit 3");
  o = {};
  o.signal = SIGKILL;
  EXPECT_EQ(describe_outcome(o), "killed by SIGKILL (9)");
  o.timed_out = true;
  EXPECT_EQ(describe_outcome(o), "timed out (killed by SIGKILL)");
  o = {};
  o.error = "spawn failed";
  EXPECT_EQ(describe_outcome(o), "could not run: spawn failed");
}

TEST(CtlTaskReport, StatusLineSaysStateOutcomeDurationAndWorker) {
  msg::Outcome o;
  o.exit_code = 0;
  EXPECT_EQ(status_line(task_with(o)), "task 42 succeeded: exit 0 after 1.23 s on worker w-1");
}

TEST(CtlTaskReport, StatusLineOfAQueuedTaskIsJustItsState) {
  msg::TaskView task;
  task.id = 5;
  EXPECT_EQ(status_line(task), "task 5 queued");
}

TEST(CtlTaskReport, StatusFieldsShowAgesAndDashesForUnset) {
  msg::TaskView task;
  task.id = 5;
  task.project = "etl";
  task.submitted_at_ms = 1'700'000'000'000;
  const Fields fields = status_fields(task, 1'700'000'002'000);
  EXPECT_EQ(field(fields, "state"), "queued");
  EXPECT_EQ(field(fields, "project"), "etl");
  EXPECT_EQ(field(fields, "worker"), "-");
  EXPECT_EQ(field(fields, "submitted"), "2023-11-14T22:13:20.000Z (2.00 s ago)");
  EXPECT_EQ(field(fields, "started"), "-");
}

TEST(CtlTaskReport, ResultFieldsOfAnUnfinishedTaskSayNotFinal) {
  msg::TaskView task;
  task.id = 5;
  task.state = msg::TaskState::kRunning;
  EXPECT_EQ(field(result_fields(task), "outcome"), "not final yet");
}

TEST(CtlTaskReport, ResultFieldsShowResourcesAndOutputSizes) {
  msg::Outcome o;
  o.exit_code = 0;
  o.user_cpu_ms = 120;
  o.sys_cpu_ms = 30;
  o.max_rss_kb = 2048;
  o.stdout_bytes = 1536;
  const Fields fields = result_fields(task_with(o));
  EXPECT_EQ(field(fields, "outcome"), "exit 0");
  EXPECT_EQ(field(fields, "duration"), "1.23 s");
  EXPECT_EQ(field(fields, "cpu"), "user 120 ms, sys 30 ms");
  EXPECT_EQ(field(fields, "max rss"), "2.0 MiB");
  EXPECT_EQ(field(fields, "stdout"), "1.5 KiB");
}

TEST(CtlTaskReport, TailHeaderSaysWhenOutputWasCut) {
  EXPECT_EQ(tail_header("stdout", 10, 10), "--- stdout (10 B) ---");
  EXPECT_EQ(tail_header("stderr", 4096, 1024), "--- stderr (4.0 KiB, last 1.0 KiB shown) ---");
}

TEST(CtlTaskReport, DescribesACancelledAttempt) {
  msg::Outcome o;
  o.cancelled = true;
  EXPECT_EQ(describe_outcome(o), "cancelled");
  o.signal = SIGTERM;
  EXPECT_EQ(describe_outcome(o), "cancelled (killed by SIGTERM)");
}

TEST(CtlTaskReport, StatusFieldsShowWhenAScheduledTaskStarts) {
  msg::TaskView task;
  task.id = 5;
  task.state = msg::TaskState::kScheduled;
  task.submitted_at_ms = 1'700'000'000'000;
  task.not_before_ms = 1'700'000'005'000;
  const Fields fields = status_fields(task, 1'700'000'002'000);
  EXPECT_EQ(field(fields, "state"), "scheduled");
  EXPECT_EQ(field(fields, "not before"), "2023-11-14T22:13:25.000Z (in 3.00 s)");
  task.not_before_ms = 0;
  EXPECT_EQ(field(status_fields(task, 1'700'000'002'000), "not before"), "<absent>");
}

TEST(CtlTaskReport, ResultFieldsOfTasksThatNeverRan) {
  msg::TaskView task;
  task.id = 5;
  task.state = msg::TaskState::kCancelled;
  EXPECT_EQ(field(result_fields(task), "outcome"), "cancelled before it ran");
  task.started_at_ms = 1'700'000'000'000;
  EXPECT_EQ(field(result_fields(task), "outcome"), "cancelled while running");
  task.started_at_ms = 0;
  task.state = msg::TaskState::kScheduled;
  task.not_before_ms = 1'700'000'005'000;
  EXPECT_EQ(field(result_fields(task), "outcome"),
            "not final yet (scheduled for 2023-11-14T22:13:25.000Z)");
}

TEST(CtlTaskReport, StatusLineNamesTheAttemptOfARetriedTask) {
  msg::Outcome o;
  o.exit_code = 1;
  msg::TaskView task = task_with(o);
  task.state = msg::TaskState::kDead;
  task.attempts = 3;
  EXPECT_EQ(status_line(task), "task 42 dead: exit 1 after 1.23 s on worker w-1 (attempt 3)");
}

TEST(CtlTaskReport, FailureSummaryIsOneShortLine) {
  msg::Outcome o;
  o.error = "spawn failed:\nno such file";
  EXPECT_EQ(failure_summary(task_with(o), 60), "could not run: spawn failed: no such file");
  EXPECT_EQ(failure_summary(task_with(o), 20), "could not run: sp...");
  o.error = "é" + std::string(30, 'x');
  EXPECT_EQ(failure_summary(task_with(o), 20), "could not run: éx...");
  msg::TaskView never_ran;
  EXPECT_EQ(failure_summary(never_ran, 20), "-");
}

TEST(CtlTaskReport, DeadLetterTableHasOneRowPerTask) {
  msg::Outcome o;
  o.exit_code = 2;
  msg::TaskView task = task_with(o);
  task.project = "etl";
  task.state = msg::TaskState::kDead;
  task.attempts = 3;
  EXPECT_EQ(dead_letter_table({task}).render(),
            "ID  PROJECT  ATTEMPTS  FINISHED                  ERROR\n"
            "42  etl             3  2023-11-14T22:13:21.230Z  exit 2\n");
}

TEST(CtlTaskReport, ResultLineIsTheResultAsJsonForBothResultAndSubmitWait) {
  msg::Outcome o;
  o.exit_code = 0;
  EXPECT_EQ(result_line(o), "");
  EXPECT_EQ(field(result_fields(task_with(o)), "result"), "<absent>");
  // {"digest": "ab", "bytes": 3}, with a bin value, as a module returns it.
  o.result = std::string(
      "\x82\xa6"
      "digest"
      "\xc4\x02"
      "ab"
      "\xa5"
      "bytes"
      "\x03",
      19);
  EXPECT_EQ(result_line(o), R"({"digest":{"$base64":"YWI="},"bytes":3})");
  EXPECT_EQ(field(result_fields(task_with(o)), "result"), result_line(o));
}

}  // namespace
}  // namespace zfleet::ctl
