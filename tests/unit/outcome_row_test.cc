// Outcome rows: one task's record and result as the journal, --out and the summary see them.

#include <gtest/gtest.h>

#include "journal/outcome_row.h"
#include "shared/exec_messages.h"
#include "shared/geocode_messages.h"

namespace taskfarm {
namespace {

TaskRecord Record(uint64_t id, std::string kind, std::string payload, uint32_t attempt = 1) {
  TaskRecord record;
  record.id = id;
  record.spec = TaskSpec{std::move(kind), std::move(payload), "job-7"};
  record.attempt = attempt;
  return record;
}

TEST(OutcomeRow, ASuccessCarriesTimesWorkerAndTheJobId) {
  wire::Result result;
  result.task_id = 4;
  result.worker_id = 2;
  result.run_ns = 1'500'000;
  result.cpu_ns = 250'000;
  const OutcomeRow row = MakeOutcomeRow(Record(4, "noop", ""), result);
  EXPECT_EQ(row.task_id, 4u);
  EXPECT_EQ(row.kind, "noop");
  EXPECT_TRUE(row.ok);
  EXPECT_EQ(row.worker, 2u);
  EXPECT_EQ(row.attempts, 1u);
  EXPECT_DOUBLE_EQ(row.run_ms, 1.5);
  EXPECT_DOUBLE_EQ(row.cpu_ms, 0.25);
  EXPECT_EQ(row.job_id, "job-7");
  EXPECT_EQ(row.error_code, "");
}

TEST(OutcomeRow, AFailureNamesItsCodeAndKeepsItsMessage) {
  wire::Result result;
  result.ok = false;
  result.error = {ErrorCode::kTimedOut, "quarantined: ran past its timeout", false};
  const OutcomeRow row = MakeOutcomeRow(Record(9, "burn", "", 3), result);
  EXPECT_FALSE(row.ok);
  EXPECT_EQ(row.attempts, 3u);
  EXPECT_EQ(row.error_code, ErrorCodeName(ErrorCode::kTimedOut));
  EXPECT_EQ(row.error, "quarantined: ran past its timeout");
}

TEST(OutcomeRow, ACommandsRowHasItsInputNumberAndWhatItDid) {
  ExecRequest request;
  request.command = {"echo", "{}"};
  request.input = "a b.txt";
  request.seq = 12;
  ExecOutcome outcome;
  outcome.argv = {"echo", "a b.txt"};
  outcome.exit_status = 0;
  outcome.out = "a b.txt\n";
  wire::Result result;
  result.payload = EncodeExecOutcome(outcome);
  const OutcomeRow row = MakeOutcomeRow(Record(12, "exec", EncodeExecRequest(request)), result);
  EXPECT_EQ(row.input, "a b.txt");
  EXPECT_EQ(row.seq, 12u);
  ASSERT_TRUE(row.exec.has_value());
  EXPECT_EQ(row.exec->argv, outcome.argv);
  EXPECT_EQ(row.exec->out, "a b.txt\n");
}

TEST(OutcomeRow, AGeocodeRowHasItsQueryCacheKeyAndAnswer) {
  GeocodeRequest request;
  request.query = "Zadar, Croatia";
  request.providers = {"offline"};
  GeocodeAnswer answer;
  answer.status = "ok";
  answer.lat = 44.12;
  answer.lon = 15.23;
  answer.provider = "offline";
  wire::Result result;
  result.payload = EncodeGeocodeAnswer(answer);
  const OutcomeRow row =
      MakeOutcomeRow(Record(1, "geocode", EncodeGeocodeRequest(request)), result);
  EXPECT_EQ(row.input, "Zadar, Croatia");
  EXPECT_EQ(row.cache_key, GeocodeCacheKey("Zadar, Croatia", {"offline"}));
  ASSERT_TRUE(row.geocode.has_value());
  EXPECT_DOUBLE_EQ(row.geocode->lat, 44.12);
}

TEST(OutcomeRow, APayloadThatIsNotItsKindsLeavesTheDecodedFieldsEmpty) {
  wire::Result result;
  result.payload = "not msgpack at all";
  const OutcomeRow row = MakeOutcomeRow(Record(1, "exec", "also not msgpack"), result);
  EXPECT_EQ(row.input, "");
  EXPECT_FALSE(row.exec.has_value());
}

}  // namespace
}  // namespace taskfarm
