#pragma once
// Job files (--jobs FILE, '-' for stdin): one JSON object a line, each a task of any kind,
// so one run mixes kinds:
//   {"kind": "exec", "argv": ["gzip", "-k", "a.log"], "id": "a"}
//   {"kind": "exec", "cmd": "tar czf out.tgz dir/ && echo done"}      (through /bin/sh)
//   {"kind": "geocode", "query": "Zadar"}
//   {"kind": "index", "path": "docs/"}                                (a folder, walked last)
//   {"kind": "noop"}, {"kind": "burn", "us": 5000}, {"kind": "sleep", "ms": 10}
//   {"kind": "thumbnail", "input": "a.jpg"}        (a kind of a program built on the library)
// "id" (a string or a number) comes back as the result row's "job_id". A line that is not
// such an object is an error row naming its line number; the run goes on. Blank lines and
// lines starting with '#' are skipped.
//
// The file is read once up front (ScanJobFile: counts and the folders to index), then once
// per lane, lazily: a JobSource yields the lines of one lane, so ids are positions within
// that lane's lines and stay the same from run to run (what --resume relies on).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/exec_source.h"
#include "coordinator/geocode_source.h"
#include "coordinator/input_lines.h"
#include "coordinator/spooled_stdin.h"
#include "coordinator/task_source.h"
#include "shared/kinds.h"

namespace taskfarm {

/// What a job line needs beyond itself: the run's settings for each kind.
struct JobDefaults {
  KindCatalog catalog;
  ExecInput exec;          // capture limit, results, timeout, retries, bucket
  GeocodeInput geocode;    // providers, endpoint
  GeocodeCache cache;      // may be empty
};

struct JobFileScan {
  std::map<std::string, uint64_t> kind_totals;  // index jobs are counted as their files are
  uint64_t cpu_jobs = 0;                        // CPU-lane lines, rejects included
  uint64_t network_jobs = 0;
  std::vector<std::string> index_roots;
};

/// Reads `path` once. Throws InputError when it cannot be read.
JobFileScan ScanJobFile(const std::string& path, const JobDefaults& defaults);

class JobSource : public TaskSource {
 public:
  JobSource(const std::string& path, Lane lane, JobDefaults defaults, uint64_t total);
  std::optional<TaskSpec> Next() override;
  std::optional<uint64_t> Total() const override { return total_; }

 private:
  InputLines lines_;
  Lane lane_;
  JobDefaults defaults_;
  uint64_t total_;
};

}  // namespace taskfarm
