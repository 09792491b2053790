// wordcount: a program of its own built on taskfarm (see include/taskfarm/app.h). It counts
// the lines, words and bytes of files, one task per file, on every core (a CPU kind), and
// looks host names up (an I/O kind: many at once per worker).
//
//   wordcount run --kind wc --inputs files.txt --db run.db --out counts.jsonl
//   wordcount run --kind resolve ::: localhost ip6-localhost

#include <netdb.h>
#include <sys/socket.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include <taskfarm/app.h>

namespace {

// "LINES WORDS BYTES" of the file named by the input, as wc prints them.
std::string CountWords(const taskfarm::TaskInput& task) {
  const std::string path(task.input);
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read " + path);
  uint64_t lines = 0, words = 0, bytes = 0;
  bool in_word = false;
  for (char c; file.get(c);) {
    ++bytes;
    if (c == '\n') ++lines;
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return std::to_string(lines) + " " + std::to_string(words) + " " + std::to_string(bytes);
}

// The first address of a host name.
std::string Resolve(const taskfarm::TaskInput& task) {
  const std::string name(task.input);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int error = getaddrinfo(name.c_str(), nullptr, &hints, &found); error != 0) {
    throw std::runtime_error(name + ": " + gai_strerror(error));
  }
  char text[NI_MAXHOST] = {};
  getnameinfo(found->ai_addr, found->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST);
  freeaddrinfo(found);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  taskfarm::App app("wordcount");
  app.AddKind("wc", taskfarm::Lane::kCpu, &CountWords);
  app.AddKind("resolve", taskfarm::Lane::kIo, &Resolve);
  return app.Run(argc, argv);
}
