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

std::string ReadEntry(zip_t* archive, const std::string& name, uint64_t max_uncompressed) {
  zip_stat_t stat;
  if (zip_stat(archive, name.c_str(), 0, &stat) != 0) return {};
  if ((stat.valid & ZIP_STAT_SIZE) && stat.size > max_uncompressed) {
    throw TaskFailure({ErrorCode::kBadInput,
                       name + " would inflate to " + std::to_string(stat.size) +
                           " bytes, over the limit (a zip bomb?)",
                       false});
  }
  std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file(zip_fopen(archive, name.c_str(), 0),
                                                          &zip_fclose);
  if (!file) throw TaskFailure({ErrorCode::kBadInput, "cannot open " + name, false});
  std::string content;
  char buffer[65536];
  zip_int64_t n;
  while ((n = zip_fread(file.get(), buffer, sizeof(buffer))) > 0) {
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > max_uncompressed) {  // the size in the directory can lie
      throw TaskFailure({ErrorCode::kBadInput, name + " inflates past the limit (a zip bomb?)",
                         false});
    }
  }
  if (n < 0) throw TaskFailure({ErrorCode::kBadInput, name + " is corrupt", false});
  return content;
}

using ZipArchive = std::unique_ptr<zip_t, decltype(&zip_discard)>;

[[noreturn]] void OpenFailed(zip_error_t* zip_error) {
  const std::string reason = zip_error_strerror(zip_error);
  zip_error_fini(zip_error);
  throw TaskFailure({ErrorCode::kBadInput, "not a readable zip container: " + reason, false});
}

ExtractedText ExtractFromArchive(zip_t* archive, std::string_view type,
                                 uint64_t max_uncompressed) {
  ExtractedText out;
  for (const std::string& entry : TextEntries(type, archive)) {
    const std::string xml = ReadEntry(archive, entry, max_uncompressed);
    AppendOfficeXmlText(xml, out.text);
  }
  return out;
}

}  // namespace

// Text nodes of an office XML document, with a line break after each paragraph.
void AppendOfficeXmlText(std::string_view xml, std::string& out) {
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
  int rc;
  while ((rc = xmlTextReaderRead(reader.get())) == 1) {
    const int type = xmlTextReaderNodeType(reader.get());
    if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
      const xmlChar* value = xmlTextReaderConstValue(reader.get());
      if (value) out += reinterpret_cast<const char*>(value);
    } else if (type == XML_READER_TYPE_END_ELEMENT) {
      const xmlChar* name = xmlTextReaderConstLocalName(reader.get());
      if (name && (xmlStrEqual(name, BAD_CAST "p") || xmlStrEqual(name, BAD_CAST "h"))) {
        out += '\n';
      }
    }
  }
  if (rc < 0) throw TaskFailure({ErrorCode::kBadInput, "office XML is malformed", false});
}

ExtractedText ExtractOfficeText(const std::filesystem::path& path, std::string_view type,
                                uint64_t max_uncompressed) {
  int error = 0;
  ZipArchive archive(zip_open(path.c_str(), ZIP_RDONLY, &error), &zip_discard);
  if (!archive) {
    zip_error_t zip_error;
    zip_error_init_with_code(&zip_error, error);
    OpenFailed(&zip_error);
  }
  return ExtractFromArchive(archive.get(), type, max_uncompressed);
}

ExtractedText ExtractOfficeTextFromMemory(std::string_view bytes, std::string_view type,
                                          uint64_t max_uncompressed) {
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
  return ExtractFromArchive(archive.get(), type, max_uncompressed);
}

}  // namespace taskfarm
