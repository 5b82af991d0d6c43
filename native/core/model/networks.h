// Policy/value networks. Every preset maps [B,3,N,N] planes to policy logits [B,N*N]
// and a value in [-1,1] (+1 = Red wins).
#pragma once
#include <torch/torch.h>

#include <string>
#include <utility>

namespace hextorch::interop {
class GraphBuilder;
}

namespace hextorch::model {

struct ModelConfig {
  std::string preset = "tiny";  // snowflake | resnet | tiny
  int boardSize = 13;
  int blocks = 0;    // resnet/tiny: residual blocks (0 = preset default)
  int channels = 0;  // resnet/tiny: channels (0 = preset default)
  double dropout = 0.1;
};

struct NetworkImpl : torch::nn::Module {
  virtual std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor planes) = 0;
  // Parameters of the value head, which may get their own LR and weight decay.
  virtual std::vector<torch::Tensor> valueHeadParameters() = 0;
  // Records forward() in eval mode as ONNX operators (export/graph_builder.h); the value
  // output keeps its [B,1] shape.
  virtual void describe(interop::GraphBuilder& graph) = 0;
};

// Builds the network with the fixed initialisation of the reference model (Kaiming
// normal fan-out for convolutions, BN 1/0, Xavier normal for Linear with zero bias).
std::shared_ptr<NetworkImpl> makeNetwork(const ModelConfig& config);

// Multiply-adds ×2 of one forward pass for one position (convolutions and linear
// layers; normalisation and activations are not counted). Training is ≈3× this.
int64_t forwardFlopsPerSample(const ModelConfig& config);

// Whether convolutions run channels-last (NHWC) or contiguous (NCHW), from the option
// (auto | channels-last | contiguous) and, for auto, the rule in networks.cpp.
bool useChannelsLast(const ModelConfig& config, const std::string& option, bool cuda, bool bf16);

// Whether, on a channels-last network, the 3x3 convolutions with an output of at most 2x2
// run NCHW instead (bf16 on CPU with the auto option; the measurements in networks.cpp).
bool smallConvolutionsContiguous(const std::string& option, bool cuda, bool bf16);

// Puts the 4-D parameters in the layout their convolutions run in: channels-last when
// `channelsLast`, except, with `smallContiguous`, the weights of the 3x3 convolutions that
// run NCHW (which placeParameters also switches to NCHW). Called once, before training.
void placeParameters(NetworkImpl& net, bool channelsLast, bool smallContiguous);

}  // namespace hextorch::model
