#include "coordinator/exec_source.h"

#include <glib.h>

#include <fmt/format.h>

#include "coordinator/geocode_source.h"  // InputError
#include "shared/builtin_payloads.h"
#include "shared/kinds.h"
#include "shared/replacement_strings.h"

namespace taskfarm {
namespace {

InputLines OpenInputs(const ExecInput& input) {
  if (!input.args.empty()) return InputLines(input.args);
  return InputLines(input.inputs_path, input.null_separated);
}

std::optional<uint64_t> CountInputs(const ExecInput& input) {
  if (!input.args.empty()) return input.args.size();
  return InputLines::Count(input.inputs_path, input.null_separated);
}

}  // namespace

std::vector<std::string> ParseCommandTemplate(const std::string& command_line, bool shell) {
  if (shell) {
    std::string line = command_line;
    if (!HasReplacementString(line)) line += " {}";
    return {line};
  }
  gint argc = 0;
  gchar** argv = nullptr;
  GError* error = nullptr;
  if (!g_shell_parse_argv(command_line.c_str(), &argc, &argv, &error)) {
    const std::string why = error != nullptr ? error->message : "cannot be split into words";
    g_clear_error(&error);
    throw InputError("--exec '" + command_line + "': " + why);
  }
  std::vector<std::string> words(argv, argv + argc);
  g_strfreev(argv);
  bool any = false;
  for (const std::string& word : words) any = any || HasReplacementString(word);
  if (!any) words.emplace_back("{}");
  return words;
}

ExecRequest MakeExecRequest(const ExecInput& input) {
  ExecRequest request;
  request.command = input.command;
  request.shell = input.shell;
  request.capture_limit = input.capture_limit;
  request.results_dir = input.results_dir;
  request.timeout_ms = input.timeout_ms;
  request.retries = input.retries;
  request.bucket = input.bucket;
  return request;
}

ExecSource::ExecSource(const ExecInput& input)
    : input_(input), request_(MakeExecRequest(input)), lines_(OpenInputs(input)),
      total_(CountInputs(input)) {}

std::optional<TaskSpec> ExecSource::Next() {
  auto line = lines_.Next();
  if (!line) return std::nullopt;
  if (line->too_long) {
    return TaskSpec{std::string(kinds::kReject),
                    payloads::EncodeText(fmt::format("input {}: longer than {} bytes", line->number,
                                                     InputLines::kMaxInputBytes))};
  }
  if (input_.kind != kinds::kExec) return TaskSpec{input_.kind, std::move(line->text)};
  request_.input = std::move(line->text);
  request_.seq = line->number;
  return TaskSpec{std::string(kinds::kExec), EncodeExecRequest(request_)};
}

}  // namespace taskfarm
