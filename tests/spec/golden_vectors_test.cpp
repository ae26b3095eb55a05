// Spec tests of the golden vectors (schemas/vectors/v1.json) against the C++
// codec: every vector's bytes decode into the typed message its command and
// direction name, re-encode to the same bytes (or its canonical_hex), agree
// with its JSON body, and invalid ones fail with the named error. Long
// because it holds one check per vector family; wire behaviour is tested in
// the other tests/spec files.
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "common/error_code.hpp"
#include "common/messages.hpp"
#include "schemas/tools/message_table.hpp"
#include "schemas/tools/msgpack_json.hpp"

namespace zfleet {
namespace {

using vectors::Json;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const Json& all_vectors() {
  static const Json loaded =
      Json::parse(read_text(std::string(ZFLEET_SOURCE_DIR) + "/schemas/vectors/v1.json"));
  return loaded;
}

const Json& vector_named(const std::string& name) {
  for (const auto& v : all_vectors()) {
    if (v.at("name") == name) return v;
  }
  static const Json missing;
  ADD_FAILURE() << "no vector named " << name;
  return missing;
}

std::string bytes_of(const Json& v, const char* key = "body_hex") {
  auto bytes = vectors::from_hex(v.at(key).get<std::string>());
  EXPECT_TRUE(bytes.has_value()) << key << " of " << v.at("name") << " is not hex";
  return bytes.value_or("");
}

std::string bin_of(const Json& j) {
  return vectors::from_hex(j.at("$bin").get<std::string>()).value_or("<bad hex>");
}

template <typename T>
T decoded(const std::string& name) {
  T out;
  auto error = msg::decode_bytes(bytes_of(vector_named(name)), out);
  EXPECT_FALSE(error) << name << ": " << (error ? error->message : "");
  return out;
}

// PROTOCOL.md §2.3, §4, §5: vectors exist for every command in both of its directions.
TEST(GoldenVectors, CoverEveryMessageTypeInEveryDirection) {
  const std::set<std::pair<std::string, std::string>> expected = {
      {"SUBMIT", "client->broker"},         {"STATUS", "client->broker"},
      {"RESULT", "client->broker"},         {"STATS", "client->broker"},
      {"WORKERS", "client->broker"},        {"PROJECTS", "client->broker"},
      {"SET_LIMIT", "client->broker"},      {"PING", "client->broker"},
      {"CANCEL", "client->broker"},         {"DLQ_LIST", "client->broker"},
      {"DLQ_RETRY", "client->broker"},      {"DLQ_PURGE", "client->broker"},
      {"SET_POLICY", "client->broker"},     {"SUBMITTED", "broker->client"},
      {"STATUS_REPLY", "broker->client"},   {"RESULT_REPLY", "broker->client"},
      {"STATS_REPLY", "broker->client"},    {"WORKERS_REPLY", "broker->client"},
      {"PROJECTS_REPLY", "broker->client"}, {"OK", "broker->client"},
      {"PONG", "broker->client"},           {"DLQ_REPLY", "broker->client"},
      {"ERROR", "broker->client"},          {"READY", "worker->broker"},
      {"STARTED", "worker->broker"},        {"CREDIT", "worker->broker"},
      {"DONE", "worker->broker"},           {"FAILED", "worker->broker"},
      {"REJECT", "worker->broker"},         {"DRAIN", "worker->broker"},
      {"DISCONNECT", "worker->broker"},     {"HEARTBEAT", "worker->broker"},
      {"WELCOME", "broker->worker"},        {"TASK", "broker->worker"},
      {"HEARTBEAT", "broker->worker"},      {"DISCONNECT", "broker->worker"},
      {"ERROR", "broker->worker"},          {"CANCEL", "broker->worker"},
      {"SUSPEND", "client->broker"},        {"RESUME", "client->broker"},
      {"LOGS", "client->broker"},           {"LOGS_REPLY", "broker->client"},
      {"EVENT", "worker->broker"},          {"OUTPUT", "worker->broker"},
      {"SUSPEND", "broker->worker"},        {"RESUME", "broker->worker"},
  };
  std::set<std::pair<std::string, std::string>> valid;
  for (const auto& v : all_vectors()) {
    if (!v.contains("expect_error")) valid.emplace(v.at("command"), v.at("direction"));
  }
  for (const auto& pair : expected) {
    EXPECT_TRUE(valid.count(pair)) << "no valid vector for " << pair.first << " " << pair.second;
  }
}

// PROTOCOL.md §2.3: frame 2 is one msgpack map; body is its JSON notation.
TEST(GoldenVectors, JsonBodyIsTheNotationOfTheBytes) {
  for (const auto& v : all_vectors()) {
    SCOPED_TRACE(v.at("name").get<std::string>());
    const auto notation = vectors::bytes_to_json(bytes_of(v));
    if (v.at("body").is_null()) {
      EXPECT_FALSE(notation.has_value()) << "body is null but the bytes are one msgpack value";
    } else {
      ASSERT_TRUE(notation.has_value());
      EXPECT_EQ(*notation, v.at("body"));
    }
  }
}

// PROTOCOL.md §3.4, §3.5: valid bodies decode, and encoding what was decoded
// gives the canonical bytes (the vector's own bytes, or canonical_hex).
TEST(GoldenVectors, ValidVectorsDecodeAndReencodeToTheCanonicalBytes) {
  int checked = 0;
  for (const auto& v : all_vectors()) {
    if (v.contains("expect_error")) continue;
    SCOPED_TRACE(v.at("name").get<std::string>());
    const auto rt = vectors::round_trip(v.at("command").get<std::string>(),
                                        v.at("direction").get<std::string>(), bytes_of(v));
    ASSERT_TRUE(rt.known);
    ASSERT_FALSE(rt.error) << rt.error->message;
    const std::string canonical =
        v.contains("canonical_hex") ? bytes_of(v, "canonical_hex") : bytes_of(v);
    EXPECT_EQ(vectors::to_hex(rt.reencoded), vectors::to_hex(canonical));
    ++checked;
  }
  EXPECT_GE(checked, 70);
}

// PROTOCOL.md §9: invalid bodies are refused with the catalogued error.
TEST(GoldenVectors, InvalidVectorsFailWithTheNamedError) {
  int checked = 0;
  for (const auto& v : all_vectors()) {
    if (!v.contains("expect_error")) continue;
    SCOPED_TRACE(v.at("name").get<std::string>());
    const auto rt = vectors::round_trip(v.at("command").get<std::string>(),
                                        v.at("direction").get<std::string>(), bytes_of(v));
    ASSERT_TRUE(rt.known);
    ASSERT_TRUE(rt.error) << "decoded, but should fail";
    EXPECT_EQ(error_name(rt.error->code), v.at("expect_error").get<std::string>())
        << rt.error->message;
    ++checked;
  }
  EXPECT_GE(checked, 50);
}

// PROTOCOL.md §4.1: every task field of the full SUBMIT as typed values.
TEST(GoldenVectors, SubmitFullCarriesEveryTaskField) {
  const Json& task = vector_named("submit_full").at("body").at("task");
  const auto m = decoded<msg::SubmitRequest>("submit_full");
  EXPECT_EQ(m.req, vector_named("submit_full").at("body").at("req").get<std::uint64_t>());
  EXPECT_EQ(m.task.type, task.at("type").get<std::string>());
  EXPECT_EQ(m.task.project, task.at("project").get<std::string>());
  EXPECT_EQ(m.task.priority, task.at("priority").get<std::uint32_t>());
  EXPECT_EQ(m.task.argv, task.at("argv").get<std::vector<std::string>>());
  EXPECT_EQ(m.task.stdin_data, bin_of(task.at("stdin")));
  ASSERT_EQ(m.task.env.size(), task.at("env").size());
  for (const auto& [name, value] : m.task.env)
    EXPECT_EQ(value, task.at("env").at(name).get<std::string>());
  EXPECT_EQ(m.task.cwd, task.at("cwd").get<std::string>());
  EXPECT_EQ(m.task.timeout_ms, task.at("timeout_ms").get<std::uint64_t>());
  EXPECT_EQ(m.task.grace_ms, task.at("grace_ms").get<std::uint64_t>());
  EXPECT_EQ(m.task.output_cap, task.at("output_cap").get<std::uint64_t>());
  const Json& retry = task.at("retry");
  EXPECT_EQ(m.task.retry.max_attempts, retry.at("max_attempts").get<std::uint32_t>());
  EXPECT_EQ(m.task.retry.backoff_ms, retry.at("backoff_ms").get<std::uint64_t>());
  EXPECT_EQ(m.task.retry.backoff_max_ms, retry.at("backoff_max_ms").get<std::uint64_t>());
  EXPECT_EQ(m.task.retry.retry_on, retry.at("retry_on").get<std::vector<std::string>>());
  EXPECT_EQ(m.task.not_before_ms, task.at("not_before_ms").get<std::int64_t>());
  EXPECT_EQ(m.task.idempotency_key, task.at("idempotency_key").get<std::string>());
}

// PROTOCOL.md §4.1, §6.5: every retry_on item of every valid vector is one of
// the six kinds, and at least three kinds are named somewhere in the vectors.
TEST(GoldenVectors, RetryOnUsesOnlyTheKnownKinds) {
  std::set<std::string> seen;
  auto collect = [&](const Json& policy) {
    if (!policy.is_object() || !policy.contains("retry_on") || !policy.at("retry_on").is_array())
      return;
    for (const auto& kind : policy.at("retry_on"))
      seen.insert(kind.get<std::string>());
  };
  for (const auto& v : all_vectors()) {
    if (v.contains("expect_error") || v.at("body").is_null()) continue;
    const Json& body = v.at("body");
    if (body.contains("task")) collect(body.at("task").value("retry", Json::object()));
    if (body.contains("spec")) collect(body.at("spec").value("retry", Json::object()));
    if (body.contains("policy")) collect(body.at("policy"));
    if (body.contains("projects")) {
      for (const auto& p : body.at("projects"))
        collect(p.value("policy", Json::object()));
    }
  }
  for (const auto& kind : seen) {
    EXPECT_NE(std::find(std::begin(msg::kRetryKinds), std::end(msg::kRetryKinds), kind),
              std::end(msg::kRetryKinds))
        << "unknown retry kind " << kind;
  }
  EXPECT_GE(seen.size(), 3u);
}

// PROTOCOL.md §6.5: a retry map of zeros, nils and unknown keys is the
// absent policy (every field inherited), and an empty key is no key.
TEST(GoldenVectors, ZeroRetryFieldsInheritAndEmptyKeyIsNoKey) {
  const auto m = decoded<msg::SubmitRequest>("submit_retry_defaults_spelled_out");
  EXPECT_EQ(m.task.retry, msg::RetryPolicy{});
  EXPECT_TRUE(m.task.idempotency_key.empty());
  EXPECT_FALSE(vector_named("submit_retry_defaults_spelled_out").contains("expect_error"));
  EXPECT_TRUE(vector_named("submit_retry_defaults_spelled_out").contains("canonical_hex"));
  const auto once = decoded<msg::SubmitRequest>("submit_no_retries");
  EXPECT_EQ(once.task.retry.max_attempts, 1u);
  EXPECT_TRUE(once.task.retry.retry_on.empty());
}

// PROTOCOL.md §4.1, §5.3: a noop task needs no argv.
TEST(GoldenVectors, NoopTaskNeedsNoArgv) {
  const auto m = decoded<msg::SubmitRequest>("submit_noop_without_argv");
  EXPECT_EQ(m.task.type, "noop");
  EXPECT_TRUE(m.task.argv.empty());
  EXPECT_EQ(decoded<msg::TaskAssignment>("task_noop").spec.type, "noop");
  EXPECT_TRUE(decoded<msg::Done>("done_noop").outcome.succeeded());
  EXPECT_EQ(vector_named("submit_shell_without_argv").at("expect_error"), "INVALID_FIELD");
}

// PROTOCOL.md §4.1, §6.9: a duplicate SUBMIT names the original task.
TEST(GoldenVectors, SubmittedDuplicateNamesTheOriginalTask) {
  const auto dup = decoded<msg::SubmittedReply>("submitted_duplicate");
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.id, vector_named("submitted_duplicate").at("body").at("id").get<std::uint64_t>());
  EXPECT_FALSE(decoded<msg::SubmittedReply>("submitted").duplicate);
  EXPECT_FALSE(decoded<msg::SubmittedReply>("submitted_duplicate_false").duplicate);
  EXPECT_FALSE(vector_named("submitted").at("body").contains("duplicate"));
}

// PROTOCOL.md §4.4, §6.1: the new states and which of them are final.
TEST(GoldenVectors, TaskViewsCarryTheNewStates) {
  const auto scheduled = decoded<msg::TaskReply>("status_reply_scheduled").task;
  EXPECT_EQ(scheduled.state, msg::TaskState::kScheduled);
  EXPECT_FALSE(msg::is_final(scheduled.state));
  EXPECT_EQ(scheduled.not_before_ms, vector_named("status_reply_scheduled")
                                         .at("body")
                                         .at("task")
                                         .at("not_before_ms")
                                         .get<std::int64_t>());
  const auto retry = decoded<msg::TaskReply>("result_reply_retry_scheduled").task;
  EXPECT_EQ(retry.state, msg::TaskState::kScheduled);
  ASSERT_TRUE(retry.outcome.has_value());
  EXPECT_EQ(retry.outcome->exit_code, 3);
  const auto cancelled = decoded<msg::TaskReply>("result_reply_cancelled").task;
  EXPECT_EQ(cancelled.state, msg::TaskState::kCancelled);
  EXPECT_TRUE(msg::is_final(cancelled.state));
  EXPECT_NE(cancelled.finished_at_ms, 0);
  const auto dead = decoded<msg::TaskReply>("result_reply_dead").task;
  EXPECT_EQ(dead.state, msg::TaskState::kDead);
  EXPECT_TRUE(msg::is_final(dead.state));
  ASSERT_TRUE(dead.outcome.has_value());
  EXPECT_FALSE(dead.outcome->succeeded());
}

// PROTOCOL.md §4.12: DLQ_REPLY lists dead tasks in ascending id and the total
// held; the broker's views carry their outcome, a reader also accepts views
// without one; DLQ_LIST's limit defaults to 100.
TEST(GoldenVectors, DlqReplyListsDeadTasksInIdOrder) {
  for (const char* name :
       {"dlq_reply", "dlq_reply_truncated", "dlq_reply_empty", "dlq_reply_with_outcome"}) {
    SCOPED_TRACE(name);
    const auto m = decoded<msg::DlqReply>(name);
    EXPECT_GE(m.total, m.tasks.size());
    for (std::size_t i = 0; i < m.tasks.size(); ++i) {
      EXPECT_EQ(m.tasks[i].state, msg::TaskState::kDead);
      if (i > 0) {
        EXPECT_LT(m.tasks[i - 1].id, m.tasks[i].id);
      }
    }
  }
  EXPECT_FALSE(decoded<msg::DlqReply>("dlq_reply").tasks.at(0).outcome.has_value());
  const auto sent = decoded<msg::DlqReply>("dlq_reply_with_outcome");
  ASSERT_EQ(sent.tasks.size(), 2u);
  for (const auto& t : sent.tasks) {
    ASSERT_TRUE(t.outcome.has_value());
    EXPECT_FALSE(t.outcome->succeeded());
  }
  // Listed by id, not by death: the first listed died last.
  EXPECT_GT(sent.tasks[0].finished_at_ms, sent.tasks[1].finished_at_ms);
  EXPECT_EQ(decoded<msg::DlqListRequest>("dlq_list_limit_omitted").limit, 100u);
  EXPECT_EQ(decoded<msg::DlqListRequest>("dlq_list").limit, 50u);
}

// PROTOCOL.md §5.6, §6.5: FAILED cannot_exec (kind spawn) is the spawn error
// that ends failed; result_reply_spawn_error shows it after one attempt.
TEST(GoldenVectors, CannotExecFailsAfterOneAttempt) {
  EXPECT_EQ(decoded<msg::Failed>("failed_cannot_exec").reason, "cannot_exec");
  EXPECT_NE(decoded<msg::Failed>("failed").reason, "cannot_exec");
  const auto view = decoded<msg::TaskReply>("result_reply_spawn_error").task;
  EXPECT_EQ(view.state, msg::TaskState::kFailed);
  EXPECT_EQ(view.attempts, 1u);
  ASSERT_TRUE(view.outcome.has_value());
  EXPECT_FALSE(view.outcome->error.empty());
  EXPECT_FALSE(view.outcome->exit_code.has_value());
  EXPECT_FALSE(view.outcome->signal.has_value());
}

// PROTOCOL.md §4.1 (output_cap): an explicit 0 is kept and written, not
// taken for the default.
TEST(GoldenVectors, OutputCapZeroIsWrittenAndKept) {
  EXPECT_EQ(decoded<msg::SubmitRequest>("submit_output_cap_zero").task.output_cap, 0u);
  EXPECT_EQ(vector_named("submit_output_cap_zero").at("body").at("task").at("output_cap"), 0);
  EXPECT_FALSE(vector_named("submit_output_cap_zero").contains("canonical_hex"));
}

// PROTOCOL.md §4.2: id 0 decodes (it is a uint); only the broker's lookup
// refuses it, with NOT_FOUND.
TEST(GoldenVectors, IdZeroIsAValidField) {
  EXPECT_EQ(decoded<msg::TaskQuery>("status_id_zero").id, 0u);
  EXPECT_FALSE(vector_named("status_id_zero").contains("expect_error"));
}

// PROTOCOL.md §4.1 (module), §2.3: module names and task types are
// case-sensitive names, never paths.
TEST(GoldenVectors, ModuleNamesFollowTheRules) {
  EXPECT_EQ(decoded<msg::SubmitRequest>("submit_module_name_rules").task.module, "2d-plot_v1");
  const std::pair<const char*, const char*> expected[] = {
      {"submit_module_name_uppercase", "INVALID_FIELD"},
      {"submit_module_name_path", "INVALID_FIELD"},
      {"submit_module_name_leading_dash", "INVALID_FIELD"},
      {"submit_module_name_65_bytes", "TOO_LARGE"},
      {"submit_module_without_name", "INVALID_FIELD"},
      {"submit_type_capitalised", "INVALID_FIELD"},
  };
  for (const auto& [name, error] : expected) {
    EXPECT_EQ(vector_named(name).at("expect_error"), error) << name;
  }
}

// PROTOCOL.md §3.3: a req that is not a uint is INVALID_FIELD.
TEST(GoldenVectors, ReqMustBeAUint) {
  EXPECT_EQ(vector_named("ping_req_string").at("expect_error"), "INVALID_FIELD");
  EXPECT_EQ(vector_named("ping_req_negative").at("expect_error"), "INVALID_FIELD");
  const auto e = decoded<msg::ErrorReply>("error_unknown_command");
  EXPECT_EQ(e.code, ErrorCode::kUnknownCommand);
  EXPECT_NE(e.req, 0u);
}

// PROTOCOL.md §10 (nesting depth): 16 containers decode, 17 do not.
TEST(GoldenVectors, NestingDepthLimitIsSixteen) {
  EXPECT_EQ(decoded<msg::Request>("ping_nested_16_deep").req, 16u);
  EXPECT_EQ(decoded<msg::Request>("ping_nested_at_depth_limit").req, 15u);
  EXPECT_EQ(vector_named("nested_too_deep").at("expect_error"), "TOO_LARGE");
}

// PROTOCOL.md §4.14: OK carries count (DLQ_PURGE), 0 when absent.
TEST(GoldenVectors, OkCountDefaultsToZero) {
  EXPECT_EQ(decoded<msg::OkReply>("ok").count, 0u);
  EXPECT_EQ(decoded<msg::OkReply>("ok_count_zero").count, 0u);
  EXPECT_EQ(decoded<msg::OkReply>("ok_count").count,
            vector_named("ok_count").at("body").at("count").get<std::uint64_t>());
}

// PROTOCOL.md §4.15: SET_POLICY carries a policy map; an empty one clears it.
TEST(GoldenVectors, SetPolicyCarriesThePolicy) {
  const auto m = decoded<msg::SetPolicyRequest>("set_policy");
  EXPECT_EQ(m.project, "billing");
  EXPECT_EQ(m.policy.max_attempts, 5u);
  EXPECT_EQ(decoded<msg::SetPolicyRequest>("set_policy_clear").policy, msg::RetryPolicy{});
  const auto projects = decoded<msg::ProjectsReply>("projects_reply_with_policy");
  ASSERT_EQ(projects.projects.size(), 1u);
  EXPECT_EQ(projects.projects[0].policy, m.policy);
  EXPECT_EQ(projects.projects[0].dead, 2u);
  EXPECT_EQ(projects.projects[0].cancelled, 7u);
}

// PROTOCOL.md §5.13: CANCEL names an attempt; the worker's DONE says cancelled.
TEST(GoldenVectors, CancelNamesAnAttemptAndDoneSaysCancelled) {
  const auto cancel = decoded<msg::CancelAttempt>("cancel_worker");
  EXPECT_EQ(cancel.task_id, 42u);
  EXPECT_EQ(cancel.attempt, 2u);
  EXPECT_TRUE(decoded<msg::CancelAttempt>("cancel_worker_without_reason").reason.empty());
  const auto done = decoded<msg::Done>("done_cancelled");
  EXPECT_TRUE(done.outcome.cancelled);
  EXPECT_EQ(done.task_id, cancel.task_id);
  EXPECT_EQ(done.attempt, cancel.attempt);
  EXPECT_FALSE(decoded<msg::Done>("done_succeeded").outcome.cancelled);
}

// PROTOCOL.md §4.1, §10: the limits of the new fields.
TEST(GoldenVectors, NewFieldLimitsAreEnforced) {
  const std::pair<const char*, const char*> expected[] = {
      {"submit_retry_on_unknown_kind", "INVALID_FIELD"},
      {"submit_backoff_above_max", "INVALID_FIELD"},
      {"submit_idempotency_key_129_bytes", "TOO_LARGE"},
      {"submit_max_attempts_1001", "INVALID_FIELD"},
      {"submit_not_before_negative", "INVALID_FIELD"},
      {"submit_retry_on_too_many", "TOO_LARGE"},
      {"dlq_list_limit_too_large", "INVALID_FIELD"},
  };
  for (const auto& [name, error] : expected) {
    EXPECT_EQ(vector_named(name).at("expect_error"), error) << name;
  }
}

// PROTOCOL.md §4.1, §3.5: absent fields take their documented defaults.
TEST(GoldenVectors, SubmitWithoutOptionalFieldsTakesTheDefaults) {
  const auto m = decoded<msg::SubmitRequest>("submit_defaults_omitted");
  EXPECT_EQ(m.req, 0u);
  EXPECT_EQ(m.task.project, "default");
  EXPECT_EQ(m.task.priority, 5u);
  EXPECT_TRUE(m.task.stdin_data.empty());
  EXPECT_EQ(m.task.timeout_ms, 0u);
  EXPECT_EQ(m.task.output_cap, 65'536u);
  EXPECT_EQ(m.task.retry, msg::RetryPolicy{});
  EXPECT_EQ(m.task.not_before_ms, 0);
  EXPECT_TRUE(m.task.idempotency_key.empty());
}

// PROTOCOL.md §3.5: unknown keys are ignored and nil equals absent.
TEST(GoldenVectors, UnknownKeysAreIgnoredAndNilIsAbsent) {
  const auto m = decoded<msg::SubmitRequest>("submit_unknown_and_nil_fields");
  EXPECT_EQ(m.req, 12u);
  EXPECT_TRUE(m.task.cwd.empty());
  EXPECT_EQ(m.task.priority, 5u);
}

// PROTOCOL.md §4.3, §4.4, §6.2: a final task's RESULT_REPLY carries its outcome.
TEST(GoldenVectors, ResultReplyCarriesTheOutcome) {
  const Json& task = vector_named("result_reply_timed_out").at("body").at("task");
  const auto m = decoded<msg::TaskReply>("result_reply_timed_out");
  EXPECT_EQ(m.task.id, task.at("id").get<std::uint64_t>());
  EXPECT_EQ(msg::state_name(m.task.state), task.at("state").get<std::string>());
  EXPECT_EQ(m.task.worker, task.at("worker").get<std::string>());
  EXPECT_EQ(m.task.attempts, task.at("attempts").get<std::uint32_t>());
  ASSERT_TRUE(m.task.outcome.has_value());
  const Json& o = task.at("outcome");
  EXPECT_FALSE(m.task.outcome->exit_code.has_value());
  EXPECT_EQ(m.task.outcome->signal, o.at("signal").get<int>());
  EXPECT_TRUE(m.task.outcome->timed_out);
  EXPECT_FALSE(m.task.outcome->succeeded());
  EXPECT_EQ(m.task.outcome->stdout_tail, bin_of(o.at("stdout")));
  EXPECT_EQ(m.task.outcome->stderr_tail, bin_of(o.at("stderr")));
  EXPECT_EQ(m.task.outcome->stdout_bytes, o.at("stdout_bytes").get<std::uint64_t>());
  EXPECT_EQ(m.task.outcome->max_rss_kb, o.at("max_rss_kb").get<std::uint64_t>());
}

// PROTOCOL.md §6.2: success is exit code 0, not timed out, no error.
TEST(GoldenVectors, SuccessIsExitZeroWithoutTimeoutOrError) {
  EXPECT_TRUE(decoded<msg::TaskReply>("result_reply_succeeded").task.outcome->succeeded());
  EXPECT_FALSE(decoded<msg::TaskReply>("result_reply_spawn_error").task.outcome->succeeded());
  EXPECT_FALSE(decoded<msg::Done>("done_exit_nonzero").outcome.succeeded());
  EXPECT_FALSE(decoded<msg::TaskReply>("result_reply_still_running").task.outcome.has_value());
}

// PROTOCOL.md §5.1, §7.4: READY after a reconnect lists the attempts it holds.
TEST(GoldenVectors, ReadyListsRunningAttempts) {
  const Json& body = vector_named("ready_reconnect").at("body");
  const auto m = decoded<msg::Ready>("ready_reconnect");
  EXPECT_EQ(m.worker_id, body.at("worker_id").get<std::string>());
  EXPECT_EQ(m.slots, body.at("slots").get<std::uint32_t>());
  EXPECT_EQ(m.credit, body.at("credit").get<std::uint32_t>());
  EXPECT_EQ(m.labels, body.at("labels").get<std::vector<std::string>>());
  ASSERT_EQ(m.running.size(), body.at("running").size());
  for (std::size_t i = 0; i < m.running.size(); ++i) {
    EXPECT_EQ(m.running[i].task_id, body.at("running")[i].at("task_id").get<std::uint64_t>());
    EXPECT_EQ(m.running[i].attempt, body.at("running")[i].at("attempt").get<std::uint32_t>());
  }
}

// PROTOCOL.md §5.3: TASK carries the attempt number and the spec.
TEST(GoldenVectors, TaskCarriesAttemptAndSpec) {
  const Json& body = vector_named("task_full").at("body");
  const auto m = decoded<msg::TaskAssignment>("task_full");
  EXPECT_EQ(m.task_id, body.at("task_id").get<std::uint64_t>());
  EXPECT_EQ(m.attempt, body.at("attempt").get<std::uint32_t>());
  EXPECT_EQ(m.spec.argv, body.at("spec").at("argv").get<std::vector<std::string>>());
  EXPECT_EQ(m.spec.stdin_data, bin_of(body.at("spec").at("stdin")));
}

// PROTOCOL.md §5.5: DONE without credit returns 1 credit.
TEST(GoldenVectors, DoneWithoutCreditReturnsOne) {
  EXPECT_EQ(decoded<msg::Done>("done_minimal").credit, 1u);
  EXPECT_EQ(decoded<msg::Done>("done_spawn_error").credit, 0u);
}

// PROTOCOL.md §9: ERROR carries the catalogue's number and name.
TEST(GoldenVectors, ErrorCarriesCodeAndName) {
  const Json& body = vector_named("error_unsupported_version").at("body");
  const auto m = decoded<msg::ErrorReply>("error_unsupported_version");
  EXPECT_EQ(m.req, 0u);
  EXPECT_EQ(static_cast<std::uint64_t>(m.code), body.at("code").get<std::uint64_t>());
  EXPECT_EQ(error_name(m.code), body.at("name").get<std::string>());
  EXPECT_EQ(m.message, body.at("message").get<std::string>());
}

// PROTOCOL.md §9: the catalogue table lists exactly the codes and names of
// common/error_code.hpp.
TEST(ErrorCatalogue, ProtocolMdTableMatchesTheCode) {
  const std::string spec = read_text(std::string(ZFLEET_SOURCE_DIR) + "/schemas/PROTOCOL.md");
  ASSERT_FALSE(spec.empty());
  for (std::uint64_t n = 1; n < 64; ++n) {
    const auto code = error_code_from_number(n);
    const std::string prefix = "| " + std::to_string(n) + " | ";
    if (!code) {
      EXPECT_EQ(spec.find(prefix), std::string::npos) << "PROTOCOL.md lists unknown code " << n;
      continue;
    }
    const std::string row = prefix + "`" + std::string(error_name(*code)) + "`";
    EXPECT_NE(spec.find(row), std::string::npos) << "PROTOCOL.md lacks the row " << row;
  }
}

// PROTOCOL.md §6.1, §6.5: the spec names every task state and retry kind of
// common/messages.hpp.
TEST(ProtocolMd, NamesEveryTaskStateAndRetryKind) {
  const std::string spec = read_text(std::string(ZFLEET_SOURCE_DIR) + "/schemas/PROTOCOL.md");
  ASSERT_FALSE(spec.empty());
  for (int n = 0; n <= static_cast<int>(msg::TaskState::kDead); ++n) {
    const auto state = msg::state_name(static_cast<msg::TaskState>(n));
    EXPECT_NE(spec.find("`" + std::string(state) + "`"), std::string::npos)
        << "PROTOCOL.md does not name the state " << state;
  }
  for (const auto kind : msg::kRetryKinds) {
    EXPECT_NE(spec.find("| `" + std::string(kind) + "` |"), std::string::npos)
        << "PROTOCOL.md lacks the retry kind row " << kind;
  }
}

}  // namespace
}  // namespace zfleet
