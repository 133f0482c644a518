import Tensor

/// y = x·Wᵀ + b on `[N, in]` inputs. Row u of W holds unit u's incoming weights (the vector max-norm constrains).
public final class Linear: Layer {
  public let weight: Parameter
  public let bias: Parameter
  private var input = Tensor(shape: [0])
  /// False for a network's first layer when nothing before it needs a gradient (its input is data).
  public var computesInputGradient = true
  /// A regularizer acting on the weights (DropConnect, Targeted Dropout), plugged in at the layer's weight site.
  public var weightMask: WeightMask?
  /// The weights of the last training forward when a mask replaced them (the backward pass needs them).
  private var maskedWeight: Tensor?
  /// Whether the last training forward went through the mask's per-sample product.
  private var perSample = false

  /// Normal weights with std √(gain/in), zero bias, drawn from `key`. The default gain 2 is He's, for a layer
  /// whose output feeds a ReLU; a network's last (logit) layer has no ReLU after it and uses gain 1 (LeCun), so
  /// its initial logits are not √2 too large.
  public init(inFeatures: Int, outFeatures: Int, key: RandomKey, gain: Double = 2) {
    var w = Tensor(shape: [outFeatures, inFeatures])
    let std = Float((gain / Double(inFeatures)).squareRoot())
    w.withUnsafeMutableBufferPointer { buffer in
      key.fillNormal(buffer)
      Elementwise.scale(std, buffer)
    }
    weight = Parameter(name: "linear.weight", value: w, isUnitWeights: true, fanIn: inFeatures)
    bias = Parameter(name: "linear.bias", value: Tensor(shape: [outFeatures]), fanIn: inFeatures)
  }

  public var inFeatures: Int { weight.value.shape[1] }
  public var outFeatures: Int { weight.value.shape[0] }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let n = x.rows
    precondition(x.rowLength == inFeatures, "Linear: expected \(inFeatures) features, got \(x.rowLength)")
    if context.mode == .train {
      input = x
      perSample = false
      if let weightMask, var y = weightMask.perSampleForward(input: x, weight: weight.value, context) {
        perSample = true
        y.withUnsafeMutableBufferPointer { out in addBias(out, rows: n) }
        return y
      }
    }
    var used = weight.value
    if let weightMask {
      let effective = weightMask.effectiveWeights(weight.value, context)
      if context.mode == .eval,
        let y = weightMask.evaluate(input: x, weight: effective ?? weight.value, bias: bias.value, context)
      {
        return y
      }
      if let effective { used = effective }
      if context.mode == .train { maskedWeight = effective }
    }
    var y = Tensor(shape: [n, outFeatures])
    x.withUnsafeBufferPointer { a in
      used.withUnsafeBufferPointer { w in
        y.withUnsafeMutableBufferPointer { out in
          BLAS.sgemm(
            transA: false, transB: true, m: n, n: outFeatures, k: inFeatures,
            a: a.baseAddress!, lda: inFeatures, b: w.baseAddress!, ldb: inFeatures, c: out.baseAddress!,
            ldc: outFeatures)
          addBias(out, rows: n)
        }
      }
    }
    return y
  }

  private func addBias(_ out: UnsafeMutableBufferPointer<Float>, rows n: Int) {
    bias.value.withUnsafeBufferPointer { b in
      for r in 0..<n {
        Elementwise.axpy(1, b, UnsafeMutableBufferPointer(rebasing: out[(r * outFeatures)..<((r + 1) * outFeatures)]))
      }
    }
  }

  public func backward(_ dy: Tensor) -> Tensor {
    let n = dy.rows
    dy.withUnsafeBufferPointer { g in
      bias.grad.withUnsafeMutableBufferPointer { Elementwise.addColumnSums(g, channels: outFeatures, into: $0.baseAddress!) }
    }
    if perSample, let weightMask {
      let (dx, dW) = weightMask.perSampleBackward(
        dy, input: input, weight: weight.value, inputGradient: computesInputGradient)
      weight.grad.withUnsafeMutableBufferPointer { gw in dW.withUnsafeBufferPointer { Elementwise.axpy(1, $0, gw) } }
      return computesInputGradient ? dx : Tensor(shape: [0])
    }
    var dx = Tensor(shape: computesInputGradient ? input.shape : [0])
    let masked = weightMask == nil ? nil : maskedWeight
    dy.withUnsafeBufferPointer { g in
      /// dW = dyᵀ·x into `c`, added to what is there when `accumulate`.
      func weightGradient(into c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        input.withUnsafeBufferPointer { a in
          BLAS.sgemm(
            transA: true, transB: false, m: outFeatures, n: inFeatures, k: n,
            a: g.baseAddress!, lda: outFeatures, b: a.baseAddress!, ldb: inFeatures, beta: accumulate ? 1 : 0,
            c: c, ldc: inFeatures)
        }
      }
      if let masked, let weightMask {
        // Gradient with respect to the masked weights, mapped back to the raw ones by the mask.
        var gMasked = Tensor(shape: masked.shape)
        gMasked.withUnsafeMutableBufferPointer { weightGradient(into: $0.baseAddress!, accumulate: false) }
        weight.grad.withUnsafeMutableBufferPointer { weightMask.accumulateRawGradient(gMasked, into: $0) }
      } else {
        weight.grad.withUnsafeMutableBufferPointer { weightGradient(into: $0.baseAddress!, accumulate: true) }
      }
      guard computesInputGradient else { return }
      (masked ?? weight.value).withUnsafeBufferPointer { w in
        dx.withUnsafeMutableBufferPointer { out in
          BLAS.sgemm(
            transA: false, transB: false, m: n, n: inFeatures, k: outFeatures,
            a: g.baseAddress!, lda: outFeatures, b: w.baseAddress!, ldb: inFeatures, c: out.baseAddress!,
            ldc: inFeatures)
        }
      }
    }
    return dx
  }

  public var parameters: [Parameter] { [weight, bias] }
}
