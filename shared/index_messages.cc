#include "shared/index_messages.h"

#include "shared/msgpack_payload.h"

namespace taskfarm {

std::string EncodeIndexRequest(const IndexRequest& request) { return EncodePayload(request); }
std::optional<IndexRequest> DecodeIndexRequest(std::string_view bytes) {
  return DecodePayload<IndexRequest>(bytes, std::size_t{64} << 10);
}
std::string EncodeIndexedDocument(const IndexedDocument& document) { return EncodePayload(document); }
std::optional<IndexedDocument> DecodeIndexedDocument(std::string_view bytes) {
  return DecodePayload<IndexedDocument>(bytes, std::size_t{64} << 20);
}

}  // namespace taskfarm
