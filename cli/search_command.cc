#include "cli/search_command.h"

#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "coordinator/exit_codes.h"
#include "shared/defaults.h"
#include "journal/sqlite_db.h"

namespace taskfarm {
namespace {

// A query of more terms is refused: a snippet's cost grows with the square of the terms.
constexpr std::size_t kMaxTerms = 32;

struct SearchOptions {
  std::string db;
  std::string query;
  int limit = defaults::kSearchResults;
  std::chrono::milliseconds time_limit = defaults::kSearchTimeLimit;
  bool json = false;
};

void NoIndex(const SearchOptions& options) {
  std::cerr << "taskfarm search: --db " << options.db << " holds no index (run "
            << "taskfarm run --index DIR --db " << options.db << " first)\n";
}

// Opens the index; null (after saying why) when the file is not a readable taskfarm
// database, or one that holds no document.
std::unique_ptr<SqliteDb> OpenIndex(const SearchOptions& options) {
  if (!std::filesystem::exists(options.db)) {
    std::cerr << "taskfarm search: --db " << options.db << ": no such file\n";
    return nullptr;
  }
  try {
    auto db = std::make_unique<SqliteDb>(options.db, SqliteDb::Access::kReadOnly);
    Statement count = db->Prepare("SELECT count(*) FROM documents");
    if (!count.Step() || count.Int(0) == 0) {
      NoIndex(options);
      return nullptr;
    }
    return db;
  } catch (const SqliteError& e) {
    if (std::string(e.what()).find("no such table") != std::string::npos) {
      NoIndex(options);
    } else {
      std::cerr << "taskfarm search: --db " << options.db << " cannot be read: " << e.what()
                << '\n';
    }
    return nullptr;
  }
}

// Words and phrases in an FTS5 query (its operators and parentheses not counted).
std::size_t CountTerms(const std::string& query) {
  std::istringstream words(query);
  std::size_t terms = 0;
  for (std::string word; words >> word;) {
    if (word != "AND" && word != "OR" && word != "NOT" && word != "(" && word != ")") ++terms;
  }
  return terms;
}

struct Hit {
  int64_t rowid = 0;
  double score = 0;
  std::string path;
  std::string title;
  std::optional<std::string> snippet;  // none: it took longer than the time limit
};

// The best `limit` documents, ranked without their snippets.
std::vector<Hit> RankHits(SqliteDb& db, const SearchOptions& options) {
  Statement rank = db.Prepare(
      "SELECT f.rowid, bm25(documents_fts), d.path, d.title FROM documents_fts f "
      "JOIN documents d ON d.id = f.rowid WHERE documents_fts MATCH ? "
      "ORDER BY bm25(documents_fts) LIMIT ?");
  rank.Bind(1, options.query).Bind(2, static_cast<int64_t>(options.limit));
  std::vector<Hit> hits;
  // bm25 is lower for better matches; the score shown is higher for better.
  while (rank.Step()) {
    hits.push_back({rank.Int(0), -rank.Double(1), rank.Text(2), rank.Text(3), std::nullopt});
  }
  return hits;
}

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  return text;
}

// Snippets of the ranked hits, best first, as far as they are made by `deadline`. FTS5's
// snippet() weighs every pair of matches in a document (seconds for a large one and a few
// prefix* terms) and no interrupt reaches inside it, so it runs on a thread of its own and
// the hits it has not reached by then are shown without a snippet. Returns false if the
// thread still runs: it uses `db`, and the process must end without destroying it.
bool AddSnippets(SqliteDb& db, const SearchOptions& options, std::vector<Hit>& hits,
                 std::chrono::steady_clock::time_point deadline) {
  struct Progress {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> snippets;  // guarded by mutex
    bool finished = false;              // guarded by mutex
    std::exception_ptr error;           // guarded by mutex
  };
  auto progress = std::make_shared<Progress>();
  std::vector<int64_t> rowids;
  for (const Hit& hit : hits) rowids.push_back(hit.rowid);
  std::thread maker([&db, query = options.query, rowids, progress] {
    try {
      Statement snippet = db.Prepare(
          "SELECT snippet(documents_fts, 1, '[', ']', '…', 16) FROM documents_fts "
          "WHERE documents_fts MATCH ? AND rowid = ?");
      for (const int64_t rowid : rowids) {
        snippet.Reset();
        snippet.Bind(1, query).Bind(2, rowid);
        std::string text = snippet.Step() ? OneLine(snippet.Text(0)) : std::string();
        std::lock_guard lock(progress->mutex);
        progress->snippets.push_back(std::move(text));
      }
    } catch (...) {
      std::lock_guard lock(progress->mutex);
      progress->error = std::current_exception();
    }
    std::lock_guard lock(progress->mutex);
    progress->finished = true;
    progress->changed.notify_all();
  });
  std::unique_lock lock(progress->mutex);
  const bool finished =
      progress->changed.wait_until(lock, deadline, [&] { return progress->finished; });
  for (std::size_t i = 0; i < progress->snippets.size(); ++i) {
    hits[i].snippet = progress->snippets[i];
  }
  if (!finished) {
    maker.detach();
    return false;
  }
  const std::exception_ptr error = progress->error;
  lock.unlock();
  maker.join();
  if (error && !db.WasInterrupted()) std::rethrow_exception(error);
  return true;
}

void PrintHits(const SearchOptions& options, const std::vector<Hit>& hits) {
  constexpr std::string_view kNoSnippet = "(no snippet: past --time-limit)";
  if (options.json) {
    nlohmann::json array = nlohmann::json::array();
    for (const Hit& hit : hits) {
      array.push_back({{"path", hit.path},
                       {"title", hit.title},
                       {"snippet", hit.snippet.value_or("")},
                       {"score", hit.score}});
    }
    std::cout << array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return;
  }
  for (const Hit& hit : hits) {
    std::cout << fmt::format("{:.2f}  {}  ({})\n      {}\n", hit.score, hit.path, hit.title,
                             hit.snippet ? std::string_view(*hit.snippet) : kNoSnippet);
  }
  if (hits.empty()) std::cout << "no match for " << options.query << '\n';
}

void SayTooCostly(const SearchOptions& options, std::string_view what) {
  std::cerr << "taskfarm search: " << what << " of '" << options.query << "' stopped after "
            << defaults::Seconds(options.time_limit)
            << " s (--time-limit): too costly; use fewer or longer prefix* terms\n";
}

int Search(const SearchOptions& options) {
  if (const std::size_t terms = CountTerms(options.query); terms > kMaxTerms) {
    std::cerr << "taskfarm search: the query has " << terms << " terms; at most " << kMaxTerms
              << '\n';
    return exit_codes::kBadUsage;
  }
  std::unique_ptr<SqliteDb> db = OpenIndex(options);
  if (!db) return exit_codes::kBadUsage;
  db->StopAfter(options.time_limit);
  const auto deadline = std::chrono::steady_clock::now() + options.time_limit;
  try {
    std::vector<Hit> hits = RankHits(*db, options);
    const bool thread_ended = AddSnippets(*db, options, hits, deadline);
    PrintHits(options, hits);
    if (!hits.empty() && !hits.back().snippet) SayTooCostly(options, "the snippets");
    if (!thread_ended) {
      std::cout.flush();
      std::_Exit(exit_codes::kSuccess);  // the snippet thread still uses the database
    }
    return exit_codes::kSuccess;
  } catch (const SqliteError& e) {
    if (db->WasInterrupted()) {
      SayTooCostly(options, "the search");
      return exit_codes::kBadUsage;
    }
    // SQLite's message ends with the reason ("fts5: syntax error near ...").
    const std::string what = e.what();
    const auto reason = what.rfind("': ");
    std::cerr << "taskfarm search: bad query '" << options.query
              << "': " << what.substr(reason == std::string::npos ? 0 : reason + 3) << '\n';
    return exit_codes::kBadUsage;
  }
}

}  // namespace

void AddSearchCommand(CLI::App& app, int* exit_status) {
  auto options = std::make_shared<SearchOptions>();
  CLI::App* cmd = app.add_subcommand("search", "Search the full-text index of a run's database");
  cmd->footer(R"(QUERY is FTS5 syntax: words (all must match), "a phrase", OR, NOT, prefix*,
title:word. Results are ranked (BM25); the snippet marks matches with [ ].

Examples:
  taskfarm search --db run.db 'thread pool'
  taskfarm search --db run.db '"exit status" OR signal*' --limit 5 --json

A query has at most 32 terms, and one that runs past --time-limit is stopped.

Exit status: 0 searched (even with no match); 2 bad usage, no index, or a bad, too long or
too costly query.)");
  cmd->add_option("--db", options->db, "the database a `taskfarm run --index` built")->required();
  cmd->add_option("query", options->query, "what to look for (FTS5 query syntax)")->required();
  cmd->add_option("--limit", options->limit,
                  fmt::format("at most this many results (default {})", defaults::kSearchResults))
      ->check(CLI::Range(1, 10000));
  cmd->add_option_function<double>(
         "--time-limit",
         [options](double seconds) {
           options->time_limit = std::chrono::milliseconds(std::llround(seconds * 1000));
         },
         fmt::format("stop a query that runs longer, seconds (default {})",
                     defaults::Seconds(defaults::kSearchTimeLimit)))
      ->check(CLI::Range(0.001, 86400.0));
  cmd->add_flag("--json", options->json,
                "a JSON array of {path, title, snippet, score} on stdout");
  cmd->callback([options, exit_status] { *exit_status = Search(*options); });
}

}  // namespace taskfarm
