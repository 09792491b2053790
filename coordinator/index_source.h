#pragma once
// IndexSource: the `index` tasks of a run: the files under the --index folders, walked
// lazily (one directory open per level, so memory stays flat however many files there are),
// symlinks never followed (no loops), --exclude globs skipped. A file whose size and mtime
// match the database's record is unchanged and not converted again; so is one whose
// conversion failed, unless IndexInput::retry_failed or its extractor is another now. An entry that cannot be
// read (a directory without permission) becomes a `reject` task: an error row naming it.
// Files are handed out largest first within a window of kLookahead files walked ahead, so a
// large PDF met late does not leave the other workers idle at the end of the run.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "coordinator/task_source.h"
#include "shared/defaults.h"
#include "shared/index_messages.h"

namespace taskfarm {

struct IndexInput {
  std::vector<std::string> roots;
  std::vector<std::string> excludes;  // globs matched against the file name and the path
  uint64_t max_file_size = defaults::kMaxFileSize;
  uint64_t max_text_bytes = defaults::kMaxTextBytes;
  uint32_t converter_timeout_s = defaults::kConverterTimeoutSeconds;
  std::map<std::string, std::string> converters;  // ".rtf" -> "unrtf --text {}"
  bool retry_failed = false;  // convert again files whose conversion failed, though unchanged
};

/// What the database knows of an indexed file.
struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool failed = false;  // its last conversion failed: try it again
  std::string extractor;  // what made its text (ExtractorFor); "" before it was kept
};

struct IndexCounts {
  uint64_t added = 0;      // files the database did not know
  uint64_t changed = 0;    // known files whose size or mtime changed
  uint64_t unchanged = 0;  // known files left as they are
  uint64_t retried = 0;    // known files whose last conversion failed, tried again
  uint64_t failed_unchanged = 0;  // known files whose last conversion failed, unchanged since:
                                  // left failed (a nightly re-run does not fail on them again)
  uint64_t reconverted = 0;  // unchanged files whose extractor is another now
  uint64_t removed = 0;    // known files that are gone (set by whoever removes them)
};

class IndexSource : public TaskSource {
 public:
  /// `known`: the database's files under these roots (empty on a first run).
  IndexSource(IndexInput input, std::unordered_map<std::string, FileStamp> known);
  std::optional<TaskSpec> Next() override;
  std::optional<uint64_t> Total() const override { return std::nullopt; }

  /// Files walked ahead of the one handed out: the window in which the largest goes first.
  static constexpr std::size_t kLookahead = 4096;

  const IndexCounts& counts() const { return counts_; }
  /// True once every folder has been walked (a removal of vanished files is safe then).
  bool walked_all() const { return walked_all_; }
  /// Known files not met in the walk: deleted since the last run. A file in a folder that
  /// could not be listed in full (permissions, an I/O error) is not known to be gone: kept.
  std::vector<std::string> Vanished() const;

 private:
  struct Pending {
    uint64_t size = 0;  // the largest goes first; a folder's error row before any file
    TaskSpec spec;
    bool operator<(const Pending& other) const { return size < other.size; }
  };
  /// The next task of the walk, with the size of its file; nullopt once it is over.
  std::optional<Pending> Walk();
  void NotListed(const std::filesystem::path& folder);
  std::optional<Pending> Visit(const std::filesystem::directory_entry& entry);
  bool Excluded(const std::filesystem::path& path) const;

  IndexInput input_;
  std::unordered_map<std::string, FileStamp> known_;
  std::unordered_set<std::string> seen_;
  std::vector<std::string> not_listed_;  // folders ("/"-ended) not listed in full
  std::vector<std::filesystem::directory_iterator> stack_;
  std::size_t next_root_ = 0;
  IndexCounts counts_;
  bool walked_all_ = false;
  std::priority_queue<Pending> window_;
};

}  // namespace taskfarm
