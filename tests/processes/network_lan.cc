#include "tests/processes/network_lan.h"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

namespace taskfarm::testing {
namespace {

constexpr const char* kIp = "/sbin/ip";

// Runs `ip ARGS`; throws with the command when it fails.
void Ip(const std::string& args) {
  const std::string command = std::string(kIp) + " " + args + " 2>/dev/null";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("`ip " + args + "` failed");
}

}  // namespace

NetworkLan::NetworkLan(int count) {
  // Names and a /24 from our PID: unique among live test processes. Interface names stay
  // under the kernel's 15 characters.
  const int pid = getpid();
  const std::string tag = "tf" + std::to_string(pid % 10'000'000);
  prefix_ = "10." + std::to_string(200 + pid % 50) + "." + std::to_string(pid / 50 % 250) + ".";
  gateway_ = prefix_ + "1";
  bridge_ = tag + "b";
  try {
    Ip("link add " + bridge_ + " type bridge");
    Ip("addr add " + gateway_ + "/24 dev " + bridge_);
    Ip("link set " + bridge_ + " up");
    for (int i = 0; i < count; ++i) {
      const std::string ns = tag + "n" + std::to_string(i);
      const std::string veth = tag + "v" + std::to_string(i);
      Ip(fmt::format("netns add {}", ns));
      namespaces_.push_back(ns);
      Ip(fmt::format("link add {0} type veth peer name {0}p", veth));
      Ip(fmt::format("link set {}p netns {}", veth, ns));
      Ip(fmt::format("link set {} master {}", veth, bridge_));
      Ip(fmt::format("link set {} up", veth));
      Ip(fmt::format("netns exec {} {} addr add {}/24 dev {}p", ns, kIp, address(i), veth));
      Ip(fmt::format("netns exec {} {} link set {}p up", ns, kIp, veth));
      Ip(fmt::format("netns exec {} {} link set lo up", ns, kIp));
    }
  } catch (...) {
    Remove();
    throw;
  }
}

NetworkLan::~NetworkLan() { Remove(); }

void NetworkLan::Remove() {
  // Deleting a namespace deletes its end of the veth pair, and with it ours.
  for (const std::string& ns : namespaces_) {
    (void)std::system((std::string(kIp) + " netns del " + ns + " 2>/dev/null").c_str());
  }
  namespaces_.clear();
  if (!bridge_.empty()) {
    (void)std::system((std::string(kIp) + " link del " + bridge_ + " 2>/dev/null").c_str());
    bridge_.clear();
  }
}

std::string NetworkLan::address(int i) const { return prefix_ + std::to_string(2 + i); }

std::vector<std::string> NetworkLan::exec_prefix(int i) const {
  return {kIp, "netns", "exec", namespaces_.at(static_cast<std::size_t>(i))};
}

}  // namespace taskfarm::testing
