// wire::Decode on arbitrary bytes: never a crash, a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>

#include "shared/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  taskfarm::wire::Decode(std::span<const char>(reinterpret_cast<const char*>(data), size));
  return 0;
}
