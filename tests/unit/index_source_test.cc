#include "coordinator/index_source.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace taskfarm {
namespace {

namespace fs = std::filesystem;

class WalkedFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("index-source-test-" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "sub");
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const fs::path& relative, std::size_t bytes) {
    std::ofstream(root_ / relative) << std::string(bytes, 'x');
  }
  // The file names in the order the source hands them out.
  std::vector<std::string> Order(IndexSource& source) {
    std::vector<std::string> names;
    while (auto spec = source.Next()) {
      names.push_back(fs::path(DecodeIndexRequest(spec->payload)->path).filename());
    }
    return names;
  }
  fs::path root_;
};

TEST_F(WalkedFolder, TheLargestFilesGoFirstWhereverTheWalkMeetsThem) {
  Write("a.txt", 10);
  Write("sub/huge.txt", 50'000);
  Write("b.txt", 3'000);
  Write("sub/c.txt", 200);
  IndexSource source(IndexInput{.roots = {root_.string()}, .excludes = {}, .converters = {}}, {});
  EXPECT_EQ(Order(source), (std::vector<std::string>{"huge.txt", "b.txt", "c.txt", "a.txt"}));
  EXPECT_TRUE(source.walked_all());
  EXPECT_EQ(source.counts().added, 4u);
}

TEST_F(WalkedFolder, BeyondTheWindowTheWalkGoesOnInTurn) {
  // kLookahead small files, then a large one: it waits for the window to reach it, but
  // every file is handed out once.
  for (std::size_t i = 0; i < IndexSource::kLookahead + 10; ++i) Write(std::to_string(i), 1);
  IndexSource source(IndexInput{.roots = {root_.string()}, .excludes = {}, .converters = {}}, {});
  const auto order = Order(source);
  EXPECT_EQ(order.size(), IndexSource::kLookahead + 10);
  EXPECT_EQ(std::set<std::string>(order.begin(), order.end()).size(), order.size());
}

}  // namespace
}  // namespace taskfarm
