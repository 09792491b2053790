#include "shared/wire_columns.h"

#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string_view>

namespace taskfarm::wire {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the wire's integer columns are copied as they lie in memory: little-endian");

using Packer = msgpack::packer<msgpack::sbuffer>;

void PackBytes(Packer& packer, const void* data, std::size_t size) {
  packer.pack_bin(static_cast<uint32_t>(size));
  packer.pack_bin_body(static_cast<const char*>(data), static_cast<uint32_t>(size));
}

// One field of every entry, as a bin of T.
template <typename T, typename Entries, typename Field>
void PackColumn(Packer& packer, const Entries& entries, Field field) {
  std::vector<T> column;
  column.reserve(entries.size());
  for (const auto& entry : entries) column.push_back(static_cast<T>(field(entry)));
  PackBytes(packer, column.data(), column.size() * sizeof(T));
}

// Every entry's payload in one bin, then a bin of their end offsets.
template <typename Entries>
void PackPayloads(Packer& packer, const Entries& entries) {
  std::size_t total = 0;
  std::vector<uint32_t> ends;
  ends.reserve(entries.size());
  for (const auto& entry : entries) {
    total += entry.payload.size();
    if (total > std::numeric_limits<uint32_t>::max()) {
      throw std::length_error("payloads of one message exceed 4 GiB");
    }
    ends.push_back(static_cast<uint32_t>(total));
  }
  packer.pack_bin(static_cast<uint32_t>(total));
  for (const auto& entry : entries) {
    if (!entry.payload.empty()) {
      packer.pack_bin_body(entry.payload.data(), static_cast<uint32_t>(entry.payload.size()));
    }
  }
  PackBytes(packer, ends.data(), ends.size() * sizeof(uint32_t));
}

const msgpack::object* Fields(const msgpack::object& o, uint32_t count) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size != count) throw msgpack::type_error();
  return o.via.array.ptr;
}

void Expect(bool condition) {
  if (!condition) throw msgpack::type_error();
}

template <typename T>
std::vector<T> UnpackColumn(const msgpack::object& o, std::size_t expected_size) {
  Expect(o.type == msgpack::type::BIN && o.via.bin.size == expected_size * sizeof(T));
  std::vector<T> column(expected_size);
  if (expected_size > 0) std::memcpy(column.data(), o.via.bin.ptr, o.via.bin.size);
  return column;
}

// A column whose length sets the entries' count.
std::vector<uint64_t> UnpackIds(const msgpack::object& o) {
  Expect(o.type == msgpack::type::BIN && o.via.bin.size % sizeof(uint64_t) == 0);
  return UnpackColumn<uint64_t>(o, o.via.bin.size / sizeof(uint64_t));
}

// The payloads of `count` entries: each a view into the message's bytes.
class Payloads {
 public:
  Payloads(const msgpack::object& bytes, const msgpack::object& ends, std::size_t count)
      : ends_(UnpackColumn<uint32_t>(ends, count)) {
    Expect(bytes.type == msgpack::type::BIN);
    bytes_ = std::string_view(bytes.via.bin.ptr, bytes.via.bin.size);
    uint32_t previous = 0;
    for (uint32_t end : ends_) {
      Expect(end >= previous);
      previous = end;
    }
    Expect(previous == bytes_.size());
  }
  std::string_view At(std::size_t i) const {
    const uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return bytes_.substr(begin, ends_[i] - begin);
  }

 private:
  std::vector<uint32_t> ends_;
  std::string_view bytes_;
};

// Kinds repeat across a batch: each is sent once, and a task names it by its index.
struct KindTable {
  std::vector<std::string_view> names;
  std::vector<uint16_t> index_of_task;
};

KindTable KindsOf(const std::vector<Task>& tasks) {
  KindTable table;
  table.index_of_task.reserve(tasks.size());
  std::size_t last = 0;
  for (const Task& task : tasks) {
    if (last >= table.names.size() || table.names[last] != task.kind) {
      last = 0;
      while (last < table.names.size() && table.names[last] != task.kind) ++last;
      if (last == table.names.size()) table.names.push_back(task.kind);
      if (table.names.size() > std::numeric_limits<uint16_t>::max()) {
        throw std::length_error("more than 65,535 kinds in one batch");
      }
    }
    table.index_of_task.push_back(static_cast<uint16_t>(last));
  }
  return table;
}

void PackFailures(Packer& packer, const std::vector<Result>& results) {
  uint32_t failed = 0;
  for (const Result& result : results) failed += result.ok ? 0 : 1;
  packer.pack_array(failed);
  for (uint32_t i = 0; i < results.size(); ++i) {
    if (results[i].ok) continue;
    packer.pack_array(4);
    packer.pack(i);
    packer.pack(results[i].error.code);
    packer.pack(results[i].error.message);
    packer.pack(results[i].error.retryable);
  }
}

void UnpackFailures(const msgpack::object& o, std::vector<Result>& results) {
  Expect(o.type == msgpack::type::ARRAY);
  for (uint32_t i = 0; i < o.via.array.size; ++i) {
    const msgpack::object* failure = Fields(o.via.array.ptr[i], 4);
    const auto index = failure[0].as<uint32_t>();
    Expect(index < results.size());
    Result& result = results[index];
    result.ok = false;
    result.error.code = failure[1].as<ErrorCode>();
    result.error.message = failure[2].as<std::string>();
    result.error.retryable = failure[3].as<bool>();
  }
}

void PackResults(Packer& packer, const std::vector<Result>& results) {
  packer.pack_array(7);
  PackColumn<uint64_t>(packer, results, [](const Result& r) { return r.task_id; });
  PackColumn<uint32_t>(packer, results, [](const Result& r) { return r.attempt; });
  PackColumn<uint64_t>(packer, results, [](const Result& r) { return r.run_ns; });
  PackColumn<uint64_t>(packer, results, [](const Result& r) { return r.cpu_ns; });
  PackPayloads(packer, results);
  PackFailures(packer, results);
}

std::vector<Result> UnpackResults(const msgpack::object& o, uint32_t worker_id) {
  const msgpack::object* columns = Fields(o, 7);
  const std::vector<uint64_t> ids = UnpackIds(columns[0]);
  const std::size_t n = ids.size();
  Expect(n <= kMaxBatch);
  const auto attempts = UnpackColumn<uint32_t>(columns[1], n);
  const auto run_ns = UnpackColumn<uint64_t>(columns[2], n);
  const auto cpu_ns = UnpackColumn<uint64_t>(columns[3], n);
  const Payloads payloads(columns[4], columns[5], n);
  std::vector<Result> results(n);
  for (std::size_t i = 0; i < n; ++i) {
    Result& result = results[i];
    result.task_id = ids[i];
    result.worker_id = worker_id;
    result.attempt = attempts[i];
    result.payload = payloads.At(i);
    result.run_ns = run_ns[i];
    result.cpu_ns = cpu_ns[i];
  }
  UnpackFailures(columns[6], results);
  return results;
}

}  // namespace

void PackTaskBatch(Packer& packer, const TaskBatch& batch) {
  const KindTable kinds = KindsOf(batch.tasks);
  packer.pack_array(6);
  PackColumn<uint64_t>(packer, batch.tasks, [](const Task& t) { return t.id; });
  PackColumn<uint32_t>(packer, batch.tasks, [](const Task& t) { return t.attempt; });
  packer.pack_array(static_cast<uint32_t>(kinds.names.size()));
  for (std::string_view kind : kinds.names) packer.pack(kind);
  PackBytes(packer, kinds.index_of_task.data(), kinds.index_of_task.size() * sizeof(uint16_t));
  PackPayloads(packer, batch.tasks);
}

TaskBatch UnpackTaskBatch(const msgpack::object& body) {
  const msgpack::object* columns = Fields(body, 6);
  const std::vector<uint64_t> ids = UnpackIds(columns[0]);
  const std::size_t n = ids.size();
  Expect(n <= kMaxBatch);
  const auto attempts = UnpackColumn<uint32_t>(columns[1], n);
  const auto kinds = columns[2].as<std::vector<std::string>>();
  const auto kind_of = UnpackColumn<uint16_t>(columns[3], n);
  const Payloads payloads(columns[4], columns[5], n);
  TaskBatch batch;
  batch.tasks.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    Expect(kind_of[i] < kinds.size());
    Task& task = batch.tasks[i];
    task.id = ids[i];
    task.kind = kinds[kind_of[i]];
    task.attempt = attempts[i];
    task.payload = payloads.At(i);
  }
  return batch;
}

void PackReport(Packer& packer, const Report& report) {
  packer.pack_array(7);
  packer.pack(report.worker_id);
  PackBytes(packer, report.started.data(), report.started.size() * sizeof(uint64_t));
  PackResults(packer, report.results);
  packer.pack(report.rss_bytes);
  packer.pack(report.cpu_ns);
  PackBytes(packer, report.returned.data(), report.returned.size() * sizeof(uint64_t));
  packer.pack(report.returns_answered);
}

Report UnpackReport(const msgpack::object& body) {
  const msgpack::object* fields = Fields(body, 7);
  Report report;
  report.worker_id = fields[0].as<uint32_t>();
  report.started = UnpackIds(fields[1]);
  report.results = UnpackResults(fields[2], report.worker_id);
  report.rss_bytes = fields[3].as<uint64_t>();
  report.cpu_ns = fields[4].as<uint64_t>();
  report.returned = UnpackIds(fields[5]);
  report.returns_answered = fields[6].as<uint32_t>();
  return report;
}

}  // namespace taskfarm::wire
