import Tensor

/// Batch normalisation over the last axis (channels of NHWC maps, features of `[N, F]`): BatchNorm2d and
/// BatchNorm1d are the same computation in a channels-last layout. Batch statistics in training (biased variance
/// for normalising, unbiased for the running estimate, momentum 0.1 as PyTorch), running statistics in evaluation.
///
/// `relu: true` fuses the ReLU that follows (conv–BN–ReLU): the same values and gradients as a separate `ReLU`
/// layer, bit for bit, without its two passes over the map.
public final class BatchNorm: Layer {
  public let gamma: Parameter
  public let beta: Parameter
  public private(set) var runningMean: [Float]
  public private(set) var runningVar: [Float]
  public let momentum: Float
  public let epsilon: Float
  public let relu: Bool
  private var normalized = Tensor(shape: [0])
  /// The latest training output: the fused ReLU's mask.
  private var output = Tensor(shape: [0])
  private var inverseStd: [Float] = []

  public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, relu: Bool = false) {
    self.relu = relu
    gamma = Parameter(name: "bn.gamma", value: Tensor(shape: [channels], repeating: 1))
    beta = Parameter(name: "bn.beta", value: Tensor(shape: [channels]))
    runningMean = [Float](repeating: 0, count: channels)
    runningVar = [Float](repeating: 1, count: channels)
    self.momentum = momentum
    self.epsilon = epsilon
  }

  public var channels: Int { gamma.value.count }

  /// Eight channels per SIMD step where the channel count allows (every BN of the model zoo). The lanes do the same
  /// arithmetic in the same order as the scalar loops — each channel's sums still run over the rows one by one —
  /// so both paths give identical bits; `false` forces the scalar path (tests compare the two).
  var vectorized = true

  private func lanes(_ c: Int) -> Bool { vectorized && c % 8 == 0 }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let c = channels
    let rows = x.count / c
    var mean = [Float](repeating: 0, count: c)
    var invStd = [Float](repeating: 0, count: c)
    if context.mode == .train {
      // Two passes in Double per channel: Float sums over 10⁵ rows lose the digits BN's gradient needs.
      var sum = [Double](repeating: 0, count: c)
      var sumSq = [Double](repeating: 0, count: c)
      x.withUnsafeBufferPointer { src in
        if lanes(c) {
          sum.withUnsafeMutableBufferPointer { Self.addColumns(src, rows: rows, channels: c, into: $0) }
          for ch in 0..<c { mean[ch] = Float(sum[ch] / Double(rows)) }
          sumSq.withUnsafeMutableBufferPointer { sq in
            mean.withUnsafeBufferPointer { Self.addCenteredSquares(src, rows: rows, mean: $0, into: sq) }
          }
          return
        }
        for r in 0..<rows {
          for ch in 0..<c { sum[ch] += Double(src[r * c + ch]) }
        }
        for ch in 0..<c { mean[ch] = Float(sum[ch] / Double(rows)) }
        for r in 0..<rows {
          for ch in 0..<c {
            let d = Double(src[r * c + ch] - mean[ch])
            sumSq[ch] += d * d
          }
        }
      }
      for ch in 0..<c {
        let variance = sumSq[ch] / Double(rows)
        invStd[ch] = Float(1 / (variance + Double(epsilon)).squareRoot())
        let unbiased = rows > 1 ? variance * Double(rows) / Double(rows - 1) : variance
        runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mean[ch]
        runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * Float(unbiased)
      }
    } else {
      mean = runningMean
      for ch in 0..<c { invStd[ch] = 1 / (runningVar[ch] + epsilon).squareRoot() }
    }
    let train = context.mode == .train
    // x̂ is kept for the backward pass only in training.
    var xhat = Tensor(shape: [0])
    if train { xhat = Tensor(shape: x.shape) { _ in } }
    let simd = lanes(c)
    let relu = relu
    let y = Tensor(shape: x.shape) { out in
      x.withUnsafeBufferPointer { src in
        xhat.withUnsafeMutableBufferPointer { nx in
          gamma.value.withUnsafeBufferPointer { g in
            beta.value.withUnsafeBufferPointer { b in
              if simd {
                // Rows outer, channels inner: one sequential pass over the map (the per-channel constants stay in L1).
                mean.withUnsafeBufferPointer { mp in
                  invStd.withUnsafeBufferPointer { sp in
                    for r in 0..<rows {
                      for ch in stride(from: 0, to: c, by: 8) {
                        let i = r * c + ch
                        let v =
                          (Self.load(src.baseAddress!, i) - Self.load(mp.baseAddress!, ch))
                          * Self.load(sp.baseAddress!, ch)
                        if train { Self.store(v, nx.baseAddress!, i) }
                        var o = v * Self.load(g.baseAddress!, ch) + Self.load(b.baseAddress!, ch)
                        if relu { o.replace(with: SIMD8<Float>(), where: o .<= SIMD8<Float>()) }
                        Self.store(o, out.baseAddress!, i)
                      }
                    }
                  }
                }
                return
              }
              for r in 0..<rows {
                for ch in 0..<c {
                  let v = (src[r * c + ch] - mean[ch]) * invStd[ch]
                  if train { nx[r * c + ch] = v }
                  let o = v * g[ch] + b[ch]
                  out[r * c + ch] = relu ? max(o, 0) : o
                }
              }
            }
          }
        }
      }
    }
    if train {
      normalized = xhat
      inverseStd = invStd
      output = relu ? y : Tensor(shape: [0])
    }
    return y
  }

  /// dx = γ·σ⁻¹/m · (m·dy − Σdy − x̂·Σ(dy·x̂)), per channel; under the fused ReLU dy is first zeroed where the
  /// output was (exactly `Elementwise.reluBackward`), on the fly.
  public func backward(_ dy: Tensor) -> Tensor {
    let c = channels
    let rows = dy.count / c
    let relu = relu
    var sumDy = [Double](repeating: 0, count: c)
    var sumDyXhat = [Double](repeating: 0, count: c)
    let simd = lanes(c)
    dy.withUnsafeBufferPointer { g in
      normalized.withUnsafeBufferPointer { nx in
        output.withUnsafeBufferPointer { y in
          if simd {
            sumDy.withUnsafeMutableBufferPointer { sd in
              sumDyXhat.withUnsafeMutableBufferPointer {
                Self.addColumnsAndProducts(g, nx, mask: relu ? y : nil, rows: rows, sums: sd, products: $0)
              }
            }
            return
          }
          for r in 0..<rows {
            for ch in 0..<c {
              let gi = relu && !(y[r * c + ch] > 0) ? 0 : g[r * c + ch]
              sumDy[ch] += Double(gi)
              sumDyXhat[ch] += Double(gi * nx[r * c + ch])
            }
          }
        }
      }
    }
    gamma.grad.withUnsafeMutableBufferPointer { gg in
      beta.grad.withUnsafeMutableBufferPointer { gb in
        for ch in 0..<c {
          gg[ch] += Float(sumDyXhat[ch])
          gb[ch] += Float(sumDy[ch])
        }
      }
    }
    let m = Float(rows)
    let meanDy = sumDy.map { Float($0) / m }
    let meanDyXhat = sumDyXhat.map { Float($0) / m }
    let inverseStd = inverseStd
    return Tensor(shape: dy.shape) { out in
      dy.withUnsafeBufferPointer { g in
        normalized.withUnsafeBufferPointer { nx in
          output.withUnsafeBufferPointer { y in
            gamma.value.withUnsafeBufferPointer { gm in
              if simd {
                let scale = (0..<c).map { gm[$0] * inverseStd[$0] }
                scale.withUnsafeBufferPointer { sc in
                  meanDy.withUnsafeBufferPointer { md in
                    meanDyXhat.withUnsafeBufferPointer { mdx in
                      for r in 0..<rows {
                        for ch in stride(from: 0, to: c, by: 8) {
                          let i = r * c + ch
                          var gi = Self.load(g.baseAddress!, i)
                          if relu {
                            gi.replace(with: SIMD8<Float>(), where: Self.load(y.baseAddress!, i) .<= SIMD8<Float>())
                          }
                          let v =
                            Self.load(sc.baseAddress!, ch)
                            * (gi - Self.load(md.baseAddress!, ch)
                              - Self.load(nx.baseAddress!, i) * Self.load(mdx.baseAddress!, ch))
                          Self.store(v, out.baseAddress!, i)
                        }
                      }
                    }
                  }
                }
                return
              }
              for r in 0..<rows {
                for ch in 0..<c {
                  let i = r * c + ch
                  let gi = relu && !(y[i] > 0) ? 0 : g[i]
                  out[i] = gm[ch] * inverseStd[ch] * (gi - meanDy[ch] - nx[i] * meanDyXhat[ch])
                }
              }
            }
          }
        }
      }
    }
  }

  public var parameters: [Parameter] { [gamma, beta] }

  // MARK: Eight-channel lanes

  @inline(__always) static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
  }

  @inline(__always) static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
  }

  /// sums[ch] += Σ_r Double(x[r, ch]), rows in order, for channels in multiples of 8. Rows outer: one sequential
  /// pass over the map, the accumulators (c/8 lanes of Double) stay in L1.
  static func addColumns(
    _ x: UnsafeBufferPointer<Float>, rows: Int, channels c: Int, into sums: UnsafeMutableBufferPointer<Double>
  ) {
    accumulate(rows: rows, channels: c, into: sums) { r, ch in SIMD8<Double>(load(x.baseAddress!, r * c + ch)) }
  }

  /// sums[ch] += Σ_r Double(x[r, ch] − mean[ch])², rows in order.
  static func addCenteredSquares(
    _ x: UnsafeBufferPointer<Float>, rows: Int, mean: UnsafeBufferPointer<Float>,
    into sums: UnsafeMutableBufferPointer<Double>
  ) {
    let c = mean.count
    accumulate(rows: rows, channels: c, into: sums) { r, ch in
      let d = SIMD8<Double>(load(x.baseAddress!, r * c + ch) - load(mean.baseAddress!, ch))
      return d * d
    }
  }

  /// sums[ch] += Σ_r Double(a[r, ch]) and products[ch] += Σ_r Double(a[r, ch] · b[r, ch]) (the product in Float),
  /// rows in order, in one pass.
  /// With `mask`, a[r, ch] counts as 0 where mask[r, ch] ≤ 0 (the fused ReLU).
  static func addColumnsAndProducts(
    _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, mask: UnsafeBufferPointer<Float>?, rows: Int,
    sums: UnsafeMutableBufferPointer<Double>, products: UnsafeMutableBufferPointer<Double>
  ) {
    let c = sums.count
    let s = UnsafeMutableRawPointer(sums.baseAddress!)
    let p = UnsafeMutableRawPointer(products.baseAddress!)
    for r in 0..<rows {
      for ch in stride(from: 0, to: c, by: 8) {
        var av = load(a.baseAddress!, r * c + ch)
        if let mask { av.replace(with: SIMD8<Float>(), where: load(mask.baseAddress!, r * c + ch) .<= SIMD8<Float>()) }
        let offset = ch * MemoryLayout<Double>.stride
        (s + offset).storeBytes(
          of: (s + offset).loadUnaligned(as: SIMD8<Double>.self) + SIMD8<Double>(av), as: SIMD8<Double>.self)
        (p + offset).storeBytes(
          of: (p + offset).loadUnaligned(as: SIMD8<Double>.self) + SIMD8<Double>(av * load(b.baseAddress!, r * c + ch)),
          as: SIMD8<Double>.self)
      }
    }
  }

  @inline(__always) static func accumulate(
    rows: Int, channels c: Int, into sums: UnsafeMutableBufferPointer<Double>,
    _ term: (Int, Int) -> SIMD8<Double>
  ) {
    let lanes = UnsafeMutableRawPointer(sums.baseAddress!)
    for r in 0..<rows {
      for ch in stride(from: 0, to: c, by: 8) {
        let at = lanes + ch * MemoryLayout<Double>.stride
        at.storeBytes(of: at.loadUnaligned(as: SIMD8<Double>.self) + term(r, ch), as: SIMD8<Double>.self)
      }
    }
  }
}
