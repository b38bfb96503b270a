#include "failing_vfs.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <stdexcept>

namespace ferry::test {

namespace {

enum class operation { write, truncate, sync };

enum class mode { forward, fail, exit };

// What the VFS and its files share: the real VFS, the mode, and the counters.
struct injector {
  sqlite3_vfs* real = nullptr;
  std::atomic<mode> current{mode::forward};
  std::atomic<std::size_t> trigger{0};
  std::atomic<failing_vfs::counting> among{failing_vfs::counting::all};
  std::atomic<failing_vfs::failure> what{failing_vfs::failure::io_error};
  std::atomic<int> exit_code{0};
  std::atomic<bool> tripped{false};
  std::atomic<std::size_t> operations{0};
  std::atomic<std::size_t> syncs{0};
  std::atomic<std::size_t> injected{0};

  // Counts `op`: SQLITE_OK to go ahead, or the error to report instead.
  int admit(operation op) {
    const std::size_t nth = operations.fetch_add(1);
    const std::size_t nth_sync = op == operation::sync ? syncs.fetch_add(1) : 0;
    const mode now = current.load();
    if (now == mode::forward) {
      return SQLITE_OK;
    }
    const bool reached = among.load() == failing_vfs::counting::all
                             ? nth >= trigger.load()
                             : op == operation::sync && nth_sync >= trigger.load();
    if (now == mode::exit) {
      if (reached) {
        _exit(exit_code.load());
      }
      return SQLITE_OK;
    }
    if (reached) {
      tripped = true;
    }
    if (!tripped) {
      return SQLITE_OK;
    }
    ++injected;
    if (what.load() == failing_vfs::failure::disk_full) {
      return SQLITE_FULL;
    }
    switch (op) {
      case operation::write:
        return SQLITE_IOERR_WRITE;
      case operation::truncate:
        return SQLITE_IOERR_TRUNCATE;
      case operation::sync:
        return SQLITE_IOERR_FSYNC;
    }
    return SQLITE_IOERR;
  }
};

// The sqlite3_file SQLite allocates for us (szOsFile bytes): this header, then the real VFS's
// file. The methods table mirrors the real file's, so SQLite sees the same iVersion and the same
// optional methods (xShm*, xFetch) as it would without us.
struct wrapped_file {
  sqlite3_file base;  // first, so a wrapped_file* is a sqlite3_file*
  sqlite3_io_methods methods;
  injector* owner;
  sqlite3_file* real;
};

static_assert(sizeof(wrapped_file) % alignof(std::max_align_t) == 0,
              "the real file placed after the header must stay aligned");

wrapped_file& wrapper_of(sqlite3_file* file) {
  return *reinterpret_cast<wrapped_file*>(file);
}

sqlite3_file* real_of(sqlite3_file* file) {
  return wrapper_of(file).real;
}

const sqlite3_io_methods& real_methods(sqlite3_file* file) {
  return *real_of(file)->pMethods;
}

int file_close(sqlite3_file* file) {
  return real_methods(file).xClose(real_of(file));
}

int file_read(sqlite3_file* file, void* into, int amount, sqlite3_int64 offset) {
  return real_methods(file).xRead(real_of(file), into, amount, offset);
}

int file_write(sqlite3_file* file, const void* bytes, int amount, sqlite3_int64 offset) {
  const int rc = wrapper_of(file).owner->admit(operation::write);
  if (rc != SQLITE_OK) {
    return rc;
  }
  return real_methods(file).xWrite(real_of(file), bytes, amount, offset);
}

int file_truncate(sqlite3_file* file, sqlite3_int64 size) {
  const int rc = wrapper_of(file).owner->admit(operation::truncate);
  if (rc != SQLITE_OK) {
    return rc;
  }
  return real_methods(file).xTruncate(real_of(file), size);
}

int file_sync(sqlite3_file* file, int flags) {
  const int rc = wrapper_of(file).owner->admit(operation::sync);
  if (rc != SQLITE_OK) {
    return rc;
  }
  return real_methods(file).xSync(real_of(file), flags);
}

int file_size(sqlite3_file* file, sqlite3_int64* size) {
  return real_methods(file).xFileSize(real_of(file), size);
}

int file_lock(sqlite3_file* file, int level) {
  return real_methods(file).xLock(real_of(file), level);
}

int file_unlock(sqlite3_file* file, int level) {
  return real_methods(file).xUnlock(real_of(file), level);
}

int file_check_reserved_lock(sqlite3_file* file, int* reserved) {
  return real_methods(file).xCheckReservedLock(real_of(file), reserved);
}

int file_control(sqlite3_file* file, int op, void* argument) {
  return real_methods(file).xFileControl(real_of(file), op, argument);
}

int file_sector_size(sqlite3_file* file) {
  return real_methods(file).xSectorSize(real_of(file));
}

int file_device_characteristics(sqlite3_file* file) {
  return real_methods(file).xDeviceCharacteristics(real_of(file));
}

int file_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** memory) {
  return real_methods(file).xShmMap(real_of(file), region, size, extend, memory);
}

int file_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return real_methods(file).xShmLock(real_of(file), offset, n, flags);
}

void file_shm_barrier(sqlite3_file* file) {
  real_methods(file).xShmBarrier(real_of(file));
}

int file_shm_unmap(sqlite3_file* file, int delete_flag) {
  return real_methods(file).xShmUnmap(real_of(file), delete_flag);
}

int file_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** memory) {
  return real_methods(file).xFetch(real_of(file), offset, amount, memory);
}

int file_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* memory) {
  return real_methods(file).xUnfetch(real_of(file), offset, memory);
}

// Our methods for a real file with `real` methods: each optional one only where `real` has it.
sqlite3_io_methods mirror(const sqlite3_io_methods& real) {
  sqlite3_io_methods methods{};
  methods.iVersion = std::min(real.iVersion, 3);
  methods.xClose = file_close;
  methods.xRead = file_read;
  methods.xWrite = file_write;
  methods.xTruncate = file_truncate;
  methods.xSync = file_sync;
  methods.xFileSize = file_size;
  methods.xLock = file_lock;
  methods.xUnlock = file_unlock;
  methods.xCheckReservedLock = file_check_reserved_lock;
  methods.xFileControl = file_control;
  methods.xSectorSize = file_sector_size;
  methods.xDeviceCharacteristics = file_device_characteristics;
  if (methods.iVersion >= 2) {
    methods.xShmMap = real.xShmMap != nullptr ? file_shm_map : nullptr;
    methods.xShmLock = real.xShmLock != nullptr ? file_shm_lock : nullptr;
    methods.xShmBarrier = real.xShmBarrier != nullptr ? file_shm_barrier : nullptr;
    methods.xShmUnmap = real.xShmUnmap != nullptr ? file_shm_unmap : nullptr;
  }
  if (methods.iVersion >= 3) {
    methods.xFetch = real.xFetch != nullptr ? file_fetch : nullptr;
    methods.xUnfetch = real.xUnfetch != nullptr ? file_unfetch : nullptr;
  }
  return methods;
}

injector& injector_of(sqlite3_vfs* vfs) {
  return *static_cast<injector*>(vfs->pAppData);
}

sqlite3_vfs* real_of(sqlite3_vfs* vfs) {
  return injector_of(vfs).real;
}

int vfs_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
             int* out_flags) {
  wrapped_file& wrapper = wrapper_of(file);
  wrapper.base.pMethods = nullptr;
  wrapper.owner = &injector_of(vfs);
  wrapper.real =
      reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + sizeof(wrapped_file));
  wrapper.real->pMethods = nullptr;
  sqlite3_vfs* real = real_of(vfs);
  const int rc = real->xOpen(real, name, wrapper.real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite calls xClose only when pMethods is set, so a half-open real file is closed here.
    if (wrapper.real->pMethods != nullptr) {
      wrapper.real->pMethods->xClose(wrapper.real);
    }
    return rc;
  }
  wrapper.methods = mirror(*wrapper.real->pMethods);
  wrapper.base.pMethods = &wrapper.methods;
  return SQLITE_OK;
}

int vfs_delete(sqlite3_vfs* vfs, const char* name, int sync_directory) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xDelete(real, name, sync_directory);
}

int vfs_access(sqlite3_vfs* vfs, const char* name, int flags, int* result) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xAccess(real, name, flags, result);
}

int vfs_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xFullPathname(real, name, size, out);
}

void* vfs_dl_open(sqlite3_vfs* vfs, const char* filename) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xDlOpen(real, filename);
}

void vfs_dl_error(sqlite3_vfs* vfs, int size, char* message) {
  sqlite3_vfs* real = real_of(vfs);
  real->xDlError(real, size, message);
}

using dl_symbol = void (*)();

dl_symbol vfs_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xDlSym(real, handle, symbol);
}

void vfs_dl_close(sqlite3_vfs* vfs, void* handle) {
  sqlite3_vfs* real = real_of(vfs);
  real->xDlClose(real, handle);
}

int vfs_randomness(sqlite3_vfs* vfs, int size, char* out) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xRandomness(real, size, out);
}

int vfs_sleep(sqlite3_vfs* vfs, int microseconds) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xSleep(real, microseconds);
}

int vfs_current_time(sqlite3_vfs* vfs, double* julian_day) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xCurrentTime(real, julian_day);
}

int vfs_get_last_error(sqlite3_vfs* vfs, int size, char* message) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xGetLastError(real, size, message);
}

int vfs_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* milliseconds) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xCurrentTimeInt64(real, milliseconds);
}

int vfs_set_system_call(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xSetSystemCall(real, name, call);
}

sqlite3_syscall_ptr vfs_get_system_call(sqlite3_vfs* vfs, const char* name) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xGetSystemCall(real, name);
}

const char* vfs_next_system_call(sqlite3_vfs* vfs, const char* name) {
  sqlite3_vfs* real = real_of(vfs);
  return real->xNextSystemCall(real, name);
}

}  // namespace

struct failing_vfs::impl {
  injector inject;
  sqlite3_vfs vfs{};
};

failing_vfs::failing_vfs() : impl_(std::make_unique<impl>()) {
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr) {
    throw std::runtime_error{"failing_vfs: SQLite has no default VFS"};
  }
  if (sqlite3_vfs_find(name) != nullptr) {
    throw std::runtime_error{"failing_vfs: \"ferry-failing\" is already registered"};
  }
  impl_->inject.real = real;
  sqlite3_vfs& vfs = impl_->vfs;
  vfs.iVersion = std::min(real->iVersion, 3);
  vfs.szOsFile = static_cast<int>(sizeof(wrapped_file)) + real->szOsFile;
  vfs.mxPathname = real->mxPathname;
  vfs.zName = name;
  vfs.pAppData = &impl_->inject;
  vfs.xOpen = vfs_open;
  vfs.xDelete = vfs_delete;
  vfs.xAccess = vfs_access;
  vfs.xFullPathname = vfs_full_pathname;
  vfs.xDlOpen = real->xDlOpen != nullptr ? vfs_dl_open : nullptr;
  vfs.xDlError = real->xDlError != nullptr ? vfs_dl_error : nullptr;
  vfs.xDlSym = real->xDlSym != nullptr ? vfs_dl_sym : nullptr;
  vfs.xDlClose = real->xDlClose != nullptr ? vfs_dl_close : nullptr;
  vfs.xRandomness = vfs_randomness;
  vfs.xSleep = vfs_sleep;
  vfs.xCurrentTime = vfs_current_time;
  vfs.xGetLastError = vfs_get_last_error;
  if (vfs.iVersion >= 2) {
    vfs.xCurrentTimeInt64 = real->xCurrentTimeInt64 != nullptr ? vfs_current_time_int64 : nullptr;
  }
  if (vfs.iVersion >= 3) {
    vfs.xSetSystemCall = real->xSetSystemCall != nullptr ? vfs_set_system_call : nullptr;
    vfs.xGetSystemCall = real->xGetSystemCall != nullptr ? vfs_get_system_call : nullptr;
    vfs.xNextSystemCall = real->xNextSystemCall != nullptr ? vfs_next_system_call : nullptr;
  }
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) {
    throw std::runtime_error{"failing_vfs: sqlite3_vfs_register failed"};
  }
}

failing_vfs::~failing_vfs() {
  sqlite3_vfs_unregister(&impl_->vfs);
}

namespace {

// Sets a trigger, counting from now. Forwards while it is set, so that no operation sees half
// of it.
void arm(injector& inject, std::size_t n, failing_vfs::counting among, mode then) {
  inject.current = mode::forward;
  inject.operations = 0;
  inject.syncs = 0;
  inject.injected = 0;
  inject.tripped = false;
  inject.trigger = n;
  inject.among = among;
  inject.current = then;
}

}  // namespace

void failing_vfs::fail_at(std::size_t n, failure what, counting among) {
  impl_->inject.what = what;
  arm(impl_->inject, n, among, mode::fail);
}

void failing_vfs::exit_at(std::size_t n, int exit_code, counting among) {
  impl_->inject.exit_code = exit_code;
  arm(impl_->inject, n, among, mode::exit);
}

void failing_vfs::heal() noexcept {
  impl_->inject.current = mode::forward;
  impl_->inject.tripped = false;
}

void failing_vfs::reset_count() noexcept {
  impl_->inject.operations = 0;
  impl_->inject.syncs = 0;
  impl_->inject.injected = 0;
}

std::size_t failing_vfs::operations() const noexcept {
  return impl_->inject.operations;
}

std::size_t failing_vfs::syncs() const noexcept {
  return impl_->inject.syncs;
}

std::size_t failing_vfs::injected() const noexcept {
  return impl_->inject.injected;
}

}  // namespace ferry::test
