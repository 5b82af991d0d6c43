#include "dist/communicator.h"

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "dist/communicator_impl.h"
#include "util/error.h"

namespace hextorch::dist {

bool available() {
#ifdef HEXTORCH_WITH_GLOO
  return true;
#else
  return false;
#endif
}

std::string unavailableReason() {
  if (available()) return "";
  return "this build of hextorch has no distributed backend: the Gloo headers were not found when it was compiled. "
         "Install them (Debian/Ubuntu: apt-get install libgloo-dev) and rebuild from source "
         "(npm rebuild hextorch, or bash scripts/setup.sh in a checkout)";
}

#ifdef HEXTORCH_WITH_GLOO
namespace {

std::string where(const CommunicatorOptions& o) { return o.masterAddr + ":" + std::to_string(o.masterPort); }

std::string seconds(int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g s", static_cast<double>(ms) / 1000.0);
  return text;
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

bool isLoopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }

}  // namespace

Communicator::Communicator(const CommunicatorOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = options;
  m.owner = this;
  const auto& o = options;
  if (o.worldSize < 1) throw Error(ErrorCode::InvalidArgument, "world size must be at least 1");
  if (o.rank < 0 || o.rank >= o.worldSize) {
    throw Error(ErrorCode::InvalidArgument, "rank " + std::to_string(o.rank) + " is outside the world of " +
                                                std::to_string(o.worldSize) + " ranks (0.." +
                                                std::to_string(o.worldSize - 1) + ")");
  }
  if (o.masterPort < 1 || o.masterPort > 65535)
    throw Error(ErrorCode::InvalidArgument, "master port " + std::to_string(o.masterPort) + " is not in 1..65535");
  if (o.timeoutMs < 1) throw Error(ErrorCode::InvalidArgument, "distributed timeout must be positive");
  const auto timeout = std::chrono::milliseconds(o.timeoutMs);

  c10d::TCPStoreOptions storeOptions;
  storeOptions.port = static_cast<uint16_t>(o.masterPort);
  storeOptions.isServer = o.rank == 0;
  storeOptions.numWorkers = static_cast<size_t>(o.worldSize);
  storeOptions.waitWorkers = false;  // arrival is checked below, naming the missing ranks
  // The store's own socket timeouts misbehave below a few seconds (a client then gives
  // up connecting at once); rendezvous below keeps to timeoutMs itself.
  storeOptions.timeout = std::max(timeout, std::chrono::milliseconds(5000));
  try {
    m.store = c10::make_intrusive<c10d::TCPStore>(o.masterAddr, storeOptions);
  } catch (...) {
    std::string reason = describe(std::current_exception());
    bool inUse = reason.find("in use") != std::string::npos || reason.find("EADDRINUSE") != std::string::npos;
    if (o.rank == 0 && inUse) {
      throw Error(ErrorCode::Distributed,
                  "rank 0 cannot host the rendezvous store: port " + std::to_string(o.masterPort) + " on " +
                      o.masterAddr +
                      " is already in use (another run or program); choose another --master-port / MASTER_PORT");
    }
    if (o.rank == 0) {
      throw Error(ErrorCode::Distributed, "not every rank arrived at " + where(o) + " within " + seconds(o.timeoutMs) +
                                              " (world size " + std::to_string(o.worldSize) + "): " + reason);
    }
    throw Error(ErrorCode::Distributed, "rank " + std::to_string(o.rank) + " could not join the rendezvous at " +
                                            where(o) + " within " + seconds(o.timeoutMs) +
                                            " (is rank 0 running, with the same MASTER_ADDR/MASTER_PORT?): " + reason);
  }

  // Arrival: each rank checks in under its own key, so that a rank that never comes is
  // named (Gloo's own rendezvous would only report a socket timeout).
  try {
    m.store->set("hextorch/arrived/" + std::to_string(o.rank), std::vector<uint8_t>{1});
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::string missing;
      for (int r = 0; r < o.worldSize; ++r) {
        if (!m.store->check({"hextorch/arrived/" + std::to_string(r)}))
          missing += (missing.empty() ? "" : ", ") + std::to_string(r);
      }
      if (missing.empty()) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        throw Error(ErrorCode::Distributed, "rank " + missing + " never arrived at the rendezvous at " + where(o) +
                                                " within " + seconds(o.timeoutMs) + " (world size " +
                                                std::to_string(o.worldSize) + ")");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } catch (const Error&) {
    throw;
  } catch (...) {
    throw Error(ErrorCode::Distributed, "rank " + std::to_string(o.rank) + " lost the rendezvous store at " + where(o) +
                                            ": " + describe(std::current_exception()));
  }

  try {
    auto groupOptions = c10d::ProcessGroupGloo::Options::create(timeout);
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname && *ifname)
      groupOptions->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (isLoopback(o.masterAddr))
      groupOptions->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      groupOptions->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    groupOptions->threads = 2;
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("hextorch/pg", m.store);
    m.group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, o.rank, o.worldSize, groupOptions);
  } catch (const Error&) {
    throw;
  } catch (...) {
    throw Error(ErrorCode::Distributed, "rank " + std::to_string(o.rank) +
                                            " could not connect to the other ranks within " + seconds(o.timeoutMs) +
                                            ": " + describe(std::current_exception()));
  }

  // Heartbeats through a store client of their own, so that after a failed collective
  // the survivors can name the rank that went silent.
  int64_t intervalMs = std::max<int64_t>(50, std::min<int64_t>(1000, o.timeoutMs / 4));
  c10d::TCPStoreOptions beatOptions;
  beatOptions.port = static_cast<uint16_t>(o.masterPort);
  beatOptions.waitWorkers = false;
  beatOptions.timeout = storeOptions.timeout;
  auto beatStore = c10::make_intrusive<c10d::TCPStore>(o.masterAddr, beatOptions);
  m.heartbeat = std::thread([&m, beatStore, intervalMs] {
    int64_t beat = 0;
    const std::string key = "hextorch/hb/" + std::to_string(m.options.rank);
    while (!m.stopping.load()) {
      try {
        beatStore->set(key, std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(&beat),
                                                 reinterpret_cast<const uint8_t*>(&beat) + sizeof beat));
      } catch (...) {
        return;  // the store is gone (rank 0 ended); collectives report it
      }
      ++beat;
      for (int64_t slept = 0; slept < intervalMs && !m.stopping.load(); slept += 25)
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  });
}

Communicator::~Communicator() {
  impl_->stopping = true;
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
  impl_->group.reset();
  impl_->store.reset();
}

std::string Communicator::Impl::diagnose() {
  const int world = options.worldSize;
  int64_t intervalMs = std::max<int64_t>(50, std::min<int64_t>(1000, options.timeoutMs / 4));
  auto read = [&](std::vector<int64_t>& beats) {
    beats.assign(world, -1);
    for (int r = 0; r < world; ++r) {
      std::string key = "hextorch/hb/" + std::to_string(r);
      if (!store->check({key})) continue;
      auto bytes = store->get(key);
      if (bytes.size() == sizeof(int64_t)) std::memcpy(&beats[r], bytes.data(), sizeof(int64_t));
    }
  };
  try {
    std::vector<int64_t> before, after;
    read(before);
    std::this_thread::sleep_for(std::chrono::milliseconds(intervalMs * 5 / 2));
    read(after);
    std::string silent;
    for (int r = 0; r < world; ++r) {
      if (r != options.rank && after[r] == before[r]) silent += (silent.empty() ? "" : ", ") + std::to_string(r);
    }
    if (silent.empty()) return "every rank is still alive (one is stuck or slower than the timeout)";
    return "rank " + silent + " stopped responding (killed or crashed)";
  } catch (...) {
    return "rank 0 stopped responding (killed or crashed; it hosts the store at " + where(options) + ")";
  }
}

void Communicator::fail(const std::string& what, const std::string& reason) {
  std::string who = impl_->diagnose();
  throw Error(ErrorCode::Distributed, "distributed " + what + " failed on rank " + std::to_string(impl_->options.rank) +
                                          ": " + who + " [" + reason + "]");
}

void Communicator::Impl::wait(const compat::WorkPtr& work, const std::string& what) {
  try {
    work->wait(std::chrono::milliseconds(options.timeoutMs));
  } catch (...) {
    owner->fail(what, describe(std::current_exception()));
  }
}

compat::WorkPtr Communicator::Impl::allReduceAsync(std::vector<torch::Tensor>& tensors) {
  return group->allreduce(tensors);
}

void Communicator::Impl::allReduce(std::vector<torch::Tensor>& tensors, const std::string& what) {
  compat::WorkPtr work;
  try {
    work = group->allreduce(tensors);
  } catch (...) {
    owner->fail(what, describe(std::current_exception()));
  }
  wait(work, what);
}

void Communicator::Impl::broadcast(std::vector<torch::Tensor>& tensors, int root, const std::string& what) {
  c10d::BroadcastOptions b;
  b.rootRank = root;
  compat::WorkPtr work;
  try {
    work = group->broadcast(tensors, b);
  } catch (...) {
    owner->fail(what, describe(std::current_exception()));
  }
  wait(work, what);
}

void Communicator::barrier(const std::string& what) {
  // A one-element all-reduce: Gloo's barrier has no timeout of its own in 1.13.
  double token = 0;
  allReduceSum(&token, 1, "barrier (" + what + ")");
}

std::vector<std::string> Communicator::allGather(const std::string& label, const std::string& value) {
  Impl& m = *impl_;
  const std::string prefix = "hextorch/gather/" + std::to_string(m.gatherSequence++) + "/" + label + "/";
  std::vector<std::string> values(m.options.worldSize);
  try {
    m.store->set(prefix + std::to_string(m.options.rank), std::vector<uint8_t>(value.begin(), value.end()));
    for (int r = 0; r < m.options.worldSize; ++r) {
      auto bytes = m.store->get(prefix + std::to_string(r));
      values[r].assign(bytes.begin(), bytes.end());
    }
  } catch (...) {
    fail("exchange of " + label, describe(std::current_exception()));
  }
  return values;
}

void Communicator::allReduceSum(double* values, size_t count, const std::string& what) {
  std::vector<torch::Tensor> tensors{torch::from_blob(values, {static_cast<int64_t>(count)}, torch::kFloat64).clone()};
  impl_->allReduce(tensors, what);
  std::memcpy(values, tensors[0].data_ptr<double>(), count * sizeof(double));
}

#else  // no Gloo: every entry point explains how to get it

Communicator::Communicator(const CommunicatorOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  throw Error(ErrorCode::DistributedUnavailable, unavailableReason());
}
Communicator::~Communicator() = default;
void Communicator::fail(const std::string& what, const std::string& reason) {
  throw Error(ErrorCode::Distributed, what + ": " + reason);
}
std::string Communicator::Impl::diagnose() { return ""; }
void Communicator::Impl::wait(const compat::WorkPtr&, const std::string&) {}
compat::WorkPtr Communicator::Impl::allReduceAsync(std::vector<torch::Tensor>&) { return {}; }
void Communicator::Impl::allReduce(std::vector<torch::Tensor>&, const std::string&) {}
void Communicator::Impl::broadcast(std::vector<torch::Tensor>&, int, const std::string&) {}
void Communicator::barrier(const std::string&) {}
std::vector<std::string> Communicator::allGather(const std::string&, const std::string& value) { return {value}; }
void Communicator::allReduceSum(double*, size_t, const std::string&) {}

#endif

int Communicator::rank() const { return impl_->options.rank; }
int Communicator::worldSize() const { return impl_->options.worldSize; }
const CommunicatorOptions& Communicator::options() const { return impl_->options; }

bool Communicator::anyTrue(bool flag, const std::string& what) {
  double value = flag ? 1.0 : 0.0;
  allReduceSum(&value, 1, what);
  return value > 0.5;
}

}  // namespace hextorch::dist
