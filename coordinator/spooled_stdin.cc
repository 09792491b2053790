#include "coordinator/spooled_stdin.h"

#include <stdio.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "coordinator/task_source.h"
#include "shared/system_text.h"

namespace taskfarm {

SpooledStdin::SpooledStdin(const std::string& flag) {
  FILE* copy = std::tmpfile();
  if (copy == nullptr) {
    throw InputError(flag + " -: cannot make a temporary file: " + ErrnoText(errno));
  }
  fd_ = dup(fileno(copy));
  std::array<char, 1 << 16> buffer;
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), stdin)) > 0;) {
    if (std::fwrite(buffer.data(), 1, n, copy) != n) {
      const int error = errno;
      std::fclose(copy);
      throw InputError(flag + " -: cannot keep a copy of stdin: " + ErrnoText(error));
    }
  }
  const bool flushed = std::fflush(copy) == 0;
  const int error = errno;
  std::fclose(copy);
  if (!flushed) throw InputError(flag + " -: cannot keep a copy of stdin: " + ErrnoText(error));
}

SpooledStdin::~SpooledStdin() {
  if (fd_ >= 0) close(fd_);
}

std::string SpooledStdin::path() const { return "/proc/self/fd/" + std::to_string(fd_); }

}  // namespace taskfarm
