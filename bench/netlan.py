"""Hosts on a LAN, on one machine, for the scale benchmark: a bridge here and N network
namespaces joined to it by veth pairs, each with an address of its own; a process started
through exec_prefix(i) is "host i". Made with `ip -batch` (200 hosts in a few seconds) and
removed on exit. Needs root (CAP_NET_ADMIN) and iproute2. As tests/processes/network_lan.cc,
for the benchmarks."""
import os
import subprocess

IP = "/sbin/ip"


def _batch(lines, namespace=None):
    where = ["-n", namespace] if namespace else []
    subprocess.run([IP, *where, "-batch", "-"], input="\n".join(lines) + "\n", text=True, check=True,
                   stdout=subprocess.DEVNULL)


class Lan:
    def __init__(self, count):
        if count > 250:
            raise ValueError("at most 250 hosts on one /24")
        pid = os.getpid()
        self.tag = f"tfs{pid % 100000}"
        self.prefix = f"10.{150 + pid % 50}.{pid // 50 % 250}."
        self.gateway = self.prefix + "1"
        self.bridge = self.tag + "b"
        self.namespaces = []
        try:
            _batch([f"link add {self.bridge} type bridge",
                    f"addr add {self.gateway}/24 dev {self.bridge}",
                    f"link set {self.bridge} up"])
            names = [f"{self.tag}n{i}" for i in range(count)]
            _batch([f"netns add {ns}" for ns in names])
            self.namespaces = names
            links = []
            for i, ns in enumerate(names):
                veth = f"{self.tag}v{i}"
                links += [f"link add {veth} type veth peer name {veth}p netns {ns}",
                          f"link set {veth} master {self.bridge}",
                          f"link set {veth} up"]
            _batch(links)
            for i, ns in enumerate(names):
                _batch([f"addr add {self.address(i)}/24 dev {self.tag}v{i}p",
                        f"link set {self.tag}v{i}p up", "link set lo up"], namespace=ns)
        except Exception:
            self.remove()
            raise

    def address(self, i):
        return f"{self.prefix}{2 + i}"

    def exec_prefix(self, i):
        return [IP, "netns", "exec", self.namespaces[i]]

    def set_link(self, i, up):
        """Partitions host i (its link down) or joins it again."""
        state = "up" if up else "down"
        subprocess.run([IP, "link", "set", f"{self.tag}v{i}", state], check=True)

    def remove(self):
        if self.namespaces:
            subprocess.run([IP, "-batch", "-"], text=True, stderr=subprocess.DEVNULL,
                           input="".join(f"netns del {ns}\n" for ns in self.namespaces))
            self.namespaces = []
        subprocess.run([IP, "link", "del", self.bridge], stderr=subprocess.DEVNULL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
