#include "node/identity.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace sn::node {

namespace {

sn::error identity_error(std::string msg) { return sn::error{"identity", 1, std::move(msg)}; }

std::string errno_text() { return std::strerror(errno); }

/// Reads exactly `out.size()` bytes from a 0600 file; nullopt-like error otherwise.
template <std::size_t N>
sn::status read_key(const std::filesystem::path& path, std::array<std::uint8_t, N>& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return identity_error("cannot open " + path.string() + ": " + errno_text());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return identity_error(path.string() + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return identity_error(path.string() + " is readable by group or others (mode " + mode + "): chmod 600 it");
  }
  if (static_cast<std::size_t>(st.st_size) != N) {
    ::close(fd);
    return identity_error(path.string() + " has " + std::to_string(st.st_size) + " bytes, not " + std::to_string(N));
  }
  std::size_t got = 0;
  while (got < N) {
    const auto n = ::read(fd, out.data() + got, N - got);
    if (n <= 0) {
      ::close(fd);
      return identity_error("cannot read " + path.string());
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return sn::status::ok();
}

sn::status fsync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return identity_error("cannot open " + path.string() + ": " + errno_text());
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return identity_error("cannot fsync " + path.string() + ": " + errno_text());
  return sn::status::ok();
}

/// Writes a new 0600 key file (O_EXCL: never replaces a key) and syncs it.
template <std::size_t N>
sn::status write_key(const std::filesystem::path& path, const std::array<std::uint8_t, N>& bytes) {
  const auto tmp = path.string() + ".new";
  ::unlink(tmp.c_str());  // a half-written file of a crashed first start
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return identity_error("cannot create " + tmp + ": " + errno_text());
  std::size_t put = 0;
  while (put < N) {
    const auto n = ::write(fd, bytes.data() + put, N - put);
    if (n <= 0) {
      ::close(fd);
      return identity_error("cannot write " + tmp + ": " + errno_text());
    }
    put += static_cast<std::size_t>(n);
  }
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return identity_error("cannot fsync " + tmp + ": " + errno_text());
  // link(2) fails if the final name exists: a key is never replaced.
  if (::link(tmp.c_str(), path.c_str()) != 0)
    return identity_error("cannot create " + path.string() + ": " + errno_text());
  ::unlink(tmp.c_str());
  return sn::status::ok();
}

}  // namespace

device_identity::~device_identity() {
  sodium_memzero(signing_secret.data(), signing_secret.size());
  sodium_memzero(curve_secret.data(), curve_secret.size());
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

std::string device_identity::signing_public_hex() const { return to_hex(signing_public.data(), signing_public.size()); }
std::string device_identity::curve_public_hex() const { return to_hex(curve_public.data(), curve_public.size()); }

std::string random_store_id() {
  std::array<std::uint8_t, 16> b{};
  randombytes_buf(b.data(), b.size());
  return to_hex(b.data(), b.size());
}

namespace {

/// Reads both secret keys and derives (and checks) the public ones.
sn::status load_keys(const std::filesystem::path& signing, const std::filesystem::path& curve, device_identity& id) {
  if (auto s = read_key(signing, id.signing_secret); !s) return s;
  if (auto s = read_key(curve, id.curve_secret); !s) return s;
  if (crypto_sign_ed25519_sk_to_pk(id.signing_public.data(), id.signing_secret.data()) != 0) {
    return identity_error(signing.string() + " does not hold an Ed25519 secret key");
  }
  std::array<std::uint8_t, 64> check{};
  std::array<std::uint8_t, 32> seed{};
  crypto_sign_ed25519_sk_to_seed(seed.data(), id.signing_secret.data());
  std::array<std::uint8_t, 32> derived{};
  crypto_sign_seed_keypair(derived.data(), check.data(), seed.data());
  sodium_memzero(check.data(), check.size());
  sodium_memzero(seed.data(), seed.size());
  if (derived != id.signing_public) return identity_error(signing.string() + " is damaged (its halves disagree)");
  if (crypto_scalarmult_base(id.curve_public.data(), id.curve_secret.data()) != 0) {
    return identity_error(curve.string() + " does not hold a CURVE secret key");
  }
  return sn::status::ok();
}

struct key_paths {
  std::filesystem::path dir, signing, curve, signing_next, curve_next;
};

key_paths paths_in(const std::string& data_dir) {
  const auto dir = std::filesystem::path(data_dir) / "identity";
  return {dir, dir / "signing.key", dir / "curve.key", dir / "signing.next.key", dir / "curve.next.key"};
}

}  // namespace

sn::expected<device_identity> make_next_identity(const std::string& data_dir) {
  if (sodium_init() < 0) return identity_error("libsodium failed to initialise");
  const key_paths k = paths_in(data_dir);
  if (auto s = discard_next_identity(data_dir); !s) return s.error();
  device_identity id;
  crypto_sign_keypair(id.signing_public.data(), id.signing_secret.data());
  randombytes_buf(id.curve_secret.data(), id.curve_secret.size());
  if (auto s = write_key(k.signing_next, id.signing_secret); !s) return s.error();
  if (auto s = write_key(k.curve_next, id.curve_secret); !s) return s.error();
  if (auto s = fsync_path(k.dir, O_RDONLY | O_DIRECTORY); !s) return s.error();
  // Read back what is on disk: the keys used are the keys kept.
  if (auto s = load_keys(k.signing_next, k.curve_next, id); !s) return s.error();
  id.created = true;
  return id;
}

sn::expected<std::optional<device_identity>> pending_next_identity(const std::string& data_dir) {
  namespace fs = std::filesystem;
  const key_paths k = paths_in(data_dir);
  std::error_code ec;
  const bool signing_next = fs::exists(k.signing_next, ec);
  const bool curve_next = fs::exists(k.curve_next, ec);
  if (!signing_next && !curve_next) return std::optional<device_identity>{};
  device_identity id;
  if (auto s = load_keys(signing_next ? k.signing_next : k.signing, curve_next ? k.curve_next : k.curve, id); !s)
    return s.error();
  return std::optional<device_identity>{std::move(id)};
}

sn::status commit_next_identity(const std::string& data_dir) {
  namespace fs = std::filesystem;
  const key_paths k = paths_in(data_dir);
  std::error_code ec;
  for (const auto& [from, to] : {std::pair{k.signing_next, k.signing}, std::pair{k.curve_next, k.curve}}) {
    if (!fs::exists(from, ec)) continue;  // renamed before a crash
    if (::rename(from.c_str(), to.c_str()) != 0)
      return identity_error("cannot rename " + from.string() + " to " + to.string() + ": " + errno_text());
  }
  return fsync_path(k.dir, O_RDONLY | O_DIRECTORY);
}

sn::status discard_next_identity(const std::string& data_dir) {
  const key_paths k = paths_in(data_dir);
  for (const auto& p : {k.signing_next, k.curve_next}) {
    for (const std::string& f : {p.string(), p.string() + ".new"}) {
      if (::unlink(f.c_str()) != 0 && errno != ENOENT) return identity_error("cannot delete " + f + ": " + errno_text());
    }
  }
  return fsync_path(k.dir, O_RDONLY | O_DIRECTORY);
}

std::vector<std::string> missing_identity_files(const std::string& data_dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> missing;
  for (const char* name : {"signing.key", "curve.key"}) {
    std::error_code ec;
    const fs::path p = fs::path(data_dir) / "identity" / name;
    // An unreadable directory is not "missing": load_or_create says why it cannot read it.
    if (!fs::exists(p, ec) && !ec) missing.push_back(std::string("identity/") + name);
  }
  return missing;
}

sn::expected<device_identity> load_or_create_identity(const std::string& data_dir) {
  if (sodium_init() < 0) return identity_error("libsodium failed to initialise");
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(data_dir) / "identity";
  const fs::path signing = dir / "signing.key";
  const fs::path curve = dir / "curve.key";
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return identity_error("cannot create " + dir.string() + ": " + errno_text());
  }
  device_identity id;
  const bool have_signing = fs::exists(signing, ec);
  const bool have_curve = fs::exists(curve, ec);
  if (!have_signing) {
    crypto_sign_keypair(id.signing_public.data(), id.signing_secret.data());
    if (auto s = write_key(signing, id.signing_secret); !s) return s.error();
    id.created = true;
  }
  if (!have_curve) {
    randombytes_buf(id.curve_secret.data(), id.curve_secret.size());
    if (auto s = write_key(curve, id.curve_secret); !s) return s.error();
    id.created = true;
  }
  if (id.created) {
    if (auto s = fsync_path(dir, O_RDONLY | O_DIRECTORY); !s) return s.error();
  }
  // Read back what is on disk (also right after creating it): one code path.
  if (auto s = load_keys(signing, curve, id); !s) return s.error();
  return id;
}

}  // namespace sn::node
