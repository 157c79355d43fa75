#include "apiserver/tls.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace sluice::apiserver {

namespace {

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

api::Error tlsError(const std::string& what) {
  return api::Error::internal("tls: " + what);
}

PKey newKey() {
  return PKey(EVP_EC_gen("P-256"), EVP_PKEY_free);
}

std::string toPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string toPem(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

PKey keyFromPem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return PKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
}

Cert certFromPem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
}

void addExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

Cert makeCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuerKey, bool isCa,
              const std::string& san, long days) {
  Cert cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  std::ifstream("/dev/urandom").read(reinterpret_cast<char*>(serial), sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (isCa) {
    addExt(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    addExt(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
    addExt(cert.get(), signer, NID_subject_key_identifier, "hash");
  } else {
    addExt(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    addExt(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    addExt(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    addExt(cert.get(), signer, NID_subject_alt_name, san.c_str());
  }
  X509_sign(cert.get(), issuerKey ? issuerKey : key, EVP_sha256());
  return cert;
}

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool writeSecret(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return false;
    out << data;
  }
  ::chmod(tmp.c_str(), mode);
  return ::rename(tmp.c_str(), path.c_str()) == 0;
}

bool isIp(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

api::Result<TlsIdentity> loadOrCreateTlsIdentity(const std::string& dir,
                                                 const std::vector<std::string>& hosts) {
  std::string caCertPath = dir + "/ca.crt", caKeyPath = dir + "/ca.key";
  std::string caCertPem = readAll(caCertPath), caKeyPem = readAll(caKeyPath);
  PKey caKey(nullptr, EVP_PKEY_free);
  Cert caCert(nullptr, X509_free);
  if (!caCertPem.empty() && !caKeyPem.empty()) {
    caKey = keyFromPem(caKeyPem);
    caCert = certFromPem(caCertPem);
    if (!caKey || !caCert) return tlsError("cannot read " + caCertPath + " / " + caKeyPath);
  } else {
    caKey = newKey();
    if (!caKey) return tlsError("cannot generate a key");
    caCert = makeCert(caKey.get(), "sluice-ca", nullptr, nullptr, true, "", 3650);
    caCertPem = toPem(caCert.get());
    if (!writeSecret(caKeyPath, toPem(caKey.get()), 0600) ||
        !writeSecret(caCertPath, caCertPem, 0644))
      return tlsError("cannot write " + caCertPath);
  }
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  for (const auto& h : hosts) {
    if (h.empty() || h == "localhost" || h == "127.0.0.1" || h == "::1") continue;
    san += (isIp(h) ? ",IP:" : ",DNS:") + h;
  }
  PKey key = newKey();
  if (!key) return tlsError("cannot generate a key");
  Cert cert = makeCert(key.get(), "sluice-apiserver", caCert.get(), caKey.get(), false, san, 365);
  return TlsIdentity{caCertPem, toPem(cert.get()), toPem(key.get())};
}

}  // namespace sluice::apiserver
