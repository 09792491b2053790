#pragma once
// GeocodeSource: the `geocode` tasks of an input file: one place per line, or one column of
// a CSV file (`--column NAME`), '-' for stdin, read by PlaceReader. Identical places (after
// folding case, accents and spaces) are asked once; --out still gives each input row its own
// row (GeocodeJoin). A line that cannot be a place (invalid UTF-8, too long) becomes a
// `reject` task: an error row naming the line.
//
// The input is read twice: once when the source is made, to count the tasks and to stop the
// run before it starts on bad input (stdin is spooled to a temporary file for this), then
// line by line as the run takes tasks. Tasks come in input order, so ids are the same on
// every run of the file. Memory: one line, plus 32 bytes per distinct place at most (the
// fingerprints that find duplicates), whatever the file's size.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/place_reader.h"
#include "coordinator/spooled_stdin.h"
#include "coordinator/task_source.h"
#include "shared/defaults.h"
#include "shared/geocode_messages.h"

namespace taskfarm {

struct GeocodeInput {
  std::string path;    // '-' for stdin
  std::string column;  // CSV column holding the places; empty: one place per line
  char delimiter = defaults::kCsvDelimiter;  // the CSV field separator
  std::vector<std::string> providers{"offline"};
  std::string endpoint;
  std::string country;  // ISO 3166-1 alpha-2: answers only there; empty: anywhere
  std::string language;  // BCP 47: answers in it where the provider can; empty: its default
  uint32_t candidates = defaults::kGeocodeCandidates;
  bool keep_columns = false;  // --out rows carry the CSV record's own columns
};

/// Answers already known for a cache key (see GeocodeCacheKey), or nullopt.
using GeocodeCache = std::function<std::optional<std::string>(const std::string& key)>;

class GeocodeSource : public TaskSource {
 public:
  static constexpr std::size_t kMaxPlaceBytes = PlaceReader::kMaxPlaceBytes;

  /// `cache` may be empty (no --db, or --refresh). Throws InputError for input that stops the
  /// run (a missing file, a folder, a CSV header without the column).
  GeocodeSource(const GeocodeInput& input, const GeocodeCache& cache);
  ~GeocodeSource() override;
  std::optional<TaskSpec> Next() override;
  std::optional<uint64_t> Total() const override { return places_ + rejects_; }
  /// Lines skipped as duplicates of an earlier one.
  uint64_t duplicates() const { return duplicates_; }
  /// Places answered from the cache (their tasks take no token and make no request).
  uint64_t cache_hits() const { return cache_hits_; }
  /// Tasks per kind: "geocode", and "reject" for unusable lines.
  std::map<std::string, uint64_t> KindCounts() const;
  /// The file the source reads (stdin's spooled copy for '-'), as long as the source lives.
  const std::string& path() const { return path_; }

 private:
  std::string CacheKey(std::string_view query) const;
  GeocodeInput input_;
  GeocodeCache cache_;
  std::unique_ptr<SpooledStdin> spooled_;  // stdin's copy, for the second pass
  std::string path_;                       // the file both passes read
  std::unique_ptr<PlaceReader> reader_;    // the second pass, opened at the first task
  uint64_t places_ = 0;
  uint64_t rejects_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t cache_hits_ = 0;
};

}  // namespace taskfarm
