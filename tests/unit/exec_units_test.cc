// The parts of --exec and job files, in-process: replacement strings (parallel's edge cases),
// template splitting, --halt, the kind catalog, input lines, and the stored settings that
// --resume rebuilds a run from.

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "coordinator/exec_source.h"
#include "coordinator/geocode_source.h"
#include "coordinator/halt_policy.h"
#include "coordinator/input_lines.h"
#include "coordinator/task_options.h"
#include "shared/exec_messages.h"
#include "shared/kinds.h"
#include "shared/replacement_strings.h"
#include "worker/exec_handler.h"

namespace taskfarm {
namespace {

TEST(ReplacementStrings, DirnameIsPerlsAsParallelUsesIt) {
  // Each expected value is what `parallel echo {//} ::: INPUT` prints.
  EXPECT_EQ(Dirname("a.txt"), ".");
  EXPECT_EQ(Dirname("/a.txt"), "/");
  EXPECT_EQ(Dirname("dir/a.txt"), "dir");
  EXPECT_EQ(Dirname("dir/"), ".");
  EXPECT_EQ(Dirname("a/b/"), "a");
  EXPECT_EQ(Dirname("//a"), "/");
  EXPECT_EQ(Dirname("/"), "/");
  EXPECT_EQ(Dirname(""), ".");
}

TEST(ReplacementStrings, ExtensionAndBasenameFollowParallel) {
  EXPECT_EQ(WithoutExtension("a.tar.gz"), "a.tar");
  EXPECT_EQ(WithoutExtension("dir.x/file"), "dir.x/file");
  EXPECT_EQ(WithoutExtension(".hidden"), "");
  EXPECT_EQ(WithoutExtension("x/.bashrc"), "x/");
  EXPECT_EQ(Basename("dir/"), "");
  EXPECT_EQ(Basename("a b/c.d.e"), "c.d.e");
  const ReplacementValues values{"a b/c.d.e", 12, 3};
  EXPECT_EQ(ExpandReplacements("<{}|{.}|{/}|{//}|{/.}|{#}|{%}>", values),
            "<a b/c.d.e|a b/c.d|c.d.e|a b|c.d|12|3>");
  EXPECT_EQ(ExpandReplacements("{} {x} {", values), "a b/c.d.e {x} {");
}

TEST(ReplacementStrings, ShellQuotingKeepsEveryByteOneWord) {
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
  const ReplacementValues values{"$(rm -rf ~); `x` \"y\"", 1, 1};
  EXPECT_EQ(ExpandReplacements("echo {}", values, /*shell_quote=*/true),
            "echo '$(rm -rf ~); `x` \"y\"'");
}

TEST(ExecTemplate, SplitsLikeAShellAndAppendsTheInputWhenNoneIsNamed) {
  EXPECT_EQ(ParseCommandTemplate("convert {} -resize '50%' \"out/{/.}.png\"", false),
            (std::vector<std::string>{"convert", "{}", "-resize", "50%", "out/{/.}.png"}));
  EXPECT_EQ(ParseCommandTemplate("gzip -k", false),
            (std::vector<std::string>{"gzip", "-k", "{}"}));
  EXPECT_EQ(ParseCommandTemplate("echo a | wc", true), (std::vector<std::string>{"echo a | wc {}"}));
  EXPECT_THROW(ParseCommandTemplate("echo 'open", false), InputError);
}

TEST(ExecTemplate, TheWorkerExpandsWordsOrOneShellLine) {
  ExecRequest request;
  request.command = {"cp", "{}", "{.}.bak"};
  request.input = "a b.txt";
  request.seq = 4;
  EXPECT_EQ(ExecArgv(request, 1), (std::vector<std::string>{"cp", "a b.txt", "a b.bak"}));
  request.shell = true;
  request.command = {"cat {} | wc -l > {#}.n"};
  EXPECT_EQ(ExecArgv(request, 1),
            (std::vector<std::string>{"/bin/sh", "-c", "cat 'a b.txt' | wc -l > '4'.n"}));
  request.expand = false;  // a job file's argv runs as it is
  request.command = {"echo", "{}"};
  EXPECT_EQ(ExecArgv(request, 1), (std::vector<std::string>{"echo", "{}"}));
}

TEST(HaltPolicy, ParsesParallelsFormsAndRefusesOthers) {
  EXPECT_EQ(ParseHaltPolicy("never").when, HaltPolicy::When::kNever);
  const HaltPolicy soon = ParseHaltPolicy("soon,fail=3");
  EXPECT_EQ(soon.when, HaltPolicy::When::kSoon);
  EXPECT_FALSE(soon.Triggered(2, 100));
  EXPECT_TRUE(soon.Triggered(3, 100));
  const HaltPolicy percent = ParseHaltPolicy("now,fail=10%");
  EXPECT_EQ(percent.when, HaltPolicy::When::kNow);
  EXPECT_FALSE(percent.Triggered(1, 2));   // fewer than 3 finished
  EXPECT_FALSE(percent.Triggered(1, 11));
  EXPECT_TRUE(percent.Triggered(2, 20));
  EXPECT_EQ(ParseHaltPolicy("2").when, HaltPolicy::When::kNow);
  for (const char* bad : {"sometimes", "soon", "soon,fail=", "now,fail=x", "now,fail=0",
                          "now,fail=150%", "later,fail=1", "now,fail=1.5", "now,done=3"}) {
    EXPECT_THROW(ParseHaltPolicy(bad), std::invalid_argument) << bad;
  }
}

TEST(KindCatalog, BuiltInKindsHaveTheirLanesAndProgramsAddTheirs) {
  KindCatalog catalog;
  EXPECT_EQ(catalog.LaneOf("geocode"), Lane::kNetwork);
  EXPECT_EQ(catalog.LaneOf("exec"), Lane::kCpu);
  EXPECT_FALSE(catalog.Has("thumbnail"));
  catalog.Set("thumbnail", Lane::kCpu);
  catalog.Set("exec", Lane::kIo);
  EXPECT_EQ(catalog.LaneOf("exec"), Lane::kNetwork);
  ASSERT_EQ(catalog.UserKinds().size(), 1u);
  EXPECT_EQ(catalog.UserKinds()[0].name, "thumbnail");
  EXPECT_TRUE(IsValidKindName("thumb_nail-2"));
  EXPECT_FALSE(IsValidKindName("has space"));
  EXPECT_FALSE(IsValidKindName(""));
}

TEST(InputLines, LinesAreBytesAndOverlongOnesAreMarked) {
  const std::string path = ::testing::TempDir() + "/inputs-" + std::to_string(getpid());
  {
    std::ofstream file(path, std::ios::binary);
    file << "a b\n\n\xff\xfe\n" << std::string(InputLines::kMaxInputBytes + 10, 'x') << "\nlast";
  }
  InputLines lines(path, /*null_separated=*/false);
  std::vector<InputLine> read;
  while (auto line = lines.Next()) read.push_back(*line);
  ASSERT_EQ(read.size(), 5u);
  EXPECT_EQ(read[0].text, "a b");
  EXPECT_EQ(read[1].text, "");
  EXPECT_EQ(read[2].text, "\xff\xfe");
  EXPECT_TRUE(read[3].too_long);
  EXPECT_EQ(read[3].text.size(), InputLines::kMaxInputBytes);
  EXPECT_EQ(read[4].text, "last");
  EXPECT_EQ(read[4].number, 5u);
  EXPECT_EQ(InputLines::Count(path, false), 5u);
  std::remove(path.c_str());
}

TEST(TaskOptions, ExecAndJobSettingsSurviveTheJournalsRoundTrip) {
  TaskOptions options;
  options.exec.kind = "exec";
  options.exec.command_line = "gzip -k {}";
  options.exec.command = {"gzip", "-k", "{}"};
  options.exec.args = {"a.log", "b.log"};
  options.exec.null_separated = true;
  options.exec.timeout_ms = 1500;
  options.exec.retries = 2;
  options.exec.bucket = "api";
  options.exec.lane = Lane::kNetwork;
  options.jobs = "jobs.jsonl";
  options.rates = {"api=5/s"};
  const nlohmann::json stored = ToJson(options);
  const TaskOptions back = TaskOptionsFromJson(nlohmann::json::parse(stored.dump()));
  EXPECT_EQ(ToJson(back), stored);
  EXPECT_EQ(back.exec.command, options.exec.command);
  EXPECT_EQ(back.exec.lane, Lane::kNetwork);
  EXPECT_EQ(back.jobs, "jobs.jsonl");
}

}  // namespace
}  // namespace taskfarm
