// What the indexer makes of the files real folders hold, made here with real tools (iconv,
// gzip, head): text in other encodings converted and its charset kept; files without a
// telling name typed by their content (libmagic); what has no converter skipped, saying why.

#include <sqlite3.h>

#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "tests/processes/pdf_maker.h"
#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

// A column of the index's row for the file called `name`.
std::string DocumentField(const std::filesystem::path& db, const std::string& name,
                          const std::string& column) {
  sqlite3* handle = nullptr;
  sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* select = nullptr;
  const std::string sql = "SELECT coalesce(" + column + ", '') FROM documents WHERE path LIKE ?";
  sqlite3_prepare_v2(handle, sql.c_str(), -1, &select, nullptr);
  const std::string pattern = "%/" + name;
  sqlite3_bind_text(select, 1, pattern.c_str(), -1, SQLITE_TRANSIENT);
  std::string value = "(no row)";
  if (sqlite3_step(select) == SQLITE_ROW) {
    value = reinterpret_cast<const char*>(sqlite3_column_text(select, 0));
  }
  sqlite3_finalize(select);
  sqlite3_close(handle);
  return value;
}

std::string CharsetOf(const std::filesystem::path& db, const std::string& name) {
  return DocumentField(db, name, "charset");
}

// `taskfarm run --index DOCS --db DB --json EXTRA...`: its summary, its exit checked.
nlohmann::json IndexRun(const std::filesystem::path& docs, const std::string& db, const TempDir& tmp,
                        const std::vector<std::string>& extra, int expected_exit) {
  std::vector<std::string> args = {"run", "--index", docs.string(), "--db", db, "--json", "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunOutput run = RunTaskfarm(args, tmp);
  EXPECT_EQ(run.exit_code, expected_exit) << run.err;
  return nlohmann::json::parse(run.out);
}

// The file names `words` finds (copies included).
std::set<std::string> Found(const std::filesystem::path& db, const TempDir& tmp,
                            std::vector<std::string> words) {
  words.insert(words.begin(), {"search", "--db", db.string(), "--json"});
  RunOutput search = RunTaskfarm(words, tmp);
  EXPECT_EQ(search.exit_code, 0) << search.err;
  std::set<std::string> names;
  for (const auto& hit : nlohmann::json::parse(search.out)) {
    names.insert(std::filesystem::path(hit["path"].get<std::string>()).filename());
    for (const auto& copy : hit["also_at"]) {
      names.insert(std::filesystem::path(copy.get<std::string>()).filename());
    }
  }
  return names;
}

TEST(IndexTypes, FilesWithoutATellingNameAreTypedByTheirContent) {
  TempDir tmp;
  const auto docs = tmp / "docs";
  std::filesystem::create_directories(docs);
  std::ofstream(docs / "README") << "Quokkaword explains how to build this project.\n";
  std::ofstream(docs / "copyright") << "Format: https://www.debian.org/doc/packaging-manuals/"
                                       "copyright-format/1.0/\nUpstream-Name: wombatword\n";
  std::ofstream(docs / "tool.py") << "#!/usr/bin/env python3\nimport sys\n\ndef numbatword():\n"
                                     "    print(sys.argv)\n";
  std::ofstream(docs / "server.log") << "2026-12-04 10:00:01 INFO bilbyword started\n";
  std::ofstream(docs / "tools.js") << "/* tools */\n\"use strict\";\n\nconst dholeword = (x) => x + 1;\n";
  std::ofstream(docs / "data.json") << "{\"name\": \"kiwiword\", \"n\": [1, 2]}\n";
  // Compressed whole, by the real tools: each read as the file it holds.
  std::ofstream(tmp / "notes.txt") << "Plain dingoword text.\n";
  std::ofstream(tmp / "changelog") << "pkg (1.0-1) unstable; urgency=low\n\n  * Emuword fixed.\n";
  std::ofstream(tmp / "page.html") << "<html><head><title>Koalaword</title></head><body>x</body></html>";
  std::ofstream(tmp / "huge.txt") << std::string(1 << 20, 'a') << '\n';
  const auto shell = [&](const std::string& command) {
    ASSERT_EQ(std::system(("cd '" + tmp.path().string() + "' && " + command).c_str()), 0) << command;
  };
  shell("gzip -9 -c notes.txt > docs/notes.txt.gz && bzip2 -c changelog > docs/changelog.bz2 && "
        "xz -c page.html > docs/page.html.xz && gzip -c huge.txt > docs/huge.txt.gz");
  // Binary bytes with no converter. Fixed, not from /dev/urandom: libmagic takes about one
  // random file of a few KB in a hundred for a DOS executable (application/x-dosexec).
  shell("LC_ALL=C awk 'BEGIN { srand(7); for (i = 0; i < 4096; i++) printf \"%c\", "
        "int(rand() * 256) }' > docs/blob && gzip -c docs/blob > docs/blob.gz");
  const auto db = tmp / "index.db";
  RunOutput run = RunTaskfarm({"run", "--index", docs.string(), "--db", db.string(),
                               "--max-file-size", "50000", "--json", "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 1) << "the decompression bomb failed; the rest was read: " << run.err;
  for (const std::string word : {"quokkaword", "wombatword", "numbatword", "bilbyword", "dholeword", "kiwiword"}) {
    EXPECT_EQ(Found(db, tmp, {word}).size(), 1u) << word << " is in a text file without a .txt";
  }
  EXPECT_EQ(DocumentField(db, "README", "type"), "text");
  EXPECT_EQ(Found(db, tmp, {"dingoword"}), std::set<std::string>{"notes.txt.gz"});
  EXPECT_EQ(DocumentField(db, "notes.txt.gz", "note"), "read inside gzip");
  EXPECT_EQ(Found(db, tmp, {"emuword"}), std::set<std::string>{"changelog.bz2"});
  EXPECT_EQ(Found(db, tmp, {"title:koalaword"}), std::set<std::string>{"page.html.xz"});
  EXPECT_EQ(DocumentField(db, "page.html.xz", "type"), "html");
  EXPECT_NE(DocumentField(db, "huge.txt.gz", "error").find("decompresses past 1000000 bytes"),
            std::string::npos)
      << DocumentField(db, "huge.txt.gz", "error");
  EXPECT_EQ(DocumentField(db, "blob", "status"), "skipped");
  EXPECT_EQ(DocumentField(db, "blob", "note"), "no converter for application/octet-stream");
  EXPECT_EQ(DocumentField(db, "blob.gz", "note"),
            "no converter for application/octet-stream inside gzip");
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["kinds"]["index"]["skipped"], 2) << summary;
  EXPECT_EQ(summary["kinds"]["index"]["done"], 9) << summary;
  EXPECT_EQ(summary["kinds"]["index"]["failed"], 1) << summary;
  RunOutput report = RunTaskfarm({"report", "--db", db.string(), "--json"}, tmp);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(nlohmann::json::parse(report.out)["kinds"]["index"]["skipped"], 2)
      << "the report counts skipped files as the run did";
}

// Text in the encodings real folders hold, made by iconv: found by its words, and its
// charset kept per document.
TEST(IndexCharsets, TextInOtherEncodingsIsConvertedAndItsCharsetKept) {
  TempDir tmp;
  const auto docs = tmp / "docs";
  std::filesystem::create_directories(docs);
  std::ofstream(tmp / "utf8.txt") << "Ein Café in München: naïve Bücher, très déjà vu. Größe.\n";
  for (const auto& [encoding, name] : std::vector<std::pair<std::string, std::string>>{
           {"LATIN1", "latin1.txt"}, {"UTF-16", "utf16.txt"}}) {
    const std::string command = "iconv -f UTF-8 -t " + encoding + " '" + (tmp / "utf8.txt").string() +
                                "' > '" + (docs / name).string() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  std::filesystem::copy_file(tmp / "utf8.txt", docs / "utf8.txt");
  std::ofstream(docs / "damaged.txt") << "Zürich und Genève sind \xff schön.\n";
  const auto db = tmp / "index.db";
  RunOutput run = RunTaskfarm({"run", "--index", docs.string(), "--db", db.string(), "--quiet"}, tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;

  const std::string latin1 = CharsetOf(db, "latin1.txt");
  EXPECT_TRUE(latin1 == "ISO-8859-1" || latin1 == "windows-1252") << latin1;
  EXPECT_EQ(CharsetOf(db, "utf16.txt").rfind("UTF-16", 0), 0u) << CharsetOf(db, "utf16.txt");
  EXPECT_EQ(CharsetOf(db, "utf8.txt"), "UTF-8");
  EXPECT_EQ(CharsetOf(db, "damaged.txt"), "UTF-8") << "a bad byte in UTF-8 is repaired, not re-read";
  for (const std::string word : {"café", "munchen", "bücher"}) {
    RunOutput search = RunTaskfarm({"search", "--db", db.string(), word, "--json"}, tmp);
    ASSERT_EQ(search.exit_code, 0) << search.err;
    std::set<std::string> names;
    for (const auto& hit : nlohmann::json::parse(search.out)) {
      names.insert(std::filesystem::path(hit["path"].get<std::string>()).filename());
      for (const auto& copy : hit["also_at"]) {
        names.insert(std::filesystem::path(copy.get<std::string>()).filename());
      }
    }
    EXPECT_EQ(names, (std::set<std::string>{"latin1.txt", "utf16.txt", "utf8.txt"})) << word;
  }
  RunOutput zurich = RunTaskfarm({"search", "--db", db.string(), "zurich", "schon"}, tmp);
  EXPECT_NE(zurich.out.find("damaged.txt"), std::string::npos) << zurich.out;
}

}  // namespace
}  // namespace taskfarm::testing

namespace taskfarm::testing {
namespace {

// The index keeps which extractor made each document: a converter added, changed or
// dropped later converts again only the files it reads, with no --refresh of everything.
TEST(IndexTypes, AConverterAddedLaterConvertsOnlyTheFilesItReads) {
  TempDir tmp;
  const auto docs = tmp / "docs";
  std::filesystem::create_directories(docs);
  std::ofstream(docs / "a.note") << "\x01\x02\x03 binary-looking notes\n";
  std::ofstream(docs / "b.txt") << "plain text\n";
  std::ofstream(docs / "c.txt") << "more plain text\n";
  // The converter: a real program, run on each .note file (its path appended).
  const std::string converter = "note=sed s/binary-looking/readable/";
  const auto db = (tmp / "index.db").string();
  const auto index = [&](const std::vector<std::string>& extra) { return IndexRun(docs, db, tmp, extra, 0); };
  auto first = index({});
  EXPECT_EQ(first["kinds"]["index"]["skipped"], 1) << "no converter reads a.note yet: " << first;
  auto with = index({"--converter", converter});
  EXPECT_EQ(with["index"]["reconverted"], 1) << with;
  EXPECT_EQ(with["index"]["unchanged"], 2) << with;
  EXPECT_EQ(with["kinds"]["index"]["done"], 1) << "only a.note was converted again: " << with;
  RunOutput found = RunTaskfarm({"search", "--db", db, "notes"}, tmp);
  EXPECT_NE(found.out.find("a.note"), std::string::npos) << found.out;
  auto same = index({"--converter", converter});
  EXPECT_EQ(same["index"]["unchanged"], 3) << same;
  auto dropped = index({});
  EXPECT_EQ(dropped["index"]["reconverted"], 1) << "a converter dropped converts again too";
  EXPECT_EQ(dropped["kinds"]["index"]["skipped"], 1) << dropped;
}

// mutool prints the pages it can read of a damaged PDF and exits 1: that text is the
// document's (noted partial), where before the whole file was an error row.
TEST(IndexTypes, APdfReadInPartKeepsTheTextItsConverterPrinted) {
  TempDir tmp;
  const auto docs = tmp / "docs";
  std::filesystem::create_directories(docs);
  std::ofstream(docs / "damaged.pdf", std::ios::binary)
      << PdfWithPages({PdfPageOf("capybaraword on the page that reads"),
                       "BT /F1 12 Tf (x) Tj ET q q Q Q Q Q ) ] >> BI ID"});
  std::ofstream(docs / "whole.pdf", std::ios::binary) << PdfWithPages({PdfPageOf("axolotlword")});
  const auto db = tmp / "index.db";
  RunOutput run = RunTaskfarm({"run", "--index", docs.string(), "--db", db.string(), "--quiet"}, tmp);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Found(db, tmp, {"capybaraword"}), std::set<std::string>{"damaged.pdf"});
  EXPECT_EQ(DocumentField(db, "damaged.pdf", "status"), "indexed");
  EXPECT_EQ(DocumentField(db, "damaged.pdf", "note"), "partial text: mutool exited with status 1");
  EXPECT_EQ(DocumentField(db, "whole.pdf", "note"), "");
}

// A file whose conversion failed is tried again when it changes, or when asked: a re-run of
// an unchanged folder converts nothing and does not fail on the same file again.
TEST(IndexTypes, AFailedFileIsTriedAgainOnlyWhenItChangesOrWhenAsked) {
  TempDir tmp;
  const auto docs = tmp / "docs";
  std::filesystem::create_directories(docs);
  std::ofstream(docs / "good.txt") << "fine text\n";
  std::ofstream(docs / "bad.txt") << std::string("\x00\x01binary\x00", 9) << std::string(4096, '\0');
  const auto db = (tmp / "index.db").string();
  const auto index = [&](const std::vector<std::string>& extra, int expected_exit) {
    return IndexRun(docs, db, tmp, extra, expected_exit);
  };
  auto first = index({}, 1);
  EXPECT_EQ(first["kinds"]["index"]["failed"], 1) << first;
  auto again = index({}, 0);
  EXPECT_EQ(again["tasks"], 0) << again;
  EXPECT_EQ(again["index"]["failed_unchanged"], 1) << again;
  EXPECT_EQ(DocumentField(db, "bad.txt", "status"), "error") << "still failed, and said so";
  auto asked = index({"--retry-failed"}, 1);
  EXPECT_EQ(asked["index"]["retried"], 1) << asked;
  EXPECT_EQ(asked["tasks"], 1) << asked;
  std::ofstream(docs / "bad.txt") << "now it is text\n";
  auto changed = index({}, 0);
  EXPECT_EQ(changed["index"]["changed"], 1) << changed;
  EXPECT_EQ(DocumentField(db, "bad.txt", "status"), "indexed");
}

// The CPU of a converter is its task's: kinds.index.cpu_s counts it (before, only the
// worker's own thread was counted, 5.8 s of a run that used 49 s).
TEST(IndexTypes, AConvertersCpuCountsAsItsTasks) {
  TempDir tmp;
  const auto docs = tmp / "docs";
  std::filesystem::create_directories(docs);
  std::ofstream(docs / "a.busy") << "busy\n";
  // A shell loop of 400,000 steps: a few tenths of a second of CPU on any machine.
  std::ofstream(tmp / "busy.sh") << "#!/bin/sh\ni=0\nwhile [ $i -lt 400000 ]; do i=$((i+1)); done\n"
                                    "cat \"$1\"\n";
  std::filesystem::permissions(tmp / "busy.sh", std::filesystem::perms::owner_all);
  RunOutput run = RunTaskfarm({"run", "--index", docs.string(), "--db", (tmp / "i.db").string(),
                               "--converter", "busy=" + (tmp / "busy.sh").string(), "--json",
                               "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_GE(summary["kinds"]["index"]["cpu_s"].get<double>(), 0.1) << summary["kinds"]["index"];
}

}  // namespace
}  // namespace taskfarm::testing
