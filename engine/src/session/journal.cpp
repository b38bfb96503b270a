#include "journal.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/crc.hpp>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "ferry/engine/error.hpp"
#include "ferry/http/error.hpp"
#include "request_codec.hpp"

namespace ferry::engine::detail {
namespace {

// Each step of the schema, applied in order to a journal whose user_version is below it. A
// step's SQL runs in the transaction that sets the new user_version. Never edit a released
// step: append one.
struct migration {
  int version;
  const char* sql;
};

constexpr std::array<migration, 4> migrations{{
    {1, R"sql(
CREATE TABLE tasks (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  key              TEXT UNIQUE,        -- NULL: none
  kind             TEXT NOT NULL,      -- transfer_kind: download | upload
  description      TEXT NOT NULL,
  request          TEXT NOT NULL,      -- request_codec's JSON
  secrets_withheld INTEGER NOT NULL,
  output           TEXT,               -- a download's absolute output path
  priority         TEXT NOT NULL,
  grp              TEXT NOT NULL,
  grp_order        TEXT NOT NULL,
  earliest_begin   INTEGER,            -- wall time, ns since the epoch
  state            TEXT NOT NULL,
  reason_category  TEXT NOT NULL,      -- '' for none
  reason_value     INTEGER NOT NULL,
  reason_name      TEXT NOT NULL,      -- code_name(): what people and scripts read
  message          TEXT NOT NULL,
  retry_at         INTEGER,
  created          INTEGER NOT NULL,
  changed          INTEGER NOT NULL,
  crc              INTEGER NOT NULL    -- CRC-32C of every column above (row_crc)
);
CREATE INDEX tasks_by_output ON tasks(output) WHERE output IS NOT NULL;
CREATE TABLE events (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  task            INTEGER NOT NULL,
  kind            TEXT NOT NULL,       -- event_kind
  state           TEXT NOT NULL,
  code_category   TEXT NOT NULL,
  code_value      INTEGER NOT NULL,
  code_name       TEXT NOT NULL,
  message         TEXT NOT NULL,
  at              INTEGER NOT NULL,
  acknowledged    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_unacknowledged ON events(seq) WHERE acknowledged = 0;
)sql"},
    // Commands queued by other processes for the runner (session_role::control).
    {2, R"sql(
CREATE TABLE commands (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  verb              TEXT NOT NULL,     -- command_verb
  task              INTEGER NOT NULL,  -- the task, or the event's seq (acknowledge)
  priority          TEXT NOT NULL,     -- priority: the new class; add: the task's
  request           TEXT,              -- add: request_codec's JSON
  secrets_withheld  INTEGER NOT NULL DEFAULT 0,
  key               TEXT NOT NULL DEFAULT '',
  description       TEXT NOT NULL DEFAULT '',
  grp               TEXT NOT NULL DEFAULT '',
  grp_order         TEXT NOT NULL DEFAULT 'parallel',
  earliest_begin    INTEGER,
  paused            INTEGER NOT NULL DEFAULT 0,
  store_credentials INTEGER NOT NULL DEFAULT 0,
  submitted         INTEGER NOT NULL,
  answered          INTEGER,           -- NULL: not yet applied
  result_category   TEXT NOT NULL DEFAULT '',
  result_value      INTEGER NOT NULL DEFAULT 0,
  result_name       TEXT NOT NULL DEFAULT '',
  result_task       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX commands_unanswered ON commands(seq) WHERE answered IS NULL;
)sql"},
    // The session's own row: whether it is being invalidated, and a column a write that
    // changes nothing else may touch (probe).
    {3, R"sql(
CREATE TABLE session (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  invalidation TEXT NOT NULL DEFAULT '',  -- '' | finish | cancel (session_invalidation)
  touched      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO session (id) VALUES (1);
)sql"},
    // task_options::idempotent: a POST that may be sent again after its runner stopped.
    {4, R"sql(
ALTER TABLE tasks ADD COLUMN idempotent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commands ADD COLUMN idempotent INTEGER NOT NULL DEFAULT 0;
)sql"},
}};

constexpr int latest_version = migrations.back().version;
static_assert(latest_version == journal::schema_version);

std::error_code error_for(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return {};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
      return error::journal_corrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return error::session_busy;
    case SQLITE_CONSTRAINT:
      return error::invalid_argument;
    default:  // IOERR, FULL, READONLY, CANTOPEN, PERM, NOMEM, ...
      return error::journal_unwritable;
  }
}

std::int64_t to_ns(wall_time t) noexcept {
  return t.time_since_epoch().count();
}
wall_time from_ns(std::int64_t ns) noexcept {
  return wall_time{wall_time::duration{ns}};
}

// A stored error code: its category's name and value, and its stable name for readers. A code
// of a category this build does not know comes back as its name's engine code, if any.
struct stored_code {
  std::string category;
  std::int64_t value = 0;
  std::string name;
};

stored_code store_code(std::error_code ec) {
  if (!ec) {
    return {};
  }
  return {ec.category().name(), ec.value(), std::string{code_name(ec)}};
}

std::error_code load_code(const stored_code& c) noexcept {
  if (c.category.empty()) {
    return {};
  }
  for (const std::error_category* category : {&engine::error_category(), &http::error_category(),
                                              &std::generic_category(), &std::system_category()}) {
    if (c.category == category->name()) {
      return {static_cast<int>(c.value), *category};
    }
  }
  return error::journal_corrupt;  // written by a build with a category this one lacks
}

// One prepared statement; reset and cleared when it goes.
// A connection's prepared statements, kept for its life: preparing (parsing and planning) was
// most of a small statement's cost. Bounded: every statement's SQL is one of the few fixed texts
// in this file. Finalized before the connection closes.
class statement_cache {
 public:
  statement_cache() = default;
  ~statement_cache() { clear(); }
  statement_cache(const statement_cache&) = delete;
  statement_cache& operator=(const statement_cache&) = delete;

  // The statement for `sql`, from the cache when it is free there (`in_use` set: give it
  // back with `put_back`), else newly prepared (`in_use` null: the caller finalizes it).
  sqlite3_stmt* take(sqlite3* db, std::string_view sql, bool*& in_use, std::error_code& ec) {
    in_use = nullptr;
    auto it = entries_.find(sql);
    if (it != entries_.end() && !it->second.in_use) {
      it->second.in_use = true;
      in_use = &it->second.in_use;
      return it->second.stmt;
    }
    sqlite3_stmt* stmt = nullptr;
    ec = error_for(sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      it == entries_.end() ? SQLITE_PREPARE_PERSISTENT : 0, &stmt,
                                      nullptr));
    if (!ec && it == entries_.end()) {
      in_use = &entries_.emplace(std::string{sql}, entry{stmt, true}).first->second.in_use;
    }
    return stmt;
  }
  static void put_back(sqlite3_stmt* stmt, bool& in_use) {
    sqlite3_reset(stmt);  // ends its read, if any: nothing holds the WAL back
    sqlite3_clear_bindings(stmt);
    in_use = false;
  }
  void clear() {
    for (auto& [sql, e] : entries_) {
      sqlite3_finalize(e.stmt);
    }
    entries_.clear();
  }

 private:
  struct entry {
    sqlite3_stmt* stmt;
    bool in_use;
  };
  std::map<std::string, entry, std::less<>> entries_;
};

class statement {
 public:
  statement(statement_cache& cache, sqlite3* db, std::string_view sql, std::error_code& ec)
      : stmt_(cache.take(db, sql, in_use_, ec)) {}
  ~statement() {
    if (in_use_ != nullptr) {
      statement_cache::put_back(stmt_, *in_use_);
    } else {
      sqlite3_finalize(stmt_);
    }
  }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  void bind(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, const std::string& text) { bind(i, std::string_view{text}); }
  void bind(int i, std::int64_t value) { sqlite3_bind_int64(stmt_, i, value); }
  void bind(int i, const std::optional<std::int64_t>& value) {
    if (value) {
      bind(i, *value);
    } else {
      sqlite3_bind_null(stmt_, i);
    }
  }
  void bind(int i, const std::optional<std::string>& value) {
    if (value) {
      bind(i, std::string_view{*value});
    } else {
      sqlite3_bind_null(stmt_, i);
    }
  }

  /// SQLITE_ROW (true), SQLITE_DONE (false), or an error in `ec` (false).
  bool step(std::error_code& ec) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
      return true;
    }
    ec = error_for(rc);
    return false;
  }

  [[nodiscard]] bool is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  [[nodiscard]] std::int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
  [[nodiscard]] std::optional<std::int64_t> maybe_integer(int i) const {
    if (is_null(i)) {
      return std::nullopt;
    }
    return integer(i);
  }
  [[nodiscard]] std::string text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p == nullptr ? std::string{}
                        : std::string{p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i))};
  }
  [[nodiscard]] std::optional<std::string> maybe_text(int i) const {
    if (is_null(i)) {
      return std::nullopt;
    }
    return text(i);
  }

  /// Column `i` into `to`, whichever of the column types it is.
  void read(int i, std::int64_t& to) const { to = integer(i); }
  void read(int i, std::string& to) const { to = text(i); }
  void read(int i, std::optional<std::int64_t>& to) const { to = maybe_integer(i); }
  void read(int i, std::optional<std::string>& to) const { to = maybe_text(i); }

 private:
  bool* in_use_ = nullptr;  // the cache's flag, for a cached statement
  sqlite3_stmt* stmt_ = nullptr;
};

// A task's columns as stored (the order of `row_columns`).
struct task_row {
  std::int64_t id = 0;
  std::optional<std::string> key;
  std::string kind;
  std::string description;
  std::string request;
  std::int64_t secrets_withheld = 0;
  std::optional<std::string> output;
  std::string priority;
  std::string group;
  std::string order;
  std::optional<std::int64_t> earliest_begin;
  std::string state;
  stored_code reason;
  std::string message;
  std::optional<std::int64_t> retry_at;
  std::int64_t created = 0;
  std::int64_t changed = 0;
  std::int64_t idempotent = 0;  // schema 4
};

constexpr std::string_view row_columns =
    "id, key, kind, description, request, secrets_withheld, output, priority, grp, grp_order, "
    "earliest_begin, state, reason_category, reason_value, reason_name, message, retry_at, "
    "created, changed, idempotent, crc";

// CRC-32C (Castagnoli) over each column, each framed by a tag and its length, so that no two
// rows share a byte stream (a NULL is not an empty text, "ab","c" is not "a","bc").
using crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

void feed(crc32c& crc, std::int64_t v) {
  unsigned char bytes[9];
  bytes[0] = 'i';
  for (int i = 0; i < 8; ++i) {
    bytes[1 + i] = static_cast<unsigned char>(static_cast<std::uint64_t>(v) >> (8 * i));
  }
  crc.process_bytes(bytes, sizeof bytes);
}
void feed(crc32c& crc, std::string_view s) {
  crc.process_byte('s');
  feed(crc, static_cast<std::int64_t>(s.size()));
  crc.process_bytes(s.data(), s.size());
}
void feed(crc32c& crc, const std::string& s) {
  feed(crc, std::string_view{s});
}
void feed(crc32c& crc, const std::optional<std::string>& s) {
  if (s) {
    feed(crc, std::string_view{*s});
  } else {
    crc.process_byte('n');
  }
}
void feed(crc32c& crc, const std::optional<std::int64_t>& v) {
  if (v) {
    feed(crc, *v);
  } else {
    crc.process_byte('n');
  }
}

// Every column of a row but its crc, in row_columns' order: the one list that the CRC covers,
// that is bound and that is read.
template <class Row, class F>
void for_each_column(Row& r, F&& f) {
  f(r.id);
  f(r.key);
  f(r.kind);
  f(r.description);
  f(r.request);
  f(r.secrets_withheld);
  f(r.output);
  f(r.priority);
  f(r.group);
  f(r.order);
  f(r.earliest_begin);
  f(r.state);
  f(r.reason.category);
  f(r.reason.value);
  f(r.reason.name);
  f(r.message);
  f(r.retry_at);
  f(r.created);
  f(r.changed);
  f(r.idempotent);
}
constexpr int crc_column = 20;  // 0-based, after the columns above

// A column added by a later schema is fed only when it is not its default, so that the rows
// written before it (which have the default) keep their checksums.
bool added_later_at_default(const task_row& r, const void* column) {
  return column == &r.idempotent && r.idempotent == 0;
}

std::uint32_t row_crc(const task_row& r) {
  crc32c crc;
  for_each_column(r, [&](const auto& column) {
    if (!added_later_at_default(r, &column)) {
      feed(crc, column);
    }
  });
  return crc.checksum();
}

// Reads the row at `s`'s cursor; a checksum that does not match is journal_corrupt, and
// `problem` says which row.
task_row read_row(const statement& s, std::error_code& ec, std::string& problem) {
  task_row r;
  int i = 0;
  for_each_column(r, [&](auto& column) { s.read(i++, column); });
  if (static_cast<std::int64_t>(row_crc(r)) != s.integer(crc_column)) {
    ec = error::journal_corrupt;
    problem = "the row of task " + std::to_string(r.id) + " does not match its checksum";
  }
  return r;
}

void bind_row(statement& s, const task_row& r) {
  int i = 0;
  for_each_column(r, [&](const auto& column) { s.bind(++i, column); });
  s.bind(++i, static_cast<std::int64_t>(row_crc(r)));
}

std::optional<wall_time> maybe_time(const std::optional<std::int64_t>& ns) {
  if (!ns) {
    return std::nullopt;
  }
  return from_ns(*ns);
}
std::optional<std::int64_t> maybe_ns(const std::optional<wall_time>& t) {
  if (!t) {
    return std::nullopt;
  }
  return to_ns(*t);
}

// The task a row describes; a request or a name that does not decode is journal_corrupt.
task_info to_info(const task_row& r, std::error_code& ec, std::string& problem) {
  task_info t;
  t.id = static_cast<task_id>(r.id);
  t.key = r.key.value_or("");
  t.description = r.description;
  t.request = decode_request(r.request, ec);
  t.secrets_withheld = r.secrets_withheld != 0;
  t.idempotent = r.idempotent != 0;
  const auto priority = parse_task_priority(r.priority);
  const auto order = parse_group_order(r.order);
  const auto state = parse_task_state(r.state);
  if (ec || !priority || !order || !state) {
    ec = error::journal_corrupt;
    problem = "the row of task " + std::to_string(r.id) + " does not decode";
    return {};
  }
  t.priority = *priority;
  t.group = r.group;
  t.order = *order;
  t.earliest_begin = maybe_time(r.earliest_begin);
  t.state = *state;
  t.reason = load_code(r.reason);
  t.message = r.message;
  t.retry_at = maybe_time(r.retry_at);
  t.created = from_ns(r.created);
  t.changed = from_ns(r.changed);
  return t;
}

std::string_view kind_name(transfer_kind k) noexcept {
  return k == transfer_kind::download ? "download" : "upload";
}

constexpr std::array<std::pair<command_verb, std::string_view>, 9> verb_names{{
    {command_verb::add, "add"},
    {command_verb::pause, "pause"},
    {command_verb::resume, "resume"},
    {command_verb::cancel, "cancel"},
    {command_verb::priority, "priority"},
    {command_verb::acknowledge, "acknowledge"},
    {command_verb::finish_and_invalidate, "finish_and_invalidate"},
    {command_verb::cancel_and_invalidate, "cancel_and_invalidate"},
    {command_verb::remove_finished, "remove_finished"},
}};

std::string_view verb_name(command_verb v) noexcept {
  for (const auto& [verb, name] : verb_names) {
    if (verb == v) {
      return name;
    }
  }
  return "?";
}
std::optional<command_verb> parse_verb(std::string_view text) noexcept {
  for (const auto& [verb, name] : verb_names) {
    if (name == text) {
      return verb;
    }
  }
  return std::nullopt;
}

}  // namespace

struct journal::impl {
  std::filesystem::path file;
  sqlite3* db = nullptr;
  std::string problem;             // the last damage found, for explain()
  std::int64_t data_version = -1;  // PRAGMA data_version when changed_elsewhere last asked
  std::function<void(std::string_view)> on_milestone;
  std::uint64_t commits = 0;  // write transactions committed through this connection
  bool group_commit = false;  // commits are synced by sync(), not one by one
  std::uint64_t synced = 0;   // `commits` at the last sync()

  statement_cache statements;  // before the connection goes

  ~impl() {
    statements.clear();
    sqlite3_close_v2(db);
  }

  // Runs statements with no result rows.
  std::error_code exec(const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    sqlite3_free(message);
    return error_for(rc);
  }

  // One statement with no result rows, prepared once (exec prepares it each time).
  std::error_code run(std::string_view sql) {
    std::error_code ec;
    statement s{statements, db, sql, ec};
    if (!ec) {
      (void)s.step(ec);
    }
    return ec;
  }

  std::int64_t pragma_integer(const char* sql, std::error_code& ec) {
    statement s{statements, db, sql, ec};
    if (ec || !s.step(ec)) {
      return 0;
    }
    return s.integer(0);
  }

  // BEGIN IMMEDIATE ... COMMIT around `body(ec)`; rolled back when anything fails.
  template <class Body>
  void write(std::error_code& ec, Body&& body) {
    ec = exec("BEGIN IMMEDIATE");
    if (ec) {
      return;
    }
    body(ec);
    if (!ec && on_milestone) {
      on_milestone("journal_commit");
    }
    if (!ec) {
      ec = exec("COMMIT");
    }
    if (!ec) {
      ++commits;
    }
    if (ec) {
      (void)exec("ROLLBACK");  // also when COMMIT failed: SQLite may have kept it open
    }
  }

  std::optional<task_row> row(task_id id, std::error_code& ec) {
    statement s{statements, db, "SELECT " + std::string{row_columns} + " FROM tasks WHERE id = ?",
                ec};
    if (ec) {
      return std::nullopt;
    }
    s.bind(1, static_cast<std::int64_t>(id));
    if (!s.step(ec)) {
      return std::nullopt;
    }
    return read_row(s, ec, problem);
  }

  std::optional<task_row> row_by_key(const std::string& key, std::error_code& ec) {
    statement s{statements, db, "SELECT " + std::string{row_columns} + " FROM tasks WHERE key = ?",
                ec};
    if (ec) {
      return std::nullopt;
    }
    s.bind(1, key);
    if (!s.step(ec)) {
      return std::nullopt;
    }
    return read_row(s, ec, problem);
  }

  void store(const task_row& r, bool insert, std::error_code& ec) {
    // Parameters ?1..?21 in row_columns' order, as bind_row binds them.
    const std::string sql =
        insert ? "INSERT INTO tasks (" + std::string{row_columns} +
                     ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,"
                     "?19,?20,?21)"
               : "UPDATE tasks SET key=?2, kind=?3, description=?4, request=?5, "
                 "secrets_withheld=?6, output=?7, priority=?8, grp=?9, grp_order=?10, "
                 "earliest_begin=?11, state=?12, reason_category=?13, reason_value=?14, "
                 "reason_name=?15, message=?16, retry_at=?17, created=?18, changed=?19, "
                 "idempotent=?20, crc=?21 WHERE id=?1";
    statement s{statements, db, sql, ec};
    if (ec) {
      return;
    }
    bind_row(s, r);
    (void)s.step(ec);
  }

  // The id AUTOINCREMENT gives next: the row needs it before the insert (its CRC covers it).
  std::int64_t next_id(std::error_code& ec) {
    statement s{statements, db, "SELECT seq FROM sqlite_sequence WHERE name = 'tasks'", ec};
    if (ec) {
      return 0;
    }
    const bool found = s.step(ec);
    if (ec) {
      return 0;
    }
    return found ? s.integer(0) + 1 : 1;
  }

  bool output_taken(const std::string& output, std::error_code& ec) {
    statement s{statements, db,
                "SELECT 1 FROM tasks WHERE output = ? AND state NOT IN "
                "('completed', 'failed', 'cancelled') LIMIT 1",
                ec};
    if (ec) {
      return false;
    }
    s.bind(1, output);
    return s.step(ec);
  }

  std::uint64_t insert_event(const task_row& r, event_kind kind, std::error_code code,
                             const std::string& message, wall_time now, std::error_code& ec) {
    statement s{statements, db,
                "INSERT INTO events (task, kind, state, code_category, code_value, code_name, "
                "message, at) VALUES (?,?,?,?,?,?,?,?)",
                ec};
    if (ec) {
      return 0;
    }
    const stored_code c = store_code(code);
    s.bind(1, r.id);
    s.bind(2, to_string(kind));
    s.bind(3, r.state);
    s.bind(4, c.category);
    s.bind(5, c.value);
    s.bind(6, c.name);
    s.bind(7, message);
    s.bind(8, to_ns(now));
    (void)s.step(ec);
    return ec ? 0 : static_cast<std::uint64_t>(sqlite3_last_insert_rowid(db));
  }

  void store_answer(std::uint64_t seq, const command_answer& a, wall_time now,
                    std::error_code& ec) {
    statement s{statements, db,
                "UPDATE commands SET answered = ?, result_category = ?, result_value = ?, "
                "result_name = ?, result_task = ? WHERE seq = ?",
                ec};
    if (ec) {
      return;
    }
    const stored_code c = store_code(a.result);
    s.bind(1, to_ns(now));
    s.bind(2, c.category);
    s.bind(3, c.value);
    s.bind(4, c.name);
    s.bind(5, static_cast<std::int64_t>(a.task));
    s.bind(6, static_cast<std::int64_t>(seq));
    (void)s.step(ec);
  }
};

namespace {

// Creates the file 0600 before SQLite does (SQLite gives -wal and -shm the main file's mode),
// and narrows a looser existing one: the journal may hold credentials.
std::error_code make_private(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return error::journal_unwritable;
  }
  struct stat st {};
  std::error_code ec;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ec = error::journal_unwritable;
  } else if ((st.st_mode & 077) != 0 && ::fchmod(fd, 0600) != 0) {
    ec = error::journal_unwritable;
  }
  ::close(fd);
  return ec;
}

std::string sentence_for(std::error_code ec, const std::filesystem::path& file,
                         std::string_view what) {
  const std::string name = file.string();
  if (ec == error::journal_corrupt) {
    return "the session journal " + name + " is damaged (" + std::string{what} +
           "); nothing was deleted: move it aside (with its -wal file) to start the session "
           "with no tasks, or restore it from a backup";
  }
  if (ec == error::journal_too_new) {
    return "the session journal " + name + " was written by a newer ferry (" + std::string{what} +
           "); run that version, or move the journal aside";
  }
  return "the session journal " + name + " cannot be used (" + std::string{what} + ")";
}

}  // namespace

journal::journal(std::unique_ptr<impl> state) noexcept : impl_(std::move(state)) {
}
journal::~journal() = default;

const std::filesystem::path& journal::file() const noexcept {
  return impl_->file;
}

std::string journal::explain(std::error_code ec) const {
  return sentence_for(ec, impl_->file,
                      impl_->problem.empty() ? sqlite3_errmsg(impl_->db) : impl_->problem);
}

std::unique_ptr<journal> journal::open(const std::filesystem::path& file,
                                       const journal_options& options, std::error_code& ec,
                                       std::string* detail) {
  auto fail = [&](std::error_code code, std::string_view what) -> std::unique_ptr<journal> {
    ec = code;
    if (detail != nullptr) {
      *detail = sentence_for(code, file, what);
    }
    return nullptr;
  };
  ec = make_private(file);
  if (ec) {
    return fail(ec, std::strerror(errno));
  }
  auto j = std::make_unique<impl>();
  j->file = file;
  j->on_milestone = options.on_milestone;
  const int rc = sqlite3_open_v2(
      file.c_str(), &j->db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
      options.vfs.empty() ? nullptr : options.vfs.c_str());
  if (rc != SQLITE_OK) {
    return fail(error_for(rc), j->db != nullptr ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(j->db, 1);
  sqlite3_busy_timeout(j->db, static_cast<int>(options.busy_timeout.count()));

  j->group_commit = options.group_commit && options.durable == durability::power;
  // A WAL left larger than 4 MiB by a burst is cut back to that at its next restart.
  const char* settings = options.durable == durability::power && !j->group_commit
                             ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                               "PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON; "
                               "PRAGMA journal_size_limit=4194304;"
                             : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                               "PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON; "
                               "PRAGMA journal_size_limit=4194304;";
  ec = j->exec(settings);
  if (ec) {
    return fail(ec, sqlite3_errmsg(j->db));
  }
  {
    // A file system that refuses WAL leaves SQLite in a rollback journal, whose commits sync
    // themselves: group commit (a sync of the WAL) would then sync nothing.
    statement mode{j->statements, j->db, "PRAGMA journal_mode", ec};
    if (!ec && mode.step(ec) && mode.text(0) != "wal" && j->group_commit) {
      j->group_commit = false;
      ec = j->exec("PRAGMA synchronous=FULL");
    }
    if (ec) {
      return fail(ec, sqlite3_errmsg(j->db));
    }
  }
  {
    statement check{j->statements, j->db, "PRAGMA quick_check", ec};
    if (!ec && check.step(ec) && check.text(0) != "ok") {
      return fail(error::journal_corrupt, "quick_check: " + check.text(0));
    }
    if (ec) {
      return fail(ec, sqlite3_errmsg(j->db));
    }
  }
  std::int64_t version = j->pragma_integer("PRAGMA user_version", ec);
  if (ec) {
    return fail(ec, sqlite3_errmsg(j->db));
  }
  if (version > latest_version) {
    return fail(error::journal_too_new, "schema version " + std::to_string(version) +
                                            ", this ferry writes " +
                                            std::to_string(latest_version));
  }
  if (version < latest_version) {
    j->write(ec, [&](std::error_code& wec) {
      version = j->pragma_integer("PRAGMA user_version", wec);  // another may have migrated
      for (const migration& m : migrations) {
        if (!wec && m.version > version) {
          wec = j->exec(m.sql);
        }
      }
      if (!wec && version < latest_version) {
        wec = j->exec(("PRAGMA user_version = " + std::to_string(latest_version)).c_str());
      }
    });
    if (ec) {
      return fail(ec, sqlite3_errmsg(j->db));
    }
  }
  return std::unique_ptr<journal>{new journal{std::move(j)}};
}

namespace {

// A task's paths must be absolute (add makes them so).
bool paths_absolute(const transfer_request& request) {
  const bool download = request.kind == transfer_kind::download;
  return download ? request.output.is_absolute()
                  : request.body.empty() || request.body.is_absolute();
}

}  // namespace

bool is_task_error(std::error_code ec) noexcept {
  return ec == error::output_in_use || ec == error::invalid_argument;
}

// Inside a write transaction: the task stored, or the key's task found.
journal::added journal::insert_task(const new_task& task, wall_time now, std::uint64_t answering,
                                    std::error_code& wec) {
  added result;
  const transfer_request& request = task.request;
  const bool download = request.kind == transfer_kind::download;
  if (!task.options.key.empty()) {
    if (auto existing = impl_->row_by_key(task.options.key, wec); existing && !wec) {
      result.task = to_info(*existing, wec, impl_->problem);
      result.existed = true;
      if (!wec && answering != 0) {
        impl_->store_answer(answering, {{}, result.task.id}, now, wec);
      }
      return result;
    }
    if (wec) {
      return result;
    }
  }
  task_row r;
  if (download && impl_->output_taken(request.output.string(), wec)) {
    wec = error::output_in_use;
    return result;
  }
  if (wec) {
    return result;
  }
  r.id = impl_->next_id(wec);
  if (wec) {
    return result;
  }
  const encoded_request encoded = encode_request(request, task.options.store_credentials);
  (void)decode_request(encoded.json, wec);
  if (wec) {
    wec = error::invalid_argument;  // a request that would not come back (an empty URL)
    return result;
  }
  if (!task.options.key.empty()) {
    r.key = task.options.key;
  }
  r.kind = kind_name(request.kind);
  r.description = task.options.description;
  r.request = encoded.json;
  r.secrets_withheld = encoded.secrets_withheld || task.secrets_withheld ? 1 : 0;
  if (download) {
    r.output = request.output.string();
  }
  r.priority = to_string(task.options.priority);
  r.group = task.options.group;
  r.order = to_string(task.options.order);
  r.earliest_begin = maybe_ns(task.options.earliest_begin);
  r.state = to_string(task.options.paused ? task_state::paused : task_state::queued);
  r.created = to_ns(now);
  r.changed = r.created;
  r.idempotent = task.options.idempotent ? 1 : 0;
  impl_->store(r, true, wec);
  if (!wec) {
    result.task = to_info(r, wec, impl_->problem);
  }
  if (!wec && answering != 0) {
    impl_->store_answer(answering, {{}, result.task.id}, now, wec);
  }
  return result;
}

journal::added journal::add_task(const new_task& task, wall_time now, std::error_code& ec,
                                 std::uint64_t answering) {
  if (!paths_absolute(task.request)) {
    ec = error::invalid_argument;
    return {};
  }
  added result;
  impl_->write(ec, [&](std::error_code& wec) { result = insert_task(task, now, answering, wec); });
  if (ec) {
    return {};
  }
  return result;
}

std::vector<journal::batch_entry> journal::add_tasks(std::span<const new_task> tasks, wall_time now,
                                                     std::error_code& ec) {
  std::vector<batch_entry> entries(tasks.size());
  impl_->write(ec, [&](std::error_code& wec) {
    for (std::size_t i = 0; i < tasks.size() && !wec; ++i) {
      if (!paths_absolute(tasks[i].request)) {
        entries[i].error = error::invalid_argument;
        continue;
      }
      wec = impl_->run("SAVEPOINT task");
      if (wec) {
        return;
      }
      std::error_code item;
      entries[i].result = insert_task(tasks[i], now, 0, item);
      if (item && is_task_error(item)) {
        entries[i] = {{}, item};
        wec = impl_->run("ROLLBACK TO task");  // this task's rows only
      } else {
        wec = item;
      }
      if (!wec) {
        wec = impl_->run("RELEASE task");
      }
    }
  });
  if (ec) {
    return {};
  }
  return entries;
}

std::vector<std::uint64_t> journal::apply(std::span<const task_change> changes, wall_time now,
                                          std::error_code& ec) {
  std::vector<std::uint64_t> seqs(changes.size(), 0);
  impl_->write(ec, [&](std::error_code& wec) {
    for (std::size_t i = 0; i < changes.size() && !wec; ++i) {
      const task_change& c = changes[i];
      auto r = impl_->row(c.id, wec);
      if (wec) {
        return;
      }
      if (!r) {
        wec = error::invalid_argument;
        return;
      }
      r->state = to_string(c.state);
      r->reason = store_code(c.reason);
      r->message = c.message;
      r->retry_at = maybe_ns(c.retry_at);
      r->changed = to_ns(now);
      impl_->store(*r, false, wec);
      if (!wec && c.event) {
        seqs[i] = impl_->insert_event(*r, *c.event, c.reason, c.message, now, wec);
      }
    }
  });
  if (ec) {
    return {};
  }
  return seqs;
}

void journal::set_priority(task_id id, task_priority priority, std::error_code& ec) {
  impl_->write(ec, [&](std::error_code& wec) {
    auto r = impl_->row(id, wec);
    if (!wec && !r) {
      wec = error::invalid_argument;
    }
    if (wec) {
      return;
    }
    r->priority = to_string(priority);
    impl_->store(*r, false, wec);
  });
}

std::vector<task_info> journal::tasks(std::error_code& ec) {
  std::vector<task_info> all;
  ec = {};
  statement s{impl_->statements, impl_->db,
              "SELECT " + std::string{row_columns} + " FROM tasks ORDER BY id", ec};
  while (!ec && s.step(ec)) {
    const task_row r = read_row(s, ec, impl_->problem);
    if (!ec) {
      all.push_back(to_info(r, ec, impl_->problem));
    }
  }
  if (ec) {
    return {};
  }
  return all;
}

std::optional<task_info> journal::find(task_id id, std::error_code& ec) {
  ec = {};
  const auto r = impl_->row(id, ec);
  if (ec || !r) {
    return std::nullopt;
  }
  task_info t = to_info(*r, ec, impl_->problem);
  if (ec) {
    return std::nullopt;
  }
  return t;
}

std::vector<session_event> journal::unacknowledged(std::uint64_t after, std::error_code& ec) {
  std::vector<session_event> events;
  ec = {};
  statement s{impl_->statements, impl_->db,
              "SELECT seq, task, kind, state, code_category, code_value, code_name, message, at "
              "FROM events WHERE acknowledged = 0 AND seq > ? ORDER BY seq",
              ec};
  if (ec) {
    return {};
  }
  s.bind(1, static_cast<std::int64_t>(after));
  while (s.step(ec)) {
    session_event e;
    e.seq = static_cast<std::uint64_t>(s.integer(0));
    e.task = static_cast<task_id>(s.integer(1));
    const auto kind = parse_event_kind(s.text(2));
    const auto state = parse_task_state(s.text(3));
    if (!kind || !state) {
      ec = error::journal_corrupt;
      return {};
    }
    e.kind = *kind;
    e.state = *state;
    e.code = load_code({s.text(4), s.integer(5), s.text(6)});
    e.message = s.text(7);
    e.at = from_ns(s.integer(8));
    events.push_back(std::move(e));
  }
  if (ec) {
    return {};
  }
  return events;
}

void journal::acknowledge(std::uint64_t seq, std::error_code& ec) {
  impl_->write(ec, [&](std::error_code& wec) {
    statement s{impl_->statements, impl_->db, "UPDATE events SET acknowledged = 1 WHERE seq = ?",
                wec};
    if (wec) {
      return;
    }
    s.bind(1, static_cast<std::int64_t>(seq));
    (void)s.step(wec);
    if (wec || sqlite3_changes(impl_->db) > 0) {
      return;
    }
    statement exists{impl_->statements, impl_->db, "SELECT 1 FROM events WHERE seq = ?", wec};
    if (wec) {
      return;
    }
    exists.bind(1, static_cast<std::int64_t>(seq));
    if (!exists.step(wec) && !wec) {
      wec = error::invalid_argument;
    }
  });
}

std::vector<task_id> journal::remove_finished(wall_time changed_before, std::error_code& ec) {
  std::vector<task_id> removed;
  impl_->write(ec, [&](std::error_code& wec) {
    statement s{impl_->statements, impl_->db,
                "DELETE FROM tasks WHERE state IN ('completed', 'failed', 'cancelled') AND "
                "changed < ? AND NOT EXISTS (SELECT 1 FROM events WHERE events.task = tasks.id "
                "AND acknowledged = 0) RETURNING id",
                wec};
    if (wec) {
      return;
    }
    s.bind(1, to_ns(changed_before));
    while (s.step(wec)) {
      removed.push_back(static_cast<task_id>(s.integer(0)));
    }
    if (wec) {
      return;
    }
    wec = impl_->exec("DELETE FROM events WHERE task NOT IN (SELECT id FROM tasks)");
  });
  if (ec) {
    return {};
  }
  return removed;
}

std::uint64_t journal::commits() const noexcept {
  return impl_->commits;
}

void journal::sync(std::error_code& ec) {
  ec = {};
  if (!impl_->group_commit || impl_->synced == impl_->commits) {
    return;
  }
  sync_now(ec);
  if (!ec) {
    impl_->synced = impl_->commits;
  }
}

void journal::sync_now(std::error_code& ec) {
  // The WAL's file through its VFS (a test's failing VFS sees the sync): every frame of every
  // commit so far, and on its first sync the directory entry of a new WAL. No WAL open yet:
  // nothing was written through this connection, and a read opens it.
  ec = {};
  sqlite3_file* wal = nullptr;
  const int rc = sqlite3_file_control(impl_->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
  if (rc != SQLITE_OK) {
    ec = error::journal_unwritable;
    return;
  }
  if (wal != nullptr && wal->pMethods != nullptr) {
    ec = error_for(wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL));
  }
}

std::uint64_t journal::unsynced() const noexcept {
  return impl_->group_commit ? impl_->commits - impl_->synced : 0;
}

void journal::checkpoint(std::error_code& ec) {
  ec = impl_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

// ---- commands ------------------------------------------------------------------------------

std::uint64_t journal::submit(const command& c, wall_time now, std::error_code& ec) {
  std::uint64_t seq = 0;
  impl_->write(ec, [&](std::error_code& wec) {
    statement s{impl_->statements, impl_->db,
                "INSERT INTO commands (verb, task, priority, request, secrets_withheld, key, "
                "description, grp, grp_order, earliest_begin, paused, store_credentials, "
                "submitted, idempotent) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                wec};
    if (wec) {
      return;
    }
    const task_options& o = c.added.options;
    s.bind(1, verb_name(c.verb));
    s.bind(2, static_cast<std::int64_t>(c.task));
    s.bind(3, to_string(c.verb == command_verb::add ? o.priority : c.priority));
    if (c.verb == command_verb::add) {
      const encoded_request encoded = encode_request(c.added.request, o.store_credentials);
      s.bind(4, encoded.json);
      s.bind(5, std::int64_t{encoded.secrets_withheld || c.added.secrets_withheld ? 1 : 0});
    } else {
      s.bind(4, std::optional<std::string>{});
      s.bind(5, std::int64_t{0});
    }
    s.bind(6, o.key);
    s.bind(7, o.description);
    s.bind(8, o.group);
    s.bind(9, to_string(o.order));
    s.bind(10, maybe_ns(o.earliest_begin));
    s.bind(11, std::int64_t{o.paused ? 1 : 0});
    s.bind(12, std::int64_t{o.store_credentials ? 1 : 0});
    s.bind(13, to_ns(now));
    s.bind(14, std::int64_t{o.idempotent ? 1 : 0});
    (void)s.step(wec);
    if (!wec) {
      seq = static_cast<std::uint64_t>(sqlite3_last_insert_rowid(impl_->db));
    }
  });
  return ec ? 0 : seq;
}

std::optional<command_answer> journal::answer_of(std::uint64_t seq, std::error_code& ec) {
  ec = {};
  statement s{impl_->statements, impl_->db,
              "SELECT answered, result_category, result_value, result_name, result_task "
              "FROM commands WHERE seq = ?",
              ec};
  if (ec) {
    return std::nullopt;
  }
  s.bind(1, static_cast<std::int64_t>(seq));
  if (!s.step(ec)) {
    if (!ec) {
      ec = error::invalid_argument;
    }
    return std::nullopt;
  }
  if (s.is_null(0)) {
    return std::nullopt;
  }
  command_answer a;
  a.result = load_code({s.text(1), s.integer(2), s.text(3)});
  a.task = static_cast<task_id>(s.integer(4));
  return a;
}

void journal::forget_command(std::uint64_t seq, std::error_code& ec) {
  impl_->write(ec, [&](std::error_code& wec) {
    statement s{impl_->statements, impl_->db, "DELETE FROM commands WHERE seq = ?", wec};
    if (!wec) {
      s.bind(1, static_cast<std::int64_t>(seq));
      (void)s.step(wec);
    }
  });
}

bool journal::changed_elsewhere(std::error_code& ec) {
  const std::int64_t now = impl_->pragma_integer("PRAGMA data_version", ec);
  if (ec) {
    return false;
  }
  const bool changed = now != impl_->data_version;
  impl_->data_version = now;
  return changed;
}

std::vector<command> journal::unanswered(wall_time now, std::error_code& ec) {
  std::vector<command> pending;
  std::vector<std::uint64_t> undecodable;
  ec = {};
  {
    statement s{impl_->statements, impl_->db,
                "SELECT seq, verb, task, priority, request, secrets_withheld, key, description, "
                "grp, grp_order, earliest_begin, paused, store_credentials, idempotent "
                "FROM commands "
                "WHERE answered IS NULL ORDER BY seq",
                ec};
    while (!ec && s.step(ec)) {
      command c;
      c.seq = static_cast<std::uint64_t>(s.integer(0));
      const auto verb = parse_verb(s.text(1));
      c.task = static_cast<std::uint64_t>(s.integer(2));
      const auto priority = parse_task_priority(s.text(3));
      const auto order = parse_group_order(s.text(9));
      std::error_code decoded;
      if (verb == command_verb::add) {
        c.added.request = decode_request(s.text(4), decoded);
      }
      if (!verb || !priority || !order || decoded) {
        undecodable.push_back(c.seq);
        continue;
      }
      c.verb = *verb;
      c.priority = *priority;
      task_options& o = c.added.options;
      c.added.secrets_withheld = s.integer(5) != 0;
      o.key = s.text(6);
      o.description = s.text(7);
      o.priority = *priority;
      o.group = s.text(8);
      o.order = *order;
      o.earliest_begin = maybe_time(s.maybe_integer(10));
      o.paused = s.integer(11) != 0;
      o.store_credentials = s.integer(12) != 0;
      o.idempotent = s.integer(13) != 0;
      pending.push_back(std::move(c));
    }
  }
  if (ec) {
    return {};
  }
  for (const std::uint64_t seq : undecodable) {
    answer(seq, {error::journal_corrupt, 0}, now, ec);
    if (ec) {
      return {};
    }
  }
  return pending;
}

void journal::answer(std::uint64_t seq, const command_answer& a, wall_time now,
                     std::error_code& ec) {
  impl_->write(ec, [&](std::error_code& wec) { impl_->store_answer(seq, a, now, wec); });
}

void journal::forget_answered(wall_time before, std::error_code& ec) {
  impl_->write(ec, [&](std::error_code& wec) {
    statement s{impl_->statements, impl_->db,
                "DELETE FROM commands WHERE answered IS NOT NULL AND submitted < ?", wec};
    if (!wec) {
      s.bind(1, to_ns(before));
      (void)s.step(wec);
    }
  });
}

bool journal::release_if_no_commands(const std::function<void()>& release, std::error_code& ec) {
  bool released = false;
  impl_->write(ec, [&](std::error_code& wec) {
    statement s{impl_->statements, impl_->db,
                "SELECT 1 FROM commands WHERE answered IS NULL LIMIT 1", wec};
    if (wec || s.step(wec) || wec) {
      return;  // a command is waiting (or the query failed): the caller applies it first
    }
    release();
    released = true;
  });
  return released;
}

void journal::probe(wall_time now, std::error_code& ec) {
  impl_->write(ec, [&](std::error_code& wec) {
    statement s{impl_->statements, impl_->db, "UPDATE session SET touched = ? WHERE id = 1", wec};
    if (!wec) {
      s.bind(1, to_ns(now));
      (void)s.step(wec);
    }
  });
}

invalidation journal::invalidated(std::error_code& ec) {
  ec = {};
  statement s{impl_->statements, impl_->db, "SELECT invalidation FROM session WHERE id = 1", ec};
  if (ec || !s.step(ec)) {
    return invalidation::none;
  }
  const std::string how = s.text(0);
  if (how == "finish") {
    return invalidation::finish;
  }
  if (how == "cancel") {
    return invalidation::cancel;
  }
  if (!how.empty()) {
    ec = error::journal_corrupt;
  }
  return invalidation::none;
}

void journal::set_invalidated(invalidation how, std::error_code& ec) {
  impl_->write(ec, [&](std::error_code& wec) {
    statement s{impl_->statements, impl_->db, "UPDATE session SET invalidation = ? WHERE id = 1",
                wec};
    if (!wec) {
      s.bind(1, std::string_view{how == invalidation::finish   ? "finish"
                                 : how == invalidation::cancel ? "cancel"
                                                               : ""});
      (void)s.step(wec);
    }
  });
}

bool journal::has_unacknowledged(std::error_code& ec) {
  ec = {};
  statement s{impl_->statements, impl_->db, "SELECT 1 FROM events WHERE acknowledged = 0 LIMIT 1",
              ec};
  return !ec && s.step(ec);
}

}  // namespace ferry::engine::detail
