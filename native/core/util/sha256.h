// SHA-256 over a stream of bytes (OpenSSL's libcrypto: it uses the CPU's SHA
// instructions where there are some).
#pragma once
#include <cstddef>
#include <string>

namespace hextorch {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size) noexcept;
  // Lower-case hex digest; the object is finished afterwards.
  std::string hexDigest();

 private:
  void* ctx_;
};

std::string sha256Hex(const void* data, size_t size);

}  // namespace hextorch
