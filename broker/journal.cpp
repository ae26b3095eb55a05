// The broker's SQLite journal; see journal.hpp.
#include "broker/journal.hpp"

#include <sqlite3.h>

namespace zfleet::broker {

void Journal::Closer::operator()(sqlite3* db) const {
  sqlite3_close(db);
}

struct Journal::Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

namespace {

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tasks (
  id              INTEGER PRIMARY KEY,
  state           INTEGER NOT NULL,  -- msg::TaskState
  attempts        INTEGER NOT NULL,  -- dispatches so far
  retry_base      INTEGER NOT NULL,  -- attempts when the current retry budget began
  project         TEXT NOT NULL,
  priority        INTEGER NOT NULL,
  spec            BLOB NOT NULL,     -- msgpack TaskSpec (msg::encode_spec)
  submitted_at_ms INTEGER NOT NULL,
  started_at_ms   INTEGER NOT NULL,
  finished_at_ms  INTEGER NOT NULL,
  not_before_ms   INTEGER NOT NULL,
  worker          TEXT NOT NULL,
  outcome         BLOB               -- msgpack Outcome of the last attempt (msg::encode_outcome)
);
CREATE TABLE IF NOT EXISTS projects (
  name   TEXT PRIMARY KEY,
  lim    INTEGER NOT NULL,
  policy BLOB NOT NULL               -- msgpack map of the RetryPolicy (a TaskSpec's "retry")
);
)sql";

std::string policy_bytes(const msg::RetryPolicy& policy) {
  msg::TaskSpec carrier;
  carrier.retry = policy;
  carrier.argv = {"-"};
  return msg::encode_spec(carrier);
}

}  // namespace

void Journal::fail(const std::string& what) const {
  throw JournalError("journal " + path_ + ": " + what + ": " +
                     (db_ != nullptr ? sqlite3_errmsg(db_.get()) : "cannot open"));
}

void Journal::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    throw JournalError("journal " + path_ + ": " + message);
  }
}

Journal::Journal(const std::string& path, Sync sync, const std::string& vfs)
    : path_(path),
      put_task_(std::make_unique<Statement>()),
      remove_task_(std::make_unique<Statement>()),
      put_project_(std::make_unique<Statement>()) {
  sqlite3* handle = nullptr;
  const int opened =
      sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      vfs.empty() ? nullptr : vfs.c_str());
  db_.reset(handle);  // SQLite hands out a handle to close even when opening fails
  if (opened != SQLITE_OK) fail("cannot open");
  sqlite3_busy_timeout(db_.get(), 5000);
  // The first read of a file that is not a database fails here, before
  // anything is written to it.
  sqlite3_stmt* version = nullptr;
  if (sqlite3_prepare_v2(db_.get(), "PRAGMA user_version", -1, &version, nullptr) != SQLITE_OK ||
      sqlite3_step(version) != SQLITE_ROW) {
    sqlite3_finalize(version);
    fail("not a readable zfleet journal (corrupt, or not an SQLite database)");
  }
  const int found = sqlite3_column_int(version, 0);
  sqlite3_finalize(version);
  if (found > kJournalFormatVersion) {
    throw JournalError("journal " + path_ + ": format version " + std::to_string(found) +
                       " is newer than this broker's " + std::to_string(kJournalFormatVersion));
  }
  sqlite3_stmt* check = nullptr;
  if (sqlite3_prepare_v2(db_.get(), "PRAGMA quick_check", -1, &check, nullptr) != SQLITE_OK ||
      sqlite3_step(check) != SQLITE_ROW ||
      std::string(reinterpret_cast<const char*>(sqlite3_column_text(check, 0))) != "ok") {
    sqlite3_finalize(check);
    fail("integrity check failed (the file is corrupt; it was not modified)");
  }
  sqlite3_finalize(check);
  exec("PRAGMA journal_mode=WAL");
  exec(sync == Sync::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  exec(kSchema);
  if (found == 0) exec(("PRAGMA user_version=" + std::to_string(kJournalFormatVersion)).c_str());

  auto prepare = [&](Statement& s, const char* sql) {
    if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &s.stmt, nullptr) !=
        SQLITE_OK) {
      fail("cannot prepare statement");
    }
  };
  prepare(*put_task_,
          "INSERT OR REPLACE INTO tasks (id, state, attempts, retry_base, project, priority, spec, "
          "submitted_at_ms, started_at_ms, finished_at_ms, not_before_ms, worker, outcome) "
          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
  prepare(*remove_task_, "DELETE FROM tasks WHERE id = ?");
  prepare(*put_project_, "INSERT OR REPLACE INTO projects (name, lim, policy) VALUES (?,?,?)");
}

Journal::~Journal() {
  if (in_transaction_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Journal::load(const std::function<void(Task&&)>& on_task,
                   const std::function<void(ProjectSettings&&)>& on_project) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "SELECT id, state, attempts, retry_base, spec, submitted_at_ms, "
                         "started_at_ms, finished_at_ms, not_before_ms, worker, outcome "
                         "FROM tasks ORDER BY id",
                         -1, &s, nullptr) != SQLITE_OK) {
    fail("cannot read tasks");
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    Task t;
    t.id = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    const int state = sqlite3_column_int(s, 1);
    if (state < 0 || state > static_cast<int>(msg::TaskState::kDead)) {
      sqlite3_finalize(s);
      throw JournalError("journal " + path_ + ": task " + std::to_string(t.id) +
                         " has unknown state " + std::to_string(state));
    }
    t.state = static_cast<msg::TaskState>(state);
    t.attempts = static_cast<std::uint32_t>(sqlite3_column_int64(s, 2));
    t.retry_base = static_cast<std::uint32_t>(sqlite3_column_int64(s, 3));
    const auto* spec = static_cast<const char*>(sqlite3_column_blob(s, 4));
    const std::string_view spec_bytes(spec == nullptr ? "" : spec,
                                      static_cast<std::size_t>(sqlite3_column_bytes(s, 4)));
    if (auto e = msg::decode_spec(spec_bytes, t.spec)) {
      sqlite3_finalize(s);
      throw JournalError("journal " + path_ + ": task " + std::to_string(t.id) +
                         " has an unreadable spec: " + e->message);
    }
    t.spec_bytes.assign(spec_bytes);
    t.submitted_at_ms = sqlite3_column_int64(s, 5);
    t.started_at_ms = sqlite3_column_int64(s, 6);
    t.finished_at_ms = sqlite3_column_int64(s, 7);
    t.not_before_ms = sqlite3_column_int64(s, 8);
    if (const auto* w = sqlite3_column_text(s, 9)) t.worker_name = reinterpret_cast<const char*>(w);
    if (sqlite3_column_type(s, 10) != SQLITE_NULL) {
      const auto* o = static_cast<const char*>(sqlite3_column_blob(s, 10));
      msg::Outcome outcome;
      if (o != nullptr &&
          !msg::decode_outcome({o, static_cast<std::size_t>(sqlite3_column_bytes(s, 10))},
                               outcome)) {
        t.outcome = std::move(outcome);
      }
    }
    on_task(std::move(t));
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) fail("cannot read tasks");

  if (sqlite3_prepare_v2(db_.get(), "SELECT name, lim, policy FROM projects", -1, &s, nullptr) !=
      SQLITE_OK) {
    fail("cannot read projects");
  }
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    ProjectSettings p;
    p.name = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    p.limit = static_cast<std::uint32_t>(sqlite3_column_int64(s, 1));
    const auto* blob = static_cast<const char*>(sqlite3_column_blob(s, 2));
    msg::TaskSpec carrier;
    if (blob != nullptr &&
        !msg::decode_spec({blob, static_cast<std::size_t>(sqlite3_column_bytes(s, 2))}, carrier)) {
      p.policy = carrier.retry;
    }
    on_project(std::move(p));
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) fail("cannot read projects");
}

void Journal::begin() {
  if (in_transaction_) return;
  exec("BEGIN");
  in_transaction_ = true;
}

void Journal::put(const Task& t) {
  begin();
  if (t.spec_bytes.empty()) t.spec_bytes = msg::encode_spec(t.spec);
  sqlite3_stmt* s = put_task_->stmt;
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(t.id));
  sqlite3_bind_int(s, 2, static_cast<int>(t.state));
  sqlite3_bind_int64(s, 3, t.attempts);
  sqlite3_bind_int64(s, 4, t.retry_base);
  sqlite3_bind_text(s, 5, t.spec.project.data(), static_cast<int>(t.spec.project.size()),
                    SQLITE_STATIC);
  sqlite3_bind_int(s, 6, static_cast<int>(t.spec.priority));
  sqlite3_bind_blob(s, 7, t.spec_bytes.data(), static_cast<int>(t.spec_bytes.size()),
                    SQLITE_STATIC);
  sqlite3_bind_int64(s, 8, t.submitted_at_ms);
  sqlite3_bind_int64(s, 9, t.started_at_ms);
  sqlite3_bind_int64(s, 10, t.finished_at_ms);
  sqlite3_bind_int64(s, 11, t.not_before_ms);
  sqlite3_bind_text(s, 12, t.worker_name.data(), static_cast<int>(t.worker_name.size()),
                    SQLITE_STATIC);
  std::string outcome;
  if (t.outcome) {
    outcome = msg::encode_outcome(*t.outcome);
    sqlite3_bind_blob(s, 13, outcome.data(), static_cast<int>(outcome.size()), SQLITE_STATIC);
  } else {
    sqlite3_bind_null(s, 13);
  }
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc != SQLITE_DONE) fail("cannot write task " + std::to_string(t.id));
}

void Journal::remove(std::uint64_t id) {
  begin();
  sqlite3_stmt* s = remove_task_->stmt;
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(id));
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) fail("cannot delete task " + std::to_string(id));
}

void Journal::put_project(const ProjectSettings& p) {
  begin();
  const std::string policy = policy_bytes(p.policy);
  sqlite3_stmt* s = put_project_->stmt;
  sqlite3_bind_text(s, 1, p.name.data(), static_cast<int>(p.name.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, p.limit);
  sqlite3_bind_blob(s, 3, policy.data(), static_cast<int>(policy.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc != SQLITE_DONE) fail("cannot write project " + p.name);
}

void Journal::commit() {
  if (!in_transaction_) return;
  in_transaction_ = false;
  char* error = nullptr;
  if (sqlite3_exec(db_.get(), "COMMIT", nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw JournalError("journal " + path_ + ": commit failed: " + message);
  }
}

void Journal::rollback() {
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  in_transaction_ = false;
}

}  // namespace zfleet::broker
