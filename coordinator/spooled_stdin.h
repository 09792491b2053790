#pragma once
// SpooledStdin: standard input copied to a temporary file, so input from a pipe can be read
// more than once (once to count it, then again as the run goes). The file is unlinked at
// once and lives as long as the object.

#include <string>

namespace taskfarm {

class SpooledStdin {
 public:
  /// Copies stdin to the end. Throws InputError naming `flag` when the copy cannot be made.
  explicit SpooledStdin(const std::string& flag);
  ~SpooledStdin();
  SpooledStdin(const SpooledStdin&) = delete;
  SpooledStdin& operator=(const SpooledStdin&) = delete;
  /// A path that reads the copy from its start (/proc/self/fd/N).
  std::string path() const;

 private:
  int fd_ = -1;
};

}  // namespace taskfarm
