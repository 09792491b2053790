#include "cli/search_command.h"

#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "coordinator/exit_codes.h"
#include "journal/sqlite_db.h"

namespace taskfarm {
namespace {

struct SearchOptions {
  std::string db;
  std::string query;
  int limit = 10;
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
    auto db = std::make_unique<SqliteDb>(options.db, /*create=*/false);
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

int Search(const SearchOptions& options) {
  std::unique_ptr<SqliteDb> db = OpenIndex(options);
  if (!db) return exit_codes::kBadUsage;
  try {
    Statement search = db->Prepare(
        "SELECT d.path, d.title, snippet(documents_fts, 1, '[', ']', '…', 16), "
        "bm25(documents_fts) FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid "
        "WHERE documents_fts MATCH ? ORDER BY bm25(documents_fts) LIMIT ?");
    search.Bind(1, options.query).Bind(2, static_cast<int64_t>(options.limit));
    nlohmann::json hits = nlohmann::json::array();
    const auto one_line = [](std::string text) {
      for (char& c : text) {
        if (c == '\n' || c == '\t' || c == '\r') c = ' ';
      }
      return text;
    };
    while (search.Step()) {
      // bm25 is lower for better matches; the score shown is higher for better.
      hits.push_back({{"path", search.Text(0)},
                      {"title", search.Text(1)},
                      {"snippet", one_line(search.Text(2))},
                      {"score", -search.Double(3)}});
    }
    if (options.json) {
      std::cout << hits.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
      for (const auto& hit : hits) {
        std::cout << fmt::format("{:.2f}  {}  ({})\n      {}\n", hit["score"].get<double>(),
                                 hit["path"].get<std::string>(), hit["title"].get<std::string>(),
                                 hit["snippet"].get<std::string>());
      }
      if (hits.empty()) std::cout << "no match for " << options.query << '\n';
    }
    return exit_codes::kSuccess;
  } catch (const SqliteError& e) {
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

Exit status: 0 searched (even with no match); 2 bad usage, no index, or a bad query.)");
  cmd->add_option("--db", options->db, "the database a `taskfarm run --index` built")->required();
  cmd->add_option("query", options->query, "what to look for (FTS5 query syntax)")->required();
  cmd->add_option("--limit", options->limit, "at most this many results (default 10)")
      ->check(CLI::Range(1, 10000));
  cmd->add_flag("--json", options->json,
                "a JSON array of {path, title, snippet, score} on stdout");
  cmd->callback([options, exit_status] { *exit_status = Search(*options); });
}

}  // namespace taskfarm
