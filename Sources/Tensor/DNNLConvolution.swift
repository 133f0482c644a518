import CDNNL

/// oneDNN 2.6 convolutions. The caller's tensors stay NHWC activations / OHWI weights (`dnnl_nhwc`, `dnnl_ohwi`);
/// the primitives are created with `dnnl_format_tag_any` so oneDNN picks its direct `jit:avx512_core` kernels and
/// their blocked layouts (e.g. `nChw16c`, `OIhw16i16o`), and each argument is reordered only where the chosen layout
/// differs from the caller's (notes/engine-speed.md: fixed `nchw` fell back to a gemm path at ~60 % of the speed).
///
/// Per geometry (batch size included) the backend caches a forward primitive and — created on first use, with the
/// forward descriptor as hint — the backward-data and backward-weights primitives plus their reorder buffers, in a
/// small LRU dictionary: training (batch 128) and evaluation (batch 1000) each keep their own.
///
/// oneDNN's backward-weights primitive overwrites its outputs; the protocol accumulates, so the weight and bias
/// gradients are computed into internal buffers and added to `gradWeight`/`gradBias` by a reorder with a sum post-op.
///
/// Not thread-safe (one instance per layer or per thread). Results are bit-identical run to run at one thread, but
/// the two `ActivationLayout`s run different kernels and give different bits: the layout belongs in provenance and
/// cache keys like the BLAS core type.
public final class DNNLConvolution: ConvolutionBackend {
  /// The layout the primitives may use for activations (`x`, `y`, `dx`, `dy`). Weights always use `any`.
  public enum ActivationLayout: String, Sendable {
    /// oneDNN chooses (blocked `nChw16c`; `jit:avx512_core`): NHWC↔blocked reorders of x, y, dy, dx on every call.
    case any
    /// The primitives work on the caller's NHWC buffers (`brgconv` forward, `jit:avx512_core` backward): no
    /// activation reorders. Measured as fast or faster than `.any` on the reference shapes once reorders count.
    case nhwc
  }

  public let activationLayout: ActivationLayout
  public let cacheCapacity: Int
  private var plans: [ConvGeometry: Plan] = [:]
  private var recency: [ConvGeometry] = []

  public init(activationLayout: ActivationLayout = .any, cacheCapacity: Int = 16) {
    precondition(cacheCapacity >= 1)
    self.activationLayout = activationLayout
    self.cacheCapacity = cacheCapacity
  }

  // MARK: ConvolutionBackend

  public func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry g: ConvGeometry) -> Tensor {
    Self.validate(g)
    precondition(x.shape == g.inputShape, "DNNLConvolution.forward: x \(x.shape) ≠ \(g.inputShape)")
    precondition(weight.shape == g.weightShape, "DNNLConvolution.forward: weight \(weight.shape) ≠ \(g.weightShape)")
    if let bias { precondition(bias.count == g.outChannels, "DNNLConvolution.forward: bias has \(bias.count) values") }
    let plan = plan(for: g)
    let step = plan.forward(bias: bias != nil)
    return Tensor(shape: g.outputShape) { y in
      x.withUnsafeBufferPointer { xp in
        weight.withUnsafeBufferPointer { wp in
          var args: [(Int32, dnnl_memory_t)] = [
            (DNNL_ARG_SRC, step.src.input(xp.baseAddress!)), (DNNL_ARG_WEIGHTS, step.weights.input(wp.baseAddress!)),
            (DNNL_ARG_DST, step.dst.output(y.baseAddress!)),
          ]
          let run = {
            DNNL.execute(step.primitive.primitive, args)
            step.dst.finish()
          }
          if let bias, let biasOperand = step.bias {
            bias.withUnsafeBufferPointer { bp in
              args.append((DNNL_ARG_BIAS, biasOperand.input(bp.baseAddress!)))
              run()
            }
          } else {
            run()
          }
          // backwardWeights may reuse the reordered input while the caller's x is unchanged.
          plan.lastInput = step.src.innerMemory == nil ? nil : (UnsafeRawPointer(xp.baseAddress!), step.src)
        }
      }
    }
  }

  public func backwardData(_ dy: Tensor, weight: Tensor, geometry g: ConvGeometry) -> Tensor {
    Self.validate(g)
    precondition(dy.shape == g.outputShape, "DNNLConvolution.backwardData: dy \(dy.shape) ≠ \(g.outputShape)")
    precondition(weight.shape == g.weightShape, "DNNLConvolution.backwardData: weight \(weight.shape)")
    let step = plan(for: g).backwardData()
    return Tensor(shape: g.inputShape) { dx in
      dy.withUnsafeBufferPointer { dyp in
        weight.withUnsafeBufferPointer { wp in
          DNNL.execute(
            step.primitive.primitive,
            [
              (DNNL_ARG_DIFF_DST, step.diffDst.input(dyp.baseAddress!)),
              (DNNL_ARG_WEIGHTS, step.weights.input(wp.baseAddress!)),
              (DNNL_ARG_DIFF_SRC, step.diffSrc.output(dx.baseAddress!)),
            ])
          step.diffSrc.finish()
        }
      }
    }
  }

  public func backwardWeights(
    _ dy: Tensor, input x: Tensor, geometry g: ConvGeometry, gradWeight: inout Tensor, gradBias: inout Tensor?
  ) {
    backwardWeights(dy, input: x, geometry: g, gradWeight: &gradWeight, gradBias: &gradBias, reorderedDiffDst: nil)
  }

  /// `backwardData` and `backwardWeights` in one call: `dy` is reordered to the primitives' layout once instead of
  /// twice when both backward primitives chose the same layout (they do for the `jit:avx512_core` kernels).
  public func backward(
    _ dy: Tensor, input x: Tensor, weight: Tensor, geometry g: ConvGeometry, gradWeight: inout Tensor,
    gradBias: inout Tensor?
  ) -> Tensor {
    let dx = backwardData(dy, weight: weight, geometry: g)
    let shared = plan(for: g).backwardData().diffDst
    backwardWeights(dy, input: x, geometry: g, gradWeight: &gradWeight, gradBias: &gradBias, reorderedDiffDst: shared)
    return dx
  }

  /// The oneDNN implementations chosen for `g` (forward, backward data, backward weights), e.g. `jit:avx512_core`.
  public func implementations(for g: ConvGeometry, bias: Bool = true) -> [String] {
    Self.validate(g)
    let plan = plan(for: g)
    return [
      plan.forward(bias: bias).primitive.implementation, plan.backwardData().primitive.implementation,
      plan.backwardWeights(bias: bias).primitive.implementation,
    ]
  }

  /// Which arguments are reordered for `g`, as `name: chosen-layout-bytes` (0 = caller's buffer used directly).
  public func reorderSummary(for g: ConvGeometry, bias: Bool = true) -> String {
    Self.validate(g)
    let plan = plan(for: g)
    let f = plan.forward(bias: bias)
    let d = plan.backwardData()
    let w = plan.backwardWeights(bias: bias)
    func r(_ name: String, _ o: DNNL.Operand) -> String? { o.reorder == nil ? nil : name }
    let names = [
      r("fwd.x", f.src), r("fwd.w", f.weights), r("fwd.y", f.dst), r("bwdD.dy", d.diffDst), r("bwdD.w", d.weights),
      r("bwdD.dx", d.diffSrc), r("bwdW.x", w.src), r("bwdW.dy", w.diffDst),
    ].compactMap { $0 }
    return names.isEmpty ? "none" : names.joined(separator: " ")
  }

  // MARK: Implementation

  private func backwardWeights(
    _ dy: Tensor, input x: Tensor, geometry g: ConvGeometry, gradWeight: inout Tensor, gradBias: inout Tensor?,
    reorderedDiffDst: DNNL.Operand?
  ) {
    Self.validate(g)
    precondition(dy.shape == g.outputShape, "DNNLConvolution.backwardWeights: dy \(dy.shape) ≠ \(g.outputShape)")
    precondition(x.shape == g.inputShape, "DNNLConvolution.backwardWeights: x \(x.shape) ≠ \(g.inputShape)")
    precondition(gradWeight.shape == g.weightShape, "DNNLConvolution.backwardWeights: gradWeight \(gradWeight.shape)")
    if let gradBias {
      precondition(gradBias.count == g.outChannels, "DNNLConvolution.backwardWeights: gradBias has \(gradBias.count)")
    }
    let plan = plan(for: g)
    let step = plan.backwardWeights(bias: gradBias != nil)
    x.withUnsafeBufferPointer { xp in
      dy.withUnsafeBufferPointer { dyp in
        gradWeight.withUnsafeMutableBufferPointer { gw in
          // Source: the forward pass's reordered copy if it is of this very buffer and in the same layout.
          let forwardCopy = plan.lastInput.flatMap { $0.0 == UnsafeRawPointer(xp.baseAddress!) ? $0.1 : nil }
          var args: [(Int32, dnnl_memory_t)] = [
            (DNNL_ARG_SRC, step.src.input(xp.baseAddress!, reusing: forwardCopy)),
            (DNNL_ARG_DIFF_DST, step.diffDst.input(dyp.baseAddress!, reusing: reorderedDiffDst)),
            (DNNL_ARG_DIFF_WEIGHTS, step.diffWeights.output(gw.baseAddress!)),
          ]
          if let diffBias = step.diffBias {
            gradBias!.withUnsafeMutableBufferPointer { gb in
              args.append((DNNL_ARG_DIFF_BIAS, diffBias.output(gb.baseAddress!)))
              DNNL.execute(step.primitive.primitive, args)
              step.diffWeights.finish()
              diffBias.finish()
            }
          } else {
            DNNL.execute(step.primitive.primitive, args)
            step.diffWeights.finish()
          }
        }
      }
    }
  }

  private static func validate(_ g: ConvGeometry) {
    precondition(
      g.batch > 0 && g.height > 0 && g.width > 0 && g.inChannels > 0 && g.outChannels > 0 && g.kernel > 0
        && g.stride > 0 && g.padding >= 0 && g.outHeight > 0 && g.outWidth > 0,
      "DNNLConvolution: invalid geometry \(g)")
  }

  private func plan(for g: ConvGeometry) -> Plan {
    if let plan = plans[g] {
      if recency.last != g, let i = recency.firstIndex(of: g) {
        recency.remove(at: i)
        recency.append(g)
      }
      return plan
    }
    if plans.count >= cacheCapacity, !recency.isEmpty {
      plans[recency.removeFirst()] = nil
    }
    let plan = Plan(g, activationLayout)
    plans[g] = plan
    recency.append(g)
    return plan
  }

  /// Descriptors, primitives and reorder buffers for one geometry.
  final class Plan {
    let geometry: ConvGeometry
    let userSrc: dnnl_memory_desc_t
    let userWeights: dnnl_memory_desc_t
    let userDst: dnnl_memory_desc_t
    let userBias: dnnl_memory_desc_t
    let activationTag: dnnl_format_tag_t
    let strides: [Int64]
    let padL: [Int64]
    let padR: [Int64]
    private var forwardSteps: [Bool: ForwardStep] = [:]
    private var backwardDataStep: BackwardDataStep?
    private var backwardWeightsSteps: [Bool: BackwardWeightsStep] = [:]
    /// The caller's buffer and the operand holding its reordered copy, from the latest `forward` on this plan.
    var lastInput: (UnsafeRawPointer, DNNL.Operand)?

    init(_ g: ConvGeometry, _ layout: DNNLConvolution.ActivationLayout) {
      geometry = g
      userSrc = DNNL.descriptor([g.batch, g.inChannels, g.height, g.width], dnnl_nhwc)
      userWeights = DNNL.descriptor([g.outChannels, g.inChannels, g.kernel, g.kernel], dnnl_ohwi)
      userDst = DNNL.descriptor([g.batch, g.outChannels, g.outHeight, g.outWidth], dnnl_nhwc)
      userBias = DNNL.descriptor([g.outChannels], dnnl_x)
      activationTag = layout == .any ? dnnl_format_tag_any : dnnl_nhwc
      strides = [Int64(g.stride), Int64(g.stride)]
      padL = [Int64(g.padding), Int64(g.padding)]
      // Symmetric: oneDNN checks (H + pl + pr − K) / S + 1 = OH with the same floor division as ConvGeometry.
      padR = padL
    }

    private func anyDescriptors() -> (src: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, dst: dnnl_memory_desc_t) {
      let g = geometry
      return (
        DNNL.descriptor([g.batch, g.inChannels, g.height, g.width], activationTag),
        DNNL.descriptor([g.outChannels, g.inChannels, g.kernel, g.kernel], dnnl_format_tag_any),
        DNNL.descriptor([g.batch, g.outChannels, g.outHeight, g.outWidth], activationTag)
      )
    }

    /// The forward descriptor that hints the backward ones (they must agree on layouts).
    private var hint: DNNL.Primitive { forwardSteps[false]?.primitive ?? forward(bias: true).primitive }

    func forward(bias: Bool) -> ForwardStep {
      if let step = forwardSteps[bias] { return step }
      var (src, weights, dst) = anyDescriptors()
      var biasMD = DNNL.descriptor([geometry.outChannels], dnnl_format_tag_any)
      var desc = dnnl_convolution_desc_t()
      let status = withUnsafePointer(to: &biasMD) { b in
        dnnl_convolution_forward_desc_init(
          &desc, dnnl_forward_training, dnnl_convolution_direct, &src, &weights, bias ? b : nil, &dst, strides, padL,
          padR)
      }
      DNNL.check(status, "dnnl_convolution_forward_desc_init")
      let primitive = DNNL.Primitive(desc)
      let pd = primitive.pd
      let step = ForwardStep(
        primitive: primitive,
        src: DNNL.Operand(user: userSrc, chosen: DNNL.query(pd, arg: DNNL_ARG_SRC), role: .input),
        weights: DNNL.Operand(user: userWeights, chosen: DNNL.query(pd, arg: DNNL_ARG_WEIGHTS), role: .input),
        bias: bias ? DNNL.Operand(user: userBias, chosen: DNNL.query(pd, arg: DNNL_ARG_BIAS), role: .input) : nil,
        dst: DNNL.Operand(user: userDst, chosen: DNNL.query(pd, arg: DNNL_ARG_DST), role: .output))
      forwardSteps[bias] = step
      return step
    }

    func backwardData() -> BackwardDataStep {
      if let step = backwardDataStep { return step }
      var (src, weights, dst) = anyDescriptors()
      var desc = dnnl_convolution_desc_t()
      DNNL.check(
        dnnl_convolution_backward_data_desc_init(
          &desc, dnnl_convolution_direct, &src, &weights, &dst, strides, padL, padR),
        "dnnl_convolution_backward_data_desc_init")
      let primitive = DNNL.Primitive(desc, hint: hint)
      let pd = primitive.pd
      let step = BackwardDataStep(
        primitive: primitive,
        diffDst: DNNL.Operand(user: userDst, chosen: DNNL.query(pd, arg: DNNL_ARG_DIFF_DST), role: .input),
        weights: DNNL.Operand(user: userWeights, chosen: DNNL.query(pd, arg: DNNL_ARG_WEIGHTS), role: .input),
        diffSrc: DNNL.Operand(user: userSrc, chosen: DNNL.query(pd, arg: DNNL_ARG_DIFF_SRC), role: .output))
      backwardDataStep = step
      return step
    }

    func backwardWeights(bias: Bool) -> BackwardWeightsStep {
      if let step = backwardWeightsSteps[bias] { return step }
      var (src, weights, dst) = anyDescriptors()
      var biasMD = DNNL.descriptor([geometry.outChannels], dnnl_format_tag_any)
      var desc = dnnl_convolution_desc_t()
      let status = withUnsafePointer(to: &biasMD) { b in
        dnnl_convolution_backward_weights_desc_init(
          &desc, dnnl_convolution_direct, &src, &weights, bias ? b : nil, &dst, strides, padL, padR)
      }
      DNNL.check(status, "dnnl_convolution_backward_weights_desc_init")
      let primitive = DNNL.Primitive(desc, hint: hint)
      let pd = primitive.pd
      let step = BackwardWeightsStep(
        primitive: primitive,
        src: DNNL.Operand(user: userSrc, chosen: DNNL.query(pd, arg: DNNL_ARG_SRC), role: .input),
        diffDst: DNNL.Operand(user: userDst, chosen: DNNL.query(pd, arg: DNNL_ARG_DIFF_DST), role: .input),
        diffWeights: DNNL.Operand(
          user: userWeights, chosen: DNNL.query(pd, arg: DNNL_ARG_DIFF_WEIGHTS), role: .accumulate),
        diffBias: bias
          ? DNNL.Operand(user: userBias, chosen: DNNL.query(pd, arg: DNNL_ARG_DIFF_BIAS), role: .accumulate) : nil)
      backwardWeightsSteps[bias] = step
      return step
    }
  }

  struct ForwardStep {
    let primitive: DNNL.Primitive
    let src: DNNL.Operand
    let weights: DNNL.Operand
    let bias: DNNL.Operand?
    let dst: DNNL.Operand
  }

  struct BackwardDataStep {
    let primitive: DNNL.Primitive
    let diffDst: DNNL.Operand
    let weights: DNNL.Operand
    let diffSrc: DNNL.Operand
  }

  struct BackwardWeightsStep {
    let primitive: DNNL.Primitive
    let src: DNNL.Operand
    let diffDst: DNNL.Operand
    let diffWeights: DNNL.Operand
    let diffBias: DNNL.Operand?
  }
}
