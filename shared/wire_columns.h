#pragma once
// The two messages that carry an entry per task, TaskBatch and Report, travel as columns:
// each numeric field of all the entries is one msgpack bin of little-endian integers, and
// the entries' payloads are one bin of bytes with a bin of their end offsets. A batch of a
// thousand no-ops is then a handful of msgpack objects instead of five thousand, which is
// most of what decoding cost the coordinator per task (tree nodes, then conversion).
//
// TaskBatch body: [ids u64, attempts u32, kinds (array of str), kind_of u16, payload_bytes,
//                  payload_ends u32]
// Report body:    [worker_id, started u64, results, rss_bytes, cpu_ns, returned u64,
//                  returns_answered]
//   results:      [task_ids u64, attempts u32, run_ns u64, cpu_ns u64, payload_bytes,
//                  payload_ends u32, failures]
//   failures:     array of [index, code, message, retryable], one per result not ok
// A Report's results are its worker's own: each Result's worker_id is the Report's.
//
// Decoding checks that the columns agree in length, that offsets and indexes stay in range
// and that no message holds more than kMaxBatch tasks or results; a malformed body throws
// msgpack::type_error (wire::Decode turns it into an error value).

#include <msgpack.hpp>

#include "shared/wire.h"

namespace taskfarm::wire {

void PackTaskBatch(msgpack::packer<msgpack::sbuffer>& packer, const TaskBatch& batch);
TaskBatch UnpackTaskBatch(const msgpack::object& body);

void PackReport(msgpack::packer<msgpack::sbuffer>& packer, const Report& report);
Report UnpackReport(const msgpack::object& body);

}  // namespace taskfarm::wire
