#pragma once
// PDFs made by the tests themselves, byte by byte, so that a test can hold exactly the PDF it
// needs (a word to find, a page no reader can parse) without a PDF library.

#include <string>
#include <vector>

#include <fmt/format.h>

namespace taskfarm::testing {

/// A PDF with one page per content stream (Helvetica as /F1), and a correct cross-reference
/// table. A page whose stream is "BT /F1 12 Tf 72 712 Td (words) Tj ET" shows `words`.
inline std::string PdfWithPages(const std::vector<std::string>& contents) {
  std::vector<std::string> objects = {"<< /Type /Catalog /Pages 2 0 R >>", "",
                                      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string kids;
  for (const std::string& content : contents) {
    const std::size_t page = objects.size() + 1;
    objects.push_back(fmt::format("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                                  "/Contents {} 0 R /Resources << /Font << /F1 3 0 R >> >> >>",
                                  page + 1));
    objects.push_back(fmt::format("<< /Length {} >>\nstream\n{}\nendstream", content.size(), content));
    kids += fmt::format("{} 0 R ", page);
  }
  objects[1] = fmt::format("<< /Type /Pages /Kids [{}] /Count {} >>", kids, contents.size());
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += fmt::format("{} 0 obj\n{}\nendobj\n", i + 1, objects[i]);
  }
  const std::size_t xref = pdf.size();
  pdf += fmt::format("xref\n0 {}\n0000000000 65535 f \n", objects.size() + 1);
  for (std::size_t offset : offsets) pdf += fmt::format("{:010} 00000 n \n", offset);
  pdf += fmt::format("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{}\n%%EOF\n",
                     objects.size() + 1, xref);
  return pdf;
}

/// A page that shows `words`.
inline std::string PdfPageOf(const std::string& words) {
  return "BT /F1 12 Tf 72 712 Td (" + words + ") Tj ET";
}

}  // namespace taskfarm::testing
