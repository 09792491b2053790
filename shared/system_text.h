#pragma once
// Thread-safe descriptions of errno values and signals, for error messages. strerror() and
// strsignal() may return a buffer that another thread overwrites; the worker has several
// threads, so every message goes through these.

#include <string>

namespace taskfarm {

/// "No such file or directory" for ENOENT; "Unknown error N" for a value it does not know.
std::string ErrnoText(int error);

/// "Killed" for SIGKILL; "signal N" for a number it does not know.
std::string SignalText(int signal_number);

}  // namespace taskfarm
