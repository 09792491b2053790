#pragma once
// Lanes: how a worker runs a kind (each kind's lane is declared in shared/kinds.h). CPU kinds run one at a time on the worker's main thread,
// in the order sent; network kinds run many at once in its network lane. The coordinator
// keeps a separate ready queue and a separate credit per lane, so neither lane waits behind
// the other.

#include <array>
#include <cstddef>

namespace taskfarm {

enum class Lane : std::size_t { kCpu = 0, kNetwork = 1 };
inline constexpr std::size_t kLaneCount = 2;
inline constexpr std::array<Lane, kLaneCount> kLanes = {Lane::kCpu, Lane::kNetwork};

}  // namespace taskfarm
