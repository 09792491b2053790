#pragma once
// MimeSniffer: a file's type from its content, by libmagic (file(1)'s database), for the
// files whose name and first bytes the indexer's own checks do not place: a README, a
// copyright file, source code, a log (text/...), or a compressed file (application/gzip).
// The magic database is loaded when the sniffer is made (tens of milliseconds, a few MB), so
// a worker makes one at its first such file. Not thread-safe: one thread at a time.

#include <string>
#include <string_view>

typedef struct magic_set* magic_t;

namespace taskfarm {

class MimeSniffer {
 public:
  /// Throws std::runtime_error when libmagic or its database cannot be loaded.
  MimeSniffer();
  ~MimeSniffer();
  MimeSniffer(const MimeSniffer&) = delete;
  MimeSniffer& operator=(const MimeSniffer&) = delete;

  /// The MIME type of a file that begins with `head` ("text/x-python", "application/gzip");
  /// "application/octet-stream" when libmagic cannot tell.
  std::string MimeType(std::string_view head);

 private:
  magic_t cookie_;
};

}  // namespace taskfarm
