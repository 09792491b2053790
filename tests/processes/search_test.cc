// `taskfarm search` as a search box, on files the test writes and indexes for real: several
// words, punctuation, phrases, prefixes, OR, -exclusion, stemming and folding, copies shown
// once, filters and pages; FTS5's own syntax behind --raw; an index made before stemming.

#include <sqlite3.h>

#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

class SearchBox : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto docs = tmp_ / "docs";
    std::filesystem::create_directories(docs / "python");
    std::filesystem::create_directories(docs / "notes");
    Write(docs / "python" / "pool.txt", "The worker threads share one pool of processes.\n");
    Write(docs / "python" / "release.txt", "Python 3.11 is out; C++ bindings too.\n");
    Write(docs / "notes" / "munich.txt", "München liegt in Bayern. Exit status zero.\n");
    Write(docs / "notes" / "mail.txt", "Don't send e-mail to the debian list about python.\n");
    Write(docs / "notes" / "copy-of-pool.txt", "The worker threads share one pool of processes.\n");
    Write(docs / "notes" / "page.html",
          "<html><head><title>Thread pools</title></head><body>A thread pool in HTML.</body></html>");
    db_ = tmp_ / "index.db";
    RunOutput run = RunTaskfarm({"run", "--index", docs.string(), "--db", db_.string(), "--quiet"},
                                tmp_);
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  static void Write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
  }
  // The file names of the hits of `args` (search --json), best first; a content with copies
  // as its paths' names in order, "copy-of-pool.txt+pool.txt", whichever was ranked first.
  std::vector<std::string> Names(std::vector<std::string> args) {
    args.insert(args.begin(), {"search", "--db", db_.string()});
    args.emplace_back("--json");
    RunOutput search = RunTaskfarm(args, tmp_);
    EXPECT_EQ(search.exit_code, 0) << search.err;
    std::vector<std::string> names;
    for (const auto& hit : nlohmann::json::parse(search.out.empty() ? "[]" : search.out)) {
      std::set<std::string> paths = {std::filesystem::path(hit["path"].get<std::string>()).filename()};
      for (const auto& copy : hit["also_at"]) {
        paths.insert(std::filesystem::path(copy.get<std::string>()).filename().string());
      }
      std::string name;
      for (const std::string& path : paths) name += (name.empty() ? "" : "+") + path;
      names.push_back(name);
    }
    return names;
  }
  std::set<std::string> NameSet(std::vector<std::string> args) {
    auto names = Names(std::move(args));
    return {names.begin(), names.end()};
  }

  TempDir tmp_;
  std::filesystem::path db_;
};

TEST_F(SearchBox, WordsAllMatchStemmedAndFolded) {
  EXPECT_EQ(NameSet({"thread", "pool"}),
            (std::set<std::string>{"page.html", "copy-of-pool.txt+pool.txt"}))
      << "threads and pools are found by thread and pool; the copy is shown once";
  EXPECT_EQ(NameSet({"munchen"}), (std::set<std::string>{"munich.txt"}));
  EXPECT_EQ(NameSet({"MÜNCHEN", "bayern"}), (std::set<std::string>{"munich.txt"}));
}

TEST_F(SearchBox, WordsWithPunctuationMatchAsWritten) {
  EXPECT_EQ(NameSet({"3.11"}), (std::set<std::string>{"release.txt"}));
  EXPECT_EQ(NameSet({"c++", "bindings"}), (std::set<std::string>{"release.txt"}));
  EXPECT_EQ(NameSet({"don't"}), (std::set<std::string>{"mail.txt"}));
  EXPECT_EQ(NameSet({"e-mail"}), (std::set<std::string>{"mail.txt"}));
  EXPECT_TRUE(NameSet({"3.12"}).empty());
}

TEST_F(SearchBox, PhrasesPrefixesOrAndExclusion) {
  EXPECT_EQ(NameSet({"\"exit status\""}), (std::set<std::string>{"munich.txt"}));
  EXPECT_TRUE(NameSet({"\"status exit\""}).empty());
  EXPECT_EQ(NameSet({"proc*"}), (std::set<std::string>{"copy-of-pool.txt+pool.txt"}));
  EXPECT_EQ(NameSet({"bayern", "OR", "bindings"}),
            (std::set<std::string>{"munich.txt", "release.txt"}));
  EXPECT_EQ(NameSet({"python"}), (std::set<std::string>{"release.txt", "mail.txt"}));
  EXPECT_EQ(NameSet({"python", "-debian"}), (std::set<std::string>{"release.txt"}));
  EXPECT_EQ(NameSet({"title:thread"}), (std::set<std::string>{"page.html"}));
  RunOutput prefix = RunTaskfarm({"search", "--db", db_.string(), "proc*", "--json"}, tmp_);
  EXPECT_GT(nlohmann::json::parse(prefix.out).at(0)["score"].get<double>(), 0)
      << "a prefix hit is ranked like any other";
}

TEST_F(SearchBox, FiltersAndPages) {
  EXPECT_EQ(NameSet({"thread", "--type", "html"}), (std::set<std::string>{"page.html"}));
  EXPECT_EQ(NameSet({"python", "--path", (tmp_ / "docs" / "notes").string()}),
            (std::set<std::string>{"mail.txt"}));
  EXPECT_EQ(NameSet({"python", "--path", "*/python/*"}), (std::set<std::string>{"release.txt"}));
  EXPECT_TRUE(NameSet({"python", "--after", "2999-01-01"}).empty());
  EXPECT_EQ(NameSet({"python", "--after", "2000-01-01"}).size(), 2u);
  const auto all = Names({"thread"});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(Names({"thread", "--limit", "1"}), std::vector<std::string>{all[0]});
  EXPECT_EQ(Names({"thread", "--limit", "1", "--offset", "1"}), std::vector<std::string>{all[1]});
  EXPECT_TRUE(Names({"thread", "--offset", "2"}).empty());
}

TEST_F(SearchBox, RawFts5AndQueriesThatCannotBeSearched) {
  EXPECT_EQ(NameSet({"--raw", "bayern OR bindings"}),
            (std::set<std::string>{"munich.txt", "release.txt"}));
  for (const auto& [words, why] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"\"unclosed"}, "the quote before 'unclosed' is never closed"},
           {{"-debian"}, "a query needs a word to look for, not only -exclusions"},
           {{"python", "OR"}, "OR needs a word after it"},
           {{"--raw", "a:b"}, "no such column: a"}}) {
    std::vector<std::string> args = {"search", "--db", db_.string()};
    args.insert(args.end(), words.begin(), words.end());
    RunOutput bad = RunTaskfarm(args, tmp_);
    EXPECT_EQ(bad.exit_code, 2) << words[0];
    EXPECT_NE(bad.err.find(why), std::string::npos) << bad.err;
  }
  RunOutput after = RunTaskfarm({"search", "--db", db_.string(), "--after", "yesterday", "x"}, tmp_);
  EXPECT_EQ(after.exit_code, 2);
  EXPECT_NE(after.err.find("'yesterday' is not a date (YYYY-MM-DD)"), std::string::npos) << after.err;
}

TEST_F(SearchBox, AnIndexMadeBeforeStemmingIsStemmedWhenItIsNextWritten) {
  // The index as an earlier version made it: the same text, tokenized without stemming.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "ALTER TABLE documents_fts RENAME TO old_fts;"
                         "CREATE VIRTUAL TABLE documents_fts USING fts5(title, body, "
                         "tokenize='unicode61 remove_diacritics 2');"
                         "INSERT INTO documents_fts(rowid, title, body) "
                         "SELECT rowid, title, body FROM old_fts; DROP TABLE old_fts;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_TRUE(NameSet({"processe"}).empty()) << "unstemmed: the word must be whole";
  RunOutput again = RunTaskfarm({"run", "--index", (tmp_ / "docs").string(), "--db", db_.string(),
                                 "--quiet"},
                                tmp_);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(NameSet({"processe"}), (std::set<std::string>{"copy-of-pool.txt+pool.txt"}))
      << "stemmed: processe and processes are one word";
}

}  // namespace
}  // namespace taskfarm::testing
