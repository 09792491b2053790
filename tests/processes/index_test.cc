// Indexing end to end on a real document corpus (scripts/build-corpus --small:
// Debian's documentation as HTML, PDF, text, Markdown, DOCX and ODT, plus a folder of bad
// files), with the real SQLite FTS5 index and `taskfarm search`.

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

class Index : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    corpus_ = fs::path(TASKFARM_BINARY_DIR) / "corpus-small";
    const fs::path script = fs::path(TASKFARM_SOURCE_DIR) / "scripts" / "build-corpus";
    if (ReadFile(corpus_ / ".corpus-stamp").rfind("built", 0) == 0) return;
    if (!fs::exists(script)) return;
    const std::string command = "'" + script.string() + "' '" + corpus_.string() +
                                "' --small >/dev/null 2>&1";
    std::system(command.c_str());
  }
  void SetUp() override {
    if (ReadFile(corpus_ / ".corpus-stamp").rfind("built", 0) != 0) {
      GTEST_FAIL() << "no corpus: scripts/build-corpus could not build " << corpus_;
    }
  }
  static fs::path corpus_;
};
fs::path Index::corpus_;

// The first row of a query's first column, as text ("" when none); may write (test db).
std::string QueryText(const fs::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  sqlite3_open(db.c_str(), &handle);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(handle) << " in " << sql;
  std::string value;
  if (stmt && sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0)) {
    value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return value;
}

// A word only one indexed document of `type` has, and that document's path.
std::pair<std::string, std::string> RareWordOf(const fs::path& db, const std::string& type) {
  QueryText(db, "CREATE VIRTUAL TABLE IF NOT EXISTS v_row USING fts5vocab(documents_fts, row)");
  QueryText(db,
            "CREATE VIRTUAL TABLE IF NOT EXISTS v_inst USING fts5vocab(documents_fts, instance)");
  const std::string id = QueryText(
      db, "SELECT id FROM documents WHERE status='indexed' AND type='" + type +
              "' AND words > 50 ORDER BY words DESC, path LIMIT 1");
  const std::string word = QueryText(
      db, "SELECT i.term FROM v_inst i JOIN v_row r ON r.term = i.term WHERE i.doc = " + id +
              " AND r.doc = 1 AND length(i.term) BETWEEN 6 AND 20 AND i.term GLOB '[a-z]*' "
              "AND NOT i.term GLOB '*[0-9]*' ORDER BY i.term LIMIT 1");
  return {word, QueryText(db, "SELECT path FROM documents WHERE id = " + id)};
}

nlohmann::json SearchJson(const TempDir& tmp, const fs::path& db, const std::string& query) {
  RunOutput search = RunTaskfarm({"search", "--db", db.string(), query, "--json", "--limit",
                                  "50"},
                                 tmp);
  EXPECT_EQ(search.exit_code, 0) << search.err;
  return search.exit_code == 0 ? nlohmann::json::parse(search.out) : nlohmann::json::array();
}

TEST_F(Index, EveryConverterOnRealFilesAndSearchFindsTheirWords) {
  TempDir tmp;
  const auto db = tmp / "index.db";
  RunOutput run = RunTaskfarm({"run", "--index", corpus_.string(), "--db", db.string(),
                               "--exclude", "bad", "--json", "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // For each type: a document of it, a word only it has, and the search that finds it.
  for (const std::string type : {"html", "pdf", "text", "markdown", "docx", "odt"}) {
    SCOPED_TRACE(type);
    const auto [word, path] = RareWordOf(db, type);
    ASSERT_FALSE(word.empty()) << "no indexed " << type << " document with words";
    const auto hits = SearchJson(tmp, db, word);
    ASSERT_EQ(hits.size(), 1u) << word;
    EXPECT_EQ(hits[0]["path"], path);
    EXPECT_NE(hits[0]["snippet"].get<std::string>().find("["), std::string::npos);
    EXPECT_TRUE(hits[0].contains("title") && hits[0].contains("score"));
  }
  // HTML keeps its title; script and style are not text.
  const auto title_hits = SearchJson(tmp, db, "title:socketserver");
  EXPECT_FALSE(title_hits.empty());
  EXPECT_EQ(nlohmann::json::parse(run.out)["index"]["added"].get<int>(),
            QueryInt(db, "SELECT count(*) FROM documents"));
}

TEST_F(Index, BadFilesGetTheirRowsAndTheRestIsIndexed) {
  TempDir tmp;
  const auto db = tmp / "index.db";
  const auto extra = tmp / "extra";
  fs::create_directories(extra);
  // A zip bomb: a DOCX whose document.xml inflates to 64 MB (limit: 20 x --max-file-size).
  const std::string bomb = "cd '" + extra.string() + "' && /usr/bin/python3 -c \""
                           "import zipfile; z = zipfile.ZipFile('bomb.docx', 'w', "
                           "zipfile.ZIP_DEFLATED); z.writestr('word/document.xml', "
                           "'<w>' + 'a' * (64 << 20) + '</w>'); z.close()\"";
  ASSERT_EQ(std::system(bomb.c_str()), 0);
  std::ofstream(extra / "big.txt") << std::string(3 << 20, 'x');
  std::ofstream(extra / "slow.hang") << "never converted";
  std::ofstream(extra / "crash.boom") << "crashes its converter";
  std::ofstream(extra / "note.unknownext") << std::string("\x01\x02\x03\xff no converter", 17);
  std::ofstream(extra / "crash.sh") << "#!/bin/sh\nkill -SEGV $$\n";
  std::ofstream(extra / "slow.sh") << "#!/bin/sh\nsleep 30\n";
  fs::permissions(extra / "crash.sh", fs::perms::owner_all);
  fs::permissions(extra / "slow.sh", fs::perms::owner_all);
  std::ofstream(extra / "secret.txt") << "words nobody may read";
  fs::permissions(extra / "secret.txt", fs::perms::none);
  const bool root = geteuid() == 0;  // root reads a file without permission bits
  RunOutput run = RunTaskfarm(
      {"run", "--index", (corpus_ / "bad").string(), "--index", extra.string(), "--db",
       db.string(), "--max-file-size", std::to_string(2 << 20), "--converter",
       "hang=" + (extra / "slow.sh").string(),
       "--converter", "boom=" + (extra / "crash.sh").string(), "--converter-timeout", "1",
       "--out", (tmp / "r.jsonl").string(), "--quiet"},
      tmp);
  EXPECT_EQ(run.exit_code, 1) << "some files failed, the run completed";
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& row : ReadJsonLines(tmp / "r.jsonl")) {
    by_name[fs::path(row["path"].get<std::string>()).filename().string()] = row;
  }
  const auto error_of = [&](const std::string& name) {
    return by_name[name].value("error", std::string("(no error: ") + by_name[name].dump() + ")");
  };
  EXPECT_EQ(error_of("empty.txt"), "empty file (zero bytes)");
  EXPECT_EQ(error_of("empty.pdf"), "empty file (zero bytes)");
  EXPECT_NE(error_of("truncated.pdf").find("failed with exit status"), std::string::npos);
  EXPECT_NE(error_of("truncated.docx").find("not a readable zip container"), std::string::npos);
  EXPECT_EQ(error_of("binary-named.txt"), "binary data, not text");
  EXPECT_NE(error_of("bomb.docx").find("zip bomb"), std::string::npos);
  EXPECT_NE(error_of("big.txt").find("over --max-file-size"), std::string::npos);
  EXPECT_NE(error_of("slow.hang").find("took longer than 1 s"), std::string::npos);
  EXPECT_NE(error_of("crash.boom").find("crashed: Segmentation fault"), std::string::npos);
  EXPECT_EQ(by_name["note.unknownext"]["status"], "skipped");
  EXPECT_EQ(by_name["note.unknownext"]["note"], "no converter for application/octet-stream");
  // Not UTF-8 but readable: indexed, and the row says what it was read as.
  EXPECT_EQ(by_name["invalid-utf8.txt"]["status"], "indexed");
  EXPECT_EQ(by_name["invalid-utf8.txt"]["charset"], "ISO-8859-1");
  EXPECT_EQ(by_name["invalid-utf8.txt"].value("note", ""), "converted from ISO-8859-1");
  EXPECT_EQ(by_name["text-named.pdf"]["status"], "indexed");
  EXPECT_EQ(by_name["text-named.pdf"]["type"], "text");
  EXPECT_EQ(by_name["broken.html"]["status"], "indexed");
  if (!root) {
    EXPECT_NE(error_of("secret.txt").find("Permission denied"), std::string::npos);
  }
  // The failures above; the converter scripts themselves are indexed (shell scripts: text).
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM documents WHERE status='error'"), root ? 9 : 10);
}

TEST_F(Index, IncrementalRunConvertsOnlyWhatChangedAndForgetsWhatIsGone) {
  TempDir tmp;
  const auto db = tmp / "index.db";
  const auto docs = tmp / "docs";
  fs::create_directories(docs);
  fs::copy(corpus_ / "git-doc", docs / "git-doc", fs::copy_options::recursive);
  std::ofstream(docs / "changing.txt") << "the original wording mentions aardvarks\n";
  std::ofstream(docs / "leaving.md") << "this file will vanish with its zeppelins\n";
  const std::vector<std::string> run = {"run", "--index", docs.string(), "--db", db.string(),
                                        "--json", "--quiet"};
  RunOutput first = RunTaskfarm(run, tmp);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const int files = nlohmann::json::parse(first.out)["index"]["added"].get<int>();
  EXPECT_FALSE(SearchJson(tmp, db, "aardvarks").empty());
  EXPECT_FALSE(SearchJson(tmp, db, "zeppelins").empty());

  std::ofstream(docs / "changing.txt") << "rewritten: now about pangolins only\n";
  fs::remove(docs / "leaving.md");
  std::ofstream(docs / "arriving.txt") << "a new file about narwhals\n";
  RunOutput second = RunTaskfarm(run, tmp);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto summary = nlohmann::json::parse(second.out);
  EXPECT_EQ(summary["index"]["added"], 1);
  EXPECT_EQ(summary["index"]["changed"], 1);
  EXPECT_EQ(summary["index"]["removed"], 1);
  EXPECT_EQ(summary["index"]["unchanged"], files - 2);
  EXPECT_EQ(summary["tasks"], 2) << "unchanged files are not converted again";
  EXPECT_TRUE(SearchJson(tmp, db, "aardvarks").empty()) << "the old words are gone";
  EXPECT_FALSE(SearchJson(tmp, db, "pangolins").empty());
  EXPECT_FALSE(SearchJson(tmp, db, "narwhals").empty());
  EXPECT_TRUE(SearchJson(tmp, db, "zeppelins").empty()) << "a deleted file is gone from search";
}

// Files made to exhaust a worker's memory are read as streams: the largest process of the
// run stays far below what reading them whole takes (measured before the fix: 306 MB for the
// 5 MB HTML, 222 MB for the 200 MB sparse text, over 100 MB for the DOCX bomb). Nesting
// deeper than libxml2's tree allows (256) loses no text.
TEST_F(Index, HostileFilesStayWithinTheMemoryBudgetAndLoseNoText) {
  struct rusage before {};
  getrusage(RUSAGE_CHILDREN, &before);  // zero under ctest: one test per process
  TempDir tmp;
  const fs::path docs = tmp / "hostile";
  fs::create_directories(docs);
  {
    std::ofstream deep(docs / "deep.html");
    deep << "<html><body>";
    for (int i = 0; i < 1000; ++i) deep << "<div>";
    deep << "deepword";
    for (int i = 0; i < 1000; ++i) deep << "</div>";
    deep << "<p>afterword</p></body></html>";
    std::ofstream repeated(docs / "repeated.html");
    repeated << "<html><body>";
    for (int i = 0; i < 5 * 1024 * 1024 / 4; ++i) repeated << "<p>x";
  }
  std::ofstream(docs / "sparse.txt").close();
  ASSERT_EQ(truncate((docs / "sparse.txt").c_str(), off_t{200} << 20), 0);
  // 100 MB of paragraphs in a DOCX of about 300 KB.
  const std::string make_bomb =
      "python3 -c \"import sys, zipfile\n"
      "p = b'<w:p><w:r><w:t>a</w:t></w:r></w:p>' * 10000\n"
      "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n"
      "  with z.open('word/document.xml', 'w') as w:\n"
      "    w.write(b'<w:document xmlns:w=\\\"urn:w\\\"><w:body>')\n"
      "    for i in range(300): w.write(p)\n"
      "    w.write(b'</w:body></w:document>')\n\" '" +
      (docs / "bomb.docx").string() + "'";
  ASSERT_EQ(std::system(make_bomb.c_str()), 0);

  const auto db = tmp / "index.db";
  RunOutput run = RunTaskfarm({"run", "--index", docs.string(), "--db", db.string(), "--workers",
                               "1", "--quiet"},
                              tmp);
  EXPECT_EQ(run.exit_code, 1) << "the sparse file is binary: an error row" << run.err;
  EXPECT_EQ(QueryText(db, "SELECT error FROM documents WHERE path LIKE '%sparse.txt'"),
            "binary data, not text");
  EXPECT_EQ(QueryText(db, "SELECT words FROM documents WHERE path LIKE '%bomb.docx'"),
            std::to_string(300 * 10000));
  EXPECT_EQ(QueryText(db, "SELECT words FROM documents WHERE path LIKE '%repeated.html'"),
            std::to_string(5 * 1024 * 1024 / 4));
  const auto hits = SearchJson(tmp, db, "deepword afterword");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]["path"], (docs / "deep.html").string());

  // The largest child so far, coordinator and worker included: this test's own when ctest
  // runs it alone; run after other tests in one process, only if theirs were smaller. Not
  // under a sanitizer: AddressSanitizer's quarantine keeps freed memory resident (150 MB
  // seen), ThreadSanitizer's shadow memory multiplies it.
  struct rusage usage {};
  getrusage(RUSAGE_CHILDREN, &usage);
  std::cout << "largest process: " << usage.ru_maxrss / 1024 << " MB\n";
#if TASKFARM_MEMORY_MEASURABLE
  if (before.ru_maxrss < 100 * 1024) {
    EXPECT_LT(usage.ru_maxrss, 100 * 1024) << "KB, the largest process";
  }
#endif
}

TEST_F(Index, SearchExplainsBadQueriesAndMissingIndexes) {
  TempDir tmp;
  const auto db = tmp / "index.db";
  ASSERT_EQ(RunTaskfarm({"run", "--noop", "3", "--db", db.string(), "--quiet"}, tmp).exit_code, 0);
  RunOutput no_index = RunTaskfarm({"search", "--db", db.string(), "word"}, tmp);
  EXPECT_EQ(no_index.exit_code, 2) << "a run's database that never indexed a file";
  EXPECT_NE(no_index.err.find("holds no index"), std::string::npos) << no_index.err;

  const auto indexed = tmp / "indexed.db";
  std::filesystem::create_directories(tmp / "docs");
  std::ofstream(tmp / "docs" / "a.txt") << "a word\n";
  {
    std::ofstream many(tmp / "docs" / "many.txt");
    for (int i = 0; i < 20000; ++i) many << 'a' << i << ' ';
  }
  ASSERT_EQ(RunTaskfarm({"run", "--index", (tmp / "docs").string(), "--db", indexed.string(),
                         "--quiet"},
                        tmp)
                .exit_code,
            0);
  RunOutput bad = RunTaskfarm({"search", "--db", indexed.string(), "\"unclosed"}, tmp);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad query '\"unclosed'"), std::string::npos) << bad.err;
  RunOutput none = RunTaskfarm({"search", "--db", indexed.string(), "absent"}, tmp);
  EXPECT_EQ(none.exit_code, 0) << "searched, nothing matched";

  // A query's cost is capped: its terms, and its time (20,000 matches of each prefix term
  // take seconds to weigh for a snippet).
  std::string long_query = "a*";
  for (int i = 1; i < 33; ++i) long_query += " OR a*";
  RunOutput too_long = RunTaskfarm({"search", "--db", indexed.string(), long_query}, tmp);
  EXPECT_EQ(too_long.exit_code, 2);
  EXPECT_NE(too_long.err.find("the query has 33 terms; at most 32"), std::string::npos)
      << too_long.err;
  const auto started = std::chrono::steady_clock::now();
  RunOutput too_costly = RunTaskfarm({"search", "--db", indexed.string(), "--time-limit", "0.5",
                                      "a* OR a* OR a* OR a* OR a* OR a* OR a* OR a*", "--json"},
                                     tmp);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(too_costly.exit_code, 0) << "ranked: shown, without the snippet that took too long";
  EXPECT_NE(too_costly.err.find("the snippets of 'a* OR"), std::string::npos) << too_costly.err;
  EXPECT_NE(too_costly.err.find("stopped after 0.5 s (--time-limit)"), std::string::npos)
      << too_costly.err;
  const auto hits = nlohmann::json::parse(too_costly.out);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]["path"], (tmp / "docs" / "many.txt").string());
  EXPECT_EQ(hits[0]["snippet"], "");
  // Unbounded, that snippet alone takes minutes; stopped, the search ends soon after 0.5 s
  // (a generous bound for a loaded machine).
  EXPECT_LT(took, std::chrono::seconds(30));

  const auto corrupt = tmp / "corrupt.db";
  std::ofstream(corrupt) << std::string(8192, 'x');
  RunOutput unreadable = RunTaskfarm({"search", "--db", corrupt.string(), "word"}, tmp);
  EXPECT_EQ(unreadable.exit_code, 2);
  EXPECT_NE(unreadable.err.find("cannot be read"), std::string::npos) << unreadable.err;
  EXPECT_EQ(unreadable.err.find("bad query"), std::string::npos) << unreadable.err;

  RunOutput missing = RunTaskfarm({"search", "--db", (tmp / "none.db").string(), "x"}, tmp);
  EXPECT_EQ(missing.exit_code, 2);
  RunOutput no_db = RunTaskfarm({"run", "--index", tmp.path().string()}, tmp);
  EXPECT_EQ(no_db.exit_code, 2);
  EXPECT_NE(no_db.err.find("--index needs --db"), std::string::npos) << no_db.err;
}

}  // namespace
}  // namespace taskfarm::testing
