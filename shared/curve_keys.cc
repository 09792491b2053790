#include "shared/curve_keys.h"

#include <sys/stat.h>

#include <array>
#include <fstream>
#include <stdexcept>

namespace taskfarm {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kZ85KeyLength = 40;
constexpr std::size_t kBinaryKeyLength = 32;

bool IsZ85Key(const std::string& text) {
  if (text.size() != kZ85KeyLength) return false;
  std::array<uint8_t, kBinaryKeyLength> binary{};
  return zmq_z85_decode(binary.data(), text.c_str()) != nullptr;
}

// The first line of `file` that is not blank or a comment, trimmed.
std::string ReadKeyLine(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot read (run `taskfarm keygen DIR`)");
  for (std::string line; std::getline(in, line);) {
    const auto start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    const auto end = line.find_last_not_of(" \t\r");
    return line.substr(start, end - start + 1);
  }
  throw std::runtime_error(file.string() + ": holds no key");
}

std::string ReadKey(const fs::path& file) {
  std::string key = ReadKeyLine(file);
  if (!IsZ85Key(key)) {
    throw std::runtime_error(file.string() + ": not a CurveZMQ key (40 Z85 characters)");
  }
  return key;
}

void WriteFile(const fs::path& file, const std::string& text, mode_t mode) {
  // Created with its final mode, so a secret is never readable by others, not even briefly.
  const mode_t old_mask = umask(0);
  std::FILE* out = std::fopen(file.c_str(), "wx");
  umask(old_mask);
  if (out == nullptr) throw std::runtime_error(file.string() + ": cannot create");
  const bool ok = std::fputs(text.c_str(), out) >= 0;
  if (std::fclose(out) != 0 || !ok) throw std::runtime_error(file.string() + ": cannot write");
  if (chmod(file.c_str(), mode) != 0) throw std::runtime_error(file.string() + ": cannot chmod");
}

}  // namespace

CurveKeyPair WriteNewKeyPair(const fs::path& dir) {
  std::error_code ec;
  if (fs::create_directories(dir, ec)) fs::permissions(dir, fs::perms::owner_all, ec);
  if (ec) throw std::runtime_error(dir.string() + ": cannot create: " + ec.message());
  if (fs::exists(dir / "secret.key")) {
    throw std::runtime_error((dir / "secret.key").string() +
                             " exists; remove it first to make a new key pair");
  }
  std::array<char, kZ85KeyLength + 1> public_key{};
  std::array<char, kZ85KeyLength + 1> secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0) {
    throw std::runtime_error("this libzmq has no CURVE support (built without libsodium)");
  }
  CurveKeyPair keys{public_key.data(), secret_key.data()};
  WriteFile(dir / "secret.key", "# taskfarm CurveZMQ secret key: keep it 0600\n" +
                                    keys.secret_key + "\n", 0600);
  std::error_code ignored;
  fs::remove(dir / "public.key", ignored);
  WriteFile(dir / "public.key", keys.public_key + "\n", 0644);
  if (!fs::exists(dir / "authorized_keys")) {
    WriteFile(dir / "authorized_keys",
              "# public keys of the hosts this coordinator accepts, one per line\n" +
                  keys.public_key + "\n", 0644);
  }
  if (!fs::exists(dir / "coordinator.key")) {
    WriteFile(dir / "coordinator.key", keys.public_key + "\n", 0644);
  }
  return keys;
}

CurveKeyPair LoadKeyPair(const fs::path& dir) {
  const fs::path secret_file = dir / "secret.key";
  struct stat info {};
  if (stat(secret_file.c_str(), &info) != 0) {
    throw std::runtime_error(secret_file.string() + ": missing (run `taskfarm keygen " +
                             dir.string() + "`)");
  }
  if ((info.st_mode & 077) != 0) {
    throw std::runtime_error(secret_file.string() +
                             ": readable by group or others; chmod 600 it");
  }
  CurveKeyPair keys{ReadKey(dir / "public.key"), ReadKey(secret_file)};
  std::array<char, kZ85KeyLength + 1> derived{};
  if (zmq_curve_public(derived.data(), keys.secret_key.c_str()) != 0 ||
      keys.public_key != derived.data()) {
    throw std::runtime_error((dir / "public.key").string() + ": does not belong to " +
                             secret_file.string());
  }
  return keys;
}

std::string LoadPublicKey(const fs::path& file) { return ReadKey(file); }

std::set<std::string> LoadAuthorizedKeys(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot read");
  std::set<std::string> keys;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    const auto start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    const std::string key = line.substr(start, line.find_last_not_of(" \t\r") - start + 1);
    if (!IsZ85Key(key)) {
      throw std::runtime_error(file.string() + ":" + std::to_string(number) +
                               ": not a CurveZMQ public key (40 Z85 characters)");
    }
    keys.insert(key);
  }
  return keys;
}

std::string Z85FromBinary(const std::string& binary) {
  if (binary.size() != kBinaryKeyLength) return {};
  std::array<char, kZ85KeyLength + 1> text{};
  zmq_z85_encode(text.data(), reinterpret_cast<const uint8_t*>(binary.data()), binary.size());
  return text.data();
}

void MakeCurveServer(zmq::socket_t& socket, const CurveKeyPair& keys) {
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, keys.secret_key);
  socket.set(zmq::sockopt::zap_domain, "taskfarm");
}

void MakeCurveClient(zmq::socket_t& socket, const CurveKeyPair& keys,
                     const std::string& server_key) {
  socket.set(zmq::sockopt::curve_serverkey, server_key);
  socket.set(zmq::sockopt::curve_publickey, keys.public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys.secret_key);
}

}  // namespace taskfarm
