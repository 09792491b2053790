// The --rate parser on arbitrary text: a spec or a message, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "shared/rate_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  auto spec = taskfarm::ParseRateSpec(std::string_view(reinterpret_cast<const char*>(data), size),
                                      error);
  if (spec) {
    taskfarm::ApplyBurst(*spec, std::nullopt);
    taskfarm::FormatRate(*spec);
  } else if (error.empty()) {
    __builtin_trap();  // a refusal always says why
  }
  return 0;
}
