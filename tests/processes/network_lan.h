#pragma once
// NetworkLan: hosts on a LAN, on one machine. A bridge in this network namespace and `count`
// network namespaces, each joined to it by a veth pair with an address of its own, so a
// process started in namespace i (through exec_prefix(i)) reaches us at gateway() and we see
// it come from address(i), as from another machine. Everything is removed when destroyed.
// Needs root (CAP_NET_ADMIN) and iproute2.

#include <string>
#include <vector>

namespace taskfarm::testing {

class NetworkLan {
 public:
  /// Throws std::runtime_error with ip's complaint when this machine cannot make one.
  explicit NetworkLan(int count);
  ~NetworkLan();
  NetworkLan(const NetworkLan&) = delete;
  NetworkLan& operator=(const NetworkLan&) = delete;

  const std::string& gateway() const { return gateway_; }
  std::string address(int i) const;
  /// The wrapper that runs a program in namespace i: {"/sbin/ip", "netns", "exec", NAME}.
  std::vector<std::string> exec_prefix(int i) const;

 private:
  void Remove();

  std::string prefix_;  // "10.A.B."
  std::string gateway_;
  std::string bridge_;
  std::vector<std::string> namespaces_;
};

}  // namespace taskfarm::testing
