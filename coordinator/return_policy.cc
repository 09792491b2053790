#include "coordinator/return_policy.h"

#include <algorithm>

namespace taskfarm {

std::vector<ReturnRequest> PlanReturns(std::vector<ReturnTaker> takers,
                                       std::vector<ReturnGiver> givers) {
  std::stable_sort(takers.begin(), takers.end(),
                   [](const ReturnTaker& a, const ReturnTaker& b) { return a.held < b.held; });
  std::stable_sort(givers.begin(), givers.end(), [](const ReturnGiver& a, const ReturnGiver& b) {
    return a.unbegun > b.unbegun;
  });
  std::vector<ReturnRequest> requests;
  auto giver = givers.begin();
  for (const ReturnTaker& taker : takers) {
    for (; giver != givers.end(); ++giver) {
      if (giver->worker == taker.worker || giver->unbegun <= taker.held) continue;
      const std::size_t difference = giver->unbegun - taker.held;
      const bool all_of_one = giver->running && taker.held == 0;
      const std::size_t count = all_of_one ? (difference + 1) / 2 : difference / 2;
      if (count == 0) continue;
      requests.push_back({giver->worker, taker.worker, static_cast<uint32_t>(count)});
      ++giver;
      break;
    }
  }
  return requests;
}

}  // namespace taskfarm
