// What this build of hextorch runs on: LibTorch version, CUDA devices, threads.
#pragma once
#include <string>
#include <vector>

namespace hextorch::runtime {

struct Info {
  std::string torchVersion;
  bool cudaAvailable = false;
  int cudaDeviceCount = 0;
  std::vector<std::string> cudaDevices;
  long cudnnVersion = 0;  // 0: none
  int threads = 0;
  std::string buildType;
};

Info collectInfo();
void setThreads(int threads);
// Keeps freed blocks in the process instead of returning them to the system after every
// training step (see info.cpp). Idempotent.
void keepFreedMemory();

}  // namespace hextorch::runtime
