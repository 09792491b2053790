#include "shared/system_text.h"

#include <string.h>

#include <system_error>

namespace taskfarm {

std::string ErrnoText(int error) { return std::generic_category().message(error); }

std::string SignalText(int signal_number) {
  const char* description = sigdescr_np(signal_number);  // a constant string, not a buffer
  return description != nullptr ? description : "signal " + std::to_string(signal_number);
}

}  // namespace taskfarm
