#include "shared/logging.h"

#include <filesystem>
#include <memory>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace taskfarm {

std::vector<std::string> LogSettings::AsArgs() const {
  std::vector<std::string> args{"--log-level", level};
  if (!file.empty()) {
    args.insert(args.end(), {"--log-file", file});
  }
  return args;
}

void SetUpLogging(const std::string& tag, const LogSettings& settings) {
  std::shared_ptr<spdlog::logger> logger;
  if (settings.file.empty()) {
    logger = std::make_shared<spdlog::logger>(
        tag, std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    logger->set_pattern("taskfarm: [" + tag + "] [%l] %v");
  } else {
    // spdlog would create missing folders; a mistyped path is refused instead.
    const std::filesystem::path folder =
        std::filesystem::absolute(settings.file).parent_path();
    if (!std::filesystem::is_directory(folder)) {
      throw std::runtime_error("--log-file " + settings.file + ": no such folder " +
                               folder.string());
    }
    try {
      logger = std::make_shared<spdlog::logger>(
          tag, std::make_shared<spdlog::sinks::basic_file_sink_mt>(settings.file));
    } catch (const spdlog::spdlog_ex& e) {
      throw std::runtime_error("--log-file " + settings.file + ": " + e.what());
    }
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e [" + tag + "] [%l] %v");
    logger->flush_on(spdlog::level::trace);  // a killed process loses no line
  }
  logger->set_level(spdlog::level::from_str(settings.level));
  spdlog::set_default_logger(logger);
}

}  // namespace taskfarm
