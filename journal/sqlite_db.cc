#include "journal/sqlite_db.h"

#include <fmt/format.h>

namespace taskfarm {
namespace {

// A busy database (another reader holding a lock) is waited for this long before failing.
constexpr int kBusyTimeoutMs = 10'000;

[[noreturn]] void Fail(sqlite3* db, std::string_view what) {
  throw SqliteError(fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory"));
}

constexpr const char* kReadHeader = "SELECT count(*) FROM sqlite_schema";

// A file: URI for `path` opened with immutable=1 (its ?, # and % escaped).
std::string ImmutableUri(const std::filesystem::path& path) {
  std::string uri = "file:";
  for (const char c : std::filesystem::absolute(path).string()) {
    if (c == '?' || c == '#' || c == '%') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
      SQLITE_OK) {
    Fail(db, fmt::format("preparing '{}'", sql.substr(0, 60)));
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Fail(db_, fmt::format("running '{}'", std::string_view(sqlite3_sql(stmt_)).substr(0, 60)));
}

void Statement::Run() {
  while (Step()) {
  }
  Reset();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::Double(int column) const { return sqlite3_column_double(stmt_, column); }
std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_blob(stmt_, column);
  return text ? std::string(static_cast<const char*>(text), sqlite3_column_bytes(stmt_, column))
              : std::string();
}
bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

SqliteDb::SqliteDb(const std::filesystem::path& path, Access access) : path_(path) {
  const int flags = access == Access::kReadOnly    ? SQLITE_OPEN_READONLY
                    : access == Access::kReadWrite ? SQLITE_OPEN_READWRITE
                                                   : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  Open(path.string(), flags);
  try {
    if (access != Access::kReadOnly) {
      Exec("PRAGMA journal_mode=WAL");
      Exec("PRAGMA synchronous=NORMAL");
    } else if (sqlite3_exec(db_, kReadHeader, nullptr, nullptr, nullptr) == SQLITE_CANTOPEN) {
      // A WAL database on read-only media: its -wal and -shm files cannot be made, and no
      // process can be writing it, so it is read as immutable.
      sqlite3_close(db_);
      db_ = nullptr;
      Open(ImmutableUri(path), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
      Exec(kReadHeader);
    } else {
      Exec(kReadHeader);  // the first read: is the file a database at all?
    }
  } catch (const SqliteError& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(fmt::format("{} is not a usable SQLite database ({})", path.string(),
                                  e.what()));
  }
}

void SqliteDb::Open(const std::string& name, int flags) {
  if (sqlite3_open_v2(name.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(fmt::format("cannot open database {}: {}", path_.string(), reason));
  }
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

void SqliteDb::StopAfter(std::chrono::milliseconds limit) {
  deadline_ = std::chrono::steady_clock::now() + limit;
  constexpr int kStepsBetweenChecks = 1000;
  sqlite3_progress_handler(
      db_, kStepsBetweenChecks,
      [](void* deadline) {
        return static_cast<int>(std::chrono::steady_clock::now() >
                                *static_cast<std::chrono::steady_clock::time_point*>(deadline));
      },
      &deadline_);
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

void SqliteDb::Exec(std::string_view sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string reason = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    throw SqliteError(fmt::format("{}: {}", path_.string(), reason));
  }
}

}  // namespace taskfarm
