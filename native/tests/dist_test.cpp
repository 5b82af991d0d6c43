// c10d pieces in one process: two ranks on two threads over Gloo on 127.0.0.1.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "dist/communicator.h"
#include "dist/gradient_reducer.h"
#include "dist/sync_batch_norm.h"
#include "util/error.h"

using namespace hextorch;

namespace {

int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t size = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  close(fd);
  return ntohs(a.sin_port);
}

// Runs body(communicator) on `world` threads, one rank each; rethrows the first failure.
void onRanks(int world, const std::function<void(dist::Communicator&)>& body, int64_t timeoutMs = 20000) {
  int port = freePort();
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(world);
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      try {
        dist::CommunicatorOptions o;
        o.rank = r;
        o.worldSize = world;
        o.masterPort = port;
        o.timeoutMs = timeoutMs;
        dist::Communicator c(o);
        body(c);
        c.barrier("end of test");
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace

TEST(Distributed, SumsGatherAndAgree) {
  if (!dist::available()) GTEST_SKIP() << dist::unavailableReason();
  onRanks(2, [](dist::Communicator& c) {
    double v[2] = {1.0 + c.rank(), 10.0};
    c.allReduceSum(v, 2, "test");
    EXPECT_EQ(v[0], 3.0);
    EXPECT_EQ(v[1], 20.0);
    auto all = c.allGather("label", "rank" + std::to_string(c.rank()));
    EXPECT_EQ(all, (std::vector<std::string>{"rank0", "rank1"}));
    EXPECT_TRUE(c.anyTrue(c.rank() == 1, "test"));
    EXPECT_FALSE(c.anyTrue(false, "test"));
  });
}

TEST(Distributed, SyncBatchNormOverTwoRanksIsBatchNormOfTheWholeBatch) {
  if (!dist::available()) GTEST_SKIP() << dist::unavailableReason();
  torch::manual_seed(3);
  auto x = torch::randn({8, 4, 3, 3}) * 2 + 1;
  auto upstream = torch::randn({8, 4, 3, 3});
  // Reference: BatchNorm2d on all 8 samples.
  torch::nn::BatchNorm2d reference(4);
  reference->weight.data().uniform_(0.5, 1.5);
  reference->bias.data().uniform_(-0.5, 0.5);
  auto xr = x.clone().requires_grad_(true);
  auto yr = reference(xr);
  (yr * upstream).sum().backward();

  std::vector<torch::Tensor> y(2), gx(2), gw(2), gb(2), runningMean(2), runningVar(2);
  onRanks(2, [&](dist::Communicator& c) {
    int r = c.rank();
    torch::nn::BatchNorm2d bn(4);
    bn->weight.data().copy_(reference->weight.data());
    bn->bias.data().copy_(reference->bias.data());
    auto xs = x.narrow(0, 4 * r, 4).clone().requires_grad_(true);
    auto ys = dist::syncBatchNorm(*bn, xs, c);
    (ys * upstream.narrow(0, 4 * r, 4)).sum().backward();
    y[r] = ys.detach();
    gx[r] = xs.grad();
    gw[r] = bn->weight.grad();
    gb[r] = bn->bias.grad();
    runningMean[r] = bn->running_mean.clone();
    runningVar[r] = bn->running_var.clone();
  });
  EXPECT_TRUE(torch::allclose(torch::cat(y), yr.detach(), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(torch::cat(gx), xr.grad(), 1e-4, 1e-5));
  // Weight and bias gradients are local: their sum over the ranks is the whole batch's.
  EXPECT_TRUE(torch::allclose(gw[0] + gw[1], reference->weight.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(gb[0] + gb[1], reference->bias.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::equal(runningMean[0], runningMean[1]));
  EXPECT_TRUE(torch::allclose(runningMean[0], reference->running_mean, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(runningVar[0], reference->running_var, 1e-5, 1e-6));
}

TEST(Distributed, ReducerAveragesGradientsAcrossBuckets) {
  if (!dist::available()) GTEST_SKIP() << dist::unavailableReason();
  std::vector<std::vector<torch::Tensor>> grads(2);
  onRanks(2, [&](dist::Communicator& c) {
    // Three parameters in buckets of at most 64 bytes: more than one bucket.
    std::vector<torch::Tensor> params{torch::zeros({10}, torch::requires_grad()),
                                      torch::zeros({2, 3}, torch::requires_grad()),
                                      torch::zeros({12}, torch::requires_grad())};
    dist::GradientReducer reducer(c, params, 64);
    EXPECT_GE(reducer.buckets(), 2u);
    reducer.prepare();
    double scale = 1.0 + c.rank();  // rank 0: gradient 1, rank 1: gradient 2
    auto loss = (params[0].sum() + params[1].sum() + params[2].sum()) * scale;
    loss.backward();
    reducer.finish();
    for (auto& p : params) grads[c.rank()].push_back(p.grad().clone());
  });
  for (int r = 0; r < 2; ++r)
    for (auto& g : grads[r]) EXPECT_TRUE(torch::allclose(g, torch::full_like(g, 1.5)));
}

TEST(Distributed, ARankThatNeverArrivesIsNamed) {
  if (!dist::available()) GTEST_SKIP() << dist::unavailableReason();
  dist::CommunicatorOptions o;
  o.rank = 0;
  o.worldSize = 3;
  o.masterPort = freePort();
  o.timeoutMs = 1000;
  try {
    dist::Communicator c(o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Distributed);
    EXPECT_NE(std::string(e.what()).find("rank 1, 2 never arrived"), std::string::npos) << e.what();
  }
}

TEST(Distributed, WithoutGlooTheErrorSaysHowToGetIt) {
  if (dist::available()) GTEST_SKIP() << "this build has Gloo";
  try {
    dist::Communicator c(dist::CommunicatorOptions{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::DistributedUnavailable);
    EXPECT_NE(std::string(e.what()).find("libgloo-dev"), std::string::npos);
  }
}
