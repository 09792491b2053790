#pragma once
// WorkerMain: a worker process from its command line to its exit status. The taskfarm-worker
// binary is just this (its index and geocode kinds loaded from their module when first
// needed); a program built on the library (taskfarm::App) runs it too, with its own kinds
// added to the table and those two linked in.

#include <functional>

#include "worker/handler_table.h"

namespace taskfarm {

/// Adds a program's own kinds to the worker's table (may be empty).
using AddKinds = std::function<void(HandlerTable&)>;

/// Parses the worker's flags (as the coordinator passes them), runs until told to stop.
/// `linked_heavy_kinds` null: the index and geocode kinds come from libtaskfarm-kinds.so.
int WorkerMain(int argc, char** argv, const AddKinds& add_kinds = {},
               MakeHeavyKinds linked_heavy_kinds = nullptr);

}  // namespace taskfarm
