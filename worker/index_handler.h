#pragma once
// The `index` task: read one file, find its type by its content (magic bytes) and its name,
// convert it to text with the extractor for that type, and return the text with its title,
// word count and content hash. Bad files are error values that say what is wrong with them.

#include <functional>
#include <string>

#include "shared/wire.h"
#include "worker/child_command.h"
#include "worker/document_types.h"

namespace taskfarm {

/// External converters run as the worker's commands do (`services`): in a process group of
/// their own that dies with their task, and with the worker. A file no check places is typed
/// by libmagic (`sniffer`, asked only then): text/... is indexed as text, anything else is
/// skipped, its row saying which type has no converter. An archive's files come back as its
/// document's members (ReadArchiveMembers).
std::string RunIndex(const wire::Task& task, const CommandServices& services,
                     const MimeSnifferSource& sniffer);

}  // namespace taskfarm
