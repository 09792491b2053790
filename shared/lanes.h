#pragma once
// Lanes (include/taskfarm/lane.h): how a worker runs a kind; each kind's lane is declared in
// shared/kinds.h. CPU kinds run one at a time on the worker's main thread, in the order
// sent; network kinds run many at once in its network lane. The coordinator keeps a
// separate ready queue and a separate credit per lane, so neither lane waits behind the
// other.

#include <array>
#include <cstddef>

#include "taskfarm/lane.h"

namespace taskfarm {

inline constexpr std::size_t kLaneCount = 2;
inline constexpr std::array<Lane, kLaneCount> kLanes = {Lane::kCpu, Lane::kNetwork};

}  // namespace taskfarm
