// A process group for data-parallel training: PyTorch's c10d (a TCPStore hosted by
// rank 0 for rendezvous, ProcessGroupGloo for the collectives; NCCL on CUDA builds is
// the next backend to add, behind dist/c10d_compat.h). This header keeps LibTorch out
// of its users; code that needs the c10d objects includes dist/communicator_impl.h.
//
// Every collective must be issued in the same order on every rank. A failed or timed
// out collective becomes a hextorch Error (code Distributed) that names the rank that
// stopped answering when the heartbeats tell (see diagnose()).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hextorch::dist {

struct CommunicatorOptions {
  int rank = 0;
  int worldSize = 1;
  std::string masterAddr = "127.0.0.1";
  int masterPort = 29500;
  // How long a rank waits for the others: at rendezvous, in a collective, at a barrier.
  int64_t timeoutMs = 60000;
};

// Whether this build has a c10d backend (Gloo headers were found at build time), and
// if not, how to get one.
bool available();
std::string unavailableReason();

class Communicator {
 public:
  // Rendezvous: rank 0 hosts the store on masterAddr:masterPort; every rank waits for
  // all the others (at most timeoutMs) and builds the process group.
  explicit Communicator(const CommunicatorOptions& options);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const;
  int worldSize() const;
  const CommunicatorOptions& options() const;

  void barrier(const std::string& what);
  // Every rank's `value` for `label`, in rank order (exchanged through the store).
  std::vector<std::string> allGather(const std::string& label, const std::string& value);
  // In-place sums over the ranks.
  void allReduceSum(double* values, size_t count, const std::string& what);
  bool anyTrue(bool flag, const std::string& what);

  // Turns the current exception of a failed collective into a named Error.
  [[noreturn]] void fail(const std::string& what, const std::string& reason);

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hextorch::dist
