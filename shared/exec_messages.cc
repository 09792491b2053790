#include "shared/exec_messages.h"

#include "shared/msgpack_payload.h"

namespace taskfarm {

std::string EncodeExecRequest(const ExecRequest& request) { return EncodePayload(request); }
std::optional<ExecRequest> DecodeExecRequest(std::string_view bytes) {
  return DecodePayload<ExecRequest>(bytes, std::size_t{1} << 20, 65536);
}
std::string EncodeExecOutcome(const ExecOutcome& outcome) { return EncodePayload(outcome); }
std::optional<ExecOutcome> DecodeExecOutcome(std::string_view bytes) {
  return DecodePayload<ExecOutcome>(bytes, std::size_t{64} << 20, 65536);
}

}  // namespace taskfarm
