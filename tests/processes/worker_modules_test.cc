// The worker loads what a kind needs when the first task of that kind arrives: an idle
// worker, or one running kinds that need no large library, maps none of libcurl, ICU,
// libarchive, libmagic, libxml2 or libzip (they come with libtaskfarm-kinds.so, the module of
// the index and geocode kinds); a worker whose module is missing fails those kinds' tasks
// saying so, and runs the rest.

#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

namespace fs = std::filesystem;

TEST(WorkerModules, AWorkerMapsTheIndexAndGeocodeLibrariesOnlyWhenItRunsThoseKinds) {
  TempDir tmp;
  Taskfarm run({"run", "--sleep", "3", "--sleep-ms", "1000", "--burn", "20", "--workers", "1",
                "--quiet"},
               tmp);
  std::vector<pid_t> workers;
  ASSERT_TRUE(WaitFor([&] { return !(workers = WorkersOf(tmp, run.pid())).empty(); },
                      std::chrono::seconds(20)));
  // Read while the worker sleeps: it has run burn and sleep tasks, nothing else.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string maps = ReadFile("/proc/" + std::to_string(workers.front()) + "/maps");
  ASSERT_NE(maps.find("libzmq"), std::string::npos) << maps;
  for (const std::string library : {"libcurl", "libicuuc", "libicui18n", "libarchive", "libmagic",
                                    "libxml2", "libzip", "libtaskfarm-kinds"}) {
    EXPECT_EQ(maps.find(library), std::string::npos) << library << " is mapped:\n" << maps;
  }
  EXPECT_EQ(run.Wait().exit_code, 0);
}

TEST(WorkerModules, WithoutItsModuleAWorkerFailsIndexAndGeocodeTasksSayingWhyAndRunsTheRest) {
  TempDir tmp;
  // The two programs alone, without libtaskfarm-kinds.so beside them.
  fs::create_directories(tmp / "bin");
  const fs::path build = fs::path(TASKFARM_BIN).parent_path();
  fs::copy_file(build / "taskfarm", tmp / "bin" / "taskfarm");
  fs::copy_file(build / "taskfarm-worker", tmp / "bin" / "taskfarm-worker");
  fs::create_directories(tmp / "docs");
  std::ofstream(tmp / "docs" / "a.txt") << "a document\n";
  Taskfarm farm({"run", "--index", (tmp / "docs").string(), "--db", (tmp / "index.db").string(),
                 "--geocode", PlacesFile(tmp, 3).string(), "--provider", "offline", "--out",
                 (tmp / "places.jsonl").string(), "--sleep", "4", "--sleep-ms", "1", "--json",
                 "--quiet"},
                tmp, {}, {}, (tmp / "bin" / "taskfarm").string());
  RunOutput run = farm.Wait();
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const auto summary = nlohmann::json::parse(run.out);
  EXPECT_EQ(summary["kinds"]["sleep"]["done"], 4) << summary;
  EXPECT_EQ(summary["kinds"]["index"]["failed"], 1) << summary;
  EXPECT_EQ(summary["kinds"]["geocode"]["failed"], 3) << summary;
  int geocode_rows = 0;
  for (const auto& row : ReadJsonLines(tmp / "places.jsonl")) {
    if (row["kind"] != "geocode" && row["kind"] != "index") continue;
    geocode_rows += row["kind"] == "geocode" ? 1 : 0;
    EXPECT_EQ(row["status"], "error") << row;
    EXPECT_EQ(row["error"], fmt::format("cannot load the index and geocode kinds' module: no "
                                        "libtaskfarm-kinds.so in {} or {}",
                                        (tmp / "bin").string(), (tmp / "lib" / "taskfarm").string()))
        << row;
  }
  EXPECT_EQ(geocode_rows, 3);
}

}  // namespace
}  // namespace taskfarm::testing
