#include "cli/command_output.h"

#include <fmt/format.h>

namespace taskfarm {

CommandOutput::CommandOutput(bool keep_order, FILE* out, FILE* err, std::set<uint64_t> already_done)
    : keep_order_(keep_order), out_(out), err_(err), already_done_(std::move(already_done)) {
  SkipDone();
}

void CommandOutput::Add(const OutcomeRow& row) {
  Held held;
  if (row.exec) {
    held = {row.exec->out, row.exec->err, row.exec->out_bytes, row.exec->err_bytes, {}};
  }
  if (!row.ok) {
    const std::string who = row.seq != 0 ? fmt::format("input {}", row.seq)
                            : row.job_id.empty() ? fmt::format("task {}", row.task_id)
                                                 : fmt::format("job {}", row.job_id);
    constexpr std::size_t kShownInputBytes = 200;
    const std::string input = row.input.size() > kShownInputBytes
                                  ? row.input.substr(0, kShownInputBytes) + "..."
                                  : row.input;
    held.failure = input.empty() && row.seq == 0
                       ? fmt::format("{}: {}", who, row.error)
                       : fmt::format("{} ({}): {}", who, input, row.error);
  }
  if (!keep_order_ || row.seq == 0) {
    Print(row.seq, held);
    return;
  }
  held_.emplace(row.seq, std::move(held));
  while (!held_.empty() && held_.begin()->first == next_seq_) {
    Print(next_seq_, held_.begin()->second);
    held_.erase(held_.begin());
    ++next_seq_;
    SkipDone();
  }
}

void CommandOutput::Finish() {
  for (const auto& [seq, held] : held_) Print(seq, held);
  held_.clear();
  std::fflush(out_);
  std::fflush(err_);
}

void CommandOutput::SkipDone() {
  while (already_done_.count(next_seq_) > 0) ++next_seq_;
}

void CommandOutput::Print(uint64_t seq, const Held& held) {
  std::fwrite(held.out.data(), 1, held.out.size(), out_);
  std::fflush(out_);
  std::fwrite(held.err.data(), 1, held.err.size(), err_);
  for (const auto& [name, kept, total] :
       {std::tuple{"stdout", held.out.size(), held.out_bytes},
        std::tuple{"stderr", held.err.size(), held.err_bytes}}) {
    if (total > kept) {
      std::fputs(fmt::format("taskfarm: input {}: {} cut at {} of {} bytes (--results DIR keeps "
                             "all of it; --capture-limit sets the cut)\n",
                             seq, name, kept, total)
                     .c_str(),
                 err_);
    }
  }
  if (!held.failure.empty()) std::fputs(("taskfarm: " + held.failure + "\n").c_str(), err_);
  std::fflush(err_);
}

}  // namespace taskfarm
