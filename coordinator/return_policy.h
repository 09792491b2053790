#pragma once
// ReturnPolicy: which workers are asked to give tasks back, how many, and for whom, when no
// task is ready and some workers hold far more tasks they have not begun than others hold
// in all (the tail of a run, or a long task with work queued behind it). The tasks given
// back go to the worker they were asked for, so a deep queue (which keeps a distant worker
// busy across its round trip) never leaves the run waiting on the one worker that drew the
// long tasks, and counts held even out before any worker runs dry.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace taskfarm {

/// A worker that could run more: `held` is every task it holds.
struct ReturnTaker {
  uint32_t worker = 0;
  std::size_t held = 0;
};

/// A worker that could give tasks back.
struct ReturnGiver {
  uint32_t worker = 0;
  std::size_t unbegun = 0;  // CPU-lane tasks it holds that it has not said it began
  bool running = false;     // it has begun one of the tasks it holds
};

struct ReturnRequest {
  uint32_t giver = 0;
  uint32_t taker = 0;
  uint32_t count = 0;
};

/// Pairs the takers holding least with the givers holding most unbegun, each at most once,
/// and asks each giver for half the difference, the smaller half, except that a giver busy
/// with a task gives a taker that holds nothing the larger (all of one task queued behind
/// a running one). A giver that has begun none keeps the larger half: its batch may still
/// be on its way to it. A pair whose difference is too small to move a task is not asked.
std::vector<ReturnRequest> PlanReturns(std::vector<ReturnTaker> takers,
                                       std::vector<ReturnGiver> givers);

}  // namespace taskfarm
