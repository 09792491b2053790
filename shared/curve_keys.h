#pragma once
// CurveZMQ keys for remote hosts: the files `taskfarm keygen DIR` writes and both sides read.
//
//   DIR/public.key      this side's public key (Z85, 40 characters), mode 0644
//   DIR/secret.key      its secret key, mode 0600; refused if group or others can read it
//   DIR/authorized_keys coordinator: the public keys of the hosts it accepts, one per line
//   DIR/coordinator.key host: the coordinator's public key
//
// keygen also starts authorized_keys with its own public key and coordinator.key as a copy
// of it when they are missing, so one directory on a shared file system serves the
// coordinator and every host; per-host key pairs work by editing those two files.

#include <filesystem>
#include <set>
#include <string>

#include <zmq.hpp>

namespace taskfarm {

struct CurveKeyPair {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85
};

/// Writes a new key pair into `dir` (created 0700 if missing). Refuses to overwrite an
/// existing secret.key. Throws std::runtime_error naming the file on failure.
CurveKeyPair WriteNewKeyPair(const std::filesystem::path& dir);

/// Reads DIR/public.key and DIR/secret.key; throws std::runtime_error naming the file and
/// what is wrong (missing, not a Z85 key, readable by others).
CurveKeyPair LoadKeyPair(const std::filesystem::path& dir);

/// Reads one public key file (coordinator.key).
std::string LoadPublicKey(const std::filesystem::path& file);

/// Reads an authorized_keys file: one Z85 key per line, '#' comments and blank lines allowed.
std::set<std::string> LoadAuthorizedKeys(const std::filesystem::path& file);

/// The Z85 text of a 32-byte binary key (as ZAP hands it over).
std::string Z85FromBinary(const std::string& binary);

/// Makes `socket` a CURVE server with `keys` (set before bind).
void MakeCurveServer(zmq::socket_t& socket, const CurveKeyPair& keys);

/// Makes `socket` a CURVE client of the server whose public key is `server_key` (before
/// connect).
void MakeCurveClient(zmq::socket_t& socket, const CurveKeyPair& keys,
                     const std::string& server_key);

}  // namespace taskfarm
