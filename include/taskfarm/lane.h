#pragma once
// taskfarm::Lane: how a worker runs a kind of task.

#include <cstddef>

namespace taskfarm {

/// kCpu: one task at a time per worker, on its main thread, in the order sent (work that
/// keeps a core busy). kNetwork (also named kIo): many at once per worker (--io-concurrency),
/// for tasks that mostly wait: on a service, a rate-limit token, a slow disk.
enum class Lane : std::size_t { kCpu = 0, kNetwork = 1, kIo = kNetwork };

}  // namespace taskfarm
