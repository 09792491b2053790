// A --geocode run's --out as a table to join back: every input row its own row, in input
// order, with its own columns (--keep-columns), read and written as CSV by a CSV library and
// read back here by another (Python's csv module).

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

struct InputRow {
  std::vector<std::string> fields;  // id, city, remark
  uint64_t line = 0;
};

// A spreadsheet's export: a byte order mark, semicolons, remarks with the separator, quotes
// and line breaks inside quotes, places repeated in other cases and spacing, empty places.
std::vector<InputRow> WriteAwkwardCsv(const std::filesystem::path& path, int rows) {
  const std::vector<std::string> cities = {"Zadar", "berlin",   "Reykjavik", "BERLIN ",
                                           "Wien",  "Venice",   "Wrocław",   "New York",
                                           "Dehli", "Bolognia", "Słubice",   "Moskau"};
  std::ofstream out(path, std::ios::binary);
  out << "\xEF\xBB\xBFid;city;remark\n";
  std::vector<InputRow> written;
  uint64_t line = 2;
  for (int i = 0; i < rows; ++i) {
    InputRow row;
    row.line = line;
    std::string city = i % 25 == 24 ? "" : cities[i % cities.size()];
    std::string remark = "plain " + std::to_string(i);
    std::string quoted_remark = remark;
    if (i % 7 == 3) {
      remark = "two lines; \"quoted\"\nsecond " + std::to_string(i);
      quoted_remark = "\"two lines; \"\"quoted\"\"\nsecond " + std::to_string(i) + "\"";
      ++line;
    }
    row.fields = {std::to_string(i + 1), city, remark};
    out << i + 1 << ';' << city << ';' << quoted_remark << '\n';
    ++line;
    written.push_back(row);
  }
  return written;
}

std::string Trimmed(std::string text) {
  text.erase(text.find_last_not_of(' ') + 1);
  return text;
}

// The rows of a CSV file as Python's csv module reads them, as JSON.
nlohmann::json ReadCsvWithPython(const std::filesystem::path& path) {
  const std::string command =
      "python3 -c 'import csv, json, sys; "
      "print(json.dumps(list(csv.reader(open(sys.argv[1], newline=\"\", encoding=\"utf-8\")))))' "
      "'" +
      path.string() + "'";
  FILE* pipe = popen(command.c_str(), "r");
  std::string text;
  char buffer[65536];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0);
  return nlohmann::json::parse(text);
}

TEST(GeocodeOutput, EveryInputRowHasOneRowInInputOrderWithItsOwnColumns) {
  TempDir tmp;
  const auto input = tmp / "places.csv";
  const std::vector<InputRow> rows = WriteAwkwardCsv(input, 300);
  RunOutput run = RunTaskfarm(
      {"run", "--geocode", input.string(), "--column", "city", "--delimiter", ";", "--keep-columns",
       "--workers", "2", "--out", (tmp / "out.jsonl").string(), "--json", "--quiet"},
      tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["kinds"]["geocode"]["done"], 11)
      << "twelve names, Berlin among them twice in other cases and spacing";

  const auto out = ReadJsonLines(tmp / "out.jsonl");
  ASSERT_EQ(out.size(), rows.size()) << "one row per input row";
  std::map<std::string, uint64_t> first_line;  // folded by hand: the cities differ in case only
  std::map<std::string, nlohmann::json> first_row;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const nlohmann::json& row = out[i];
    ASSERT_EQ(row["line"], rows[i].line) << "rows in input order; row " << i << ": " << row;
    EXPECT_EQ(row["row"], i + 1);
    const nlohmann::json expected_columns = {
        {"id", rows[i].fields[0]}, {"city", rows[i].fields[1]}, {"remark", rows[i].fields[2]}};
    EXPECT_EQ(row["columns"], expected_columns) << "the record's own fields, as they were";
    const std::string city = Trimmed(rows[i].fields[1]);
    if (city.empty()) {
      EXPECT_EQ(row["status"], "skipped") << row;
      continue;
    }
    ASSERT_EQ(row["status"], "ok") << row;
    EXPECT_EQ(row["query"], city);
    std::string key = city;
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto [first, is_first] = first_line.emplace(key, rows[i].line);
    if (is_first) {
      EXPECT_FALSE(row.contains("same_as")) << row;
      first_row[key] = row;
    } else {
      EXPECT_EQ(row["same_as"], first->second) << "a repeat names the line that answered it";
      EXPECT_EQ(row["lat"], first_row[key]["lat"]);
      EXPECT_EQ(row["formatted_address"], first_row[key]["formatted_address"]);
    }
  }
  EXPECT_EQ(out[0]["formatted_address"], "Zadar, Croatia");
  EXPECT_EQ(out[12]["formatted_address"], "Zadar, Croatia")
      << "Zadar after a record with a line break in a quoted field";
}

TEST(GeocodeOutput, ACsvOutRoundTripsTheInputsColumnsThroughAnotherCsvReader) {
  TempDir tmp;
  const auto input = tmp / "places.csv";
  const std::vector<InputRow> rows = WriteAwkwardCsv(input, 60);
  RunOutput run = RunTaskfarm(
      {"run", "--geocode", input.string(), "--column", "city", "--delimiter", ";", "--keep-columns",
       "--workers", "2", "--out", (tmp / "out.csv").string(), "--quiet"},
      tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json table = ReadCsvWithPython(tmp / "out.csv");
  ASSERT_EQ(table.size(), rows.size() + 1);
  const nlohmann::json& header = table[0];
  ASSERT_GE(header.size(), 8u);
  EXPECT_EQ(header[0], "id");
  EXPECT_EQ(header[1], "city");
  EXPECT_EQ(header[2], "remark");
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  ASSERT_EQ(column.size(), header.size()) << "every name in the header is one column";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const nlohmann::json& record = table[i + 1];
    ASSERT_EQ(record.size(), header.size()) << record;
    for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(record[k], rows[i].fields[k]) << record;
    EXPECT_EQ(record[column["line"]], std::to_string(rows[i].line));
    EXPECT_EQ(record[column["status"]], rows[i].fields[1].empty() ? "skipped" : "ok") << record;
  }
}

TEST(GeocodeOutput, DuplicatesKeepTheirRowsInAPlainFileAndAResumeWritesThemAgain) {
  TempDir tmp;
  std::ofstream(tmp / "places.txt") << "Paris\nparis\n# a comment\n\nPARIS \nLondon\nParis\n";
  const auto db = (tmp / "run.db").string();
  const auto out = (tmp / "out.jsonl").string();
  RunOutput run = RunTaskfarm(
      {"run", "--geocode", (tmp / "places.txt").string(), "--db", db, "--out", out, "--quiet"},
      tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto first = ReadJsonLines(out);
  const std::vector<uint64_t> lines = {1, 2, 5, 6, 7};
  ASSERT_EQ(first.size(), lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(first[i]["line"], lines[i]);
  EXPECT_EQ(first[1]["query"], "paris");
  EXPECT_EQ(first[1]["same_as"], 1);
  EXPECT_EQ(first[2]["query"], "PARIS");
  EXPECT_EQ(first[3]["query"], "London");
  EXPECT_FALSE(first[3].contains("same_as"));
  EXPECT_EQ(first[4]["same_as"], 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM results"), 2) << "Paris asked once";

  // --resume writes --out anew from the journal: the same rows, the repeats too.
  std::filesystem::remove(out);
  RunOutput resumed = RunTaskfarm({"run", "--resume", "--db", db, "--out", out, "--quiet"}, tmp);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto again = ReadJsonLines(out);
  ASSERT_EQ(again.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(again[i]["line"], first[i]["line"]);
    EXPECT_EQ(again[i]["query"], first[i]["query"]);
    EXPECT_EQ(again[i]["lat"], first[i]["lat"]);
    EXPECT_EQ(again[i].value("same_as", 0), first[i].value("same_as", 0));
  }
}

TEST(GeocodeOutput, ACsvWithoutAHeaderNamesItsColumnByPosition) {
  TempDir tmp;
  std::ofstream(tmp / "plain.csv") << "1;Zadar;x\n2;\"Berlin\";y\n3;;z\n";
  RunOutput run = RunTaskfarm({"run", "--geocode", (tmp / "plain.csv").string(), "--column", "2",
                               "--delimiter", ";", "--keep-columns", "--out",
                               (tmp / "out.jsonl").string(), "--quiet"},
                              tmp);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto rows = ReadJsonLines(tmp / "out.jsonl");
  ASSERT_EQ(rows.size(), 3u) << "the first record is a row, not a header";
  EXPECT_EQ(rows[0]["formatted_address"], "Zadar, Croatia");
  EXPECT_EQ(rows[0]["row"], 1);
  EXPECT_EQ(rows[1]["columns"]["column 3"], "y");
  EXPECT_EQ(rows[2]["status"], "skipped");
}

TEST(GeocodeOutput, BadCsvInputIsRefusedNamingTheLine) {
  TempDir tmp;
  std::ofstream(tmp / "open.csv") << "id,city\n1,Zadar\n2,\"Wien\n3,Paris\n";
  RunOutput open = RunTaskfarm(
      {"run", "--geocode", (tmp / "open.csv").string(), "--column", "city", "--quiet"}, tmp);
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_NE(
      open.err.find("open.csv: the quote in the record that begins on line 3 is never closed"),
      std::string::npos)
      << open.err;
  RunOutput keep = RunTaskfarm({"run", "--geocode", (tmp / "open.csv").string(), "--keep-columns",
                                "--out", (tmp / "o.jsonl").string()},
                               tmp);
  EXPECT_EQ(keep.exit_code, 2);
  EXPECT_NE(keep.err.find("--keep-columns needs a CSV input"), std::string::npos) << keep.err;
}

}  // namespace
}  // namespace taskfarm::testing
