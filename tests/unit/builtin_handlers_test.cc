#include "worker/builtin_handlers.h"

#include <gtest/gtest.h>

#include "shared/builtin_payloads.h"
#include "shared/clock.h"
#include "worker/worker_loop.h"

namespace taskfarm {
namespace {

TEST(BuiltinHandlers, BurnSpendsAboutTheAskedCpuTime) {
  const uint64_t before = ThreadCpuNanos();
  BurnCpu(20'000);
  const uint64_t spent_us = (ThreadCpuNanos() - before) / 1000;
  EXPECT_GE(spent_us, 20'000u);
  EXPECT_LT(spent_us, 40'000u);
}

TEST(BuiltinHandlers, ThrowingHandlerBecomesAnErrorResult) {
  WorkerResources resources;
  const HandlerTable table = MakeHandlerTable(resources);
  wire::Result result =
      RunTask(wire::Task{1, "fault", 1, payloads::EncodeText("throw")}, 3, table);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error.code, ErrorCode::kHandlerFailed);
  EXPECT_EQ(result.error.message, "fault task threw as asked");
  EXPECT_EQ(result.worker_id, 3u);
}

TEST(BuiltinHandlers, UnknownKindAndBadPayloadAreErrorValues) {
  WorkerResources resources;
  const HandlerTable table = MakeHandlerTable(resources);
  EXPECT_EQ(RunTask(wire::Task{1, "nope", 1, ""}, 1, table).error.code, ErrorCode::kUnknownKind);
  EXPECT_EQ(RunTask(wire::Task{2, "burn", 1, "not msgpack \xc1"}, 1, table).error.code,
            ErrorCode::kBadPayload);
  EXPECT_EQ(RunTask(wire::Task{3, "sleep", 1, payloads::EncodeText("x")}, 1, table).error.code,
            ErrorCode::kBadPayload);
}

TEST(BuiltinHandlers, NoopSucceeds) {
  WorkerResources resources;
  const HandlerTable table = MakeHandlerTable(resources);
  EXPECT_TRUE(RunTask(wire::Task{1, "noop", 1, ""}, 1, table).ok);
}

}  // namespace
}  // namespace taskfarm
