// Journal rows (broker/journal_rows.hpp): blobs written by a broker of
// journal format 1 (the wire encoders of protocol v1, captured as bytes
// below) read back unchanged and are written again byte for byte; a row of
// a newer format is refused with a message that says so; a task survives
// to_row / from_row.
#include "broker/journal_rows.hpp"

#include <gtest/gtest.h>

namespace zfleet::broker {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// msg::encode_spec of a shell spec with argv, env, a file, a timeout, a retry
// policy, an idempotency key and a sandbox, as format 1 stored it.
constexpr std::string_view kFormat1Spec =
    "8aa474797065a57368656c6ca770726f6a656374a170a87072696f7269747907a46172677692a92f62696e2f"
    "6563686fa131a3656e7681a141a162a566696c65739183a470617468a672756e2e7368a464617461c4086563"
    "686f2068690aa46d6f6465cd01edaa74696d656f75745f6d73cd7530a5726574727982ac6d61785f61747465"
    "6d70747304a872657472795f6f6e91a465786974af6964656d706f74656e63795f6b6579a56b65792d31a773"
    "616e64626f7882ac6d656d6f72795f6279746573ce00100000a76e6574776f726ba46e6f6e65";
// msg::encode_outcome of an exit 3 killed for memory.
constexpr std::string_view kFormat1Outcome =
    "8da9657869745f636f646503a974696d65645f6f7574c2a67374646f7574c4036f7574a6737464657272c400"
    "ac7374646f75745f627974657303ac7374646572725f627974657300ad737461727465645f61745f6d73cd03"
    "e8ae66696e69736865645f61745f6d73cd07d0ab757365725f6370755f6d7300aa7379735f6370755f6d7300"
    "aa6d61785f7273735f6b6200a96b696c6c65645f6279a66d656d6f7279a76d657373616765ba6b696c6c6564"
    "3a206d656d6f7279206c696d69742031204d6942";
// A project's policy as format 1 stored it: inside a whole TaskSpec.
constexpr std::string_view kFormat1Policy =
    "85a474797065a57368656c6ca770726f6a656374a764656661756c74a87072696f7269747905a46172677691"
    "a12da5726574727983ac6d61785f617474656d70747302aa6261636b6f66665f6d73cd01f4a872657472795f"
    "6f6e92a465786974a67369676e616c";

TEST(JournalRows, AFormat1SpecReadsBackAndIsWrittenTheSame) {
  const std::string bytes = unhex(kFormat1Spec);
  msg::TaskSpec spec;
  ASSERT_FALSE(decode_spec_blob(bytes, spec));
  EXPECT_EQ(spec.type, "shell");
  EXPECT_EQ(spec.project, "p");
  EXPECT_EQ(spec.priority, 7u);
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"/bin/echo", "1"}));
  ASSERT_EQ(spec.env.size(), 1u);
  EXPECT_EQ(spec.env[0], (std::pair<std::string, std::string>{"A", "b"}));
  ASSERT_EQ(spec.files.size(), 1u);
  EXPECT_EQ(spec.files[0].path, "run.sh");
  EXPECT_EQ(spec.files[0].data, "echo hi\n");
  EXPECT_EQ(spec.files[0].mode, 0755u);
  EXPECT_EQ(spec.timeout_ms, 30000u);
  EXPECT_EQ(spec.retry.max_attempts, 4u);
  EXPECT_EQ(spec.retry.retry_on, std::vector<std::string>{"exit"});
  EXPECT_EQ(spec.idempotency_key, "key-1");
  EXPECT_EQ(spec.sandbox.memory_bytes, 1u << 20);
  EXPECT_EQ(spec.sandbox.network, "none");
  EXPECT_EQ(encode_spec_blob(spec), bytes);
}

TEST(JournalRows, AFormat1OutcomeReadsBackAndIsWrittenTheSame) {
  const std::string bytes = unhex(kFormat1Outcome);
  msg::Outcome o;
  ASSERT_FALSE(decode_outcome_blob(bytes, o));
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_EQ(o.stdout_tail, "out");
  EXPECT_EQ(o.stdout_bytes, 3u);
  EXPECT_EQ(o.started_at_ms, 1000);
  EXPECT_EQ(o.finished_at_ms, 2000);
  EXPECT_EQ(o.killed_by, "memory");
  EXPECT_EQ(o.message, "killed: memory limit 1 MiB");
  EXPECT_EQ(encode_outcome_blob(o), bytes);
}

TEST(JournalRows, AFormat1ProjectPolicyReadsBack) {
  ProjectSettings p;
  ASSERT_FALSE(from_row(ProjectRow{"p", 3, unhex(kFormat1Policy)}, 1, p));
  EXPECT_EQ(p.name, "p");
  EXPECT_EQ(p.limit, 3u);
  EXPECT_EQ(p.policy.max_attempts, 2u);
  EXPECT_EQ(p.policy.backoff_ms, 500u);
  EXPECT_EQ(p.policy.retry_on, (std::vector<std::string>{"exit", "signal"}));
  // Written now without the carrier spec, and read back the same.
  ProjectSettings again;
  ASSERT_FALSE(from_row(to_row(p), kJournalFormatVersion, again));
  EXPECT_EQ(again.policy, p.policy);
}

TEST(JournalRows, ATaskSurvivesItsRow) {
  Task t;
  t.id = 9;
  t.spec.argv = {"/bin/true"};
  t.spec.project = "q";
  t.spec.priority = 2;
  t.state = msg::TaskState::kSucceeded;
  t.attempts = 3;
  t.retry_base = 1;
  t.submitted_at_ms = 10;
  t.started_at_ms = 20;
  t.finished_at_ms = 30;
  t.ended_at_ms = 40;
  t.worker_name = "w";
  t.outcome = msg::Outcome{};
  t.outcome->exit_code = 0;
  const TaskRow row = to_row(t);
  EXPECT_EQ(row.project, "q");
  EXPECT_EQ(row.priority, 2u);
  Task back;
  ASSERT_FALSE(from_row(row, kJournalFormatVersion, back));
  EXPECT_EQ(back.id, 9u);
  EXPECT_EQ(back.spec.argv, t.spec.argv);
  EXPECT_EQ(back.state, msg::TaskState::kSucceeded);
  EXPECT_EQ(back.attempts, 3u);
  EXPECT_EQ(back.retry_base, 1u);
  EXPECT_EQ(back.finished_at_ms, 30);
  EXPECT_EQ(back.ended_at_ms, 40);
  EXPECT_EQ(back.worker_name, "w");
  ASSERT_TRUE(back.outcome);
  EXPECT_EQ(back.outcome->exit_code, 0);
  EXPECT_EQ(back.spec_bytes, row.spec);
}

TEST(JournalRows, AFormat1RowHasNoBrokerEndingMoment) {
  TaskRow row = to_row(Task{});
  row.ended_at_ms = 1234;  // a column format 1 did not have
  Task t;
  ASSERT_FALSE(from_row(row, 1, t));
  EXPECT_EQ(t.ended_at_ms, 0);
}

TEST(JournalRows, ANewerFormatIsRefusedNotMisread) {
  const TaskRow row = to_row(Task{});
  Task t;
  auto e = from_row(row, kJournalFormatVersion + 1, t);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("format version " + std::to_string(kJournalFormatVersion + 1)),
            std::string::npos)
      << *e;
  EXPECT_NE(e->find("newer"), std::string::npos) << *e;
  ProjectSettings p;
  EXPECT_TRUE(from_row(ProjectRow{"p", 0, {}}, kJournalFormatVersion + 1, p));
}

TEST(JournalRows, AnUnknownStateOrUnreadableSpecIsNamed) {
  TaskRow row = to_row(Task{});
  row.state = 99;
  Task t;
  auto e = from_row(row, kJournalFormatVersion, t);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("unknown state 99"), std::string::npos) << *e;
  row = to_row(Task{});
  row.spec = "\x91\x01";  // a list, not a map
  e = from_row(row, kJournalFormatVersion, t);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("spec"), std::string::npos) << *e;
}

}  // namespace
}  // namespace zfleet::broker
