// Global average pooling over the board ([B,C,H,W] -> [B,C]) for the networks' heads.
#pragma once
#include <ATen/core/Tensor.h>

namespace hextorch::model {

// x.mean({2, 3}) with a backward that hands back a gradient in the input's memory format.
// LibTorch's own backward expands the [B,C] gradient and divides it, which yields an NCHW
// tensor; on a channels-last network the ReLU and batch-norm backward behind the head then
// mix two layouts, whose strided loops cost a tiny step ~20 ms (bf16, 1 thread; the
// mixed-layout threshold_backward alone ran 30x slower than on matching layouts). Values
// are the same as mean's, bit for bit.
at::Tensor globalAveragePool(const at::Tensor& x);

}  // namespace hextorch::model
