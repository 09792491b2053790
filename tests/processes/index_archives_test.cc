// Archives' files as documents of their own (path!member), made here with the real tools
// (zip, tar with gzip and xz): each member found by its own word, typed and read as a file
// would be (one compressed whole too), the archive's row counting them; an archive changed or gone takes its old
// members with it; and an archive cannot take more than its limits.

#include <sqlite3.h>

#include <fstream>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/processes/pdf_maker.h"
#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

namespace fs = std::filesystem;

// One query's answer from the index: the first column of each row.
std::vector<std::string> IndexColumn(const fs::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* select = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(handle, sql.c_str(), -1, &select, nullptr), SQLITE_OK) << sql;
  std::vector<std::string> values;
  while (sqlite3_step(select) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(select, 0);
    values.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
  }
  sqlite3_finalize(select);
  sqlite3_close(handle);
  return values;
}

std::string ArchiveField(const fs::path& db, const std::string& path, const std::string& column) {
  const auto values = IndexColumn(db, fmt::format("SELECT coalesce({}, '') FROM documents WHERE path = '{}'",
                                             column, path));
  return values.empty() ? "(no row)" : values.front();
}

// The paths `words` finds, copies included.
std::set<std::string> MemberPathsFound(const fs::path& db, const TempDir& tmp, std::vector<std::string> words) {
  words.insert(words.begin(), {"search", "--db", db.string(), "--json", "--limit", "50"});
  RunOutput search = RunTaskfarm(words, tmp);
  EXPECT_EQ(search.exit_code, 0) << search.err;
  std::set<std::string> paths;
  for (const auto& hit : nlohmann::json::parse(search.out)) {
    paths.insert(hit["path"].get<std::string>());
    for (const auto& copy : hit["also_at"]) paths.insert(copy.get<std::string>());
  }
  return paths;
}

void RunIn(const TempDir& tmp, const std::string& command) {
  ASSERT_EQ(std::system(("cd '" + tmp.path().string() + "' && " + command).c_str()), 0) << command;
}

// The folder the archives are made of: a word of its own in each member.
void MakeArchiveMembers(const fs::path& src) {
  fs::create_directories(src / "guide");
  std::ofstream(src / "guide" / "intro.txt") << "The tapirword is in a text member.\n";
  std::ofstream(src / "guide" / "page.html")
      << "<html><head><title>Okapiword</title></head><body><p>An html member.</p></body></html>";
  std::ofstream(src / "README") << "Narwhalword: a text file without an extension.\n";
  std::ofstream(src / "manual.pdf", std::ios::binary) << PdfWithPages({PdfPageOf("pangolinword inside a PDF member")});
  std::ofstream(src / "blob.bin", std::ios::binary) << std::string("\x7f\x01\x02\x03\x00\xff", 6)
                                                    << std::string(4096, '\0');
}

TEST(IndexArchives, MembersOfZipAndTarAreDocumentsOfTheirOwn) {
  TempDir tmp;
  const auto src = tmp / "src";
  MakeArchiveMembers(src);
  std::ofstream(tmp / "latin1.utf8") << "Ein Café in München.\n";
  RunIn(tmp, "iconv -f UTF-8 -t LATIN1 latin1.utf8 > src/guide/latin1.txt");
  // Members compressed whole, as Debian ships its changelogs: read as what they hold.
  // Binary bytes with no converter. Fixed, not from /dev/urandom: libmagic takes about one
  // random 3,000-byte file in a hundred for a DOS executable (application/x-dosexec).
  RunIn(tmp, "echo 'quokkaword in a changelog' | gzip -9 > src/changelog.Debian.gz && "
             "LC_ALL=C awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++) "
             "printf \"%c\", int(rand() * 256) }' | xz > src/data.bin.xz");
  fs::create_directories(tmp / "docs");
  RunIn(tmp, "cd src && zip -q nested.zip README && zip -qr ../docs/bundle.zip . && "
             "tar czf ../docs/bundle.tar.gz . && "
             "tar cJf ../docs/guide.tar.xz guide");
  const auto db = tmp / "index.db";
  RunOutput run = RunTaskfarm({"run", "--index", (tmp / "docs").string(), "--db", db.string(),
                               "--json", "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string zip = (tmp / "docs" / "bundle.zip").string();
  const std::string tgz = (tmp / "docs" / "bundle.tar.gz").string();
  const std::string txz = (tmp / "docs" / "guide.tar.xz").string();
  EXPECT_EQ(MemberPathsFound(db, tmp, {"tapirword"}),
            (std::set<std::string>{zip + "!guide/intro.txt", tgz + "!guide/intro.txt",
                                   txz + "!guide/intro.txt"}));
  EXPECT_EQ(MemberPathsFound(db, tmp, {"title:okapiword"}),
            (std::set<std::string>{zip + "!guide/page.html", tgz + "!guide/page.html",
                                   txz + "!guide/page.html"}));
  EXPECT_EQ(MemberPathsFound(db, tmp, {"narwhalword"}), (std::set<std::string>{zip + "!README", tgz + "!README"}));
  EXPECT_EQ(MemberPathsFound(db, tmp, {"pangolinword"}),
            (std::set<std::string>{zip + "!manual.pdf", tgz + "!manual.pdf"}));
  EXPECT_EQ(MemberPathsFound(db, tmp, {"munchen"}).size(), 3u) << "Latin-1 inside an archive, converted";
  EXPECT_EQ(ArchiveField(db, zip + "!guide/latin1.txt", "charset"), "ISO-8859-1");
  EXPECT_EQ(ArchiveField(db, zip + "!manual.pdf", "type"), "pdf");
  EXPECT_EQ(ArchiveField(db, tgz + "!guide/page.html", "container"), tgz);
  EXPECT_EQ(ArchiveField(db, zip + "!blob.bin", "status"), "skipped");
  EXPECT_EQ(ArchiveField(db, zip + "!blob.bin", "note"),
            "no converter for application/octet-stream inside an archive");
  EXPECT_EQ(MemberPathsFound(db, tmp, {"quokkaword"}),
            (std::set<std::string>{zip + "!changelog.Debian.gz", tgz + "!changelog.Debian.gz"}));
  EXPECT_EQ(ArchiveField(db, zip + "!changelog.Debian.gz", "note"), "read inside gzip");
  EXPECT_EQ(ArchiveField(db, tgz + "!data.bin.xz", "status"), "skipped");
  EXPECT_EQ(ArchiveField(db, tgz + "!data.bin.xz", "note"),
            "no converter for application/octet-stream inside xz inside an archive");
  EXPECT_EQ(ArchiveField(db, tgz + "!nested.zip", "note"), "an archive inside an archive is not read");
  EXPECT_EQ(ArchiveField(db, zip, "type"), "zip");
  EXPECT_EQ(ArchiveField(db, tgz, "type"), "tar.gz");
  EXPECT_EQ(ArchiveField(db, txz, "type"), "tar.xz");
  EXPECT_EQ(ArchiveField(db, zip, "note"), "6 members indexed, 3 not");
  EXPECT_EQ(MemberPathsFound(db, tmp, {"intro.txt"}).count(zip), 1u) << "an archive is found by its members' names";
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["index"]["archive_members"]["indexed"], 6 + 6 + 3) << summary["index"];
  EXPECT_EQ(summary["index"]["archive_members"]["not_indexed"], 6) << summary["index"];
  EXPECT_EQ(summary["kinds"]["index"]["done"], 3) << "three archives, each one task";
}

TEST(IndexArchives, AnArchiveChangedOrGoneTakesItsOldMembersWithIt) {
  TempDir tmp;
  MakeArchiveMembers(tmp / "src");
  fs::create_directories(tmp / "docs");
  RunIn(tmp, "cd src && zip -qr ../docs/bundle.zip .");
  const auto db = tmp / "index.db";
  const std::vector<std::string> index = {"run", "--index", (tmp / "docs").string(), "--db",
                                          db.string(), "--quiet"};
  ASSERT_EQ(RunTaskfarm(index, tmp).exit_code, 0);
  ASSERT_EQ(MemberPathsFound(db, tmp, {"tapirword"}).size(), 1u);
  RunOutput unchanged = RunTaskfarm(index, tmp);
  EXPECT_EQ(IndexColumn(db, "SELECT count(*) FROM documents WHERE container IS NOT NULL"),
            std::vector<std::string>{"5"}) << "an unchanged archive keeps its members";
  RunIn(tmp, "sleep 0.01 && zip -qd docs/bundle.zip guide/intro.txt");
  ASSERT_EQ(RunTaskfarm(index, tmp).exit_code, 0);
  EXPECT_TRUE(MemberPathsFound(db, tmp, {"tapirword"}).empty()) << "the member taken out is gone";
  EXPECT_EQ(MemberPathsFound(db, tmp, {"narwhalword"}).size(), 1u);
  fs::remove(tmp / "docs" / "bundle.zip");
  ASSERT_EQ(RunTaskfarm(index, tmp).exit_code, 0);
  EXPECT_EQ(IndexColumn(db, "SELECT count(*) FROM documents"), std::vector<std::string>{"0"});
  EXPECT_EQ(IndexColumn(db, "SELECT count(*) FROM documents_fts"), std::vector<std::string>{"0"});
}

TEST(IndexArchives, AnArchiveTakesNoMoreThanAFileMay) {
  TempDir tmp;
  const auto src = tmp / "src";
  fs::create_directories(src);
  // 30 members of 40,000 bytes, each under --max-file-size 50,000, together past 20 x it.
  for (int i = 0; i < 30; ++i) {
    std::ofstream(src / fmt::format("part{:02}.txt", i)) << "fossaword" << i << ' '
                                                         << std::string(40'000, 'x') << '\n';
  }
  std::ofstream(src / "big.txt") << std::string(60'000, 'y') << '\n';
  fs::create_directories(src / "wide");  // more members than a msgpack array's default limit
  for (int i = 0; i < 100; ++i) std::ofstream(src / "wide" / fmt::format("n{:03}.txt", i)) << "okapi " << i;
  fs::create_directories(tmp / "docs");
  RunIn(tmp, "cd src && zip -q ../docs/many.zip part*.txt && zip -q ../docs/big.zip big.txt && "
             "tar cf ../docs/cut.tar part0*.txt && head -c 45000 ../docs/cut.tar > ../docs/damaged.tar && "
             "rm ../docs/cut.tar && zip -qr ../docs/wide.zip wide");
  const auto db = tmp / "index.db";
  RunOutput run = RunTaskfarm({"run", "--index", (tmp / "docs").string(), "--db", db.string(),
                               "--max-file-size", "50000", "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string many = (tmp / "docs" / "many.zip").string();
  EXPECT_NE(ArchiveField(db, many, "note").find("stopped at 1000000 bytes unpacked"), std::string::npos)
      << ArchiveField(db, many, "note");
  const auto members = IndexColumn(db, "SELECT count(*) FROM documents WHERE container = '" + many + "'");
  EXPECT_EQ(members, std::vector<std::string>{"24"}) << "the members read before the limit are kept";
  const std::string big = (tmp / "docs" / "big.zip").string();
  EXPECT_EQ(ArchiveField(db, big + "!big.txt", "status"), "skipped");
  EXPECT_EQ(ArchiveField(db, big + "!big.txt", "note"), "60001 bytes, over --max-file-size (50000 bytes)");
  const std::string wide = (tmp / "docs" / "wide.zip").string();
  EXPECT_EQ(ArchiveField(db, wide, "note"), "100 members indexed, 0 not");
  EXPECT_EQ(IndexColumn(db, "SELECT count(*) FROM documents WHERE container = '" + wide + "'"),
            std::vector<std::string>{"100"});
  const std::string damaged = (tmp / "docs" / "damaged.tar").string();
  EXPECT_EQ(ArchiveField(db, damaged, "status"), "indexed") << ArchiveField(db, damaged, "error");
  EXPECT_EQ(IndexColumn(db, "SELECT count(*) FROM documents WHERE container = '" + damaged +
                           "' AND status = 'indexed'"),
            std::vector<std::string>{"1"});
  EXPECT_EQ(ArchiveField(db, damaged + "!part01.txt", "status"), "error") << "cut in its middle";
  EXPECT_NE(ArchiveField(db, damaged, "note").find("damaged"), std::string::npos) << ArchiveField(db, damaged, "note");
}

}  // namespace
}  // namespace taskfarm::testing
