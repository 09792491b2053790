#include <libxml/HTMLparser.h>

#include <cstring>
#include <limits>
#include <memory>

#include "worker/handler_table.h"
#include "worker/text_extractors.h"

namespace taskfarm {
namespace {

constexpr uint64_t kMaxTitleBytes = 4096;

bool IsBlock(const xmlChar* name) {
  static const char* const kBlocks[] = {"p",  "div", "br", "li", "tr", "h1", "h2", "h3",
                                        "h4", "h5",  "h6", "pre", "td", "th", "dd", "dt"};
  for (const char* block : kBlocks) {
    if (xmlStrcasecmp(name, BAD_CAST block) == 0) return true;
  }
  return false;
}

bool IsHidden(const xmlChar* name) {
  return xmlStrcasecmp(name, BAD_CAST "script") == 0 || xmlStrcasecmp(name, BAD_CAST "style") == 0;
}

std::string CollapseSpaces(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
    } else {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

// libxml2's push parser calls back for each element and run of text; the reader keeps the
// text it wants and the depth of the elements that hide theirs.
class HtmlTextReader : public StreamedTextReader {
 public:
  explicit HtmlTextReader(uint64_t max_text) : text_(max_text), title_(kMaxTitleBytes) {
    htmlSAXHandler sax;
    std::memset(&sax, 0, sizeof sax);
    sax.startElement = [](void* self, const xmlChar* name, const xmlChar**) {
      static_cast<HtmlTextReader*>(self)->Start(name);
    };
    sax.endElement = [](void* self, const xmlChar* name) {
      static_cast<HtmlTextReader*>(self)->End(name);
    };
    sax.characters = [](void* self, const xmlChar* text, int length) {
      static_cast<HtmlTextReader*>(self)->Characters(text, length);
    };
    sax.cdataBlock = sax.characters;
    parser_.reset(htmlCreatePushParserCtxt(&sax, this, nullptr, 0, nullptr, XML_CHAR_ENCODING_UTF8));
    if (!parser_) throw TaskFailure({ErrorCode::kBadInput, "HTML parser could not start", false});
    htmlCtxtUseOptions(parser_.get(), HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                          HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
  }

  bool Feed(std::string_view chunk) override {
    while (!chunk.empty() && !text_.full()) {
      const std::size_t piece = std::min<std::size_t>(chunk.size(), std::numeric_limits<int>::max());
      htmlParseChunk(parser_.get(), chunk.data(), static_cast<int>(piece), 0);
      chunk.remove_prefix(piece);
    }
    return !text_.full();
  }

  ExtractedText Finish() override {
    htmlParseChunk(parser_.get(), nullptr, 0, /*terminate=*/1);
    ExtractedText out = text_.Take();
    out.text = CollapseSpaces(out.text);
    out.title = CollapseSpaces(title_.text());
    return out;
  }

 private:
  void Start(const xmlChar* name) {
    if (IsHidden(name)) ++hidden_depth_;
    if (xmlStrcasecmp(name, BAD_CAST "title") == 0) ++title_depth_;
    if (IsBlock(name)) text_.Append("\n");
  }
  void End(const xmlChar* name) {
    if (IsHidden(name) && hidden_depth_ > 0) --hidden_depth_;
    if (xmlStrcasecmp(name, BAD_CAST "title") == 0 && title_depth_ > 0) {
      --title_depth_;
      seen_title_ = true;
    }
  }
  void Characters(const xmlChar* text, int length) {
    const std::string_view piece(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length));
    if (title_depth_ > 0) {
      if (!seen_title_) title_.Append(piece);
    } else if (hidden_depth_ == 0) {
      text_.Append(piece);
    }
  }

  struct FreeParser {
    void operator()(htmlParserCtxtPtr parser) const { htmlFreeParserCtxt(parser); }
  };
  std::unique_ptr<htmlParserCtxt, FreeParser> parser_;
  BoundedText text_;
  BoundedText title_;
  int hidden_depth_ = 0;  // inside <script> or <style>
  int title_depth_ = 0;
  bool seen_title_ = false;  // only the first <title> is the title
};

}  // namespace

std::unique_ptr<StreamedTextReader> MakeHtmlTextReader(uint64_t max_text) {
  return std::make_unique<HtmlTextReader>(max_text);
}

ExtractedText ExtractHtmlText(std::string_view bytes) {
  // The text is never longer than the markup, but for the line breaks of implied elements.
  HtmlTextReader reader(2 * bytes.size() + 64);
  reader.Feed(bytes);
  return reader.Finish();
}

}  // namespace taskfarm
