#include "shared/wire.h"

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

TEST(Wire, AReportWithoutTheReturnFieldsStillDecodes) {
  // A worker built before ReturnTasks sends five fields: the new ones read as empty.
  msgpack::sbuffer out;
  msgpack::packer<msgpack::sbuffer> packer(out);
  packer.pack_array(3);
  packer.pack(kWireVersion);
  packer.pack(static_cast<uint8_t>(MessageType::kReport));
  packer.pack_array(5);
  packer.pack(uint32_t{3});
  packer.pack(std::vector<uint64_t>{9});
  packer.pack(std::vector<Result>{});
  packer.pack(uint64_t{0});
  packer.pack(uint64_t{0});
  const Decoded decoded = Decode({out.data(), out.size()});
  ASSERT_TRUE(decoded.message) << decoded.error;
  const auto& report = std::get<Report>(*decoded.message);
  EXPECT_EQ(report.started, (std::vector<uint64_t>{9}));
  EXPECT_TRUE(report.returned.empty());
  EXPECT_EQ(report.returns_answered, 0u);
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
  for (const std::string& bytes : {std::string("\x93\x01\x02\xa1x", 5),
                                   std::string("\x93\x01\x63\x90", 4),
                                   std::string("\x93\x01\x01\x94\xa1x\xa1y\xa1z\xa1w", 12),
                                   std::string("\xc1", 1), std::string()}) {
    EXPECT_FALSE(DecodeString(bytes).message.has_value());
  }
}

TEST(Wire, OversizedClaimsAreRejectedWithoutAllocating) {
  // A 5-byte array32 header claiming 4 billion items, and a str32 claiming 4 GiB.
  EXPECT_FALSE(DecodeString(std::string("\xdd\xff\xff\xff\xff", 5)).message.has_value());
  EXPECT_FALSE(DecodeString(std::string("\x93\x01\x01\xdb\xff\xff\xff\xff", 8)).message.has_value());
  // Nesting deeper than any message.
  EXPECT_FALSE(DecodeString(std::string(100, '\x91')).message.has_value());
}

}  // namespace
}  // namespace taskfarm::wire
