#include <libxml/xmlreader.h>
#include <zip.h>

#include <limits>
#include <memory>

#include "worker/handler_table.h"
#include "worker/text_extractors.h"

namespace taskfarm {
namespace {

// Where the text lives in each container type.
std::vector<std::string> TextEntries(std::string_view type, zip_t* archive) {
  if (type == "odt" || type == "ods" || type == "odp") return {"content.xml"};
  if (type == "docx") return {"word/document.xml"};
  std::vector<std::string> entries;
  const std::string prefix = type == "xlsx" ? "xl/sharedStrings.xml" : "ppt/slides/slide";
  const zip_int64_t count = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* name = zip_get_name(archive, static_cast<zip_uint64_t>(i), 0);
    if (name && std::string_view(name).rfind(prefix, 0) == 0) entries.emplace_back(name);
  }
  return entries;
}

// An entry inflated on demand as libxml2's reader asks for more; the inflated size is
// counted, since the size in the zip directory can lie.
struct EntryStream {
  zip_file_t* file;
  uint64_t inflated = 0;
  uint64_t max_uncompressed;
  bool over_limit = false;
  bool corrupt = false;

  static int Read(void* context, char* buffer, int length) {
    auto* self = static_cast<EntryStream*>(context);
    const zip_int64_t n = zip_fread(self->file, buffer, static_cast<zip_uint64_t>(length));
    if (n < 0) {
      self->corrupt = true;
      return -1;
    }
    self->inflated += static_cast<uint64_t>(n);
    if (self->inflated > self->max_uncompressed) {
      self->over_limit = true;
      return -1;
    }
    return static_cast<int>(n);
  }
};

void RefuseBomb(const std::string& name) {
  throw TaskFailure({ErrorCode::kBadInput, name + " inflates past the limit (a zip bomb?)", false});
}

// The text of one entry, streamed from the inflater through the reader: neither the inflated
// XML nor a tree of it is held.
void AppendEntryText(zip_t* archive, const std::string& name, uint64_t max_uncompressed,
                     BoundedText& out) {
  zip_stat_t stat;
  if (zip_stat(archive, name.c_str(), 0, &stat) != 0) return;
  if ((stat.valid & ZIP_STAT_SIZE) && stat.size > max_uncompressed) {
    throw TaskFailure({ErrorCode::kBadInput,
                       name + " would inflate to " + std::to_string(stat.size) +
                           " bytes, over the limit (a zip bomb?)",
                       false});
  }
  std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file(zip_fopen(archive, name.c_str(), 0),
                                                          &zip_fclose);
  if (!file) throw TaskFailure({ErrorCode::kBadInput, "cannot open " + name, false});
  EntryStream stream{file.get(), 0, max_uncompressed};
  std::unique_ptr<xmlTextReader, decltype(&xmlFreeTextReader)> reader(
      xmlReaderForIO(&EntryStream::Read, nullptr, &stream, nullptr, "UTF-8",
                     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
      &xmlFreeTextReader);
  if (!reader) throw TaskFailure({ErrorCode::kBadInput, name + " could not be read", false});
  const bool complete = AppendOfficeXmlText(reader.get(), out);
  if (stream.over_limit) RefuseBomb(name);
  if (stream.corrupt) throw TaskFailure({ErrorCode::kBadInput, name + " is corrupt", false});
  if (!complete) throw TaskFailure({ErrorCode::kBadInput, "office XML is malformed", false});
}

using ZipArchive = std::unique_ptr<zip_t, decltype(&zip_discard)>;

[[noreturn]] void OpenFailed(zip_error_t* zip_error) {
  const std::string reason = zip_error_strerror(zip_error);
  zip_error_fini(zip_error);
  throw TaskFailure({ErrorCode::kBadInput, "not a readable zip container: " + reason, false});
}

ExtractedText ExtractFromArchive(zip_t* archive, std::string_view type,
                                 uint64_t max_uncompressed, uint64_t max_text) {
  BoundedText text(max_text);
  for (const std::string& entry : TextEntries(type, archive)) {
    if (text.full()) break;
    AppendEntryText(archive, entry, max_uncompressed, text);
  }
  return text.Take();
}

}  // namespace

bool AppendOfficeXmlText(xmlTextReader* reader, BoundedText& out) {
  int rc;
  while (!out.full() && (rc = xmlTextReaderRead(reader)) == 1) {
    const int type = xmlTextReaderNodeType(reader);
    if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
      const xmlChar* value = xmlTextReaderConstValue(reader);
      if (value) out.Append(reinterpret_cast<const char*>(value));
    } else if (type == XML_READER_TYPE_END_ELEMENT) {
      const xmlChar* name = xmlTextReaderConstLocalName(reader);
      if (name && (xmlStrEqual(name, BAD_CAST "p") || xmlStrEqual(name, BAD_CAST "h"))) {
        out.Append("\n");
      }
    }
  }
  return out.full() || rc == 0;
}

void AppendOfficeXmlText(std::string_view xml, BoundedText& out) {
  if (xml.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw TaskFailure({ErrorCode::kBadInput, "office XML over 2 GiB", false});
  }
  // The reader lives only in this function, inside the lifetime of `xml`; cppcheck cannot
  // see through the unique_ptr and takes the pointer for one that escapes.
  std::unique_ptr<xmlTextReader, decltype(&xmlFreeTextReader)> reader(
      // cppcheck-suppress [invalidLifetime, danglingTemporaryLifetime]
      xmlReaderForMemory(xml.data(), static_cast<int>(xml.size()), nullptr, "UTF-8",
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
      &xmlFreeTextReader);
  if (!reader) throw TaskFailure({ErrorCode::kBadInput, "office XML could not be read", false});
  if (!AppendOfficeXmlText(reader.get(), out)) {
    throw TaskFailure({ErrorCode::kBadInput, "office XML is malformed", false});
  }
}

ExtractedText ExtractOfficeText(const std::filesystem::path& path, std::string_view type,
                                uint64_t max_uncompressed, uint64_t max_text) {
  int error = 0;
  ZipArchive archive(zip_open(path.c_str(), ZIP_RDONLY, &error), &zip_discard);
  if (!archive) {
    zip_error_t zip_error;
    zip_error_init_with_code(&zip_error, error);
    OpenFailed(&zip_error);
  }
  return ExtractFromArchive(archive.get(), type, max_uncompressed, max_text);
}

ExtractedText ExtractOfficeTextFromMemory(std::string_view bytes, std::string_view type,
                                          uint64_t max_uncompressed, uint64_t max_text) {
  zip_error_t zip_error;
  zip_error_init(&zip_error);
  // The source does not own the bytes (freep = 0); zip_open_from_source takes the source.
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &zip_error);
  if (!source) OpenFailed(&zip_error);
  ZipArchive archive(zip_open_from_source(source, ZIP_RDONLY, &zip_error), &zip_discard);
  if (!archive) {
    zip_source_free(source);
    OpenFailed(&zip_error);
  }
  zip_error_fini(&zip_error);
  return ExtractFromArchive(archive.get(), type, max_uncompressed, max_text);
}

}  // namespace taskfarm
