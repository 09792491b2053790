#include "shared/index_messages.h"

#include <cctype>
#include <filesystem>

#include "shared/msgpack_payload.h"

namespace taskfarm {

std::string ExtractorFor(const std::string& path,
                         const std::map<std::string, std::string>& converters) {
  std::string extension = std::filesystem::path(path).extension().string();
  if (!extension.empty()) extension.erase(0, 1);
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto converter = converters.find(extension); converter != converters.end()) {
    return "converter:" + converter->second;
  }
  return "taskfarm:" + std::to_string(kBuiltinExtractorVersion);
}

std::string EncodeIndexRequest(const IndexRequest& request) { return EncodePayload(request); }
std::optional<IndexRequest> DecodeIndexRequest(std::string_view bytes) {
  return DecodePayload<IndexRequest>(bytes, std::size_t{64} << 10);
}
std::string EncodeIndexedDocument(const IndexedDocument& document) { return EncodePayload(document); }
std::optional<IndexedDocument> DecodeIndexedDocument(std::string_view bytes) {
  // An archive's members are an array of up to kMaxArchiveMembers (the default limit, 64,
  // made an archive of more an undecodable result).
  return DecodePayload<IndexedDocument>(bytes, std::size_t{64} << 20, kMaxArchiveMembers + 16);
}

}  // namespace taskfarm
