// JournalFaultVfs: a shim over the default SQLite VFS; see journal_vfs.hpp.
//
// Each file opened through the shim is a FaultFile: its own sqlite3_file
// header, a pointer to the shared State, then the default VFS's file object
// in the same allocation (szOsFile covers both). Every method forwards to
// that inner file; xWrite, xSync and xTruncate first ask the State whether a
// fault is armed.
#include "broker/journal_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>
#include <stdexcept>

namespace zfleet::broker {

struct JournalFaultVfs::State {
  struct Fault {
    DiskError error;
    std::uint32_t after;  // calls still let through before it fires
  };

  sqlite3_vfs vfs{};
  sqlite3_vfs* real = nullptr;
  std::string name;
  std::array<std::optional<Fault>, 3> faults;  // by DiskOp
  std::uint64_t injected = 0;

  // SQLITE_OK to go on with the call, or the error it fails with.
  int check(DiskOp op) {
    auto& fault = faults[static_cast<std::size_t>(op)];
    if (!fault) return SQLITE_OK;
    if (fault->after > 0) {
      --fault->after;
      return SQLITE_OK;
    }
    ++injected;
    if (fault->error == DiskError::kFull) return SQLITE_FULL;
    switch (op) {
      case DiskOp::kWrite:
        return SQLITE_IOERR_WRITE;
      case DiskOp::kSync:
        return SQLITE_IOERR_FSYNC;
      case DiskOp::kTruncate:
        return SQLITE_IOERR_TRUNCATE;
    }
    return SQLITE_IOERR;
  }
};

namespace {

using State = JournalFaultVfs::State;

struct FaultFile {
  sqlite3_file base;  // first: SQLite sees a FaultFile as an sqlite3_file
  State* state;
  sqlite3_file* inner;  // the default VFS's file, right after this struct
};

FaultFile* as_fault(sqlite3_file* f) {
  return reinterpret_cast<FaultFile*>(f);
}
sqlite3_file* inner(sqlite3_file* f) {
  return as_fault(f)->inner;
}
const sqlite3_io_methods* methods(sqlite3_file* f) {
  return inner(f)->pMethods;
}

int file_close(sqlite3_file* f) {
  return methods(f)->xClose(inner(f));
}
int file_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  return methods(f)->xRead(inner(f), out, amount, offset);
}
int file_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  if (int rc = as_fault(f)->state->check(DiskOp::kWrite); rc != SQLITE_OK) return rc;
  return methods(f)->xWrite(inner(f), data, amount, offset);
}
int file_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = as_fault(f)->state->check(DiskOp::kTruncate); rc != SQLITE_OK) return rc;
  return methods(f)->xTruncate(inner(f), size);
}
int file_sync(sqlite3_file* f, int flags) {
  if (int rc = as_fault(f)->state->check(DiskOp::kSync); rc != SQLITE_OK) return rc;
  return methods(f)->xSync(inner(f), flags);
}
int file_size(sqlite3_file* f, sqlite3_int64* size) {
  return methods(f)->xFileSize(inner(f), size);
}
int file_lock(sqlite3_file* f, int level) {
  return methods(f)->xLock(inner(f), level);
}
int file_unlock(sqlite3_file* f, int level) {
  return methods(f)->xUnlock(inner(f), level);
}
int file_check_reserved_lock(sqlite3_file* f, int* out) {
  return methods(f)->xCheckReservedLock(inner(f), out);
}
int file_control(sqlite3_file* f, int op, void* arg) {
  return methods(f)->xFileControl(inner(f), op, arg);
}
int file_sector_size(sqlite3_file* f) {
  return methods(f)->xSectorSize(inner(f));
}
int file_device_characteristics(sqlite3_file* f) {
  return methods(f)->xDeviceCharacteristics(inner(f));
}
// Version 2: the WAL index in shared memory.
int file_shm_map(sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
  return methods(f)->xShmMap(inner(f), page, page_size, extend, out);
}
int file_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return methods(f)->xShmLock(inner(f), offset, n, flags);
}
void file_shm_barrier(sqlite3_file* f) {
  methods(f)->xShmBarrier(inner(f));
}
int file_shm_unmap(sqlite3_file* f, int delete_flag) {
  return methods(f)->xShmUnmap(inner(f), delete_flag);
}
// Version 3: memory-mapped reads.
int file_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return methods(f)->xFetch(inner(f), offset, amount, out);
}
int file_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return methods(f)->xUnfetch(inner(f), offset, p);
}

// One table per method version, so the shim never claims methods the inner
// file lacks.
constexpr sqlite3_io_methods io_methods(int version) {
  sqlite3_io_methods m{};
  m.iVersion = version;
  m.xClose = file_close;
  m.xRead = file_read;
  m.xWrite = file_write;
  m.xTruncate = file_truncate;
  m.xSync = file_sync;
  m.xFileSize = file_size;
  m.xLock = file_lock;
  m.xUnlock = file_unlock;
  m.xCheckReservedLock = file_check_reserved_lock;
  m.xFileControl = file_control;
  m.xSectorSize = file_sector_size;
  m.xDeviceCharacteristics = file_device_characteristics;
  if (version >= 2) {
    m.xShmMap = file_shm_map;
    m.xShmLock = file_shm_lock;
    m.xShmBarrier = file_shm_barrier;
    m.xShmUnmap = file_shm_unmap;
  }
  if (version >= 3) {
    m.xFetch = file_fetch;
    m.xUnfetch = file_unfetch;
  }
  return m;
}
constexpr std::array<sqlite3_io_methods, 3> kIoMethods{io_methods(1), io_methods(2), io_methods(3)};

State* state_of(sqlite3_vfs* vfs) {
  return static_cast<State*>(vfs->pAppData);
}
sqlite3_vfs* real_of(sqlite3_vfs* vfs) {
  return state_of(vfs)->real;
}

int vfs_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
             int* out_flags) {
  auto* f = as_fault(file);
  f->state = state_of(vfs);
  f->inner = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + sizeof(FaultFile));
  const int rc = real_of(vfs)->xOpen(real_of(vfs), name, f->inner, flags, out_flags);
  // SQLite calls xClose whenever pMethods is set, even after a failed open:
  // set ours exactly when the inner file set its own.
  const sqlite3_io_methods* inner_methods = f->inner->pMethods;
  f->base.pMethods =
      inner_methods == nullptr
          ? nullptr
          : &kIoMethods[static_cast<std::size_t>(std::clamp(inner_methods->iVersion, 1, 3) - 1)];
  return rc;
}
int vfs_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return real_of(vfs)->xDelete(real_of(vfs), name, sync_dir);
}
int vfs_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return real_of(vfs)->xAccess(real_of(vfs), name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return real_of(vfs)->xFullPathname(real_of(vfs), name, size, out);
}
void* vfs_dl_open(sqlite3_vfs* vfs, const char* name) {
  return real_of(vfs)->xDlOpen(real_of(vfs), name);
}
void vfs_dl_error(sqlite3_vfs* vfs, int size, char* out) {
  real_of(vfs)->xDlError(real_of(vfs), size, out);
}
void (*vfs_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return real_of(vfs)->xDlSym(real_of(vfs), handle, symbol);
}
void vfs_dl_close(sqlite3_vfs* vfs, void* handle) {
  real_of(vfs)->xDlClose(real_of(vfs), handle);
}
int vfs_randomness(sqlite3_vfs* vfs, int size, char* out) {
  return real_of(vfs)->xRandomness(real_of(vfs), size, out);
}
int vfs_sleep(sqlite3_vfs* vfs, int microseconds) {
  return real_of(vfs)->xSleep(real_of(vfs), microseconds);
}
int vfs_current_time(sqlite3_vfs* vfs, double* out) {
  return real_of(vfs)->xCurrentTime(real_of(vfs), out);
}
int vfs_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
  return real_of(vfs)->xGetLastError(real_of(vfs), size, out);
}
int vfs_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return real_of(vfs)->xCurrentTimeInt64(real_of(vfs), out);
}

}  // namespace

JournalFaultVfs::JournalFaultVfs() : state_(std::make_unique<State>()) {
  // Names stay unique while several instances live (one per test).
  static std::atomic<std::uint64_t> next{0};
  State& s = *state_;
  s.real = sqlite3_vfs_find(nullptr);
  if (s.real == nullptr) throw std::runtime_error("SQLite has no default VFS");
  s.name = "zfleet-faults-" + std::to_string(next++);
  sqlite3_vfs& v = s.vfs;
  // Version 2 at most: the system-call overrides of version 3 are not shimmed.
  v.iVersion = std::min(s.real->iVersion, 2);
  v.szOsFile = static_cast<int>(sizeof(FaultFile)) + s.real->szOsFile;
  v.mxPathname = s.real->mxPathname;
  v.zName = s.name.c_str();
  v.pAppData = &s;
  v.xOpen = vfs_open;
  v.xDelete = vfs_delete;
  v.xAccess = vfs_access;
  v.xFullPathname = vfs_full_pathname;
  v.xDlOpen = vfs_dl_open;
  v.xDlError = vfs_dl_error;
  v.xDlSym = vfs_dl_sym;
  v.xDlClose = vfs_dl_close;
  v.xRandomness = vfs_randomness;
  v.xSleep = vfs_sleep;
  v.xCurrentTime = vfs_current_time;
  v.xGetLastError = vfs_get_last_error;
  if (v.iVersion >= 2) v.xCurrentTimeInt64 = vfs_current_time_int64;
  if (sqlite3_vfs_register(&v, 0) != SQLITE_OK) {
    throw std::runtime_error("cannot register SQLite VFS " + s.name);
  }
}

JournalFaultVfs::~JournalFaultVfs() {
  sqlite3_vfs_unregister(&state_->vfs);
}

const std::string& JournalFaultVfs::name() const {
  return state_->name;
}

void JournalFaultVfs::arm(DiskOp op, DiskError error, std::uint32_t after) {
  state_->faults[static_cast<std::size_t>(op)] = State::Fault{error, after};
}

void JournalFaultVfs::clear() {
  state_->faults.fill(std::nullopt);
}

std::uint64_t JournalFaultVfs::injected() const {
  return state_->injected;
}

}  // namespace zfleet::broker
