// The README's transcripts (```console blocks) are real runs: each `$ ` command is run again
// with this build's taskfarm, and every output line the README shows must come out of it,
// the words exactly and the figures within what a noisy machine explains.

#include <algorithm>
#include <cmath>
#include <sstream>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/processes/process_harness.h"

namespace taskfarm::testing {
namespace {

/// A command the README shows and the lines it says the command prints.
struct Transcript {
  std::string command;
  std::vector<std::string> shown;
};

std::vector<Transcript> ReadmeTranscripts() {
  std::vector<Transcript> transcripts;
  for (const std::string& line : ReadmeBlockLines("console")) {
    if (line.rfind("$ ", 0) == 0) {
      transcripts.push_back({line.substr(2), {}});
    } else if (!transcripts.empty() && !line.empty()) {
      transcripts.back().shown.push_back(line);
    }
  }
  return transcripts;
}

/// A line cut into its figures and the words around them: "in 1.04 s (193 tasks/s)" ->
/// words {"in", "s (", "tasks/s)"}, figures {"1.04", "193"}. White space is folded and
/// trimmed around each part, so column widths do not matter.
struct Figures {
  std::vector<std::string> words;  // one more than figures: before, between and after them
  std::vector<std::string> figures;
};

std::string Folded(const std::string& text) {
  const std::string one = std::regex_replace(text, std::regex(R"(\s+)"), " ");
  const auto first = one.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return one.substr(first, one.find_last_not_of(' ') - first + 1);
}

Figures Split(const std::string& line) {
  // A figure stands alone: "p50" and "1s" are words (no look-behind in std::regex, so the
  // character before a figure is matched as group 1).
  static const std::regex kFigure(R"((^|[^A-Za-z0-9_.])(-?\d[\d,]*(?:\.\d+)?)(?![A-Za-z0-9_]))");
  Figures split;
  std::size_t at = 0;
  for (std::sregex_iterator it(line.begin(), line.end(), kFigure), end; it != end; ++it) {
    const auto figure_at = static_cast<std::size_t>(it->position(2));
    split.words.push_back(Folded(line.substr(at, figure_at - at)));
    split.figures.push_back(it->str(2));
    at = figure_at + static_cast<std::size_t>(it->length(2));
  }
  split.words.push_back(Folded(line.substr(at)));
  return split;
}

double Value(std::string figure) {
  figure.erase(std::remove(figure.begin(), figure.end(), ','), figure.end());
  return std::stod(figure);
}

// Sanitizers slow every process several times over: their builds check words and counts,
// and leave the measured figures to the release build.
bool FiguresAreMeasuredHere() { return !SanitizerBuild(); }

enum class FigureKind { kCount, kMeasure, kTail, kRate };

// A count (no decimal point, "20/s" a limit too) must be the same, unless it is a rate
// ("40 tasks/s"); a measure
// (times, rates, coordinates) may be up to 4x either way, or off by 0.5: enough for a loaded
// machine, not for a figure from another setting (the README once showed 10 ms tasks as the
// default, which is 1 ms). A maximum is a tail, where one preempted task shows: up to 20x. A
// rate over a run of a fraction of a second is mostly the start-up's: within 10x.
bool FigureAgrees(const std::string& shown, const std::string& actual, FigureKind kind) {
  const double want = Value(shown), got = Value(actual);
  if (kind == FigureKind::kCount) return want == got;
  if (!FiguresAreMeasuredHere()) return true;
  if (std::fabs(want - got) <= 0.5) return true;  // sub-millisecond figures are all noise
  if ((want < 0) != (got < 0)) return false;
  const double above = kind == FigureKind::kTail ? 20 : kind == FigureKind::kRate ? 10 : 4;
  const double below = kind == FigureKind::kRate ? 10 : 4;
  return std::fabs(got) <= above * std::fabs(want) && std::fabs(want) <= below * std::fabs(got);
}

FigureKind KindOf(const std::string& figure, const std::string& before, const std::string& after) {
  // A maximum and a 95th percentile are tails: on a busy machine a 5 ms task's p95 reaches
  // 20 ms (the load of a parallel ctest made this check fail).
  const auto ends_with = [&](std::string_view word) {
    return before.size() >= word.size() && before.compare(before.size() - word.size(), word.size(), word) == 0;
  };
  if (ends_with("max") || ends_with("p95")) return FigureKind::kTail;
  // "(1405 tasks/s)" and "(19.9/s over the run)" are measured; "20/s" is a limit, a count.
  const bool decimal = figure.find('.') != std::string::npos;
  if (after.rfind("tasks/s", 0) == 0 || (decimal && after.rfind("/s", 0) == 0)) {
    return FigureKind::kRate;
  }
  return figure.find('.') == std::string::npos ? FigureKind::kCount : FigureKind::kMeasure;
}

/// Empty when `actual` is what `shown` says; otherwise why not.
std::string Disagreement(const std::string& shown, const std::string& actual) {
  const Figures want = Split(shown), got = Split(actual);
  if (want.words != got.words) return "other words";
  for (std::size_t i = 0; i < want.figures.size(); ++i) {
    const FigureKind kind = KindOf(want.figures[i], want.words[i], want.words[i + 1]);
    if (!FigureAgrees(want.figures[i], got.figures[i], kind)) {
      return "figure " + want.figures[i] + " came out as " + got.figures[i];
    }
  }
  return "";
}

TEST(ReadmeTranscript, TheCheckCatchesAFigureFromAnotherSetting) {
  const std::string shown = "  burn  200 ok  0 failed   run p50 10.05 ms  (193 tasks/s)";
  EXPECT_EQ(Disagreement("max 1.29 ms", "max 7.19 ms"), "") << "a tail may be far above";
  EXPECT_EQ(Disagreement("p95 5.25 ms", "p95 22.28 ms"), "") << "so may a p95";
  EXPECT_EQ(Disagreement("rate api 20/s (burst 20)", "rate api 2/s (burst 20)"),
            "figure 20 came out as 2")
      << "a limit is a count";
  EXPECT_EQ(Disagreement(shown, "  burn 200 ok 0 failed run p50 9.1 ms (160 tasks/s)"), "");
  if (FiguresAreMeasuredHere()) {
    EXPECT_EQ(Disagreement(shown, "  burn 200 ok 0 failed run p50 1.03 ms (900 tasks/s)"),
              "figure 10.05 came out as 1.03");
    EXPECT_EQ(Disagreement("p50 5.25 ms", "p50 22.28 ms"), "figure 5.25 came out as 22.28")
        << "a median is no tail";
  }
  EXPECT_EQ(Disagreement(shown, "  burn 199 ok 1 failed run p50 10.05 ms (193 tasks/s)"),
            "figure 200 came out as 199");
  EXPECT_EQ(Disagreement(shown, "  burn 200 ok 0 failed run p95 10.05 ms (193 tasks/s)"),
            "other words");
}

TEST(ReadmeTranscript, EveryShownOutputComesOutOfARealRun) {
  const std::vector<Transcript> transcripts = ReadmeTranscripts();
  ASSERT_GE(transcripts.size(), 4u);
  TempDir tmp;  // one folder: a later command may use a file an earlier one made
  const std::string path = std::filesystem::path(TASKFARM_BIN).parent_path().string();
  for (const Transcript& transcript : transcripts) {
    const auto out = tmp / "out.txt";
    const std::string shell = "cd '" + tmp.path().string() + "' && export PATH='" + path +
                              "':\"$PATH\" TMPDIR='" + tmp.path().string() + "' && (" +
                              transcript.command + ") >'" + out.string() + "' 2>&1";
    const int status = std::system(shell.c_str());
    const std::string output = ReadFile(out);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) <= 1) << transcript.command << "\n"
                                                                 << output;
    // Each shown line is matched by its own line of the output, in any order (stdout and
    // stderr reach a pipe in another order than a terminal's).
    std::vector<std::string> lines;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::vector<bool> used(lines.size(), false);
    for (const std::string& shown : transcript.shown) {
      std::string nearest = "no line with these words";
      bool found = false;
      for (std::size_t i = 0; i < lines.size() && !found; ++i) {
        if (used[i]) continue;
        const std::string why = Disagreement(shown, lines[i]);
        if (why.empty()) {
          used[i] = found = true;
        } else if (why != "other words") {
          nearest = why + " in: " + lines[i];
        }
      }
      EXPECT_TRUE(found) << "$ " << transcript.command << "\nshows: " << shown << "\n"
                         << nearest << "\nthe whole output:\n"
                         << output;
    }
  }
}

}  // namespace
}  // namespace taskfarm::testing
