#include "journal/journal.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "shared/owner_pid.h"
#include "shared/utf8.h"

namespace taskfarm {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs(
  run_id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT,
  spec TEXT NOT NULL,
  exit_code INTEGER
);
CREATE TABLE IF NOT EXISTS results(
  run_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  input TEXT,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  worker INTEGER,
  run_ms REAL,
  cpu_ms REAL,
  error_code TEXT,
  error TEXT,
  payload BLOB,
  job_id TEXT,                  -- a job file's "id"
  started_ms INTEGER,           -- when its last attempt started (Unix time, ms; the run report's timeline)
  finished_ms INTEGER,          -- when its outcome arrived
  lane INTEGER,                 -- 0: CPU, 1: network (many at once per worker)
  PRIMARY KEY(run_id, task_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS geocodes(
  run_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  query TEXT NOT NULL,          -- the place as the input gave it
  normalized TEXT NOT NULL,     -- folded: the cache's key
  status TEXT NOT NULL,         -- ok, not_found, error
  lat REAL,
  lon REAL,
  formatted_address TEXT,
  provider TEXT,
  attempts INTEGER,
  latency_ms REAL,
  cached INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  PRIMARY KEY(run_id, task_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS documents(
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  type TEXT,
  size INTEGER,
  mtime_ns INTEGER,
  hash TEXT,
  title TEXT,
  words INTEGER,
  status TEXT NOT NULL,     -- indexed, skipped, error
  error TEXT,
  note TEXT,
  charset TEXT,             -- a text file's encoding as read: UTF-8, ISO-8859-1, ...
  extractor TEXT,           -- what made its text: converter:COMMAND or taskfarm:VERSION
  container TEXT,           -- an archive member's archive (its path is container!name)
  indexed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(title, body, tokenize='porter unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS geocode_cache(
  key TEXT PRIMARY KEY,     -- folded query | providers
  answer BLOB NOT NULL,     -- an encoded GeocodeAnswer
  stored_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) WITHOUT ROWID;
)sql";

bool HasColumn(SqliteDb& db, const std::string& table, const std::string& column) {
  Statement columns = db.Prepare("SELECT 1 FROM pragma_table_info('" + table +
                                 "') WHERE name = '" + column + "'");
  return columns.Step();
}

// Databases made by earlier versions lack the columns added since (results.job_id with job
// files, runs.owner with one run at a time, runs.version).
void AddColumnIfMissing(SqliteDb& db, const std::string& table, const std::string& column) {
  if (!HasColumn(db, table, column)) db.Exec("ALTER TABLE " + table + " ADD COLUMN " + column + " TEXT");
}

// A database with tables, none of them `runs`, belongs to another program: taskfarm's tables
// are not added to it.
void RefuseForeignDatabase(SqliteDb& db) {
  Statement tables = db.Prepare(
      "SELECT count(*), sum(name = 'runs') FROM sqlite_schema WHERE type = 'table'");
  if (tables.Step() && tables.Int(0) > 0 && tables.Int(1) == 0) {
    throw SqliteError(fmt::format("{} is not a taskfarm database: it holds {} tables of another "
                                  "program (give --db a new file, or one taskfarm made)",
                                  db.path().string(), tables.Int(0)));
  }
}

// An index made before words were stemmed is tokenized again, with its text, so that
// "threads" finds "thread" in it too.
void StemTheIndex(SqliteDb& db) {
  Statement table = db.Prepare("SELECT sql FROM sqlite_schema WHERE name = 'documents_fts'");
  if (!table.Step() || table.Text(0).find("porter") != std::string::npos) return;
  table.Reset();
  db.Exec(
      "BEGIN IMMEDIATE;"
      "ALTER TABLE documents_fts RENAME TO documents_fts_unstemmed;"
      "CREATE VIRTUAL TABLE documents_fts USING fts5(title, body, "
      "tokenize='porter unicode61 remove_diacritics 2');"
      "INSERT INTO documents_fts(rowid, title, body) "
      "SELECT rowid, title, body FROM documents_fts_unstemmed;"
      "DROP TABLE documents_fts_unstemmed;"
      "COMMIT;");
}

void RefuseDatabaseWithoutRuns(SqliteDb& db) {
  Statement runs =
      db.Prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'runs'");
  if (!runs.Step() || runs.Int(0) == 0) {
    throw SqliteError(db.path().string() + " holds no taskfarm run (it is empty)");
  }
}

// The memory a queued row holds, near enough: its strings, a document's text twice (in the
// payload and decoded).
std::size_t HeldBytes(const OutcomeRow& row) {
  std::size_t bytes = sizeof(OutcomeRow) + row.payload.size() + row.input.size() +
                      row.error.size();
  if (row.document) {
    bytes += row.document->text.size() + row.document->title.size();
    for (const IndexedMember& member : row.document->members) {
      bytes += sizeof(member) + member.name.size() + member.text.size() + member.title.size();
    }
  }
  return bytes;
}

}  // namespace

Journal::Journal(const std::filesystem::path& path, SqliteDb::Access access)
    : db_(path, access) {
  RefuseForeignDatabase(db_);
  if (access == SqliteDb::Access::kReadOnly) {
    RefuseDatabaseWithoutRuns(db_);
    return;
  }
  db_.Exec(kSchema);
  StemTheIndex(db_);
  AddColumnIfMissing(db_, "results", "job_id");
  AddColumnIfMissing(db_, "runs", "owner");
  AddColumnIfMissing(db_, "runs", "version");
  AddColumnIfMissing(db_, "documents", "charset");
  AddColumnIfMissing(db_, "documents", "extractor");
  AddColumnIfMissing(db_, "documents", "container");
  AddColumnIfMissing(db_, "runs", "rate_limits");
  AddColumnIfMissing(db_, "results", "started_ms");
  AddColumnIfMissing(db_, "results", "finished_ms");
  AddColumnIfMissing(db_, "results", "lane");
  db_.Exec("CREATE INDEX IF NOT EXISTS documents_by_container ON documents(container)");
}

void Journal::ClaimRuns(const std::function<void()>& write_run_row) {
  // IMMEDIATE: two coordinators starting at once are serialized here, so one sees the other.
  db_.Exec("BEGIN IMMEDIATE");
  try {
    {
      Statement owners =
          db_.Prepare("SELECT run_id, owner FROM runs WHERE finished_at IS NULL AND owner IS NOT NULL");
      while (owners.Step()) {
        const std::string owner = owners.Text(1);
        if (owner == ProcessIdentity() || !IdentityAlive(owner)) continue;
        throw JournalInUse(fmt::format(
            "{} is in use: run {} is being written by taskfarm process {}; one run at a time "
            "per database (wait for it, or use another --db)",
            db_.path().string(), owners.Int(0), owner.substr(0, owner.find(':'))));
      }
    }
    write_run_row();
    db_.Exec("COMMIT");
  } catch (...) {
    try {
      db_.Exec("ROLLBACK");
    } catch (const SqliteError&) {
    }
    throw;
  }
}

Journal::~Journal() {
  if (writer_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    changed_.notify_all();
    writer_.join();
  }
}

int64_t Journal::BeginRun(const std::string& spec, const std::string& version) {
  ClaimRuns([&] {
    db_.Prepare("INSERT INTO runs(spec, owner, version) VALUES(?, ?, ?)")
        .Bind(1, spec)
        .Bind(2, ProcessIdentity())
        .Bind(3, version)
        .Run();
    run_id_ = db_.LastInsertId();
  });
  writer_ = std::thread([this] { WriterLoop(); });
  return run_id_;
}

void Journal::ContinueRun(int64_t run_id) {
  ClaimRuns([&] {
    db_.Prepare("UPDATE runs SET finished_at = NULL, exit_code = NULL, owner = ? WHERE run_id = ?")
        .Bind(1, ProcessIdentity())
        .Bind(2, run_id)
        .Run();
  });
  run_id_ = run_id;
  writer_ = std::thread([this] { WriterLoop(); });
}

std::optional<RunRecord> Journal::FindRun(std::optional<int64_t> run_id) {
  // A database opened read-only from before runs.version has no such column.
  const std::string version = HasColumn(db_, "runs", "version") ? "version" : "NULL";
  const std::string rate_limits = HasColumn(db_, "runs", "rate_limits") ? "rate_limits" : "NULL";
  Statement select = db_.Prepare(
      "SELECT run_id, spec, started_at, finished_at, exit_code, "
      "  (julianday(coalesce(finished_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))) - "
      "   julianday(started_at)) * 86400.0, " + version + ", " + rate_limits + " "
      "FROM runs WHERE run_id = coalesce(?, (SELECT max(run_id) FROM runs))");
  if (run_id) {
    select.Bind(1, *run_id);
  } else {
    select.BindNull(1);
  }
  if (!select.Step()) return std::nullopt;
  RunRecord run;
  run.run_id = select.Int(0);
  run.spec = select.Text(1);
  run.started_at = select.Text(2);
  if (!select.IsNull(3)) run.finished_at = select.Text(3);
  if (!select.IsNull(4)) run.exit_code = static_cast<int>(select.Int(4));
  run.wall_s = select.Double(5);
  if (!select.IsNull(6)) run.version = select.Text(6);
  if (!select.IsNull(7)) run.rate_limits = select.Text(7);
  return run;
}

std::vector<uint64_t> Journal::FinishedTasks(int64_t run_id) {
  std::vector<uint64_t> ids;
  Statement select = db_.Prepare("SELECT task_id FROM results WHERE run_id = ? ORDER BY task_id");
  select.Bind(1, run_id);
  while (select.Step()) ids.push_back(static_cast<uint64_t>(select.Int(0)));
  return ids;
}

void Journal::ForEachResult(int64_t run_id,
                            const std::function<void(const OutcomeRow&)>& visit) {
  Statement select = db_.Prepare(
      "SELECT task_id, kind, r.status, attempts, worker, run_ms, cpu_ms, error_code, r.error, "
      "payload, input, job_id, coalesce(started_ms, 0), coalesce(finished_ms, 0), "
      "coalesce(lane, 0), " +
      std::string(HasColumn(db_, "documents", "note")  // a database from before indexing has none
                      ? "d.status, d.note FROM results r LEFT JOIN documents d "
                        "ON r.kind = 'index' AND d.path = r.input "
                      : "NULL, NULL FROM results r ") +
      "WHERE run_id = ? ORDER BY task_id");
  select.Bind(1, run_id);
  while (select.Step()) {
    OutcomeRow row;
    row.task_id = static_cast<uint64_t>(select.Int(0));
    row.kind = select.Text(1);
    row.ok = select.Text(2) != "error";  // a place not found is a task done: not_found
    row.attempts = static_cast<uint32_t>(select.Int(3));
    row.worker = static_cast<uint32_t>(select.Int(4));
    row.run_ms = select.Double(5);
    row.cpu_ms = select.Double(6);
    row.error_code = select.Text(7);
    row.error = select.Text(8);
    row.payload = select.Text(9);
    row.input = select.Text(10);
    if (!select.IsNull(11)) row.job_id = select.Text(11);
    row.started_unix_ms = select.Int(12);
    row.finished_unix_ms = select.Int(13);
    row.network_lane = select.Int(14) == 1;
    DecodeKindFields(row);
    // An index task's document is not kept in its row: a skipped file is known from the
    // index (as it stands now), so a report counts it skipped as the run did.
    if (row.ok && !row.document && !select.IsNull(15) && select.Text(15) == "skipped") {
      row.document = IndexedDocument{};
      row.document->status = "skipped";
      row.document->note = select.Text(16);
    }
    visit(row);
  }
}

std::optional<std::string> Journal::CachedGeocode(const std::string& key) {
  if (!cache_select_) {
    cache_reader_ = std::make_unique<SqliteDb>(db_.path(), SqliteDb::Access::kReadOnly);
    cache_select_.emplace(cache_reader_->Prepare("SELECT answer FROM geocode_cache WHERE key = ?"));
  }
  Statement& select = *cache_select_;
  select.Reset();
  select.Bind(1, key);
  if (!select.Step()) return std::nullopt;
  std::string answer = select.Text(0);
  select.Reset();  // ends the read transaction, so the WAL can be checkpointed past it
  return answer;
}

void Journal::EndRun(int64_t run_id, int exit_code, const std::string& rate_limits) {
  Flush();
  // The writer owns the connection while it runs; stop it, then write on this thread.
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  if (writer_.joinable()) writer_.join();
  db_.Prepare("UPDATE runs SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
              "exit_code = ?, rate_limits = ? WHERE run_id = ?")
      .Bind(1, static_cast<int64_t>(exit_code))
      .Bind(2, rate_limits)
      .Bind(3, run_id)
      .Run();
}

bool Journal::Append(OutcomeRow row) {
  const std::size_t bytes = HeldBytes(row);
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] {
    return (queue_.size() < kMaxQueued && (queued_bytes_ < kMaxQueuedBytes || queue_.empty())) ||
           closing_;
  });
  queued_bytes_ += bytes;
  queue_.push_back(std::move(row));
  ++appended_;
  if (queue_.size() == 1) changed_.notify_all();
  return writer_error_.empty();
}

void Journal::Flush() {
  std::unique_lock lock(mutex_);
  const uint64_t target = appended_;
  changed_.notify_all();
  changed_.wait(lock, [&] { return committed_ + lost_ >= target || !writer_.joinable(); });
}

void Journal::WriterLoop() {
  std::vector<OutcomeRow> rows;
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
    if (queue_.empty() && closing_) return;
    std::size_t batch_bytes = 0;
    while (!queue_.empty() && rows.size() < kMaxRowsPerTransaction &&
           batch_bytes < kMaxQueuedBytes) {
      const std::size_t bytes = HeldBytes(queue_.front());
      batch_bytes += bytes;
      queued_bytes_ -= bytes;
      rows.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    const bool failed_before = !writer_error_.empty();
    lock.unlock();
    changed_.notify_all();  // room in the queue again
    std::string error;
    if (!failed_before) {
      try {
        Commit(rows);
      } catch (const SqliteError& e) {
        error = e.what();  // names the database
        spdlog::error("journal: {}", error);
      }
    }
    lock.lock();
    // A batch that did not commit is lost, never counted as written; after the first
    // failure nothing more is tried (the run is stopping).
    if (failed_before || !error.empty()) {
      if (writer_error_.empty()) writer_error_ = error;
      lost_ += rows.size();
    } else {
      committed_ += rows.size();
    }
    rows.clear();
    changed_.notify_all();
  }
}

std::optional<std::string> Journal::failure() const {
  std::lock_guard lock(mutex_);
  if (writer_error_.empty()) return std::nullopt;
  return writer_error_;
}

uint64_t Journal::rows_lost() const {
  std::lock_guard lock(mutex_);
  return lost_;
}

void Journal::Commit(std::vector<OutcomeRow>& rows) {
  // IMMEDIATE takes the write lock up front, under the busy timeout: a reader or another
  // writer holding the database makes the commit wait, not fail.
  db_.Exec("BEGIN IMMEDIATE");
  try {
    InsertRows(rows);
  } catch (const SqliteError&) {
    try {
      db_.Exec("ROLLBACK");
    } catch (const SqliteError&) {
    }
    throw;
  }
  db_.Exec("COMMIT");
}

void Journal::InsertDocument(DocumentStatements& s, const OutcomeRow& row) {
  s.find.Bind(1, row.input);
  if (s.find.Step()) s.forget_text.Bind(1, s.find.Int(0)).Run();
  s.find.Reset();
  const IndexedDocument* document = row.document ? &*row.document : nullptr;
  s.upsert.Bind(1, row.input);
  if (document) {  // a failure's document is the file's stamp
    s.upsert.Bind(2, document->type)
        .Bind(3, static_cast<int64_t>(document->size))
        .Bind(4, document->mtime_ns)
        .Bind(5, document->hash)
        .Bind(6, document->title)
        .Bind(7, static_cast<int64_t>(document->words))
        .Bind(8, row.ok ? std::string_view(document->status) : std::string_view("error"));
    if (row.ok) {
      s.upsert.BindNull(9);
    } else {
      s.upsert.Bind(9, row.error);
    }
    s.upsert.Bind(10, document->note);
    if (document->charset.empty()) {
      s.upsert.BindNull(11);
    } else {
      s.upsert.Bind(11, document->charset);
    }
    s.upsert.Bind(12, document->extractor);
  } else {
    s.upsert.BindNull(2).BindNull(3).BindNull(4).BindNull(5).BindNull(6).BindNull(7);
    s.upsert.Bind(8, std::string_view("error")).Bind(9, row.error).BindNull(10).BindNull(11);
    s.upsert.BindNull(12);
  }
  s.upsert.BindNull(13);
  int64_t id = 0;
  if (s.upsert.Step()) id = s.upsert.Int(0);
  s.upsert.Reset();
  if (row.ok && document && document->status == "indexed") {
    s.add_text.Bind(1, id).Bind(2, document->title).Bind(3, document->text).Run();
  }
  ForgetMembers(s, row.input);
  if (document) {
    for (const IndexedMember& member : document->members) InsertMember(s, row.input, *document, member);
  }
}

void Journal::ForgetMembers(DocumentStatements& s, const std::string& container) {
  s.find_members.Bind(1, container);
  while (s.find_members.Step()) s.forget_text.Bind(1, s.find_members.Int(0)).Run();
  s.find_members.Reset();
  s.forget_members.Bind(1, container).Run();
}

void Journal::InsertMember(DocumentStatements& s, const std::string& container,
                           const IndexedDocument& archive, const IndexedMember& member) {
  s.upsert.Bind(1, MemberPath(container, member.name))
      .Bind(2, member.type)
      .Bind(3, static_cast<int64_t>(member.size))
      .Bind(4, member.mtime_ns)
      .Bind(5, member.hash)
      .Bind(6, member.title)
      .Bind(7, static_cast<int64_t>(member.words))
      .Bind(8, member.status);
  if (member.status == "error") {
    s.upsert.Bind(9, member.note).BindNull(10);
  } else {
    s.upsert.BindNull(9).Bind(10, member.note);
  }
  if (member.charset.empty()) {
    s.upsert.BindNull(11);
  } else {
    s.upsert.Bind(11, member.charset);
  }
  s.upsert.Bind(12, archive.extractor).Bind(13, container);
  int64_t id = 0;
  if (s.upsert.Step()) id = s.upsert.Int(0);
  s.upsert.Reset();
  if (member.status == "indexed") {
    s.add_text.Bind(1, id).Bind(2, member.title).Bind(3, member.text).Run();
  }
}

std::unordered_map<std::string, FileStamp> Journal::KnownDocuments() {
  std::unordered_map<std::string, FileStamp> known;
  Statement select = db_.Prepare(
      "SELECT path, size, mtime_ns, status, coalesce(extractor, '') FROM documents "
      "WHERE container IS NULL");
  while (select.Step()) {
    known[select.Text(0)] = {static_cast<uint64_t>(select.Int(1)), select.Int(2),
                             select.Text(3) == "error", select.Text(4)};
  }
  return known;
}

void Journal::RemoveDocuments(const std::vector<std::string>& paths) {
  db_.Exec("BEGIN IMMEDIATE");
  Statement find = db_.Prepare("SELECT id FROM documents WHERE path = ?");
  Statement forget_text = db_.Prepare("DELETE FROM documents_fts WHERE rowid = ?");
  Statement forget = db_.Prepare("DELETE FROM documents WHERE id = ?");
  Statement find_members = db_.Prepare("SELECT id FROM documents WHERE container = ?");
  Statement forget_members = db_.Prepare("DELETE FROM documents WHERE container = ?");
  for (const std::string& path : paths) {
    find_members.Bind(1, path);
    while (find_members.Step()) forget_text.Bind(1, find_members.Int(0)).Run();
    find_members.Reset();
    forget_members.Bind(1, path).Run();
    find.Bind(1, path);
    if (find.Step()) {
      const int64_t id = find.Int(0);
      find.Reset();
      forget_text.Bind(1, id).Run();
      forget.Bind(1, id).Run();
    } else {
      find.Reset();
    }
  }
  db_.Exec("COMMIT");
}

void Journal::InsertGeocode(Statement& insert, const OutcomeRow& row) {
  insert.Bind(1, run_id_)
      .Bind(2, static_cast<int64_t>(row.task_id))
      .Bind(3, row.input)
      .Bind(4, row.cache_key.substr(0, row.cache_key.find('|')))
      .Bind(5, row.geocode ? std::string_view(row.geocode->status) : std::string_view("error"))
      .Bind(11, row.run_ms);
  if (row.geocode && row.geocode->status == "ok") {
    insert.Bind(6, row.geocode->lat).Bind(7, row.geocode->lon).Bind(8, row.geocode->formatted_address);
  } else {
    insert.BindNull(6).BindNull(7).BindNull(8);
  }
  if (row.geocode) {
    insert.Bind(9, row.geocode->provider)
        .Bind(10, static_cast<int64_t>(row.geocode->attempts))
        .Bind(12, static_cast<int64_t>(row.geocode->cached));
  } else {
    // An error row: the requests it made, when its payload says (else the task's attempts).
    const uint32_t attempts = row.requests > 0 ? row.requests : row.attempts;
    insert.BindNull(9).Bind(10, static_cast<int64_t>(attempts)).Bind(12, int64_t{0});
  }
  if (row.ok) {
    insert.BindNull(13);
  } else {
    insert.Bind(13, row.error);
  }
  insert.Run();
}

void Journal::InsertRows(const std::vector<OutcomeRow>& rows) {
  Statement insert = db_.Prepare(
      "INSERT INTO results(run_id, task_id, kind, status, attempts, worker, run_ms, cpu_ms, "
      "error_code, error, payload, input, job_id, started_ms, finished_ms, lane) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  Statement cache = db_.Prepare("INSERT OR REPLACE INTO geocode_cache(key, answer) VALUES(?, ?)");
  Statement find_document = db_.Prepare("SELECT id FROM documents WHERE path = ?");
  Statement forget_text = db_.Prepare("DELETE FROM documents_fts WHERE rowid = ?");
  Statement upsert_document = db_.Prepare(
      "INSERT INTO documents(path, type, size, mtime_ns, hash, title, words, status, error, note, "
      "charset, extractor, container) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(path) DO UPDATE SET "
      "type=excluded.type, size=excluded.size, mtime_ns=excluded.mtime_ns, hash=excluded.hash, "
      "title=excluded.title, words=excluded.words, status=excluded.status, "
      "error=excluded.error, note=excluded.note, charset=excluded.charset, "
      "extractor=excluded.extractor, container=excluded.container, "
      "indexed_at=excluded.indexed_at RETURNING id");
  Statement add_text = db_.Prepare("INSERT INTO documents_fts(rowid, title, body) VALUES(?,?,?)");
  Statement find_members = db_.Prepare("SELECT id FROM documents WHERE container = ?");
  Statement forget_members = db_.Prepare("DELETE FROM documents WHERE container = ?");
  Statement geocode = db_.Prepare(
      "INSERT INTO geocodes(run_id, task_id, query, normalized, status, lat, lon, "
      "formatted_address, provider, attempts, latency_ms, cached, error) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
  for (const OutcomeRow& row : rows) {
    insert.Bind(1, run_id_)
        .Bind(2, static_cast<int64_t>(row.task_id))
        .Bind(3, row.kind)
        .Bind(4, row.geocode ? std::string_view(row.geocode->status)
                             : std::string_view(row.ok ? "ok" : "error"))
        .Bind(5, static_cast<int64_t>(row.attempts))
        .Bind(6, static_cast<int64_t>(row.worker))
        .Bind(7, row.run_ms)
        .Bind(8, row.cpu_ms);
    if (row.ok) {
      insert.BindNull(9).BindNull(10);
    } else {
      insert.Bind(9, row.error_code).Bind(10, row.error);
    }
    if (row.payload.empty() || row.kind == "index") {  // a document's text lives in documents_fts
      insert.BindNull(11);
    } else {
      insert.BindBlob(11, row.payload);
    }
    if (row.input.empty()) {
      insert.BindNull(12);
    } else if (IsValidUtf8(row.input)) {
      insert.Bind(12, row.input);
    } else {
      insert.BindBlob(12, row.input);  // an exec input may be any bytes
    }
    if (row.job_id.empty()) {
      insert.BindNull(13);
    } else {
      insert.Bind(13, row.job_id);
    }
    insert.Bind(14, row.started_unix_ms).Bind(15, row.finished_unix_ms);
    insert.Bind(16, int64_t{row.network_lane ? 1 : 0});
    insert.Run();
    if (!row.cache_key.empty() && row.geocode && !row.geocode->cached) {
      cache.Bind(1, row.cache_key).BindBlob(2, row.payload).Run();
    }
    if (row.kind == "geocode") InsertGeocode(geocode, row);
    if (row.kind == "index" && !row.input.empty()) {
      DocumentStatements statements{find_document, forget_text, upsert_document, add_text,
                                    find_members, forget_members};
      InsertDocument(statements, row);
    }
  }
}

}  // namespace taskfarm
