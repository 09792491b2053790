#include "shared/builtin_payloads.h"

#include <exception>

#include <msgpack.hpp>

namespace taskfarm::payloads {
namespace {

const msgpack::unpack_limit kScalarLimits(1, 1, 4096, 4096, 0, 2);

template <typename T>
std::optional<T> DecodeScalar(std::string_view bytes, msgpack::type::object_type want) {
  try {
    std::size_t offset = 0;
    auto handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr,
                                  kScalarLimits);
    if (offset != bytes.size() || handle.get().type != want) return std::nullopt;
    return handle.get().as<T>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::string EncodeUint(uint64_t value) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, value);
  return std::string(buffer.data(), buffer.size());
}

std::optional<uint64_t> DecodeUint(std::string_view bytes) {
  return DecodeScalar<uint64_t>(bytes, msgpack::type::POSITIVE_INTEGER);
}

std::string EncodeText(std::string_view text) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, text);
  return std::string(buffer.data(), buffer.size());
}

std::optional<std::string> DecodeText(std::string_view bytes) {
  return DecodeScalar<std::string>(bytes, msgpack::type::STR);
}

}  // namespace taskfarm::payloads
