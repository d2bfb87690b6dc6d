// Autograd entry points and the thread-bound grad / inference modes.
#include <thread>

#include <torch/csrc/autograd/autograd.h>

#include "common.h"

struct sb_mode_s {
  c10::InferenceMode guard;
  std::thread::id owner = std::this_thread::get_id();
};

using sb::guard;
using sb::put;
using sb::T;

extern "C" {

int32_t sb_requires_grad_(sb_tensor t, uint8_t requires_grad) {
  return guard("requires_grad_", [&] { T(t).requires_grad_(requires_grad != 0); });
}

int32_t sb_grad(sb_tensor t, sb_tensor* out) {
  return guard("grad", [&] { put(out, T(t).grad()); });
}

int32_t sb_set_grad(sb_tensor t, sb_tensor grad) {
  return guard("set_grad", [&] { T(t).mutable_grad() = grad == nullptr ? at::Tensor() : T(grad); });
}

int32_t sb_detach(sb_tensor t, sb_tensor* out) {
  return guard("detach", [&] { put(out, T(t).detach()); });
}

int32_t sb_backward(sb_tensor t, sb_tensor grad, uint8_t retain_graph, uint8_t create_graph) {
  return guard("backward", [&] {
    at::Tensor g = grad == nullptr ? at::Tensor() : T(grad);
    T(t).backward(g, retain_graph ? c10::optional<bool>(true) : c10::nullopt, create_graph != 0);
  });
}

int32_t sb_autograd_grad(const sb_tensor* outputs, int32_t n_out, const sb_tensor* inputs, int32_t n_in,
                         const sb_tensor* grad_outputs, uint8_t retain_graph, uint8_t create_graph,
                         sb_tensor_list* out) {
  return guard("autograd_grad", [&] {
    auto outs = sb::tensors(outputs, n_out);
    auto ins = sb::tensors(inputs, n_in);
    std::vector<at::Tensor> gos;
    if (grad_outputs != nullptr)
      for (int32_t i = 0; i < n_out; ++i) gos.push_back(grad_outputs[i] == nullptr ? at::Tensor() : T(grad_outputs[i]));
    auto grads = torch::autograd::grad(outs, ins, gos, retain_graph ? c10::optional<bool>(true) : c10::nullopt,
                                       create_graph != 0, /*allow_unused=*/true);
    *out = sb::make_list(std::move(grads));
  });
}

int32_t sb_grad_set_enabled(uint8_t enabled) {
  return guard("grad_set_enabled", [&] { c10::GradMode::set_enabled(enabled != 0); });
}

int32_t sb_grad_is_enabled(int32_t* enabled) {
  return guard("grad_is_enabled", [&] { *enabled = c10::GradMode::is_enabled() ? 1 : 0; });
}

int32_t sb_inference_mode_enter(sb_mode_token* token) {
  return guard("inference_mode_enter", [&] { *token = new sb_mode_s(); });
}

int32_t sb_inference_mode_exit(sb_mode_token token) {
  return guard("inference_mode_exit", [&] {
    if (token == nullptr) throw sb::ArgumentError("token is NULL");
    // The guard restores thread-local state: leaving it on another thread would corrupt that thread's modes.
    if (token->owner != std::this_thread::get_id())
      throw sb::ArgumentError("inference mode must be left on the thread that entered it");
    delete token;
  });
}

int32_t sb_is_inference(sb_tensor t, int32_t* inference) {
  return guard("is_inference", [&] { *inference = T(t).is_inference() ? 1 : 0; });
}

}
