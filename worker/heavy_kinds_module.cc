// libtaskfarm-kinds.so's entry point: the heavy kinds (heavy_kinds.h), made for the worker
// that loaded the module.

#include "worker/heavy_kinds.h"

extern "C" __attribute__((visibility("default"))) taskfarm::HeavyKinds* taskfarm_make_heavy_kinds(
    const taskfarm::HeavyKindsSetup& setup) {
  return taskfarm::MakeLinkedHeavyKinds(setup);
}
