#include "coordinator/csv_records.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "coordinator/task_source.h"

namespace taskfarm {
namespace {

// A CSV file of `bytes`, removed at the end of the test.
class CsvFile {
 public:
  explicit CsvFile(const std::string& bytes) {
    std::string pattern = (std::filesystem::temp_directory_path() / "tf-csv-XXXXXX").string();
    const int fd = mkstemp(pattern.data());
    close(fd);
    path_ = pattern;
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~CsvFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::vector<CsvRecord> ReadAll(const std::string& bytes, char delimiter = ',') {
  CsvFile file(bytes);
  CsvRecords records(file.path(), delimiter, "--geocode");
  std::vector<CsvRecord> all;
  while (auto record = records.Next()) all.push_back(std::move(*record));
  return all;
}

TEST(CsvRecords, QuotedFieldsKeepSeparatorsQuotesAndLineBreaks) {
  const auto records = ReadAll(
      "\xEF\xBB\xBFid;place;note\r\n"
      "1;Zadar;\"two\r\nlines; and \"\"quotes\"\"\"\r\n"
      "\r\n"
      "2;\"Reykjavík; IS\";\n",
      ';');
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"id", "place", "note"}))
      << "the byte order mark is not part of the first column's name";
  EXPECT_EQ(records[1].fields,
            (std::vector<std::string>{"1", "Zadar", "two\r\nlines; and \"quotes\""}));
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_EQ(records[1].number, 2u);
  EXPECT_EQ(records[2].fields, (std::vector<std::string>{"2", "Reykjavík; IS", ""}));
  EXPECT_EQ(records[2].line, 5u) << "the record after a two-line one and a blank line";
  EXPECT_EQ(records[2].number, 3u);
}

TEST(CsvRecords, FieldsKeepTheirSpaces) {
  const auto records = ReadAll("a,b\n BERLIN ,\t2\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{" BERLIN ", "\t2"}));
}

TEST(CsvRecords, ALastRecordWithoutALineBreakIsRead) {
  const auto records = ReadAll("a,b\n1,2");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"1", "2"}));
}

TEST(CsvRecords, AQuoteNeverClosedNamesTheLineItOpenedOn) {
  CsvFile file("place\nBerlin\n\"Zadar\nWien\nParis\n");
  CsvRecords records(file.path(), ',', "--geocode");
  EXPECT_EQ(records.Next()->fields.at(0), "place");
  EXPECT_EQ(records.Next()->fields.at(0), "Berlin");
  try {
    records.Next();
    FAIL() << "a quote never closed was read as a record";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("begins on line 3 is never closed"), std::string::npos)
        << e.what();
  }
}

TEST(CsvRecords, ARunawayFieldStopsWithinTheBudget) {
  std::string bytes = "place\n\"";
  bytes.append(CsvRecords::kMaxFieldBytes + 100, 'x');
  CsvFile file(bytes + "\"\n");
  CsvRecords records(file.path(), ',', "--geocode");
  records.Next();
  EXPECT_THROW(records.Next(), InputError);
}

TEST(CsvRecords, ARecordOverTheLimitIsTooLongAndTheNextOneIsRead) {
  std::string bytes = "a,b\n";
  bytes += std::string(CsvRecords::kMaxRecordBytes / 2, 'x') + "," +
           std::string(CsvRecords::kMaxRecordBytes / 2 + 10, 'y') + "\nok,2\n";
  const auto records = ReadAll(bytes);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_TRUE(records[1].too_long);
  EXPECT_TRUE(records[1].fields.empty());
  EXPECT_EQ(records[2].fields, (std::vector<std::string>{"ok", "2"}));
  EXPECT_EQ(records[2].line, 3u);
}

}  // namespace
}  // namespace taskfarm
