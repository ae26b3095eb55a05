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

// Format 1's tables; later formats' changes are migration steps (migrate()),
// so a new file and an upgraded one end up alike.
const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tasks (
  id              INTEGER PRIMARY KEY,
  state           INTEGER NOT NULL,  -- msg::TaskState
  attempts        INTEGER NOT NULL,  -- dispatches so far
  retry_base      INTEGER NOT NULL,  -- attempts when the current retry budget began
  project         TEXT NOT NULL,
  priority        INTEGER NOT NULL,
  spec            BLOB NOT NULL,     -- msgpack TaskSpec (journal_rows.cpp)
  submitted_at_ms INTEGER NOT NULL,
  started_at_ms   INTEGER NOT NULL,
  finished_at_ms  INTEGER NOT NULL,
  not_before_ms   INTEGER NOT NULL,
  worker          TEXT NOT NULL,
  outcome         BLOB               -- msgpack Outcome of the last attempt (journal_rows.cpp)
);
CREATE TABLE IF NOT EXISTS projects (
  name   TEXT PRIMARY KEY,
  lim    INTEGER NOT NULL,
  policy BLOB NOT NULL               -- msgpack map, the RetryPolicy under "retry"
);
)sql";

std::string_view blob(sqlite3_stmt* s, int column) {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(s, column));
  if (data == nullptr) return {};
  return {data, static_cast<std::size_t>(sqlite3_column_bytes(s, column))};
}

std::string text(sqlite3_stmt* s, int column) {
  const auto* data = sqlite3_column_text(s, column);
  return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data));
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
  migrate(found == 0 ? 1 : found);

  auto prepare = [&](Statement& s, const char* sql) {
    if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &s.stmt, nullptr) !=
        SQLITE_OK) {
      fail("cannot prepare statement");
    }
  };
  prepare(*put_task_,
          "INSERT OR REPLACE INTO tasks (id, state, attempts, retry_base, project, priority, spec, "
          "submitted_at_ms, started_at_ms, finished_at_ms, not_before_ms, worker, outcome, "
          "ended_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  prepare(*remove_task_, "DELETE FROM tasks WHERE id = ?");
  prepare(*put_project_, "INSERT OR REPLACE INTO projects (name, lim, policy) VALUES (?,?,?)");
}

Journal::~Journal() {
  if (in_transaction_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Journal::migrate(int found) {
  format_ = found;
  if (found == kJournalFormatVersion) return;
  begin();
  if (found < 2) exec("ALTER TABLE tasks ADD COLUMN ended_at_ms INTEGER NOT NULL DEFAULT 0");
  exec(("PRAGMA user_version=" + std::to_string(kJournalFormatVersion)).c_str());
  commit();
}

void Journal::load(const std::function<void(Task&&)>& on_task,
                   const std::function<void(ProjectSettings&&)>& on_project) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "SELECT id, state, attempts, retry_base, spec, submitted_at_ms, "
                         "started_at_ms, finished_at_ms, not_before_ms, worker, outcome, "
                         "ended_at_ms, project, priority FROM tasks ORDER BY id",
                         -1, &s, nullptr) != SQLITE_OK) {
    fail("cannot read tasks");
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    TaskRow row;
    row.id = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    row.state = sqlite3_column_int(s, 1);
    row.attempts = static_cast<std::uint32_t>(sqlite3_column_int64(s, 2));
    row.retry_base = static_cast<std::uint32_t>(sqlite3_column_int64(s, 3));
    row.spec.assign(blob(s, 4));
    row.submitted_at_ms = sqlite3_column_int64(s, 5);
    row.started_at_ms = sqlite3_column_int64(s, 6);
    row.finished_at_ms = sqlite3_column_int64(s, 7);
    row.not_before_ms = sqlite3_column_int64(s, 8);
    row.worker = text(s, 9);
    if (sqlite3_column_type(s, 10) != SQLITE_NULL) row.outcome = std::string(blob(s, 10));
    row.ended_at_ms = sqlite3_column_int64(s, 11);
    row.project = text(s, 12);
    row.priority = static_cast<std::uint32_t>(sqlite3_column_int64(s, 13));
    Task t;
    if (auto e = from_row(row, format_, t)) {
      sqlite3_finalize(s);
      throw JournalError("journal " + path_ + ": task " + std::to_string(row.id) + " has " + *e);
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
    ProjectRow row{text(s, 0), static_cast<std::uint32_t>(sqlite3_column_int64(s, 1)),
                   std::string(blob(s, 2))};
    ProjectSettings p;
    if (auto e = from_row(row, format_, p)) {
      sqlite3_finalize(s);
      throw JournalError("journal " + path_ + ": project " + row.name + " has " + *e);
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

void Journal::put(const Task& task) {
  begin();
  const TaskRow row = to_row(task);
  sqlite3_stmt* s = put_task_->stmt;
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(row.id));
  sqlite3_bind_int(s, 2, row.state);
  sqlite3_bind_int64(s, 3, row.attempts);
  sqlite3_bind_int64(s, 4, row.retry_base);
  sqlite3_bind_text(s, 5, row.project.data(), static_cast<int>(row.project.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 6, row.priority);
  sqlite3_bind_blob(s, 7, row.spec.data(), static_cast<int>(row.spec.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 8, row.submitted_at_ms);
  sqlite3_bind_int64(s, 9, row.started_at_ms);
  sqlite3_bind_int64(s, 10, row.finished_at_ms);
  sqlite3_bind_int64(s, 11, row.not_before_ms);
  sqlite3_bind_text(s, 12, row.worker.data(), static_cast<int>(row.worker.size()), SQLITE_STATIC);
  if (row.outcome) {
    sqlite3_bind_blob(s, 13, row.outcome->data(), static_cast<int>(row.outcome->size()),
                      SQLITE_STATIC);
  } else {
    sqlite3_bind_null(s, 13);
  }
  sqlite3_bind_int64(s, 14, row.ended_at_ms);
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc != SQLITE_DONE) fail("cannot write task " + std::to_string(row.id));
}

void Journal::remove(std::uint64_t id) {
  begin();
  sqlite3_stmt* s = remove_task_->stmt;
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(id));
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) fail("cannot delete task " + std::to_string(id));
}

void Journal::put_project(const ProjectSettings& settings) {
  begin();
  const ProjectRow row = to_row(settings);
  sqlite3_stmt* s = put_project_->stmt;
  sqlite3_bind_text(s, 1, row.name.data(), static_cast<int>(row.name.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, row.limit);
  sqlite3_bind_blob(s, 3, row.policy.data(), static_cast<int>(row.policy.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc != SQLITE_DONE) fail("cannot write project " + row.name);
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
