#include "simulator/learning/nn/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace edgetrain::nn {

using Eigen::Index;
using Eigen::MatrixXf;

namespace {
std::vector<int> all_units(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}
double gemm_flops(Index m, Index n, Index k) {
  return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
}
std::size_t at(int i) {
  return static_cast<std::size_t>(i);
}

// Calls f(dst, src, n, stride) for each row segment of a convolution's im2col matrix: dst points
// at n consecutive entries of one column (one input unit and kernel offset, one sample, one output
// row), src at the first input value they read, `stride` apart; entries that read padding are
// passed to pad(dst, n) instead. Whole segments, rather than single entries, keep the bounds
// checks out of the inner loop.
template <class ColT, class InT, class Copy, class Pad>
void for_each_segment(const OpShape& op, Index batch, Index units, ColT* col, Index col_rows, InT* in,
                      Index in_rows, Copy&& copy, Pad&& pad) {
  const Index Pin = op.in_positions(), Pout = op.out_positions(), K = op.kernel, S = op.stride;
  for (Index u = 0; u < units; ++u)
    for (Index ki = 0; ki < K; ++ki)
      for (Index kj = 0; kj < K; ++kj) {
        // Output columns whose input column ow * S - pad + kj lies inside the image.
        const Index lo = op.pad - kj <= 0 ? 0 : (op.pad - kj + S - 1) / S;
        const Index hi_num = op.in_w + op.pad - kj;
        const Index hi = std::min<Index>(op.out_w, hi_num <= 0 ? 0 : (hi_num + S - 1) / S);
        ColT* column = col + ((u * K + ki) * K + kj) * col_rows;
        for (Index b = 0; b < batch; ++b)
          for (Index oh = 0; oh < op.out_h; ++oh) {
            ColT* dst = column + b * Pout + oh * op.out_w;
            const Index ih = oh * S - op.pad + ki;
            if (ih < 0 || ih >= op.in_h || hi <= lo) {
              pad(dst, op.out_w);
              continue;
            }
            pad(dst, lo);
            copy(dst + lo, in + u * in_rows + b * Pin + ih * op.in_w + lo * S - op.pad + kj, hi - lo, S);
            pad(dst + hi, op.out_w - hi);
          }
      }
}
} // namespace

Touched Touched::zeros(const NetShape& shape) {
  const Params z = Params::zeros(shape);
  return {z.w, z.b};
}

void Touched::mark(const NetShape& shape, const Selection& s) {
  for (std::size_t wi = 0; wi < shape.weighted_ops.size(); ++wi) {
    const OpShape& op = shape.weighted(static_cast<int>(wi));
    const auto rows = op.slot >= 0 ? s.kept[at(op.slot)] : all_units(op.out_units);
    const auto ins = op.in_slot >= 0 ? s.kept[at(op.in_slot)] : all_units(op.in_units);
    for (int r : rows) {
      b[wi](r) = 1;
      for (int u : ins)
        w[wi].row(r).segment(Index{u} * op.in_group, op.in_group).setOnes();
    }
  }
}

Trainer::Trainer(NetShape shape) : shape_(std::move(shape)), cache_(shape_.ops.size()) {}

const MatrixXf& Trainer::forward(const Params& p, const MatrixXf& x, const Selection& s, bool train) {
  const Index B = x.rows();
  batch_ = static_cast<int>(B);
  const Index P0 = shape_.in_h * shape_.in_w;
  input_.resize(B * P0, shape_.in_channels);
  for (Index c = 0; c < shape_.in_channels; ++c)
    for (Index b = 0; b < B; ++b)
      for (Index q = 0; q < P0; ++q)
        input_(b * P0 + q, c) = x(b, c * P0 + q);
  const MatrixXf* a = &input_;
  for (std::size_t i = 0; i < shape_.ops.size(); ++i) {
    const OpShape& op = shape_.ops[i];
    OpCache& k = cache_[i];
    k.src = a;
    if (op.weighted >= 0) {
      k.rows = op.slot >= 0 ? s.kept[at(op.slot)] : all_units(op.out_units);
      k.scale = op.slot >= 0 && !s.scale.empty() ? s.scale[at(op.slot)] : 1.0f;
      k.in_units = op.in_slot >= 0 ? s.kept[at(op.in_slot)] : all_units(op.in_units);
      const MatrixXf& w = p.w[at(op.weighted)];
      const Index g = op.in_group, nr = static_cast<Index>(k.rows.size());
      const Index ni = static_cast<Index>(k.in_units.size());
      k.w_sub.resize(nr, ni * g);
      for (Index u = 0; u < ni; ++u)
        for (Index r = 0; r < nr; ++r)
          k.w_sub.row(r).segment(u * g, g) = w.row(k.rows[at(static_cast<int>(r))])
                                                 .segment(Index{k.in_units[at(static_cast<int>(u))]} * g, g);
    }
    switch (op.kind) {
    case LayerKind::Conv2d: {
      const Index ni = static_cast<Index>(k.in_units.size());
      k.col.resize(B * op.out_positions(), ni * op.kernel * op.kernel);
      for_each_segment(
          op, B, ni, k.col.data(), k.col.rows(), a->data(), a->rows(),
          [](float* dst, const float* src, Index n, Index stride) {
            for (Index j = 0; j < n; ++j)
              dst[j] = src[j * stride];
          },
          [](float* dst, Index n) { std::fill(dst, dst + n, 0.0f); });
      k.out.noalias() = k.col * k.w_sub.transpose();
      if (train) flops_ += gemm_flops(k.col.rows(), k.w_sub.rows(), k.col.cols());
      break;
    }
    case LayerKind::Dense:
      k.out.noalias() = (*a) * k.w_sub.transpose();
      if (train) flops_ += gemm_flops(a->rows(), k.w_sub.rows(), a->cols());
      break;
    case LayerKind::MaxPool2d: {
      const Index C = a->cols(), Pin = op.in_positions(), Pout = op.out_positions(), K = op.kernel;
      k.out.resize(B * Pout, C);
      k.argmax.resize(static_cast<std::size_t>(B * Pout * C));
      for (Index c = 0; c < C; ++c)
        for (Index b = 0; b < B; ++b)
          for (Index oh = 0; oh < op.out_h; ++oh)
            for (Index ow = 0; ow < op.out_w; ++ow) {
              Index best = b * Pin + (oh * K) * op.in_w + ow * K;
              for (Index ki = 0; ki < K; ++ki)
                for (Index kj = 0; kj < K; ++kj) {
                  const Index r = b * Pin + (oh * K + ki) * op.in_w + ow * K + kj;
                  if ((*a)(r, c) > (*a)(best, c)) best = r;
                }
              const Index o = b * Pout + oh * op.out_w + ow;
              k.out(o, c) = (*a)(best, c);
              k.argmax[static_cast<std::size_t>(c * B * Pout + o)] = best;
            }
      break;
    }
    case LayerKind::Flatten: {
      const Index C = a->cols(), P = op.in_positions();
      k.out.resize(B, C * P);
      for (Index c = 0; c < C; ++c)
        for (Index q = 0; q < P; ++q)
          for (Index b = 0; b < B; ++b)
            k.out(b, c * P + q) = (*a)(b * P + q, c);
      break;
    }
    }
    if (op.weighted >= 0) {
      const MatrixXf& bias = p.b[at(op.weighted)];
      for (Index r = 0; r < k.out.cols(); ++r)
        k.out.col(r).array() += bias(k.rows[at(static_cast<int>(r))]);
      if (op.relu) k.out = k.out.cwiseMax(0.0f);
      if (op.slot >= 0 && !s.scale.empty() && s.scale[at(op.slot)] != 1.0f) k.out *= s.scale[at(op.slot)];
    }
    a = &k.out;
  }
  return *a;
}

double Trainer::loss_and_grad(const std::vector<int>& labels, MatrixXf* d_logits) const {
  const MatrixXf& z = cache_.back().out;
  const Index B = z.rows();
  double loss = 0;
  if (d_logits) d_logits->resize(B, z.cols());
  for (Index b = 0; b < B; ++b) {
    const float m = z.row(b).maxCoeff();
    double sum = 0;
    for (Index c = 0; c < z.cols(); ++c)
      sum += std::exp(static_cast<double>(z(b, c) - m));
    const int y = labels[static_cast<std::size_t>(b)];
    loss += std::log(sum) - static_cast<double>(z(b, y) - m);
    if (d_logits) {
      for (Index c = 0; c < z.cols(); ++c)
        (*d_logits)(b, c) =
            static_cast<float>(std::exp(static_cast<double>(z(b, c) - m)) / sum / static_cast<double>(B));
      (*d_logits)(b, y) -= 1.0f / static_cast<float>(B);
    }
  }
  return loss / static_cast<double>(B);
}

void Trainer::backward(const MatrixXf& d_logits) {
  MatrixXf d = d_logits, next;
  const Index B = batch_;
  for (std::size_t i = shape_.ops.size(); i-- > 0;) {
    const OpShape& op = shape_.ops[i];
    OpCache& k = cache_[i];
    if (op.slot >= 0 && k.scale != 1.0f) d *= k.scale;
    if (op.weighted >= 0 && op.relu) d = d.cwiseProduct((k.out.array() > 0.0f).cast<float>().matrix());
    switch (op.kind) {
    case LayerKind::Dense:
      k.d_w.noalias() = d.transpose() * (*k.src);
      k.d_b = d.colwise().sum().transpose();
      flops_ += gemm_flops(k.d_w.rows(), k.d_w.cols(), B);
      if (op.weighted == 0) return; // nothing below needs a gradient
      next.noalias() = d * k.w_sub;
      flops_ += gemm_flops(B, k.w_sub.cols(), k.w_sub.rows());
      break;
    case LayerKind::Conv2d: {
      k.d_w.noalias() = d.transpose() * k.col;
      k.d_b = d.colwise().sum().transpose();
      flops_ += gemm_flops(k.d_w.rows(), k.d_w.cols(), k.col.rows());
      if (op.weighted == 0) return;
      const MatrixXf d_col = d * k.w_sub;
      flops_ += gemm_flops(d_col.rows(), d_col.cols(), k.w_sub.rows());
      const Index ni = static_cast<Index>(k.in_units.size());
      next = MatrixXf::Zero(B * op.in_positions(), ni);
      // col2im: the transpose of im2col, so the same segments, added back into the input.
      for_each_segment(
          op, B, ni, d_col.data(), d_col.rows(), next.data(), next.rows(),
          [](const float* dcol, float* din, Index n, Index stride) {
            for (Index j = 0; j < n; ++j)
              din[j * stride] += dcol[j];
          },
          [](const float*, Index) {});
      break;
    }
    case LayerKind::MaxPool2d: {
      const Index C = d.cols(), Pout = op.out_positions();
      next = MatrixXf::Zero(B * op.in_positions(), C);
      for (Index c = 0; c < C; ++c)
        for (Index o = 0; o < B * Pout; ++o)
          next(k.argmax[static_cast<std::size_t>(c * B * Pout + o)], c) += d(o, c);
      break;
    }
    case LayerKind::Flatten: {
      const Index C = k.src->cols(), P = op.in_positions();
      next.resize(B * P, C);
      for (Index c = 0; c < C; ++c)
        for (Index q = 0; q < P; ++q)
          for (Index b = 0; b < B; ++b)
            next(b * P + q, c) = d(b, c * P + q);
      break;
    }
    }
    d.swap(next);
  }
}

double Trainer::gradient(const Params& p, const MatrixXf& x, const std::vector<int>& labels,
                         const Selection& s, Params& grad) {
  forward(p, x, s, true);
  MatrixXf d_logits;
  const double loss = loss_and_grad(labels, &d_logits);
  backward(d_logits);
  grad = Params::zeros(shape_);
  for (std::size_t i = 0; i < shape_.ops.size(); ++i) {
    const OpShape& op = shape_.ops[i];
    if (op.weighted < 0) continue;
    const OpCache& k = cache_[i];
    const Index g = op.in_group;
    for (std::size_t r = 0; r < k.rows.size(); ++r) {
      grad.b[at(op.weighted)](k.rows[r]) = k.d_b(static_cast<Index>(r));
      for (std::size_t u = 0; u < k.in_units.size(); ++u)
        grad.w[at(op.weighted)].row(k.rows[r]).segment(Index{k.in_units[u]} * g, g) =
            k.d_w.row(static_cast<Index>(r)).segment(static_cast<Index>(u) * g, g);
    }
  }
  return loss;
}

double Trainer::step(Params& p, Params& velocity, const MatrixXf& x, const std::vector<int>& labels,
                     const Selection& s, const SgdConfig& cfg, const Params* anchor) {
  if (cfg.prox_mu > 0 && anchor == nullptr) throw std::invalid_argument("a proximal term needs an anchor");
  forward(p, x, s, true);
  MatrixXf d_logits;
  const double loss = loss_and_grad(labels, &d_logits);
  backward(d_logits);
  const auto lr = static_cast<float>(cfg.lr), mu = static_cast<float>(cfg.momentum),
             wd = static_cast<float>(cfg.weight_decay), prox = static_cast<float>(cfg.prox_mu);
  if (cfg.clip_norm > 0) {
    double sq = 0;
    for (std::size_t i = 0; i < shape_.ops.size(); ++i)
      if (shape_.ops[i].weighted >= 0)
        sq += static_cast<double>(cache_[i].d_w.squaredNorm()) +
              static_cast<double>(cache_[i].d_b.squaredNorm());
    const double norm = std::sqrt(sq);
    if (norm > cfg.clip_norm) {
      const auto f = static_cast<float>(cfg.clip_norm / norm);
      for (std::size_t i = 0; i < shape_.ops.size(); ++i)
        if (shape_.ops[i].weighted >= 0) cache_[i].d_w *= f, cache_[i].d_b *= f;
    }
  }
  for (std::size_t i = 0; i < shape_.ops.size(); ++i) {
    const OpShape& op = shape_.ops[i];
    if (op.weighted < 0) continue;
    const OpCache& k = cache_[i];
    MatrixXf& w = p.w[at(op.weighted)];
    MatrixXf& v = velocity.w[at(op.weighted)];
    Eigen::VectorXf& bias = p.b[at(op.weighted)];
    Eigen::VectorXf& vb = velocity.b[at(op.weighted)];
    const Index g = op.in_group;
    for (std::size_t r = 0; r < k.rows.size(); ++r) {
      const Index row = k.rows[r];
      vb(row) = mu * vb(row) + k.d_b(static_cast<Index>(r));
      if (prox > 0) vb(row) += prox * (bias(row) - anchor->b[at(op.weighted)](row));
      bias(row) -= lr * vb(row);
      for (std::size_t u = 0; u < k.in_units.size(); ++u) {
        const Index col = Index{k.in_units[u]} * g;
        auto wseg = w.row(row).segment(col, g);
        auto vseg = v.row(row).segment(col, g);
        vseg = mu * vseg + k.d_w.row(static_cast<Index>(r)).segment(static_cast<Index>(u) * g, g) + wd * wseg;
        if (prox > 0) vseg += prox * (wseg - anchor->w[at(op.weighted)].row(row).segment(col, g));
        wseg -= lr * vseg;
      }
    }
  }
  return loss;
}

Evaluation Trainer::evaluate(const Params& p, const MatrixXf& x, const std::vector<int>& labels,
                             const Selection& s, int batch) {
  Evaluation e;
  const Index n = x.rows();
  if (n == 0) return e;
  double loss = 0, correct = 0;
  for (Index start = 0; start < n; start += batch) {
    const Index m = std::min<Index>(batch, n - start);
    const MatrixXf xb = x.middleRows(start, m);
    const std::vector<int> yb(labels.begin() + start, labels.begin() + start + m);
    const MatrixXf& z = forward(p, xb, s, false);
    loss += loss_and_grad(yb, nullptr) * static_cast<double>(m);
    for (Index b = 0; b < m; ++b) {
      Index arg = 0;
      z.row(b).maxCoeff(&arg);
      if (arg == yb[static_cast<std::size_t>(b)]) correct += 1;
    }
  }
  e.loss = loss / static_cast<double>(n);
  e.accuracy = correct / static_cast<double>(n);
  return e;
}

} // namespace edgetrain::nn
