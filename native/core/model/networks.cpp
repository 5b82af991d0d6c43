#include "model/networks.h"

#include "model/layout.h"
#include "model/norm.h"
#include "model/pool.h"
#include "export/graph_builder.h"
#include <map>

#include "util/error.h"

namespace hextorch::model {
namespace nn = torch::nn;
namespace {

nn::Conv2d conv(int in, int out, int kernel, int stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

// conv3x3-BN-ReLU-conv3x3-BN plus the skip (projected when the shape changes), ReLU.
struct BasicBlockImpl : nn::Module {
  // `outputSize`: the board side the block's output has (its convolutions' output).
  BasicBlockImpl(int in, int out, int stride, int outputSize)
      : outputSize(outputSize),
        conv1(register_module("conv1", conv(in, out, 3, stride))),
        bn1(register_module("bn1", nn::BatchNorm2d(out))),
        conv2(register_module("conv2", conv(out, out, 3))),
        bn2(register_module("bn2", nn::BatchNorm2d(out))) {
    if (stride != 1 || in != out) {
      projection = register_module("projection", conv(in, out, 1, stride));
      projectionBn = register_module("projection_bn", nn::BatchNorm2d(out));
    }
  }
  // Batch norm, the skip's add and the ReLUs fused where model::normRelu can (CPU training,
  // channels-last), in place otherwise.
  torch::Tensor forward(torch::Tensor x) {
    auto y = normRelu(bn1, convolve(conv1, x));
    return normRelu(bn2, convolve(conv2, y), projection ? norm(projectionBn, projection(x)) : x);
  }
  // NCHW around the 3x3 convolutions when placeParameters chose it for this block; the
  // block's output stays in the network's layout, and each gradient goes back in the layout
  // its tensor has.
  torch::Tensor convolve(nn::Conv2d& c, const torch::Tensor& x) {
    if (!contiguousConvolutions) return c(x);
    return toMemoryFormat(c(toMemoryFormat(x, at::MemoryFormat::Contiguous)), at::MemoryFormat::ChannelsLast);
  }
  std::string describe(interop::GraphBuilder& g, const std::string& x) {
    auto y = g.relu(g.batchNorm(*bn1, g.conv(*conv1, x)));
    y = g.batchNorm(*bn2, g.conv(*conv2, y));
    auto skip = projection ? g.batchNorm(*projectionBn, g.conv(*projection, x)) : x;
    return g.relu(g.add(y, skip));
  }
  int outputSize;
  bool contiguousConvolutions = false;
  nn::Conv2d conv1;
  nn::BatchNorm2d bn1;
  nn::Conv2d conv2;
  nn::BatchNorm2d bn2;
  nn::Conv2d projection{nullptr};
  nn::BatchNorm2d projectionBn{nullptr};
};
TORCH_MODULE(BasicBlock);

// Conv 1x1 → 32, BN, ReLU, global average pool, Linear → hidden, ReLU, dropout,
// Linear → 1, tanh: a value in [-1, 1], +1 = Red wins.
struct ValueHeadImpl : nn::Module {
  ValueHeadImpl(int in, int hidden, double dropout)
      : conv1(register_module("conv", conv(in, 32, 1))),
        bn(register_module("bn", nn::BatchNorm2d(32))),
        fc1(register_module("fc1", nn::Linear(32, hidden))),
        dropout(register_module("dropout", nn::Dropout(dropout))),
        fc2(register_module("fc2", nn::Linear(hidden, 1))) {}
  torch::Tensor forward(torch::Tensor x) {
    auto v = globalAveragePool(normRelu(bn, conv1(x)));
    return torch::tanh(fc2(dropout(torch::relu(fc1(v))))).squeeze(1);
  }
  std::string describe(interop::GraphBuilder& g, const std::string& x) {
    auto v = g.globalAveragePool(g.relu(g.batchNorm(*bn, g.conv(*conv1, x))));
    return g.tanh(g.linear(*fc2, g.relu(g.linear(*fc1, v))));
  }
  nn::Conv2d conv1;
  nn::BatchNorm2d bn;
  nn::Linear fc1;
  nn::Dropout dropout;
  nn::Linear fc2;
};
TORCH_MODULE(ValueHead);

// The users' reference network ("TwoHeadedResNet"): a ResNet-18 layout with global
// pooling heads. 11,283,754 parameters on 13x13.
struct SnowflakeImpl : NetworkImpl {
  explicit SnowflakeImpl(const ModelConfig& c) : cells(c.boardSize * c.boardSize) {
    stem = register_module("stem", conv(3, 64, 5));
    stemBn = register_module("stem_bn", nn::BatchNorm2d(64));
    const int channels[4] = {64, 128, 256, 512};
    const int strides[4] = {1, 2, 2, 2};
    int in = 64, n = c.boardSize;
    for (int s = 0; s < 4; ++s) {
      n = (n - 1) / strides[s] + 1;  // 3x3, padding 1
      for (int b = 0; b < 2; ++b) {
        blocks->push_back(BasicBlock(in, channels[s], b == 0 ? strides[s] : 1, n));
        in = channels[s];
      }
    }
    register_module("blocks", blocks);
    policyDropout = register_module("policy_dropout", nn::Dropout(c.dropout));
    policyFc = register_module("policy_fc", nn::Linear(512, cells));
    valueHead = register_module("value_head", ValueHead(512, 256, c.dropout));
  }
  std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor x) override {
    x = normRelu(stemBn, stem(x));
    x = blocks->forward(x);
    auto policy = policyFc(policyDropout(globalAveragePool(x)));
    return {policy, valueHead(x)};
  }
  void describe(interop::GraphBuilder& g) override {
    auto x = g.relu(g.batchNorm(*stemBn, g.conv(*stem, g.input())));
    for (const auto& block : *blocks) x = block.ptr()->as<BasicBlockImpl>()->describe(g, x);
    g.output(g.linear(*policyFc, g.globalAveragePool(x)), "policy");
    g.output(valueHead->describe(g, x), "value");
  }
  std::vector<torch::Tensor> valueHeadParameters() override { return valueHead->parameters(); }
  int cells;
  nn::Conv2d stem{nullptr};
  nn::BatchNorm2d stemBn{nullptr};
  nn::Sequential blocks;
  nn::Dropout policyDropout{nullptr};
  nn::Linear policyFc{nullptr};
  ValueHead valueHead{nullptr};
};

// A residual tower at constant board resolution with a convolutional policy head
// (one logit per cell, the AlphaZero/KataGo style): translation-aware and any board size.
struct ResidualTowerImpl : NetworkImpl {
  ResidualTowerImpl(const ModelConfig& c, int blockCount, int width) {
    stem = register_module("stem", conv(3, width, 3));
    stemBn = register_module("stem_bn", nn::BatchNorm2d(width));
    for (int b = 0; b < blockCount; ++b) blocks->push_back(BasicBlock(width, width, 1, c.boardSize));
    register_module("blocks", blocks);
    policyConv = register_module("policy_conv", conv(width, 32, 1));
    policyBn = register_module("policy_bn", nn::BatchNorm2d(32));
    policyOut = register_module("policy_out", nn::Conv2d(nn::Conv2dOptions(32, 1, 1).bias(true)));
    valueHead = register_module("value_head", ValueHead(width, 128, c.dropout));
  }
  std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor x) override {
    x = normRelu(stemBn, stem(x));
    x = blocks->forward(x);
    auto policy = policyOut(normRelu(policyBn, policyConv(x))).flatten(1);
    return {policy, valueHead(x)};
  }
  void describe(interop::GraphBuilder& g) override {
    auto x = g.relu(g.batchNorm(*stemBn, g.conv(*stem, g.input())));
    for (const auto& block : *blocks) x = block.ptr()->as<BasicBlockImpl>()->describe(g, x);
    g.output(g.flatten(g.conv(*policyOut, g.relu(g.batchNorm(*policyBn, g.conv(*policyConv, x))))), "policy");
    g.output(valueHead->describe(g, x), "value");
  }
  std::vector<torch::Tensor> valueHeadParameters() override { return valueHead->parameters(); }
  nn::Conv2d stem{nullptr}, policyConv{nullptr}, policyOut{nullptr};
  nn::BatchNorm2d stemBn{nullptr}, policyBn{nullptr};
  nn::Sequential blocks;
  ValueHead valueHead{nullptr};
};

void initialise(nn::Module& module) {
  torch::NoGradGuard noGrad;
  for (auto& m : module.modules(/*include_self=*/false)) {
    if (auto* c = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (c->bias.defined()) nn::init::zeros_(c->bias);
    } else if (auto* bn = m->as<nn::BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    } else if (auto* l = m->as<nn::Linear>()) {
      nn::init::xavier_normal_(l->weight);
      nn::init::zeros_(l->bias);
    }
  }
}

}  // namespace

std::shared_ptr<NetworkImpl> makeNetwork(const ModelConfig& config) {
  std::shared_ptr<NetworkImpl> net;
  if (config.preset == "snowflake") {
    net = std::make_shared<SnowflakeImpl>(config);
  } else if (config.preset == "resnet") {
    net = std::make_shared<ResidualTowerImpl>(config, config.blocks > 0 ? config.blocks : 6,
                                              config.channels > 0 ? config.channels : 96);
  } else if (config.preset == "tiny") {
    net = std::make_shared<ResidualTowerImpl>(config, config.blocks > 0 ? config.blocks : 2,
                                              config.channels > 0 ? config.channels : 32);
  } else {
    throw Error(ErrorCode::InvalidArgument,
                "model preset '" + config.preset + "' is not one of snowflake, resnet, tiny");
  }
  initialise(*net);
  return net;
}

int64_t forwardFlopsPerSample(const ModelConfig& config) {
  auto net = makeNetwork(config);
  // Walk the convolutions in registration order with the board size they see: each
  // conv's output size follows from its stride and padding.
  int64_t flops = 0;
  int64_t n = config.boardSize;
  std::map<std::string, int64_t> sizeAt;  // module name -> input board size
  for (const auto& item : net->named_modules("", false)) {
    if (auto* c = item.value()->as<nn::Conv2d>()) {
      const auto& o = c->options;
      int64_t k = o.kernel_size()->at(0), stride = o.stride()->at(0);
      int64_t pad = k / 2;  // every convolution here pads "same" (kernel / 2)
      // Projections and the value/policy heads read the block's input, the rest chain on.
      bool side = item.key().find("projection") != std::string::npos;
      int64_t in = side ? sizeAt["block"] : n;
      if (!side && item.key().find("conv1") != std::string::npos && item.key().find("blocks") != std::string::npos)
        sizeAt["block"] = n;
      int64_t out = (in + 2 * pad - k) / stride + 1;
      flops += 2 * o.in_channels() * o.out_channels() * k * k * out * out;
      if (!side) n = out;
    } else if (auto* l = item.value()->as<nn::Linear>()) {
      flops += 2 * l->options.in_features() * l->options.out_features();
    }
  }
  return flops;
}

bool useChannelsLast(const ModelConfig& config, const std::string& option, bool cuda, bool bf16) {
  if (option == "channels-last") return true;
  if (option == "contiguous") return false;
  if (option != "auto") {
    throw Error(ErrorCode::InvalidArgument,
                "memory format '" + option + "' is not one of auto, channels-last, contiguous");
  }
  // Channels-last on every device and network: oneDNN (CPU, fp32 and bf16, AVX-512 and
  // AMX alike) and cuDNN run NHWC natively, while NCHW costs a layout reorder around
  // every convolution. Measured on AMD EPYC with AVX-512 (CPU time per sample, process
  // CPU clock, LibTorch 1.13): tiny 1.37x (fp32) and 1.1x (bf16), resnet 6x96 1.11x and
  // 1.07x, snowflake 1.04x and 1.02x over NCHW.
  (void)config, (void)cuda, (void)bf16;
  return true;
}

bool smallConvolutionsContiguous(const std::string& option, bool cuda, bool bf16) {
  // oneDNN's bf16 kernels for NCHW (blocked layouts, reordered around each call) beat its
  // channels-last ones on the smallest boards: measured on AMD EPYC with AVX-512 BF16
  // (LibTorch 1.13, process CPU time, 1 thread, batch 256), forward plus backward of a
  // 3x3 convolution 512->512 on 2x2 took 80 ms against 88, 256->512 stride 2 onto 2x2 60
  // against 63, a snowflake bf16 step 2.7-3.5 % less; on 4x4 and larger boards NCHW was
  // slower (256->256 on 4x4: 64 against 57 ms), and fp32 is left as it is.
  return option == "auto" && !cuda && bf16;
}

void placeParameters(NetworkImpl& net, bool channelsLast, bool smallContiguous) {
  if (!channelsLast) return;
  torch::NoGradGuard noGrad;
  for (auto& p : net.parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
  if (!smallContiguous) return;
  for (auto& m : net.modules(/*include_self=*/false)) {
    auto* block = m->as<BasicBlockImpl>();
    if (!block || block->outputSize > 2) continue;
    block->contiguousConvolutions = true;
    for (auto* c : {&block->conv1, &block->conv2}) (*c)->weight.set_data((*c)->weight.data().contiguous());
  }
}

}  // namespace hextorch::model
