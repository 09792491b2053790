#pragma once
// SqliteDb and Statement: thin RAII over the SQLite C API, errors as exceptions that name
// the database and say what failed. Not thread-safe: one connection per thread.

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace taskfarm {

class SqliteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);

  /// Runs one step; true while a row is available.
  bool Step();
  /// Runs to completion (for statements that return no rows).
  void Run();
  void Reset();

  int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  enum class Access {
    kReadOnly,   // the file is never written (report, search)
    kReadWrite,  // an existing database
    kCreate,     // created when missing
  };
  /// Opens the database; a writable one in WAL mode, so a reader never blocks the writer
  /// and a killed process loses at most its uncommitted transaction. Read-only, a database
  /// on read-only media is read too. Throws SqliteError naming the file.
  SqliteDb(const std::filesystem::path& path, Access access);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  /// Statements that run past `limit` from now fail with SQLITE_INTERRUPT (checked between
  /// virtual-machine steps, so a single long step can overrun it).
  void StopAfter(std::chrono::milliseconds limit);
  bool WasInterrupted() const { return sqlite3_errcode(db_) == SQLITE_INTERRUPT; }

  void Exec(std::string_view sql);
  Statement Prepare(std::string_view sql) { return Statement(db_, sql); }
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() { return db_; }

 private:
  void Open(const std::string& name, int flags);

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::chrono::steady_clock::time_point deadline_;  // for StopAfter
};

}  // namespace taskfarm
