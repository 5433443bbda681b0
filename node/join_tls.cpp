#include "node/join_tls.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "tls/files.hpp"
#include "tls/tls.hpp"

namespace sn::node {

namespace {

constexpr const char* pem_end = "-----END CERTIFICATE-----";

/// The PEM certificates of `text`, in order.
std::vector<std::string> split_certificates(const std::string& text) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (;;) {
    const auto end = text.find(pem_end, from);
    if (end == std::string::npos) break;
    const auto begin = text.find("-----BEGIN CERTIFICATE-----", from);
    if (begin == std::string::npos || begin > end) break;
    out.push_back(text.substr(begin, end + std::char_traits<char>::length(pem_end) - begin) + "\n");
    from = end + std::char_traits<char>::length(pem_end);
  }
  return out;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

}  // namespace

std::vector<std::string> certificate_sans(const node_config& config) {
  std::vector<std::string> sans{"127.0.0.1", "::1", "localhost"};
  const auto add = [&](const std::string& s) {
    if (!s.empty() && sans.size() < tls::sans_max && std::find(sans.begin(), sans.end(), s) == sans.end()) {
      sans.push_back(s);
    }
  };
  std::string host = config.http.substr(0, config.http.rfind(':'));
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "0.0.0.0" || host == "::" || host.empty()) {
    ifaddrs* ifs = nullptr;
    if (::getifaddrs(&ifs) == 0) {
      for (ifaddrs* i = ifs; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr) continue;
        char text[INET6_ADDRSTRLEN] = {};
        if (i->ifa_addr->sa_family == AF_INET) {
          ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
        } else if (i->ifa_addr->sa_family == AF_INET6 &&
                   !IN6_IS_ADDR_LINKLOCAL(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr)) {
          ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, text, sizeof text);
        }
        add(text);
      }
      ::freeifaddrs(ifs);
    }
  } else {
    add(host);
  }
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0) add(name);
  return sans;
}

join_tls_hooks store_ca_join_hooks(const node_config& config) {
  join_tls_hooks h;
  const std::string dir = config.data_dir;
  const std::string device = config.device_id;
  const std::vector<std::string> sans = certificate_sans(config);
  h.make_request = [dir, device, sans]() -> std::string {
    auto key = tls::load_or_make_device_key(dir);
    if (!key) {
      spdlog::warn("--join: no TLS key ({}): joining without an HTTPS certificate", key.error().message);
      return {};
    }
    auto csr = tls::make_request(*key, device, sans);
    if (!csr) {
      spdlog::warn("--join: no certificate request ({}): joining without an HTTPS certificate", csr.error().message);
      return {};
    }
    return *csr;
  };
  h.grant = [dir](const std::string& joiner, const std::string& request) -> std::string {
    const tls::tls_files f = tls::files_in(dir);
    auto ca_cert = tls::read_file(f.ca_cert, false);
    if (!ca_cert) return {};  // no store CA here: the joiner gets none
    if (request.empty() || !exists(f.ca_key)) {
      if (!request.empty()) {
        spdlog::warn("node: {} asked for an HTTPS certificate but this device does not hold the store CA key: "
                     "it gets the CA certificate only (enroll it from the device that created the store)",
                     joiner);
      }
      return *ca_cert;
    }
    auto ca_key = tls::read_file(f.ca_key, true);
    if (!ca_key) {
      spdlog::error("node: cannot read the store CA key: {}", ca_key.error().message);
      return *ca_cert;
    }
    auto cert = tls::grant(tls::ca_material{*ca_key, *ca_cert}, request);
    if (!cert) {
      spdlog::warn("node: refused {}'s certificate request: {}", joiner, cert.error().message);
      return *ca_cert;
    }
    return *cert + *ca_cert;
  };
  h.install = [dir](const std::string& grant) -> bool {
    if (grant.empty()) return true;
    auto certs = split_certificates(grant);
    if (certs.empty() || certs.size() > 2) {
      spdlog::error("--join: the TLS grant is not one or two PEM certificates");
      return false;
    }
    const tls::tls_files f = tls::files_in(dir);
    const std::string& ca = certs.back();
    if (auto existing = tls::read_file(f.ca_cert, false)) {
      if (*existing != ca) {
        spdlog::error("--join: this data dir trusts another store CA ({}): nothing installed", f.ca_cert);
        return false;
      }
    } else if (auto s = tls::write_file(f.ca_cert, ca, false); !s) {
      spdlog::error("--join: cannot write {}: {}", f.ca_cert, s.error().message);
      return false;
    }
    if (certs.size() == 1) {
      spdlog::warn("--join: the enrolling device does not hold the store CA key: no HTTPS certificate (HTTP stays "
                   "on loopback)");
      return true;
    }
    if (auto s = tls::install(dir, certs.front()); !s) {
      spdlog::error("--join: the granted certificate does not check out: {}", s.error().message);
      return false;
    }
    return true;
  };
  return h;
}

}  // namespace sn::node
