#include "tls/tls.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>
#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace sn::tls {
namespace {

template <auto fn> struct deleter {
  template <class T> void operator()(T* p) const { fn(p); }
};
using bio_ptr = std::unique_ptr<BIO, deleter<BIO_free_all>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;
using req_ptr = std::unique_ptr<X509_REQ, deleter<X509_REQ_free>>;
void free_extensions(STACK_OF(X509_EXTENSION) * s) { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); }
using ext_stack_ptr = std::unique_ptr<STACK_OF(X509_EXTENSION), deleter<free_extensions>>;
using names_ptr = std::unique_ptr<GENERAL_NAMES, deleter<GENERAL_NAMES_free>>;
using store_ptr = std::unique_ptr<X509_STORE, deleter<X509_STORE_free>>;
using store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, deleter<X509_STORE_CTX_free>>;

sn::error fail(errc e, std::string what) {
  // The first queued OpenSSL reason, if any (then the queue is cleared).
  const unsigned long code = ERR_get_error();
  if (code != 0 && e == errc::openssl) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    what += ": ";
    what += buf;
  }
  ERR_clear_error();
  return sn::error{"tls", static_cast<int>(e), std::move(what)};
}

pkey_ptr new_p256() {
  return pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

sn::expected<std::string> key_pem_of(EVP_PKEY* k) {
  bio_ptr b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail(errc::openssl, "cannot write the key");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(b.get(), &data);
  std::string out(data, static_cast<std::size_t>(n));
  OPENSSL_cleanse(data, static_cast<std::size_t>(n));
  return out;
}

template <class T, class Fn> sn::expected<std::string> pem_of(T* x, Fn write) {
  bio_ptr b(BIO_new(BIO_s_mem()));
  if (!b || write(b.get(), x) != 1) return fail(errc::openssl, "cannot write PEM");
  char* data = nullptr;
  const long n = BIO_get_mem_data(b.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

bio_ptr reader(const std::string& pem) {
  return bio_ptr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

pkey_ptr read_key(const std::string& pem) {
  auto b = reader(pem);
  return pkey_ptr(b ? PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr) : nullptr);
}
x509_ptr read_cert(const std::string& pem) {
  auto b = reader(pem);
  return x509_ptr(b ? PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr) : nullptr);
}
req_ptr read_req(const std::string& pem) {
  auto b = reader(pem);
  return req_ptr(b ? PEM_read_bio_X509_REQ(b.get(), nullptr, nullptr, nullptr) : nullptr);
}

bool set_name(X509_NAME* n, const std::string& cn) {
  return X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("storenode"), -1,
                                    -1, 0) == 1 &&
         X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                    -1, 0) == 1;
}

// A random positive 128-bit serial (RFC 5280: unique per CA, ≤ 20 octets).
bool set_serial(X509* x) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;
  std::unique_ptr<BIGNUM, deleter<BN_free>> bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  return bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x)) != nullptr;
}

bool add_ext(X509* issuer, X509* subject, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, subject, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(subject, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool is_ip(const std::string& s, unsigned char* out, int& len) {
  if (inet_pton(AF_INET, s.c_str(), out) == 1) {
    len = 4;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out) == 1) {
    len = 16;
    return true;
  }
  return false;
}

bool is_dns_name(const std::string& s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.' || s.front() == '-') return false;
  for (unsigned char c : s) {
    if (!std::isalnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

// The SANs as GENERAL_NAMES; nullptr with `why` set when one is not an
// address or a DNS name.
names_ptr names_of(const std::vector<std::string>& sans, std::string& why) {
  names_ptr names(GENERAL_NAMES_new());
  for (const std::string& s : sans) {
    unsigned char ip[16];
    int len = 0;
    GENERAL_NAME* g = nullptr;
    if (is_ip(s, ip, len)) {
      ASN1_OCTET_STRING* o = ASN1_OCTET_STRING_new();
      ASN1_OCTET_STRING_set(o, ip, len);
      g = GENERAL_NAME_new();
      GENERAL_NAME_set0_value(g, GEN_IPADD, o);
    } else if (is_dns_name(s)) {
      ASN1_IA5STRING* d = ASN1_IA5STRING_new();
      ASN1_STRING_set(d, s.data(), static_cast<int>(s.size()));
      g = GENERAL_NAME_new();
      GENERAL_NAME_set0_value(g, GEN_DNS, d);
    } else {
      why = "'" + s + "' is neither an IP address nor a DNS name";
      return nullptr;
    }
    sk_GENERAL_NAME_push(names.get(), g);
  }
  return names;
}

std::vector<std::string> texts_of(const GENERAL_NAMES* names) {
  std::vector<std::string> out;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == GEN_DNS) {
      const ASN1_IA5STRING* d = g->d.dNSName;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(d)), ASN1_STRING_length(d));
    } else if (g->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* o = g->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      const int len = ASN1_STRING_length(o);
      if (len == 4 || len == 16) {
        inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(o), text, sizeof text);
        out.emplace_back(text);
      }
    }
  }
  return out;
}

}  // namespace

sn::expected<ca_material> make_store_ca(const std::string& store_name) {
  pkey_ptr key = new_p256();
  x509_ptr x(X509_new());
  if (!key || !x) return fail(errc::openssl, "cannot make the CA key");
  const std::string cn = "storenode store CA " + (store_name.empty() ? std::string("(unnamed)") : store_name);
  if (X509_set_version(x.get(), 2) != 1 || !set_serial(x.get()) || !set_name(X509_get_subject_name(x.get()), cn) ||
      X509_set_issuer_name(x.get(), X509_get_subject_name(x.get())) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(x.get()), 60L * 60 * 24 * ca_validity_days) == nullptr ||
      X509_set_pubkey(x.get(), key.get()) != 1 ||
      !add_ext(x.get(), x.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_ext(x.get(), x.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_ext(x.get(), x.get(), NID_subject_key_identifier, "hash") ||
      X509_sign(x.get(), key.get(), EVP_sha256()) == 0) {
    return fail(errc::openssl, "cannot make the CA certificate");
  }
  auto k = key_pem_of(key.get());
  if (!k) return k.error();
  auto c = pem_of(x.get(), PEM_write_bio_X509);
  if (!c) return c.error();
  return ca_material{std::move(*k), std::move(*c)};
}

sn::expected<std::string> make_device_key() {
  pkey_ptr key = new_p256();
  if (!key) return fail(errc::openssl, "cannot make a P-256 key");
  return key_pem_of(key.get());
}

sn::expected<std::string> make_request(const std::string& key_pem, const std::string& device_id,
                                       const std::vector<std::string>& sans) {
  if (sans.empty() || sans.size() > sans_max) {
    return fail(errc::invalid_input, "a request needs 1 to " + std::to_string(sans_max) + " names");
  }
  pkey_ptr key = read_key(key_pem);
  if (!key) return fail(errc::invalid_input, "not a private key (PEM)");
  std::string why;
  names_ptr names = names_of(sans, why);
  if (!names) return fail(errc::invalid_input, why);
  req_ptr req(X509_REQ_new());
  ext_stack_ptr exts(sk_X509_EXTENSION_new_null());
  X509_EXTENSION* san = X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get());
  if (!req || !exts || san == nullptr) return fail(errc::openssl, "cannot make the request");
  sk_X509_EXTENSION_push(exts.get(), san);
  if (X509_REQ_set_version(req.get(), 0) != 1 || !set_name(X509_REQ_get_subject_name(req.get()), device_id) ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1 || X509_REQ_add_extensions(req.get(), exts.get()) != 1 ||
      X509_REQ_sign(req.get(), key.get(), EVP_sha256()) == 0) {
    return fail(errc::openssl, "cannot sign the request");
  }
  return pem_of(req.get(), PEM_write_bio_X509_REQ);
}

sn::expected<std::string> grant(const ca_material& ca, const std::string& request_pem) {
  req_ptr req = read_req(request_pem);
  if (!req) return fail(errc::invalid_input, "not a certificate request (PEM)");
  pkey_ptr subject_key(X509_REQ_get_pubkey(req.get()));
  if (!subject_key || X509_REQ_verify(req.get(), subject_key.get()) != 1) {
    return fail(errc::invalid_input, "the request's signature does not verify");
  }
  if (EVP_PKEY_get_base_id(subject_key.get()) != EVP_PKEY_EC) return fail(errc::invalid_input, "not a P-256 key");
  ext_stack_ptr exts(X509_REQ_get_extensions(req.get()));
  names_ptr names(exts ? static_cast<GENERAL_NAMES*>(X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr))
                       : nullptr);
  const std::vector<std::string> sans = texts_of(names.get());
  if (sans.empty() || sans.size() > sans_max) return fail(errc::invalid_input, "the request names no address");
  std::string why;
  names_ptr checked = names_of(sans, why);  // only addresses and DNS names pass
  if (!checked) return fail(errc::invalid_input, why);
  pkey_ptr ca_key = read_key(ca.key_pem);
  x509_ptr ca_cert = read_cert(ca.cert_pem);
  if (!ca_key || !ca_cert) return fail(errc::invalid_input, "not the store CA's key and certificate");
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
    return fail(errc::invalid_input, "the CA key does not match the CA certificate");
  }
  x509_ptr x(X509_new());
  if (!x || X509_set_version(x.get(), 2) != 1 || !set_serial(x.get()) ||
      X509_set_subject_name(x.get(), X509_REQ_get_subject_name(req.get())) != 1 ||
      X509_set_issuer_name(x.get(), X509_get_subject_name(ca_cert.get())) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(x.get()), 60L * 60 * 24 * device_validity_days) == nullptr ||
      X509_set_pubkey(x.get(), subject_key.get()) != 1 ||
      !add_ext(ca_cert.get(), x.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(ca_cert.get(), x.get(), NID_key_usage, "critical,digitalSignature") ||
      !add_ext(ca_cert.get(), x.get(), NID_ext_key_usage, "serverAuth") ||
      !add_ext(ca_cert.get(), x.get(), NID_authority_key_identifier, "keyid:always") ||
      X509_add1_ext_i2d(x.get(), NID_subject_alt_name, checked.get(), 0, X509V3_ADD_DEFAULT) != 1 ||
      X509_sign(x.get(), ca_key.get(), EVP_sha256()) == 0) {
    return fail(errc::openssl, "cannot issue the certificate");
  }
  return pem_of(x.get(), PEM_write_bio_X509);
}

sn::status check_grant(const std::string& cert_pem, const std::string& key_pem, const std::string& ca_cert_pem) {
  x509_ptr cert = read_cert(cert_pem);
  x509_ptr ca = read_cert(ca_cert_pem);
  pkey_ptr key = read_key(key_pem);
  if (!cert || !ca || !key) return fail(errc::invalid_input, "not a certificate, CA certificate and key (PEM)");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return fail(errc::not_granted, "the certificate is not for this device's TLS key");
  }
  store_ptr store(X509_STORE_new());
  store_ctx_ptr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return fail(errc::openssl, "cannot check the certificate");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int e = X509_STORE_CTX_get_error(ctx.get());
    return fail(errc::not_granted, std::string("the certificate is not granted by this store's CA: ") +
                                       X509_verify_cert_error_string(e));
  }
  return sn::status::ok();
}

sn::expected<std::vector<std::string>> sans_of(const std::string& cert_pem) {
  x509_ptr cert = read_cert(cert_pem);
  if (!cert) return fail(errc::invalid_input, "not a certificate (PEM)");
  names_ptr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  return texts_of(names.get());
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  unsigned char a[16];
  if (inet_pton(AF_INET, host.c_str(), a) == 1) return a[0] == 127;
  if (inet_pton(AF_INET6, host.c_str(), a) == 1) {
    static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::memcmp(a, one, 16) == 0;
  }
  return false;
}

}  // namespace sn::tls
