// Writes the seed inputs of the wire_decode and payloads targets: real messages of every
// type, encoded by the same code the coordinator and workers use. The output is committed in
// tests/fuzz/corpus/; run again after a wire change: make_seeds tests/fuzz/corpus
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "shared/builtin_payloads.h"
#include "shared/exec_messages.h"
#include "shared/geocode_messages.h"
#include "shared/index_messages.h"
#include "shared/wire.h"

namespace {

namespace fs = std::filesystem;
using namespace taskfarm;

void WriteSeed(const fs::path& dir, const std::string& name, std::string_view bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

void WriteMessage(const fs::path& dir, const std::string& name, const wire::Message& message) {
  msgpack::sbuffer buffer;
  wire::Encode(message, buffer);
  WriteSeed(dir, name, std::string_view(buffer.data(), buffer.size()));
}

wire::Result SomeResult(uint64_t id, bool ok) {
  wire::Result result{.task_id = id, .worker_id = 2, .attempt = 1, .ok = ok};
  if (ok) {
    result.payload = payloads::EncodeUint(id * 7);
  } else {
    result.error = TaskError{ErrorCode::kBadInput, "no such file: /tmp/x", false};
  }
  result.run_ns = 1200;
  result.cpu_ns = 900;
  return result;
}

void WriteWireSeeds(const fs::path& dir) {
  const GeocodeRequest geocode{"Zürich, Switzerland", {"offline", "nominatim"},
                               "http://127.0.0.1:8080", ""};
  wire::TaskBatch batch;
  batch.tasks.push_back({1, "noop", 1, ""});
  batch.tasks.push_back({2, "burn", 2, payloads::EncodeUint(10)});
  batch.tasks.push_back({1ull << 40, "geocode", 1, EncodeGeocodeRequest(geocode)});
  WriteMessage(dir, "task-batch", batch);
  WriteMessage(dir, "stop", wire::Stop{"run finished"});
  WriteMessage(dir, "hello", wire::Hello{3, 4242, wire::kWireVersion});
  WriteMessage(dir, "report", wire::Report{2, {5, 6}, {SomeResult(4, true), SomeResult(5, false)},
                                           0, 0, {7}, 1});
  WriteMessage(dir, "return-tasks", wire::ReturnTasks{3});
  WriteMessage(dir, "bye", wire::Bye{2, 12345});
}

void WritePayloadSeeds(const fs::path& dir) {
  WriteSeed(dir, "geocode-request",
            EncodeGeocodeRequest({"Paris", {"google"}, "", ""}));
  WriteSeed(dir, "geocode-answer",
            EncodeGeocodeAnswer({"ok", 48.85, 2.35, "Paris, France", "nominatim", 1, false}));
  WriteSeed(dir, "index-request",
            EncodeIndexRequest({"/data/a.odt", 1 << 20, 8 << 20, 60, {{".rtf", "unrtf {}"}}}));
  IndexedDocument document{.status = "indexed", .type = "html", .title = "A page",
                           .text = "Some words here", .words = 3, .size = 120};
  WriteSeed(dir, "indexed-document", EncodeIndexedDocument(document));
  ExecRequest exec;
  exec.command = {"convert", "{}", "-resize", "50%", "out/{/.}.png"};
  exec.input = "photos/cat one.jpg";
  exec.seq = 3;
  exec.capture_limit = 1 << 20;
  WriteSeed(dir, "exec-request", EncodeExecRequest(exec));
  ExecOutcome outcome;
  outcome.argv = {"echo", "hi"};
  outcome.exit_status = 0;
  outcome.out = "hi\n";
  outcome.out_bytes = 3;
  WriteSeed(dir, "exec-outcome", EncodeExecOutcome(outcome));
  WriteSeed(dir, "uint", payloads::EncodeUint(1000));
  WriteSeed(dir, "text", payloads::EncodeText("hello"));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds CORPUS_DIR\n";
    return 2;
  }
  WriteWireSeeds(fs::path(argv[1]) / "wire_decode");
  WritePayloadSeeds(fs::path(argv[1]) / "payloads");
  return 0;
}
