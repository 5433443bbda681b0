#include "tls/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sn::tls {
namespace {

sn::error fail(errc e, std::string what) { return sn::error{"tls", static_cast<int>(e), std::move(what)}; }

}  // namespace

tls_files files_in(const std::string& data_dir) {
  const std::string d = data_dir + "/identity/";
  return tls_files{d + "ca.crt", d + "ca.key", d + "tls.key", d + "tls.crt"};
}

sn::expected<std::string> read_file(const std::string& path, bool secret) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail(errc::invalid_input, path + ": " + std::strerror(errno));
  if (secret && (st.st_mode & 077) != 0) {
    return fail(errc::invalid_input, path + " may be read by group or others (chmod 600 it)");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in) return fail(errc::invalid_input, path + ": cannot read");
  return s.str();
}

sn::status write_file(const std::string& path, const std::string& text, bool secret) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  std::filesystem::create_directories(parent.parent_path(), ec);
  if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) {  // identity/: 0700, as node/identity.cpp makes it
    return fail(errc::invalid_input, parent.string() + ": " + std::strerror(errno));
  }
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
  if (fd < 0) return fail(errc::invalid_input, tmp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return fail(errc::invalid_input, tmp + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, secret ? 0600 : 0644) != 0 || ::fsync(fd) != 0) {
    ::close(fd);
    return fail(errc::invalid_input, tmp + ": " + std::strerror(errno));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(errc::invalid_input, path + ": " + std::strerror(errno));
  const int dfd = ::open(std::filesystem::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return sn::status::ok();
}

sn::expected<std::string> load_or_make_device_key(const std::string& data_dir) {
  const tls_files f = files_in(data_dir);
  if (std::filesystem::exists(f.key)) return read_file(f.key, true);
  auto key = make_device_key();
  if (!key) return key.error();
  if (auto s = write_file(f.key, *key, true); !s) return s.error();
  return key;
}

sn::status install(const std::string& data_dir, const std::string& cert_pem) {
  const tls_files f = files_in(data_dir);
  auto ca = read_file(f.ca_cert, false);
  if (!ca) return ca.error();
  auto key = read_file(f.key, true);
  if (!key) return key.error();
  if (auto s = check_grant(cert_pem, *key, *ca); !s) return s;
  return write_file(f.cert, cert_pem, false);
}

sn::status create_store_trust(const std::string& data_dir, const std::string& store_name, const std::string& device_id,
                              const std::vector<std::string>& sans) {
  const tls_files f = files_in(data_dir);
  if (std::filesystem::exists(f.ca_key) || std::filesystem::exists(f.ca_cert)) {
    return fail(errc::invalid_input, "a store CA exists in " + data_dir + "/identity already");
  }
  auto ca = make_store_ca(store_name);
  if (!ca) return ca.error();
  if (auto s = write_file(f.ca_key, ca->key_pem, true); !s) return s;
  if (auto s = write_file(f.ca_cert, ca->cert_pem, false); !s) return s;
  auto key = load_or_make_device_key(data_dir);
  if (!key) return key.error();
  auto req = make_request(*key, device_id, sans);
  if (!req) return req.error();
  auto cert = grant(*ca, *req);
  if (!cert) return cert.error();
  return install(data_dir, *cert);
}

}  // namespace sn::tls
