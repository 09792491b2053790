#include "worker/mime_sniffer.h"

#include <magic.h>

#include <stdexcept>

namespace taskfarm {

MimeSniffer::MimeSniffer() : cookie_(magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS)) {
  if (cookie_ == nullptr) throw std::runtime_error("libmagic: out of memory");
  if (magic_load(cookie_, nullptr) != 0) {
    const std::string why = magic_error(cookie_) ? magic_error(cookie_) : "unknown error";
    magic_close(cookie_);
    throw std::runtime_error("libmagic cannot load its database: " + why);
  }
}

MimeSniffer::~MimeSniffer() { magic_close(cookie_); }

std::string MimeSniffer::MimeType(std::string_view head) {
  const char* type = magic_buffer(cookie_, head.data(), head.size());
  return type != nullptr ? type : "application/octet-stream";
}

}  // namespace taskfarm
