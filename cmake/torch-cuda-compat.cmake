# Included after find_package(Torch). A CUDA build of PyTorch 2.x (a pip wheel): its
# CMake package (Caffe2/public/cuda.cmake) looks for NVTX 3 in the PyTorch source tree it
# was built from, which an install lacks, and then links torch::nvtoolsext to
# CUDA::nvToolsExt, a library CUDA 12.9 and later no longer ship (NVTX 3 is header-only).
# CMake stops at generate time on a link to a target that does not exist. hextorch
# includes no NVTX header: each NVTX target that is missing becomes an empty interface
# library (linking CUDA::nvtx3's headers where the toolkit has them).
if(TARGET torch_cuda)
  foreach(target torch::nvtx3 torch::nvtoolsext CUDA::nvToolsExt)
    if(NOT TARGET ${target})
      add_library(${target} INTERFACE IMPORTED)
      if(TARGET CUDA::nvtx3)
        set_property(TARGET ${target} PROPERTY INTERFACE_LINK_LIBRARIES CUDA::nvtx3)
      endif()
      message(STATUS "hextorch: ${target} is not in this CUDA toolkit or LibTorch install: an empty interface library stands in (NVTX is header-only)")
    endif()
  endforeach()
  message(STATUS "hextorch: CUDA build (CUDA ${CUDAToolkit_VERSION}, TORCH_CUDA_ARCH_LIST '$ENV{TORCH_CUDA_ARCH_LIST}')")
endif()
