// The c10d objects behind a Communicator, for the parts of dist/ that issue collectives
// on tensors (gradient reducer, synchronised batch norm).
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <string>
#include <thread>

#include "dist/c10d_compat.h"
#include "dist/communicator.h"

namespace hextorch::dist {

struct Communicator::Impl {
  CommunicatorOptions options;
#ifdef HEXTORCH_WITH_GLOO
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<compat::ProcessGroup> group;
#endif
  std::atomic<bool> stopping{false};
  std::thread heartbeat;
  uint64_t gatherSequence = 0;
  Communicator* owner = nullptr;

  // Waits for a collective; failures become named errors.
  void wait(const compat::WorkPtr& work, const std::string& what);
  void allReduce(std::vector<torch::Tensor>& tensors, const std::string& what);
  compat::WorkPtr allReduceAsync(std::vector<torch::Tensor>& tensors);
  void broadcast(std::vector<torch::Tensor>& tensors, int root, const std::string& what);
  // Which ranks stopped sending heartbeats; empty when all are alive.
  std::string diagnose();
};

}  // namespace hextorch::dist
