#include "worker/task_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace taskfarm {
namespace {

std::vector<wire::Task> Tasks(uint64_t first, uint64_t count) {
  std::vector<wire::Task> tasks;
  for (uint64_t id = first; id < first + count; ++id) tasks.push_back({id, "noop", 1, {}});
  return tasks;
}

uint64_t PopId(TaskQueue& queue, bool& was_last) {
  std::optional<wire::Task> task = queue.Pop([] {}, was_last);
  return task ? task->id : 0;
}

TEST(TaskQueue, TasksComeOutInTheOrderTheyArrivedAcrossBatches) {
  TaskQueue queue;
  queue.Push(Tasks(1, 3));
  queue.Push({});
  queue.Push(Tasks(4, 2));
  bool was_last = true;
  for (uint64_t id = 1; id <= 5; ++id) {
    EXPECT_EQ(PopId(queue, was_last), id);
    EXPECT_EQ(was_last, id == 5) << id;
  }
}

TEST(TaskQueue, TakeBackTakesTheLastReceivedAndNeverOnePopped) {
  TaskQueue queue;
  queue.Push(Tasks(1, 3));
  queue.Push(Tasks(4, 2));
  bool was_last = false;
  ASSERT_EQ(PopId(queue, was_last), 1u);
  EXPECT_EQ(queue.TakeBack(3), (std::vector<uint64_t>{5, 4, 3}));
  EXPECT_EQ(queue.TakeBack(5), (std::vector<uint64_t>{2})) << "1 was popped: begun";
  EXPECT_TRUE(queue.TakeBack(1).empty());
  queue.Push(Tasks(6, 2));  // after the queue was emptied by taking back
  EXPECT_EQ(PopId(queue, was_last), 6u);
  EXPECT_EQ(queue.TakeBack(1), (std::vector<uint64_t>{7}));
  queue.Close();
  EXPECT_EQ(PopId(queue, was_last), 0u) << "closed and empty";
}

TEST(TaskQueue, APopWaitsForTheNextBatchAndCallsBeforeWaitOnce) {
  TaskQueue queue;
  int waits = 0;
  std::thread pusher([&queue] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    queue.Push(Tasks(9, 1));
  });
  bool was_last = false;
  std::optional<wire::Task> task = queue.Pop([&waits] { ++waits; }, was_last);
  pusher.join();
  ASSERT_TRUE(task.has_value());
  EXPECT_EQ(task->id, 9u);
  EXPECT_TRUE(was_last);
  EXPECT_EQ(waits, 1);
}

}  // namespace
}  // namespace taskfarm
