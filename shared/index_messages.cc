#include "shared/index_messages.h"

namespace taskfarm {
namespace {

template <typename T>
std::string Encode(const T& value) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, value);
  return std::string(buffer.data(), buffer.size());
}

template <typename T>
std::optional<T> Decode(std::string_view bytes, std::size_t max_str) {
  const msgpack::unpack_limit limits(32, 256, max_str, 0, 0, 4);
  try {
    std::size_t offset = 0;
    auto handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limits);
    if (offset != bytes.size() || handle.get().type != msgpack::type::ARRAY) return std::nullopt;
    return handle.get().as<T>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::string EncodeIndexRequest(const IndexRequest& request) { return Encode(request); }
std::optional<IndexRequest> DecodeIndexRequest(std::string_view bytes) {
  return Decode<IndexRequest>(bytes, 64 * 1024);
}
std::string EncodeIndexedDocument(const IndexedDocument& document) { return Encode(document); }
std::optional<IndexedDocument> DecodeIndexedDocument(std::string_view bytes) {
  return Decode<IndexedDocument>(bytes, 64 * 1024 * 1024);
}

}  // namespace taskfarm
