// Journal: the broker's durable record of tasks and project settings, in one
// SQLite database in WAL mode. The broker stages every change of a loop turn
// and commits them together (group commit) before any reply that depends on
// them leaves: one fsync per turn, never one per task.
//
// On-disk format version: kJournalFormatVersion (journal_rows.hpp), kept in
// PRAGMA user_version. A change to the tables or to the rows' blobs bumps it
// and adds a migration step in the constructor; a file with a newer version
// is refused rather than misread. Rows are converted to and from Task in
// journal_rows.cpp; this file only moves them in and out of SQLite.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker/journal_rows.hpp"
#include "broker/task.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace zfleet::broker {

// A journal that cannot be opened, read or written; the message names the file.
class JournalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Journal {
 public:
  enum class Sync { kNormal, kFull };

  // Opens or creates the journal; throws JournalError on a corrupt,
  // unreadable or newer-format file. `vfs` names the SQLite VFS to open it
  // through (tests: a JournalFaultVfs, journal_vfs.hpp); empty: the default.
  Journal(const std::string& path, Sync sync, const std::string& vfs = {});
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Reads every stored task and project setting (start-up only).
  void load(const std::function<void(Task&&)>& on_task,
            const std::function<void(ProjectSettings&&)>& on_project);

  // Staged writes; nothing is durable until commit().
  void begin();
  void put(const Task& task);  // insert or update the whole row
  void remove(std::uint64_t id);
  void put_project(const ProjectSettings& settings);
  // Commits the staged writes; throws JournalError if the disk refuses them
  // (the transaction is then rolled back).
  void commit();
  // Abandons the open transaction, if any (a write in it failed).
  void rollback();

  const std::string& path() const { return path_; }

 private:
  struct Statement;
  void exec(const char* sql);
  // Brings a file of format `found` (>= 1) up to kJournalFormatVersion.
  void migrate(int found);
  [[noreturn]] void fail(const std::string& what) const;

  // Closes the handle even when the constructor throws (a refused file).
  struct Closer {
    void operator()(sqlite3* db) const;
  };

  std::string path_;
  // Declared before the statements: they are finalized before it closes.
  std::unique_ptr<sqlite3, Closer> db_;
  std::unique_ptr<Statement> put_task_;
  std::unique_ptr<Statement> remove_task_;
  std::unique_ptr<Statement> put_project_;
  bool in_transaction_ = false;
  int format_ = kJournalFormatVersion;  // of the rows as found on opening
};

}  // namespace zfleet::broker
