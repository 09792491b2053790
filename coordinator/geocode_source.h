#pragma once
// GeocodeSource: the `geocode` tasks of an input file: one place per line, or one column of
// a CSV file (`--column NAME`), '-' for stdin. Blank lines and '#' comments are skipped;
// identical places (after folding case and spaces) are asked once. A line that cannot be a
// place (invalid UTF-8, too long) becomes a `reject` task: an error row naming the line.
//
// The input is read when the source is made (bad input stops the run before it starts);
// tasks are then produced in input order, so ids are the same on every run of the file.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "coordinator/task_source.h"
#include "shared/geocode_messages.h"

namespace taskfarm {

struct GeocodeInput {
  std::string path;    // '-' for stdin
  std::string column;  // CSV column holding the places; empty: one place per line
  std::vector<std::string> providers{"offline"};
  std::string endpoint;
};

/// Thrown for input that stops the run: a missing file, a CSV without the column.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Answers already known for a cache key (see GeocodeCacheKey), or nullopt.
using GeocodeCache = std::function<std::optional<std::string>(const std::string& key)>;

class GeocodeSource : public TaskSource {
 public:
  static constexpr std::size_t kMaxPlaceBytes = 512;

  /// `cache` may be empty (no --db, or --refresh).
  GeocodeSource(const GeocodeInput& input, const GeocodeCache& cache);
  std::optional<TaskSpec> Next() override;
  std::optional<uint64_t> Total() const override { return specs_.size(); }
  /// Lines skipped as duplicates of an earlier one.
  uint64_t duplicates() const { return duplicates_; }
  /// Places answered from the cache (their tasks take no token and make no request).
  uint64_t cache_hits() const { return cache_hits_; }
  /// Tasks per kind: "geocode", and "reject" for unusable lines.
  std::map<std::string, uint64_t> KindCounts() const;

 private:
  void AddPlace(const std::string& place, const GeocodeInput& input, const GeocodeCache& cache);

  std::vector<TaskSpec> specs_;
  std::size_t next_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t cache_hits_ = 0;
};

/// The fields of a CSV record (RFC 4180: quotes, doubled quotes, commas inside quotes).
std::vector<std::string> SplitCsvRecord(const std::string& line);

}  // namespace taskfarm
