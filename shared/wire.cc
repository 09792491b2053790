#include "shared/wire.h"

#include <exception>

#include "shared/wire_columns.h"

namespace taskfarm::wire {
namespace {

// No honest message comes near these; they stop a few bytes from claiming gigabytes.
constexpr std::size_t kMaxArrayItems = kMaxBatch;
constexpr std::size_t kMaxMapItems = 64;
constexpr std::size_t kMaxStrBytes = kMaxMessageBytes;
constexpr std::size_t kMaxBinBytes = kMaxMessageBytes;
constexpr std::size_t kMaxExtBytes = 0;
constexpr std::size_t kMaxDepth = 8;

template <typename T>
constexpr MessageType TypeOf();
template <> constexpr MessageType TypeOf<TaskBatch>() { return MessageType::kTaskBatch; }
template <> constexpr MessageType TypeOf<Stop>() { return MessageType::kStop; }
template <> constexpr MessageType TypeOf<Hello>() { return MessageType::kHello; }
template <> constexpr MessageType TypeOf<Report>() { return MessageType::kReport; }
template <> constexpr MessageType TypeOf<Bye>() { return MessageType::kBye; }
template <> constexpr MessageType TypeOf<HostHello>() { return MessageType::kHostHello; }
template <> constexpr MessageType TypeOf<HostWelcome>() { return MessageType::kHostWelcome; }
template <> constexpr MessageType TypeOf<HostRates>() { return MessageType::kHostRates; }
template <> constexpr MessageType TypeOf<Heartbeat>() { return MessageType::kHeartbeat; }
template <> constexpr MessageType TypeOf<WorkerExited>() { return MessageType::kWorkerExited; }
template <> constexpr MessageType TypeOf<StartWorker>() { return MessageType::kStartWorker; }
template <> constexpr MessageType TypeOf<KillWorker>() { return MessageType::kKillWorker; }
template <> constexpr MessageType TypeOf<ReturnTasks>() { return MessageType::kReturnTasks; }

template <typename T>
Message BodyAs(const msgpack::object& body) {
  return body.as<T>();
}

Message ConvertBody(MessageType type, const msgpack::object& body) {
  switch (type) {
    case MessageType::kTaskBatch: return UnpackTaskBatch(body);
    case MessageType::kStop: return BodyAs<Stop>(body);
    case MessageType::kHello: return BodyAs<Hello>(body);
    case MessageType::kReport: return UnpackReport(body);
    case MessageType::kBye: return BodyAs<Bye>(body);
    case MessageType::kHostHello: return BodyAs<HostHello>(body);
    case MessageType::kHostWelcome: return BodyAs<HostWelcome>(body);
    case MessageType::kHostRates: return BodyAs<HostRates>(body);
    case MessageType::kHeartbeat: return BodyAs<Heartbeat>(body);
    case MessageType::kWorkerExited: return BodyAs<WorkerExited>(body);
    case MessageType::kStartWorker: return BodyAs<StartWorker>(body);
    case MessageType::kKillWorker: return BodyAs<KillWorker>(body);
    case MessageType::kReturnTasks: return BodyAs<ReturnTasks>(body);
  }
  throw std::runtime_error("unknown message type");
}

}  // namespace

void Encode(const Message& message, msgpack::sbuffer& out) {
  out.clear();
  msgpack::packer<msgpack::sbuffer> packer(out);
  packer.pack_array(3);
  packer.pack(kWireVersion);
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        packer.pack(static_cast<uint8_t>(TypeOf<T>()));
        if constexpr (std::is_same_v<T, TaskBatch>) {
          PackTaskBatch(packer, body);
        } else if constexpr (std::is_same_v<T, Report>) {
          PackReport(packer, body);
        } else {
          packer.pack(body);
        }
      },
      message);
}

Decoded Decode(std::span<const char> bytes) {
  const msgpack::unpack_limit limits(kMaxArrayItems, kMaxMapItems, kMaxStrBytes, kMaxBinBytes,
                                     kMaxExtBytes, kMaxDepth);
  try {
    std::size_t offset = 0;
    // Strings and bins point into `bytes` instead of being copied: everything is converted
    // into owned values before this returns.
    const auto refer = [](msgpack::type::object_type, std::size_t, void*) { return true; };
    msgpack::object_handle handle =
        msgpack::unpack(bytes.data(), bytes.size(), offset, refer, nullptr, limits);
    if (offset != bytes.size()) return {std::nullopt, "trailing bytes after the message"};
    const msgpack::object& root = handle.get();
    if (root.type != msgpack::type::ARRAY || root.via.array.size != 3) {
      return {std::nullopt, "not a [version, type, body] array"};
    }
    const msgpack::object* fields = root.via.array.ptr;
    if (fields[0].type != msgpack::type::POSITIVE_INTEGER) return {std::nullopt, "bad version"};
    if (fields[0].via.u64 != kWireVersion) {
      return {std::nullopt, "wire version " + std::to_string(fields[0].via.u64) +
                                " (this build speaks " + std::to_string(kWireVersion) + ")"};
    }
    if (fields[1].type != msgpack::type::POSITIVE_INTEGER || fields[1].via.u64 < 1 ||
        fields[1].via.u64 > static_cast<uint64_t>(MessageType::kReturnTasks)) {
      return {std::nullopt, "unknown message type"};
    }
    if (fields[2].type != msgpack::type::ARRAY) return {std::nullopt, "body is not an array"};
    const auto type = static_cast<MessageType>(fields[1].via.u64);
    return {ConvertBody(type, fields[2]), {}};
  } catch (const std::exception& e) {
    return {std::nullopt, std::string("malformed message: ") + e.what()};
  }
}

}  // namespace taskfarm::wire
