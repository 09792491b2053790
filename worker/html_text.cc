#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <memory>

#include "worker/handler_table.h"
#include "worker/text_extractors.h"

namespace taskfarm {
namespace {

bool IsBlock(const xmlChar* name) {
  static const char* const kBlocks[] = {"p",  "div", "br", "li", "tr", "h1", "h2", "h3",
                                        "h4", "h5",  "h6", "pre", "td", "th", "dd", "dt"};
  for (const char* block : kBlocks) {
    if (xmlStrcasecmp(name, BAD_CAST block) == 0) return true;
  }
  return false;
}

// The text under `node`, skipping script and style; iterative, so deep nesting cannot
// exhaust the stack.
void CollectText(xmlNode* root, std::string& out, std::string& title) {
  std::vector<xmlNode*> stack{root};
  while (!stack.empty()) {
    xmlNode* node = stack.back();
    stack.pop_back();
    if (node == nullptr) continue;
    if (node->next) stack.push_back(node->next);
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
      if (node->content) out += reinterpret_cast<const char*>(node->content);
      continue;
    }
    if (node->type != XML_ELEMENT_NODE) continue;
    if (xmlStrcasecmp(node->name, BAD_CAST "script") == 0 ||
        xmlStrcasecmp(node->name, BAD_CAST "style") == 0) {
      continue;
    }
    if (xmlStrcasecmp(node->name, BAD_CAST "title") == 0 && title.empty()) {
      xmlChar* text = xmlNodeGetContent(node);
      if (text) title = reinterpret_cast<const char*>(text);
      xmlFree(text);
      continue;
    }
    if (IsBlock(node->name)) out += '\n';
    if (node->children) stack.push_back(node->children);
  }
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

}  // namespace

ExtractedText ExtractHtmlText(std::string_view bytes) {
  const int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                      HTML_PARSE_NONET | HTML_PARSE_COMPACT;
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      htmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, "UTF-8", options),
      &xmlFreeDoc);
  if (!doc) throw TaskFailure({ErrorCode::kBadInput, "HTML could not be parsed", false});
  ExtractedText out;
  std::string text;
  CollectText(xmlDocGetRootElement(doc.get()), text, out.title);
  out.text = CollapseSpaces(text);
  out.title = CollapseSpaces(out.title);
  return out;
}

}  // namespace taskfarm
