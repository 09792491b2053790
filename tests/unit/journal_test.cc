// The journal's rows in a real SQLite database: what a run writes is what --resume and
// `report` read back.

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "journal/journal.h"

namespace taskfarm {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tf-journal-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path db() const { return dir_ / "run.db"; }

  std::filesystem::path dir_;
};

OutcomeRow Row(uint64_t task_id, bool ok) {
  OutcomeRow row;
  row.task_id = task_id;
  row.kind = "burn";
  row.ok = ok;
  row.attempts = ok ? 1 : 3;
  row.worker = 2;
  row.run_ms = 10.5;
  if (!ok) {
    row.error_code = "quarantined";
    row.error = "its worker died each of the 3 times it ran";
  }
  row.job_id = ok ? "" : "j" + std::to_string(task_id);
  return row;
}

TEST_F(JournalTest, RowsAppendedAreReadBackInTaskOrderWithEveryColumn) {
  int64_t run_id = 0;
  {
    Journal journal(db());
    run_id = journal.BeginRun(R"({"tasks":{}})", "9.8.7");
    journal.Append(Row(3, true));
    journal.Append(Row(1, false));
    journal.Append(Row(2, true));
    journal.Flush();
    EXPECT_EQ(journal.FinishedTasks(run_id), (std::vector<uint64_t>{1, 2, 3}));
    journal.EndRun(run_id, 1);
  }
  Journal reopened(db());
  std::vector<OutcomeRow> rows;
  reopened.ForEachResult(run_id, [&](const OutcomeRow& row) { rows.push_back(row); });
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].task_id, 1u);
  EXPECT_FALSE(rows[0].ok);
  EXPECT_EQ(rows[0].attempts, 3u);
  EXPECT_EQ(rows[0].error_code, "quarantined");
  EXPECT_EQ(rows[0].error, "its worker died each of the 3 times it ran");
  EXPECT_EQ(rows[0].job_id, "j1");
  EXPECT_TRUE(rows[1].ok);
  EXPECT_DOUBLE_EQ(rows[1].run_ms, 10.5);
  EXPECT_EQ(rows[1].worker, 2u);
  const auto run = reopened.FindRun(run_id);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->version, "9.8.7");
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_TRUE(run->finished_at.has_value());
}

TEST_F(JournalTest, AResumedRunAddsOnlyTheTasksWithoutARow) {
  int64_t run_id = 0;
  {
    Journal first(db());  // a run killed after one result
    run_id = first.BeginRun("{}", "9.8.7");
    first.Append(Row(1, true));
  }
  Journal journal(db());
  journal.ContinueRun(run_id);
  EXPECT_EQ(journal.FinishedTasks(run_id), (std::vector<uint64_t>{1}));
  journal.Append(Row(2, true));
  journal.Flush();
  EXPECT_EQ(journal.FinishedTasks(run_id), (std::vector<uint64_t>{1, 2}));
  EXPECT_FALSE(journal.FindRun()->finished_at.has_value()) << "not ended: still running";
}

TEST_F(JournalTest, AFileThatIsNotADatabaseIsRefusedWithItsName) {
  std::FILE* file = std::fopen(db().c_str(), "w");
  ASSERT_NE(file, nullptr);
  std::fputs("this is a text file, not SQLite, and long enough to have a header page........",
             file);
  std::fclose(file);
  try {
    Journal journal(db());
    FAIL() << "opened a text file as a journal";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(db().string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace taskfarm
