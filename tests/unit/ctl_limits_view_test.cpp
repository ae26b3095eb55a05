// zfleetctl's rendering of task limits: the LIMITS column of `workers`, the
// `limits` object of its JSON, and outcomes the worker explains in words.
#include <gtest/gtest.h>

#include "broker/zfleetctl/json_view.hpp"
#include "broker/zfleetctl/task_report.hpp"
#include "broker/zfleetctl/worker_report.hpp"

namespace zfleet::ctl {
namespace {

TEST(CtlLimitsView, WorkersShowEachCeilingOrNone) {
  EXPECT_EQ(limits_cell(std::nullopt), "-");
  EXPECT_EQ(limits_cell(msg::TaskLimits{1'503'657'984, 3600, 3'600'000, 512}),
            "mem 1.4 GiB, cpu 1 h, wall 1 h, pids 512");
  EXPECT_EQ(limits_cell(msg::TaskLimits{std::uint64_t{64} << 20, 60, 0, 0}),
            "mem 64 MiB, cpu 60 s, wall none, pids none");
  msg::WorkerView w;
  w.id = "w1";
  w.limits = msg::TaskLimits{std::uint64_t{64} << 20, 0, 3'600'000, 256};
  const std::string table = workers_table({w}).render();
  EXPECT_NE(table.find("LIMITS"), std::string::npos) << table;
  EXPECT_NE(table.find("mem 64 MiB, cpu none, wall 1 h, pids 256"), std::string::npos) << table;
}

TEST(CtlLimitsView, WorkerJsonCarriesLimitsWithNullForNone) {
  msg::WorkerView w;
  w.id = "w1";
  EXPECT_TRUE(worker_json(w)["limits"].is_null());
  w.limits = msg::TaskLimits{std::uint64_t{64} << 20, 0, 3'600'000, 256};
  const auto limits = worker_json(w)["limits"];
  EXPECT_EQ(limits["memory_bytes"], std::uint64_t{64} << 20);
  EXPECT_TRUE(limits["cpu_seconds"].is_null());
  EXPECT_EQ(limits["timeout_ms"], 3'600'000);
  EXPECT_EQ(limits["processes"], 256);
}

TEST(CtlLimitsView, AnOutcomeKilledAtALimitReadsAsTheWorkerSaidIt) {
  msg::Outcome o;
  o.signal = 9;
  o.killed_by = "oom";
  o.message = "killed: memory limit 64 MiB";
  EXPECT_EQ(describe_outcome(o), "killed: memory limit 64 MiB (SIGKILL)");
  EXPECT_EQ(outcome_json(o)["message"], "killed: memory limit 64 MiB");
  o.killed_by.clear();
  o.timed_out = true;
  o.signal = 15;
  o.message = "killed: wall clock limit 20 s";
  EXPECT_EQ(describe_outcome(o), "killed: wall clock limit 20 s (SIGTERM)");
  // A refused allocation is the task's own exit, explained.
  msg::Outcome refused;
  refused.exit_code = 1;
  refused.message = "memory limit 64 MiB: an allocation was refused";
  EXPECT_EQ(describe_outcome(refused), "exit 1 (memory limit 64 MiB: an allocation was refused)");
  // Cancelled stays cancelled; no message, the old wording.
  o.cancelled = true;
  EXPECT_EQ(describe_outcome(o), "cancelled (killed by SIGTERM)");
  msg::Outcome old;
  old.signal = 9;
  old.killed_by = "memory";
  EXPECT_EQ(describe_outcome(old), "killed by the worker: memory limit (SIGKILL)");
  EXPECT_TRUE(outcome_json(old)["message"].is_null());
}

}  // namespace
}  // namespace zfleet::ctl
