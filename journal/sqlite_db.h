#pragma once
// SqliteDb and Statement: thin RAII over the SQLite C API, errors as exceptions that name
// the database and say what failed. Not thread-safe: one connection per thread.

#include <sqlite3.h>

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
  /// Opens (creating when `create`) the database; WAL mode, so a reader never blocks the
  /// writer and a killed process loses at most its uncommitted transaction.
  SqliteDb(const std::filesystem::path& path, bool create);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void Exec(std::string_view sql);
  Statement Prepare(std::string_view sql) { return Statement(db_, sql); }
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() { return db_; }

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace taskfarm
