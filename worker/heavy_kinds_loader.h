#pragma once
// Loads libtaskfarm-kinds.so (heavy_kinds.h) into taskfarm-worker: from beside the worker's
// executable (a build tree) or from LIBDIR/taskfarm (an installed prefix). The module stays
// loaded until the worker exits.

#include <memory>

#include "worker/heavy_kinds.h"

namespace taskfarm {

/// The heavy kinds from the module. Throws std::runtime_error naming the module's path and
/// what the dynamic loader said when it cannot be found or loaded.
std::unique_ptr<HeavyKinds> LoadHeavyKindsModule(const HeavyKindsSetup& setup);

}  // namespace taskfarm
