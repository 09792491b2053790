#pragma once
// Payloads of the built-in task kinds that measure and exercise the farm itself:
//   noop   nothing; returns at once (measures dispatch overhead)
//   burn   about N microseconds of CPU time, spent deterministically
//   sleep  N milliseconds of wall time, no CPU (scheduling tests on a noisy machine)
//   fault  misbehaves on purpose: throw, abort, hang, or exit (reliability tests)
// Each payload is one msgpack value, so both sides agree on it through these helpers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace taskfarm::payloads {

std::string EncodeUint(uint64_t value);
/// The value, or nullopt when the bytes are not one msgpack unsigned integer.
std::optional<uint64_t> DecodeUint(std::string_view bytes);

std::string EncodeText(std::string_view text);
std::optional<std::string> DecodeText(std::string_view bytes);

}  // namespace taskfarm::payloads
