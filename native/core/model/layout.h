// Memory-format changes inside a network whose gradient goes back in the layout it came from.
#pragma once
#include <ATen/core/Tensor.h>

namespace hextorch::model {

// x.contiguous(format), with a backward that returns the gradient in x's own memory format.
// LibTorch's backward of that copy passes the gradient on in whatever layout it arrives: around
// the NCHW convolutions of a channels-last network (model::smallConvolutionsContiguous) the
// ReLU before such a convolution then got an NCHW gradient for its channels-last output, and
// that mixed-layout threshold_backward ran 20x slower than on matching layouts (3.2 against
// 0.16 ms on 256x512x2x2 bf16, 1 thread; twice per snowflake step). Values are unchanged.
at::Tensor toMemoryFormat(const at::Tensor& x, at::MemoryFormat format);

}  // namespace hextorch::model
