#pragma once
// EncodePayload / DecodePayload: a struct with a msgpack mapping to bytes and back, for task
// and result payloads. Decoding treats the bytes as untrusted: size limits, exact length,
// an array at the top; a bad payload is nullopt, never an exception.

#include <optional>
#include <string>
#include <string_view>

#include <msgpack.hpp>

namespace taskfarm {

template <typename T>
std::string EncodePayload(const T& value) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, value);
  return std::string(buffer.data(), buffer.size());
}

template <typename T>
std::optional<T> DecodePayload(std::string_view bytes, std::size_t max_string_bytes,
                               std::size_t max_array_items = 64) {
  const msgpack::unpack_limit limits(max_array_items, 256, max_string_bytes, max_string_bytes, 0, 4);
  try {
    std::size_t offset = 0;
    auto handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limits);
    if (offset != bytes.size() || handle.get().type != msgpack::type::ARRAY) return std::nullopt;
    return handle.get().as<T>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace taskfarm
