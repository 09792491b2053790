#include "shared/wire.h"

#include <functional>

#include <gtest/gtest.h>

namespace taskfarm::wire {
namespace {

std::string EncodeToString(const Message& message) {
  msgpack::sbuffer buffer;
  Encode(message, buffer);
  return std::string(buffer.data(), buffer.size());
}

Decoded DecodeString(const std::string& bytes) {
  return Decode(std::span<const char>(bytes.data(), bytes.size()));
}

template <typename T>
T RoundTrip(const T& value) {
  Decoded decoded = DecodeString(EncodeToString(value));
  EXPECT_TRUE(decoded.error.empty()) << decoded.error;
  EXPECT_TRUE(decoded.message.has_value());
  EXPECT_TRUE(std::holds_alternative<T>(*decoded.message));
  return std::get<T>(*decoded.message);
}

TEST(Wire, TaskBatchRoundTrip) {
  TaskBatch batch;
  batch.tasks.push_back(Task{42, "burn", 3, std::string("\x00\x01payload", 9)});
  batch.tasks.push_back(Task{43, "noop", 1, ""});
  TaskBatch back = RoundTrip(batch);
  ASSERT_EQ(back.tasks.size(), 2u);
  EXPECT_EQ(back.tasks[0].id, 42u);
  EXPECT_EQ(back.tasks[0].kind, "burn");
  EXPECT_EQ(back.tasks[0].attempt, 3u);
  EXPECT_EQ(back.tasks[0].payload, batch.tasks[0].payload);
  EXPECT_EQ(back.tasks[1].kind, "noop");
}

TEST(Wire, ReportRoundTripKeepsTheErrorValue) {
  Result result;
  result.task_id = 7;
  result.worker_id = 2;
  result.attempt = 2;
  result.ok = false;
  result.error = {ErrorCode::kHandlerFailed, "it broke", true};
  result.payload = "p";
  result.run_ns = 123;
  result.cpu_ns = 45;
  Report back = RoundTrip(Report{2, {7, 8}, {result}, 0, 0, {}, 0});
  EXPECT_EQ(back.worker_id, 2u);
  EXPECT_EQ(back.started, (std::vector<uint64_t>{7, 8}));
  ASSERT_EQ(back.results.size(), 1u);
  const Result& r = back.results[0];
  EXPECT_EQ(r.task_id, 7u);
  EXPECT_EQ(r.worker_id, 2u);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, ErrorCode::kHandlerFailed);
  EXPECT_EQ(r.error.message, "it broke");
  EXPECT_TRUE(r.error.retryable);
  EXPECT_EQ(r.run_ns, 123u);
  EXPECT_EQ(r.cpu_ns, 45u);
}

TEST(Wire, ATaskGivenBackTravelsInAReportThatSaysItAnswers) {
  EXPECT_EQ(RoundTrip(ReturnTasks{12}).count, 12u);
  Report back = RoundTrip(Report{2, {}, {}, 0, 0, {41, 40}, 1});
  EXPECT_EQ(back.returned, (std::vector<uint64_t>{41, 40}));
  EXPECT_EQ(back.returns_answered, 1u);
}

// [version, Report, body] with `results` as the body's results field.
std::string ReportWithResults(const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& results) {
  msgpack::sbuffer out;
  msgpack::packer<msgpack::sbuffer> packer(out);
  packer.pack_array(3);
  packer.pack(kWireVersion);
  packer.pack(static_cast<uint8_t>(MessageType::kReport));
  packer.pack_array(7);
  packer.pack(uint32_t{3});
  packer.pack_bin(0);
  results(packer);
  packer.pack(uint64_t{0});
  packer.pack(uint64_t{0});
  packer.pack_bin(0);
  packer.pack(uint32_t{0});
  return std::string(out.data(), out.size());
}

void PackU64s(msgpack::packer<msgpack::sbuffer>& packer, const std::vector<uint64_t>& values) {
  packer.pack_bin(static_cast<uint32_t>(values.size() * 8));
  packer.pack_bin_body(reinterpret_cast<const char*>(values.data()),
                       static_cast<uint32_t>(values.size() * 8));
}

void PackU32s(msgpack::packer<msgpack::sbuffer>& packer, const std::vector<uint32_t>& values) {
  packer.pack_bin(static_cast<uint32_t>(values.size() * 4));
  packer.pack_bin_body(reinterpret_cast<const char*>(values.data()),
                       static_cast<uint32_t>(values.size() * 4));
}

// Two results (ids 5 and 6) whose columns are as given.
std::string TwoResults(const std::vector<uint32_t>& attempts, const std::string& payload_bytes,
                       const std::vector<uint32_t>& payload_ends, uint32_t failed_index) {
  return ReportWithResults([&](msgpack::packer<msgpack::sbuffer>& packer) {
    packer.pack_array(7);
    PackU64s(packer, {5, 6});
    PackU32s(packer, attempts);
    PackU64s(packer, {10, 20});
    PackU64s(packer, {1, 2});
    packer.pack_bin(static_cast<uint32_t>(payload_bytes.size()));
    packer.pack_bin_body(payload_bytes.data(), static_cast<uint32_t>(payload_bytes.size()));
    PackU32s(packer, payload_ends);
    packer.pack_array(1);
    packer.pack_array(4);
    packer.pack(failed_index);
    packer.pack(ErrorCode::kBadInput);
    packer.pack(std::string("bad line"));
    packer.pack(false);
  });
}

TEST(Wire, AReportsColumnsAreReadIntoItsResults) {
  const Decoded decoded = DecodeString(TwoResults({1, 2}, "abcde", {2, 5}, 1));
  ASSERT_TRUE(decoded.message) << decoded.error;
  const auto& results = std::get<Report>(*decoded.message).results;
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].payload, "ab");
  EXPECT_TRUE(results[0].ok);
  EXPECT_EQ(results[0].worker_id, 3u);  // the Report's
  EXPECT_EQ(results[1].payload, "cde");
  EXPECT_EQ(results[1].attempt, 2u);
  EXPECT_EQ(results[1].run_ns, 20u);
  EXPECT_FALSE(results[1].ok);
  EXPECT_EQ(results[1].error.message, "bad line");
}

TEST(Wire, AReportWhoseColumnsDisagreeIsRejected) {
  const std::vector<std::string> malformed = {
      TwoResults({1}, "abcde", {2, 5}, 1),        // a column one short
      TwoResults({1, 2, 3}, "abcde", {2, 5}, 1),  // one too long
      TwoResults({1, 2}, "abcde", {2, 6}, 1),     // a payload past the bytes
      TwoResults({1, 2}, "abcde", {2, 4}, 1),     // bytes left over
      TwoResults({1, 2}, "abcde", {4, 2}, 1),     // offsets going back
      TwoResults({1, 2}, "abcde", {2, 5}, 2),     // a failure of no result
  };
  for (std::size_t i = 0; i < malformed.size(); ++i) {
    const Decoded decoded = DecodeString(malformed[i]);
    EXPECT_FALSE(decoded.message.has_value()) << "case " << i;
    EXPECT_FALSE(decoded.error.empty()) << "case " << i;
  }
}

TEST(Wire, AReportOfMoreResultsThanABatchIsRejected) {
  Report report{2, {}, std::vector<Result>(kMaxBatch + 1), 0, 0, {}, 0};
  EXPECT_FALSE(DecodeString(EncodeToString(report)).message.has_value());
  report.results.resize(kMaxBatch);
  EXPECT_EQ(RoundTrip(report).results.size(), kMaxBatch);
}

TEST(Wire, ABatchOfManyKindsKeepsEachTasksKind) {
  TaskBatch batch;
  for (uint64_t i = 0; i < 300; ++i) {
    batch.tasks.push_back(Task{i + 1, "kind" + std::to_string(i % 7), 1, std::to_string(i)});
  }
  const TaskBatch back = RoundTrip(batch);
  ASSERT_EQ(back.tasks.size(), 300u);
  for (std::size_t i = 0; i < 300; ++i) {
    EXPECT_EQ(back.tasks[i].kind, batch.tasks[i].kind);
    EXPECT_EQ(back.tasks[i].payload, batch.tasks[i].payload);
  }
}

TEST(Wire, ControlMessagesRoundTrip) {
  EXPECT_EQ(RoundTrip(Hello{5, 1234}).pid, 1234);
  EXPECT_EQ(RoundTrip(Bye{5, 77}).tasks_done, 77u);
  EXPECT_EQ(RoundTrip(Stop{"done"}).reason, "done");
}

TEST(Wire, RejectsABatchOverTheLimit) {
  TaskBatch batch;
  batch.tasks.resize(kMaxBatch + 1);
  EXPECT_FALSE(DecodeString(EncodeToString(batch)).message.has_value());
}

TEST(Wire, RejectsEveryTruncation) {
  const std::string bytes = EncodeToString(TaskBatch{{Task{1, "noop", 1, "xyz"}}});
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    Decoded decoded = DecodeString(bytes.substr(0, length));
    EXPECT_FALSE(decoded.message.has_value()) << "length " << length;
    EXPECT_FALSE(decoded.error.empty());
  }
}

TEST(Wire, RejectsTrailingBytes) {
  EXPECT_FALSE(DecodeString(EncodeToString(Stop{}) + "x").message.has_value());
}

TEST(Wire, RejectsAnotherVersion) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_array(3);
  packer.pack(kWireVersion + 1);
  packer.pack(static_cast<uint8_t>(MessageType::kStop));
  packer.pack(Stop{});
  Decoded decoded = DecodeString(std::string(buffer.data(), buffer.size()));
  EXPECT_FALSE(decoded.message.has_value());
  EXPECT_NE(decoded.error.find("version"), std::string::npos);
}

TEST(Wire, RejectsWrongShapes) {
  // A string where the body should be, an unknown type, a body of the wrong type.
  for (const std::string& bytes : {std::string("\x93\x02\x02\xa1x", 5),
                                   std::string("\x93\x02\x63\x90", 4),
                                   std::string("\x93\x02\x01\x94\xa1x\xa1y\xa1z\xa1w", 12),
                                   std::string("\xc1", 1), std::string()}) {
    EXPECT_FALSE(DecodeString(bytes).message.has_value());
  }
}

TEST(Wire, OversizedClaimsAreRejectedWithoutAllocating) {
  // A 5-byte array32 header claiming 4 billion items, and a str32 claiming 4 GiB.
  EXPECT_FALSE(DecodeString(std::string("\xdd\xff\xff\xff\xff", 5)).message.has_value());
  EXPECT_FALSE(DecodeString(std::string("\x93\x02\x01\xdb\xff\xff\xff\xff", 8)).message.has_value());
  // Nesting deeper than any message.
  EXPECT_FALSE(DecodeString(std::string(100, '\x91')).message.has_value());
}

}  // namespace
}  // namespace taskfarm::wire
