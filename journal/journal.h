#pragma once
// Journal: the run's SQLite database as its journal. Every run is a row in `runs` with the
// settings that define its tasks; every task outcome is a row in `results`, committed as
// outcomes arrive (batched, on a writer thread), so a killed coordinator loses at most the
// last fraction of a second, and `taskfarm run --resume` finishes exactly the tasks that
// have no row.
//
// Schema (version 1):
//   runs(run_id INTEGER PRIMARY KEY, started_at, finished_at, spec TEXT, exit_code,
//        owner, version, rate_limits): owner names the coordinator process writing the run
//        (ProcessIdentity); version is taskfarm's; rate_limits the buckets' final figures
//   (results also keep started_ms and finished_ms: Unix times of each task, for the report)
//   results(run_id, task_id, kind, status, attempts, worker, run_ms, cpu_ms, error_code,
//           error, payload BLOB, PRIMARY KEY(run_id, task_id))
//   geocodes(run_id, task_id, query, normalized, status, lat, lon, formatted_address,
//            provider, attempts, latency_ms, cached, error): geocoding results, one per place
//   geocode_cache(key, answer): answers by folded query and providers, across runs
//   documents(id, path, type, size, mtime_ns, hash, title, words, status, error, note,
//   charset, extractor, container): one row per file, and one per member of an archive
//   (path ARCHIVE!MEMBER, container ARCHIVE), and
//   documents_fts(title, body): the full-text index (FTS5), rowid = documents.id
// A task's row is written once: the primary key makes a second result for a task an error,
// never a second row. One run writes a database at a time: a second is refused while the
// first one's coordinator lives. A row whose commit fails (disk full, I/O error) is never
// counted as written: failure() says so, and --resume runs that task again.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "coordinator/index_source.h"
#include "journal/outcome_row.h"
#include "journal/sqlite_db.h"

namespace taskfarm {

/// Another run, whose coordinator still runs, is writing the database.
class JournalInUse : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A run as the `runs` table holds it.
struct RunRecord {
  int64_t run_id = 0;
  std::string spec;
  std::string started_at;
  std::optional<std::string> finished_at;  // none: still running, or killed
  std::optional<int> exit_code;
  double wall_s = 0;  // started to finished (or to the last result of a killed run)
  std::optional<std::string> version;  // taskfarm's version that ran it (none before 0.1)
  std::optional<std::string> rate_limits;  // its buckets' final figures, JSON (finished runs)
};

/// Append() is thread-safe; everything else belongs to the thread that opened the journal.
class Journal {
 public:
  /// Opens or creates the database at `path`. Throws SqliteError naming the file, also for
  /// a database of another program. Read-only (for reports), nothing is written to the file
  /// and one without runs is refused.
  explicit Journal(const std::filesystem::path& path,
                   SqliteDb::Access access = SqliteDb::Access::kCreate);
  /// Commits what is queued, then stops the writer.
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  /// Starts a new run with `spec` (the settings that define its tasks); returns its id.
  /// Throws JournalInUse while another live coordinator writes a run in this database.
  int64_t BeginRun(const std::string& spec, const std::string& version);
  /// Continues an earlier run (for --resume): new rows join its results. Throws JournalInUse
  /// as BeginRun does.
  void ContinueRun(int64_t run_id);
  /// The run `run_id`, or the latest one; nullopt when there is none.
  std::optional<RunRecord> FindRun(std::optional<int64_t> run_id = std::nullopt);
  /// Ids of the tasks of `run_id` that have a result row.
  std::vector<uint64_t> FinishedTasks(int64_t run_id);
  /// The files the index holds (read before the run starts), for incremental runs.
  std::unordered_map<std::string, FileStamp> KnownDocuments();
  /// Drops files from the index (after the run: the writer has stopped).
  void RemoveDocuments(const std::vector<std::string>& paths);
  /// The cached answer for a geocode cache key. Read through a read-only connection of its
  /// own, so the task sources may ask while the writer thread writes.
  std::optional<std::string> CachedGeocode(const std::string& key);
  /// Calls `visit` for each result row of `run_id`, in task order.
  void ForEachResult(int64_t run_id, const std::function<void(const OutcomeRow&)>& visit);
  /// Marks the run finished; `rate_limits` is its buckets' final figures (JSON, the
  /// summary's rate_limits), kept for `taskfarm report`.
  void EndRun(int64_t run_id, int exit_code, const std::string& rate_limits = "{}");

  /// Queues a result row of the current run; blocks while kMaxQueued rows wait. Returns
  /// false once a commit has failed (failure() says why): the row will not be written.
  bool Append(OutcomeRow row);
  /// Waits until every row appended so far is committed, or failed to be.
  void Flush();
  /// Why rows could not be committed ("<path>: <error>"); nullopt while all were. Once a
  /// commit fails, later rows are not written either: the run is to stop. Thread-safe.
  std::optional<std::string> failure() const;
  /// Rows appended and not committed because of failure().
  uint64_t rows_lost() const;

  const std::filesystem::path& path() const { return db_.path(); }

 private:
  // Append() waits while this many rows, or this many bytes of them, wait for the writer;
  // the writer's batch holds as many bytes at most. The journal's memory stays within
  // about 2 x kMaxQueuedBytes whatever the rows.
  static constexpr std::size_t kMaxQueued = 100'000;
  static constexpr std::size_t kMaxQueuedBytes = std::size_t{64} << 20;
  static constexpr std::size_t kMaxRowsPerTransaction = 20'000;

  void WriterLoop();
  /// Makes this process the database's writer, refusing if another live one is.
  void ClaimRuns(const std::function<void()>& write_run_row);
  void Commit(std::vector<OutcomeRow>& rows);
  void InsertRows(const std::vector<OutcomeRow>& rows);
  void InsertGeocode(Statement& insert, const OutcomeRow& row);
  struct DocumentStatements {
    Statement& find;
    Statement& forget_text;
    Statement& upsert;
    Statement& add_text;
    Statement& find_members;
    Statement& forget_members;
  };
  void InsertDocument(DocumentStatements& statements, const OutcomeRow& row);
  /// Drops an archive's member rows (before its members are stored again, or it is gone).
  void ForgetMembers(DocumentStatements& statements, const std::string& container);
  void InsertMember(DocumentStatements& statements, const std::string& container,
                    const IndexedDocument& archive, const IndexedMember& member);

  SqliteDb db_;  // used by the opening thread before the writer starts, then by the writer
  std::unique_ptr<SqliteDb> cache_reader_;       // CachedGeocode's connection, opened at need
  std::optional<Statement> cache_select_;        // on cache_reader_
  int64_t run_id_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<OutcomeRow> queue_;  // guarded by mutex_
  std::size_t queued_bytes_ = 0;  // guarded by mutex_: HeldBytes of the rows in queue_
  uint64_t appended_ = 0;         // guarded by mutex_
  uint64_t committed_ = 0;        // guarded by mutex_
  bool closing_ = false;          // guarded by mutex_
  std::string writer_error_;      // guarded by mutex_
  uint64_t lost_ = 0;             // guarded by mutex_: rows not committed after an error
  std::thread writer_;
};

}  // namespace taskfarm
