#include "cli/search_command.h"

#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "coordinator/exit_codes.h"
#include "shared/defaults.h"
#include "journal/search_query.h"
#include "journal/sqlite_db.h"

namespace taskfarm {
namespace {

// A query of more terms is refused: a snippet's cost grows with the square of the terms.
constexpr std::size_t kMaxTerms = 32;

struct SearchOptions {
  std::string db;
  std::vector<std::string> words;  // as typed; joined by spaces
  bool raw = false;                // the words are an FTS5 query as they are
  std::string query;               // the FTS5 query searched (set from `words`)
  std::size_t terms = 0;           // its words and phrases
  int limit = defaults::kSearchResults;
  int offset = 0;
  std::string path;     // only documents under this folder, or matching this glob
  std::string type;     // only documents of this type (txt, html, pdf, ...)
  int64_t after_ns = 0;  // only documents changed after this (from --after YYYY-MM-DD)
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

// Words and phrases in a raw FTS5 query (its operators and parentheses not counted).
std::size_t CountTerms(const std::string& query) {
  std::istringstream words(query);
  std::size_t terms = 0;
  for (std::string word; words >> word;) {
    if (word != "AND" && word != "OR" && word != "NOT" && word != "(" && word != ")") ++terms;
  }
  return terms;
}

// What was typed, as one line.
std::string Typed(const SearchOptions& options) {
  return fmt::format("{}", fmt::join(options.words, " "));
}

struct Hit {
  int64_t rowid = 0;
  double score = 0;
  std::string path;
  std::string title;
  std::string hash;                    // of the content: copies share it
  std::vector<std::string> also_at;    // the same content's other paths
  std::optional<std::string> snippet;  // none: it took longer than the time limit
};

// --path: the paths that begin with it, or a glob when it has * ? or [.
std::string PathGlob(const std::string& path) {
  if (path.empty() || path.find_first_of("*?[") != std::string::npos) return path;
  return path + "*";
}

// The other paths of a document's content.
std::vector<std::string> CopiesOf(SqliteDb& db, const Hit& hit) {
  Statement copies = db.Prepare(
      "SELECT path FROM documents WHERE hash = ? AND id != ? AND status = 'indexed' "
      "ORDER BY path LIMIT 20");
  copies.Bind(1, hit.hash).Bind(2, hit.rowid);
  std::vector<std::string> paths;
  while (copies.Step()) paths.push_back(copies.Text(0));
  return paths;
}

// The documents from `offset` to `offset + limit` in rank order, ranked without their
// snippets, each content once: a copy of a document already listed adds its path to it.
std::vector<Hit> RankHits(SqliteDb& db, const SearchOptions& options) {
  Statement rank = db.Prepare(
      "SELECT f.rowid, bm25(documents_fts), d.path, d.title, coalesce(d.hash, d.path) "
      "FROM documents_fts f JOIN documents d ON d.id = f.rowid "
      "WHERE documents_fts MATCH ?1 AND (?2 = '' OR d.path GLOB ?2) "
      "AND (?3 = '' OR d.type = ?3) AND coalesce(d.mtime_ns, 0) >= ?4 "
      "ORDER BY bm25(documents_fts)");
  rank.Bind(1, options.query).Bind(2, PathGlob(options.path)).Bind(3, options.type);
  rank.Bind(4, options.after_ns);
  std::vector<Hit> hits;
  std::set<std::string> contents;
  int skipped = 0;
  // bm25 is lower for better matches; the score shown is higher for better.
  while (static_cast<int>(hits.size()) < options.limit && rank.Step()) {
    if (!contents.insert(rank.Text(4)).second) continue;
    if (skipped++ < options.offset) continue;
    hits.push_back({rank.Int(0), -rank.Double(1), rank.Text(2), rank.Text(3), rank.Text(4), {},
                    std::nullopt});
  }
  for (Hit& hit : hits) hit.also_at = CopiesOf(db, hit);
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
                       {"score", hit.score},
                       {"also_at", hit.also_at}});
    }
    std::cout << array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return;
  }
  for (const Hit& hit : hits) {
    std::cout << fmt::format("{:.3g}  {}  ({})\n      {}\n", hit.score, hit.path, hit.title,
                             hit.snippet ? std::string_view(*hit.snippet) : kNoSnippet);
    for (const std::string& copy : hit.also_at) std::cout << "      also at " << copy << '\n';
  }
  if (hits.empty()) std::cout << "no match for " << Typed(options) << '\n';
}

void SayTooCostly(const SearchOptions& options, std::string_view what) {
  std::cerr << "taskfarm search: " << what << " of '" << Typed(options)
            << "' stopped after "
            << defaults::Seconds(options.time_limit)
            << " s (--time-limit): too costly; use fewer or longer prefix* terms\n";
}

// The FTS5 query of the words typed (as they are with --raw); false after saying why not.
bool MakeQuery(SearchOptions& options) {
  const std::string typed = Typed(options);
  if (options.raw) {
    options.query = typed;
    options.terms = CountTerms(typed);
    return true;
  }
  auto parsed = ParseSearchQuery(typed);
  if (const auto* error = std::get_if<QueryError>(&parsed)) {
    std::cerr << "taskfarm search: bad query '" << typed << "': " << error->message << '\n';
    return false;
  }
  options.query = std::get<FtsQuery>(parsed).text;
  options.terms = std::get<FtsQuery>(parsed).terms;
  return true;
}

int Search(SearchOptions& options) {
  if (!MakeQuery(options)) return exit_codes::kBadUsage;
  if (options.terms > kMaxTerms) {
    std::cerr << "taskfarm search: the query has " << options.terms << " terms; at most " << kMaxTerms
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
    std::cerr << "taskfarm search: bad query '" << Typed(options)
              << "': " << what.substr(reason == std::string::npos ? 0 : reason + 3) << '\n';
    return exit_codes::kBadUsage;
  }
}

}  // namespace

void AddSearchCommand(CLI::App& app, int* exit_status) {
  auto options = std::make_shared<SearchOptions>();
  CLI::App* cmd = app.add_subcommand("search", "Search the full-text index of a run's database");
  cmd->footer(R"(WORDS as in a search box: every word must match (stemmed: threads finds thread;
folded: munchen finds München); "a phrase"; prefix*; a OR b; -word to leave out;
title:word. Words with punctuation (3.11, c++, don't, e-mail) match as they were written.
--raw takes FTS5's own query syntax. Results are ranked (BM25), copies of one content shown
once with the other paths ("also at"); the snippet marks matches with [ ].

Examples:
  taskfarm search --db run.db thread pool
  taskfarm search --db run.db '"exit status"' OR signal* -debian --limit 5 --json
  taskfarm search --db run.db install --path /usr/share/doc/python3 --type html --offset 10

A query has at most 32 terms, and one that runs past --time-limit is stopped.

Exit status: 0 searched (even with no match); 2 bad usage, no index, or a bad, too long or
too costly query.)");
  cmd->add_option("--db", options->db, "the database a `taskfarm run --index` built")->required();
  cmd->add_option("words", options->words, "what to look for");
  cmd->add_flag("--raw", options->raw, "the words are an FTS5 query, taken as they are");
  cmd->add_option("--limit", options->limit,
                  fmt::format("at most this many results (default {})", defaults::kSearchResults))
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--offset", options->offset, "skip this many results first (the next page)")
      ->check(CLI::Range(0, 1'000'000));
  cmd->add_option("--path", options->path,
                  "only documents whose path begins with this (or matches this glob: *.html)");
  cmd->add_option("--type", options->type, "only documents of this type (txt, html, pdf, ...)");
  cmd->add_option_function<std::string>(
      "--after",
      [options](const std::string& date) {
        std::tm day{};
        std::istringstream in(date);
        in >> std::get_time(&day, "%Y-%m-%d");
        if (in.fail() || !in.eof()) {
          throw CLI::ValidationError("--after", "'" + date + "' is not a date (YYYY-MM-DD)");
        }
        // Nanoseconds since 1970 run out in 2262: a later day is past every file.
        const int64_t seconds = timegm(&day);
        constexpr int64_t kLastSecond = std::numeric_limits<int64_t>::max() / 1'000'000'000;
        options->after_ns = seconds >= kLastSecond ? std::numeric_limits<int64_t>::max()
                                                   : seconds * 1'000'000'000;
      },
      "only documents changed on or after this day (YYYY-MM-DD, UTC)");
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
  // "-debian" is a word to leave out, not an option: CLI11 leaves such words to the root
  // command as extras (see TaskfarmMain), and they join the words here.
  cmd->callback([cmd, options, exit_status] {
    for (const std::string& extra : cmd->get_parent()->remaining()) {
      if (extra.rfind("--", 0) == 0 || extra.size() < 2 || extra[0] != '-') {
        throw CLI::ExtrasError({extra});
      }
      options->words.push_back(extra);
    }
    *exit_status = Search(*options);
  });
}

}  // namespace taskfarm
