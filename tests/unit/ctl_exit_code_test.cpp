// zfleetctl's exit statuses: client errors, task states, and the timeout(1)
// style status of `submit --wait`.
#include <gtest/gtest.h>

#include <csignal>

#include "broker/zfleetctl/exit_code.hpp"

namespace zfleet::ctl {
namespace {

msg::TaskView final_task(msg::TaskState state, msg::Outcome outcome) {
  msg::TaskView task;
  task.id = 9;
  task.state = state;
  task.outcome = std::move(outcome);
  return task;
}

msg::Outcome exited(int code) {
  msg::Outcome o;
  o.exit_code = code;
  return o;
}

TEST(CtlExitCode, ClientErrorsMapToTheirDocumentedStatus) {
  EXPECT_EQ(exit_for_error({ClientError::Kind::kTimeout, ErrorCode::kInternal, "x"}),
            ExitCode::kUnreachable);
  EXPECT_EQ(exit_for_error({ClientError::Kind::kBroker, ErrorCode::kNotFound, "x"}),
            ExitCode::kBrokerError);
  EXPECT_EQ(exit_for_error({ClientError::Kind::kProtocol, ErrorCode::kMalformedBody, "x"}),
            ExitCode::kFailed);
  EXPECT_EQ(as_int(ExitCode::kUnreachable), 4);
  EXPECT_EQ(as_int(ExitCode::kBrokerError), 5);
}

TEST(CtlExitCode, UnreachableLineNamesTheEndpoint) {
  const ClientError error{ClientError::Kind::kTimeout, ErrorCode::kInternal, "no reply"};
  EXPECT_EQ(error_line(error, "tcp://127.0.0.1:1"),
            "zfleetctl: cannot reach the broker at tcp://127.0.0.1:1: no reply");
}

TEST(CtlExitCode, BrokerErrorLineCarriesCodeNameAndMessage) {
  const ClientError error{ClientError::Kind::kBroker, ErrorCode::kNotFound, "no task 7"};
  EXPECT_EQ(error_line(error, "tcp://x:1"), "zfleetctl: broker error NOT_FOUND: no task 7");
}

TEST(CtlExitCode, ResultStatusFollowsTheTaskState) {
  msg::TaskView task;
  task.state = msg::TaskState::kQueued;
  EXPECT_EQ(exit_for_task(task), ExitCode::kNotFinal);
  task.state = msg::TaskState::kRunning;
  EXPECT_EQ(exit_for_task(task), ExitCode::kNotFinal);
  task.state = msg::TaskState::kSucceeded;
  EXPECT_EQ(exit_for_task(task), ExitCode::kOk);
  task.state = msg::TaskState::kFailed;
  EXPECT_EQ(exit_for_task(task), ExitCode::kFailed);
}

TEST(CtlExitCode, WaitedTaskExitsWithItsOwnCode) {
  EXPECT_EQ(task_exit_status(final_task(msg::TaskState::kSucceeded, exited(0))), 0);
  EXPECT_EQ(task_exit_status(final_task(msg::TaskState::kFailed, exited(42))), 42);
}

TEST(CtlExitCode, WaitedTaskKilledBySignalExitsWith128PlusSignal) {
  msg::Outcome o;
  o.signal = SIGKILL;
  EXPECT_EQ(task_exit_status(final_task(msg::TaskState::kFailed, o)), 128 + SIGKILL);
}

TEST(CtlExitCode, WaitedTaskThatTimedOutExitsWith124EvenWhenSignalled) {
  msg::Outcome o;
  o.timed_out = true;
  o.signal = SIGTERM;
  EXPECT_EQ(task_exit_status(final_task(msg::TaskState::kFailed, o)), 124);
}

TEST(CtlExitCode, WaitedTaskThatCouldNotRunExitsWithOne) {
  msg::Outcome o;
  o.error = "spawn failed: No such file or directory";
  EXPECT_EQ(task_exit_status(final_task(msg::TaskState::kFailed, o)), 1);
}

TEST(CtlExitCode, FailedTaskNeverExitsZero) {
  EXPECT_EQ(task_exit_status(final_task(msg::TaskState::kFailed, exited(0))), 1);
  msg::TaskView no_outcome;
  no_outcome.state = msg::TaskState::kFailed;
  EXPECT_EQ(task_exit_status(no_outcome), 1);
  EXPECT_EQ(task_exit_status(final_task(msg::TaskState::kFailed, exited(256))), 1);
}

TEST(CtlExitCode, WaitedTaskNotFinalExitsWithThree) {
  msg::TaskView task;
  task.state = msg::TaskState::kRunning;
  EXPECT_EQ(task_exit_status(task), 3);
}

TEST(CtlExitCode, MoreSevereRanksUnreachableHighest) {
  EXPECT_EQ(more_severe(ExitCode::kOk, ExitCode::kFailed), ExitCode::kFailed);
  EXPECT_EQ(more_severe(ExitCode::kFailed, ExitCode::kNotFinal), ExitCode::kFailed);
  EXPECT_EQ(more_severe(ExitCode::kBrokerError, ExitCode::kUnreachable), ExitCode::kUnreachable);
  EXPECT_EQ(more_severe(ExitCode::kBrokerError, ExitCode::kFailed), ExitCode::kBrokerError);
}

TEST(CtlExitCode, DeadAndCancelledAreFailuresScheduledIsNotFinal) {
  msg::TaskView task;
  task.state = msg::TaskState::kDead;
  EXPECT_EQ(exit_for_task(task), ExitCode::kFailed);
  task.state = msg::TaskState::kCancelled;
  EXPECT_EQ(exit_for_task(task), ExitCode::kFailed);
  EXPECT_EQ(task_exit_status(task), 1);  // cancelled before it ran: no outcome
  task.state = msg::TaskState::kScheduled;
  EXPECT_EQ(exit_for_task(task), ExitCode::kNotFinal);
  EXPECT_EQ(task_exit_status(task), 3);
}

TEST(CtlExitCode, WaitedCancelledTaskExitsWithOneNotItsKillSignal) {
  msg::Outcome o;
  o.signal = SIGTERM;
  o.cancelled = true;
  EXPECT_EQ(task_exit_status(final_task(msg::TaskState::kCancelled, o)), 1);
}

TEST(CtlExitCode, WaitedDeadTaskExitsWithItsLastAttemptsStatus) {
  EXPECT_EQ(task_exit_status(final_task(msg::TaskState::kDead, exited(3))), 3);
  EXPECT_EQ(task_exit_status(final_task(msg::TaskState::kDead, exited(0))), 1);
  msg::Outcome timed_out;
  timed_out.timed_out = true;
  EXPECT_EQ(task_exit_status(final_task(msg::TaskState::kDead, timed_out)), kTimedOutStatus);
}

}  // namespace
}  // namespace zfleet::ctl
