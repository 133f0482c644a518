import Testing

@testable import Tensor

/// Slow Double references for the adjoints of `ReferenceConvolution.forward`, written as direct loops from the
/// definition (scatter for dx, correlation for dw), and checked against the forward reference by the dot-product
/// identity ⟨conv(x, w), dy⟩ = ⟨x, dx(dy, w)⟩ = ⟨w, dw(dy, x)⟩.
enum ReferenceAdjoints {
  static func backwardData(_ dy: Tensor, weight: Tensor, geometry g: ConvGeometry) -> [Double] {
    var dx = [Double](repeating: 0, count: g.inputShape.reduce(1, *))
    for n in 0..<g.batch {
      for oy in 0..<g.outHeight {
        for ox in 0..<g.outWidth {
          for o in 0..<g.outChannels {
            let d = Double(dy.storage[((n * g.outHeight + oy) * g.outWidth + ox) * g.outChannels + o])
            for ky in 0..<g.kernel {
              for kx in 0..<g.kernel {
                let iy = oy * g.stride - g.padding + ky
                let ix = ox * g.stride - g.padding + kx
                guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                for i in 0..<g.inChannels {
                  let wv = Double(weight.storage[((o * g.kernel + ky) * g.kernel + kx) * g.inChannels + i])
                  dx[((n * g.height + iy) * g.width + ix) * g.inChannels + i] += d * wv
                }
              }
            }
          }
        }
      }
    }
    return dx
  }

  /// (dw, dbias) for one call, not accumulated.
  static func backwardWeights(_ dy: Tensor, input x: Tensor, geometry g: ConvGeometry) -> (
    weight: [Double], bias: [Double]
  ) {
    var dw = [Double](repeating: 0, count: g.weightShape.reduce(1, *))
    var db = [Double](repeating: 0, count: g.outChannels)
    for n in 0..<g.batch {
      for oy in 0..<g.outHeight {
        for ox in 0..<g.outWidth {
          for o in 0..<g.outChannels {
            let d = Double(dy.storage[((n * g.outHeight + oy) * g.outWidth + ox) * g.outChannels + o])
            db[o] += d
            for ky in 0..<g.kernel {
              for kx in 0..<g.kernel {
                let iy = oy * g.stride - g.padding + ky
                let ix = ox * g.stride - g.padding + kx
                guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                for i in 0..<g.inChannels {
                  let xv = Double(x.storage[((n * g.height + iy) * g.width + ix) * g.inChannels + i])
                  dw[((o * g.kernel + ky) * g.kernel + kx) * g.inChannels + i] += d * xv
                }
              }
            }
          }
        }
      }
    }
    return (dw, db)
  }
}

/// Test data and comparisons shared by the convolution tests.
enum ConvFixtures {
  static func random(_ shape: [Int], seed: UInt64) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, storage: RandomKey(seed: seed).fold(.test).uniforms(n).map { 2 * $0 - 1 })
  }

  struct Case {
    let x: Tensor
    let w: Tensor
    let b: Tensor
    let dy: Tensor
  }

  static func data(_ g: ConvGeometry, seed: UInt64 = 1) -> Case {
    Case(
      x: random(g.inputShape, seed: seed), w: random(g.weightShape, seed: seed + 1),
      b: random([g.outChannels], seed: seed + 2), dy: random(g.outputShape, seed: seed + 3))
  }

  /// max |a − b| / max(1, max |b|): the error relative to the result's scale.
  static func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var worst = 0.0
    var scale = 1.0
    for i in a.indices {
      worst = max(worst, abs(Double(a[i]) - b[i]))
      scale = max(scale, abs(b[i]))
    }
    return worst / scale
  }

  static func relativeError(_ a: [Float], _ b: [Float]) -> Double { relativeError(a, b.map(Double.init)) }

  static func dot(_ a: [Double], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * Double($1.1) } }

  /// Small geometries covering the cases the layers use (values checked against Double references).
  static let geometries: [ConvGeometry] = [
    // 3×3, pad 1, stride 1 (blocked jit kernels from 16 channels).
    ConvGeometry(batch: 2, height: 10, width: 10, inChannels: 16, outChannels: 32, kernel: 3, stride: 1, padding: 1),
    // 3×3, stride 2, odd and even spatial sizes (the even one has an unused last padded column).
    ConvGeometry(batch: 2, height: 9, width: 9, inChannels: 8, outChannels: 16, kernel: 3, stride: 2, padding: 1),
    ConvGeometry(batch: 3, height: 8, width: 8, inChannels: 16, outChannels: 32, kernel: 3, stride: 2, padding: 1),
    // 1×1, stride 2, no padding (resnet projection) and the pointwise 1×1 stride 1.
    ConvGeometry(batch: 2, height: 8, width: 8, inChannels: 16, outChannels: 32, kernel: 1, stride: 2, padding: 0),
    ConvGeometry(batch: 2, height: 6, width: 6, inChannels: 12, outChannels: 20, kernel: 1, stride: 1, padding: 0),
    // C_in = 1 stem.
    ConvGeometry(batch: 3, height: 12, width: 12, inChannels: 1, outChannels: 32, kernel: 3, stride: 1, padding: 1),
    // Odd 7×7 with odd channel counts, unpadded 3×3, batch 3.
    ConvGeometry(batch: 3, height: 7, width: 7, inChannels: 3, outChannels: 5, kernel: 3, stride: 1, padding: 1),
    ConvGeometry(batch: 3, height: 7, width: 7, inChannels: 64, outChannels: 64, kernel: 3, stride: 1, padding: 1),
    ConvGeometry(batch: 1, height: 7, width: 5, inChannels: 4, outChannels: 6, kernel: 3, stride: 1, padding: 0),
  ]

  /// max |Δ| ≤ 1e-5 · max(1, max |ref|). Float32 against Double over ≤ 576-term sums of values in [−1, 1)
  /// measured ≤ 9.3e-7 of the scale (all backends, all cases), so this leaves a 10× margin.
  static let tolerance = 1e-5
}

@Suite struct ReferenceAdjointTests {
  /// The slow adjoints are the adjoints of the slow forward: ⟨conv(x,w), dy⟩ = ⟨x, dx⟩ = ⟨w, dw⟩ (+ ⟨b, db⟩).
  @Test(arguments: ConvFixtures.geometries)
  func dotProductIdentity(_ g: ConvGeometry) {
    let c = ConvFixtures.data(g)
    let y = ReferenceConvolution.forward(c.x, weight: c.w, bias: nil, geometry: g)
    let lhs = ConvFixtures.dot(y, c.dy.storage)
    let dx = ReferenceAdjoints.backwardData(c.dy, weight: c.w, geometry: g)
    let (dw, db) = ReferenceAdjoints.backwardWeights(c.dy, input: c.x, geometry: g)
    let scale = max(1, abs(lhs))
    #expect(abs(ConvFixtures.dot(dx, c.x.storage) - lhs) <= 1e-9 * scale)
    #expect(abs(ConvFixtures.dot(dw, c.w.storage) - lhs) <= 1e-9 * scale)
    // The bias term: ⟨conv(x,w)+b, dy⟩ − ⟨conv(x,w), dy⟩ = ⟨b, db⟩.
    let yb = ReferenceConvolution.forward(c.x, weight: c.w, bias: c.b, geometry: g)
    #expect(abs(ConvFixtures.dot(yb, c.dy.storage) - lhs - ConvFixtures.dot(db, c.b.storage)) <= 1e-9 * scale)
  }

  /// A central finite difference of ⟨conv(x,w), dy⟩ in a few coordinates agrees with the slow adjoints (the loss is
  /// linear in each argument, so in Double the difference quotient is exact up to rounding).
  @Test func finiteDifferences() {
    let g = ConvGeometry(batch: 2, height: 5, width: 6, inChannels: 3, outChannels: 4, kernel: 3, stride: 2, padding: 1)
    let c = ConvFixtures.data(g, seed: 7)
    func loss(_ x: Tensor, _ w: Tensor) -> Double {
      ConvFixtures.dot(ReferenceConvolution.forward(x, weight: w, bias: nil, geometry: g), c.dy.storage)
    }
    let dx = ReferenceAdjoints.backwardData(c.dy, weight: c.w, geometry: g)
    let (dw, _) = ReferenceAdjoints.backwardWeights(c.dy, input: c.x, geometry: g)
    let h: Float = 0.25
    for i in stride(from: 0, to: c.x.count, by: 7) {
      var xp = c.x
      var xm = c.x
      xp.storage[i] += h
      xm.storage[i] -= h
      let fd = (loss(xp, c.w) - loss(xm, c.w)) / Double(2 * h)
      #expect(abs(fd - dx[i]) <= 1e-9 * max(1, abs(dx[i])), "dx[\(i)]")
    }
    for i in stride(from: 0, to: c.w.count, by: 5) {
      var wp = c.w
      var wm = c.w
      wp.storage[i] += h
      wm.storage[i] -= h
      let fd = (loss(c.x, wp) - loss(c.x, wm)) / Double(2 * h)
      #expect(abs(fd - dw[i]) <= 1e-9 * max(1, abs(dw[i])), "dw[\(i)]")
    }
  }
}

@Suite struct Im2colConvolutionTests {
  @Test(arguments: ConvFixtures.geometries)
  func forwardMatchesReference(_ g: ConvGeometry) {
    let c = ConvFixtures.data(g)
    let conv = Im2colConvolution()
    let y = conv.forward(c.x, weight: c.w, bias: c.b, geometry: g)
    #expect(y.shape == g.outputShape)
    let ref = ReferenceConvolution.forward(c.x, weight: c.w, bias: c.b, geometry: g)
    #expect(ConvFixtures.relativeError(y.storage, ref) <= ConvFixtures.tolerance)
  }

  @Test(arguments: ConvFixtures.geometries)
  func backwardDataMatchesReference(_ g: ConvGeometry) {
    let c = ConvFixtures.data(g)
    let dx = Im2colConvolution().backwardData(c.dy, weight: c.w, geometry: g)
    #expect(dx.shape == g.inputShape)
    let ref = ReferenceAdjoints.backwardData(c.dy, weight: c.w, geometry: g)
    #expect(ConvFixtures.relativeError(dx.storage, ref) <= ConvFixtures.tolerance)
  }

  @Test(arguments: ConvFixtures.geometries)
  func backwardWeightsAccumulatesReference(_ g: ConvGeometry) {
    let c = ConvFixtures.data(g)
    let conv = Im2colConvolution()
    _ = conv.forward(c.x, weight: c.w, bias: c.b, geometry: g)
    // Start from non-zero gradients: the call must add, not overwrite.
    let w0 = ConvFixtures.random(g.weightShape, seed: 99)
    let b0 = ConvFixtures.random([g.outChannels], seed: 98)
    var gw = w0
    var gb: Tensor? = b0
    conv.backwardWeights(c.dy, input: c.x, geometry: g, gradWeight: &gw, gradBias: &gb)
    let (dw, db) = ReferenceAdjoints.backwardWeights(c.dy, input: c.x, geometry: g)
    let expectedW = zip(dw, w0.storage).map { $0 + Double($1) }
    let expectedB = zip(db, b0.storage).map { $0 + Double($1) }
    #expect(ConvFixtures.relativeError(gw.storage, expectedW) <= ConvFixtures.tolerance)
    #expect(ConvFixtures.relativeError(gb!.storage, expectedB) <= ConvFixtures.tolerance)
  }
}

@Suite struct DNNLConvolutionTests {
  static let layouts: [DNNLConvolution.ActivationLayout] = [.any, .nhwc]

  @Test(arguments: ConvFixtures.geometries, layouts)
  func forwardMatchesReferenceAndIm2col(_ g: ConvGeometry, _ layout: DNNLConvolution.ActivationLayout) {
    let c = ConvFixtures.data(g)
    let conv = DNNLConvolution(activationLayout: layout)
    for bias in [c.b, nil] {
      let y = conv.forward(c.x, weight: c.w, bias: bias, geometry: g)
      #expect(y.shape == g.outputShape)
      let ref = ReferenceConvolution.forward(c.x, weight: c.w, bias: bias, geometry: g)
      #expect(ConvFixtures.relativeError(y.storage, ref) <= ConvFixtures.tolerance)
      let other = Im2colConvolution().forward(c.x, weight: c.w, bias: bias, geometry: g)
      #expect(ConvFixtures.relativeError(y.storage, other.storage) <= ConvFixtures.tolerance)
    }
  }

  @Test(arguments: ConvFixtures.geometries, layouts)
  func backwardDataMatchesIm2col(_ g: ConvGeometry, _ layout: DNNLConvolution.ActivationLayout) {
    let c = ConvFixtures.data(g)
    let dx = DNNLConvolution(activationLayout: layout).backwardData(c.dy, weight: c.w, geometry: g)
    #expect(dx.shape == g.inputShape)
    let other = Im2colConvolution().backwardData(c.dy, weight: c.w, geometry: g)
    #expect(ConvFixtures.relativeError(dx.storage, other.storage) <= ConvFixtures.tolerance)
    let ref = ReferenceAdjoints.backwardData(c.dy, weight: c.w, geometry: g)
    #expect(ConvFixtures.relativeError(dx.storage, ref) <= ConvFixtures.tolerance)
  }

  @Test(arguments: ConvFixtures.geometries, layouts)
  func backwardWeightsMatchesIm2col(_ g: ConvGeometry, _ layout: DNNLConvolution.ActivationLayout) {
    let c = ConvFixtures.data(g)
    let w0 = ConvFixtures.random(g.weightShape, seed: 99)
    let b0 = ConvFixtures.random([g.outChannels], seed: 98)
    func run(_ conv: some ConvolutionBackend) -> (Tensor, Tensor) {
      _ = conv.forward(c.x, weight: c.w, bias: c.b, geometry: g)
      var gw = w0
      var gb: Tensor? = b0
      conv.backwardWeights(c.dy, input: c.x, geometry: g, gradWeight: &gw, gradBias: &gb)
      return (gw, gb!)
    }
    let (gw, gb) = run(DNNLConvolution(activationLayout: layout))
    let (iw, ib) = run(Im2colConvolution())
    #expect(ConvFixtures.relativeError(gw.storage, iw.storage) <= ConvFixtures.tolerance)
    #expect(ConvFixtures.relativeError(gb.storage, ib.storage) <= ConvFixtures.tolerance)
    let (dw, db) = ReferenceAdjoints.backwardWeights(c.dy, input: c.x, geometry: g)
    #expect(
      ConvFixtures.relativeError(gw.storage, zip(dw, w0.storage).map { $0 + Double($1) }) <= ConvFixtures.tolerance)
    #expect(
      ConvFixtures.relativeError(gb.storage, zip(db, b0.storage).map { $0 + Double($1) }) <= ConvFixtures.tolerance)
  }

  /// Gradients accumulate: from zero, a second identical call exactly doubles them (x + x = 2x in floating point
  /// when both calls compute the same bits), and no bias gradient is touched when `gradBias` is nil.
  @Test(arguments: ConvFixtures.geometries)
  func backwardWeightsTwiceDoubles(_ g: ConvGeometry) {
    let c = ConvFixtures.data(g)
    let conv = DNNLConvolution()
    _ = conv.forward(c.x, weight: c.w, bias: c.b, geometry: g)
    var gw = Tensor.zeros(g.weightShape)
    var gb: Tensor? = Tensor.zeros([g.outChannels])
    conv.backwardWeights(c.dy, input: c.x, geometry: g, gradWeight: &gw, gradBias: &gb)
    let once = (gw, gb!)
    conv.backwardWeights(c.dy, input: c.x, geometry: g, gradWeight: &gw, gradBias: &gb)
    #expect(gw.storage == once.0.storage.map { 2 * $0 })
    #expect(gb!.storage == once.1.storage.map { 2 * $0 })
    #expect(once.0.storage.contains { $0 != 0 })

    var gwNoBias = Tensor.zeros(g.weightShape)
    var none: Tensor? = nil
    conv.backwardWeights(c.dy, input: c.x, geometry: g, gradWeight: &gwNoBias, gradBias: &none)
    #expect(none == nil)
    #expect(ConvFixtures.relativeError(gwNoBias.storage, once.0.storage) <= 1e-6)
  }

  /// The im2col backend accumulates through sgemm's β = 1: a second call doubles up to rounding.
  @Test func im2colBackwardWeightsTwiceDoubles() {
    let g = ConvFixtures.geometries[0]
    let c = ConvFixtures.data(g)
    let conv = Im2colConvolution()
    _ = conv.forward(c.x, weight: c.w, bias: nil, geometry: g)
    var gw = Tensor.zeros(g.weightShape)
    var gb: Tensor? = Tensor.zeros([g.outChannels])
    conv.backwardWeights(c.dy, input: c.x, geometry: g, gradWeight: &gw, gradBias: &gb)
    let once = gw
    conv.backwardWeights(c.dy, input: c.x, geometry: g, gradWeight: &gw, gradBias: &gb)
    #expect(ConvFixtures.relativeError(gw.storage, once.storage.map { 2 * $0 }) <= 1e-6)
  }

  /// Same inputs → the same bits: within one backend instance, and across fresh instances.
  @Test(arguments: [ConvFixtures.geometries[0], ConvFixtures.geometries[2], ConvFixtures.geometries[5]])
  func bitDeterministic(_ g: ConvGeometry) {
    let c = ConvFixtures.data(g)
    func run(_ conv: DNNLConvolution) -> [[Float]] {
      let y = conv.forward(c.x, weight: c.w, bias: c.b, geometry: g)
      let dx = conv.backwardData(c.dy, weight: c.w, geometry: g)
      var gw = Tensor.zeros(g.weightShape)
      var gb: Tensor? = Tensor.zeros([g.outChannels])
      conv.backwardWeights(c.dy, input: c.x, geometry: g, gradWeight: &gw, gradBias: &gb)
      return [y.storage, dx.storage, gw.storage, gb!.storage]
    }
    let conv = DNNLConvolution()
    let first = run(conv)
    #expect(run(conv) == first)
    #expect(run(DNNLConvolution()) == first)
  }

  /// `backward` (dy reordered once) gives the same bits as the two protocol calls.
  @Test(arguments: [ConvFixtures.geometries[0], ConvFixtures.geometries[3], ConvFixtures.geometries[5]])
  func combinedBackwardMatchesSeparateCalls(_ g: ConvGeometry) {
    let c = ConvFixtures.data(g)
    let conv = DNNLConvolution()
    _ = conv.forward(c.x, weight: c.w, bias: c.b, geometry: g)
    let dx = conv.backwardData(c.dy, weight: c.w, geometry: g)
    var gw = Tensor.zeros(g.weightShape)
    var gb: Tensor? = Tensor.zeros([g.outChannels])
    conv.backwardWeights(c.dy, input: c.x, geometry: g, gradWeight: &gw, gradBias: &gb)

    var gw2 = Tensor.zeros(g.weightShape)
    var gb2: Tensor? = Tensor.zeros([g.outChannels])
    let dx2 = conv.backward(c.dy, input: c.x, weight: c.w, geometry: g, gradWeight: &gw2, gradBias: &gb2)
    #expect(dx2.storage == dx.storage)
    #expect(gw2.storage == gw.storage)
    #expect(gb2!.storage == gb!.storage)
  }

  /// backwardWeights with an input other than the last forward's (a different buffer) must not reuse the forward's
  /// reordered copy.
  @Test func backwardWeightsWithOtherInput() {
    let g = ConvFixtures.geometries[0]
    let c = ConvFixtures.data(g)
    let x2 = ConvFixtures.random(g.inputShape, seed: 42)
    let conv = DNNLConvolution()
    _ = conv.forward(c.x, weight: c.w, bias: nil, geometry: g)
    var gw = Tensor.zeros(g.weightShape)
    var gb: Tensor? = nil
    conv.backwardWeights(c.dy, input: x2, geometry: g, gradWeight: &gw, gradBias: &gb)
    let (dw, _) = ReferenceAdjoints.backwardWeights(c.dy, input: x2, geometry: g)
    #expect(ConvFixtures.relativeError(gw.storage, dw) <= ConvFixtures.tolerance)
  }

  /// Batch sizes change between calls (training 128 / evaluation 1000): each gets its own cached primitives, and
  /// evicting them (capacity 1) does not change results.
  @Test(arguments: [1, 16])
  func changingBatchSizes(_ capacity: Int) {
    let base = ConvGeometry(
      batch: 4, height: 9, width: 9, inChannels: 16, outChannels: 16, kernel: 3, stride: 1, padding: 1)
    let conv = DNNLConvolution(cacheCapacity: capacity)
    let w = ConvFixtures.random(base.weightShape, seed: 5)
    var results: [Int: [Float]] = [:]
    for batch in [4, 7, 1, 4, 7] {
      var g = base
      g.batch = batch
      let x = ConvFixtures.random(g.inputShape, seed: UInt64(batch))
      let y = conv.forward(x, weight: w, bias: nil, geometry: g)
      let ref = ReferenceConvolution.forward(x, weight: w, bias: nil, geometry: g)
      #expect(ConvFixtures.relativeError(y.storage, ref) <= ConvFixtures.tolerance, "batch \(batch)")
      if let previous = results[batch] { #expect(previous == y.storage) }
      results[batch] = y.storage
      let dx = conv.backwardData(ConvFixtures.random(g.outputShape, seed: 3), weight: w, geometry: g)
      #expect(dx.shape == g.inputShape)
    }
  }

  /// libgomp read OMP_NUM_THREADS before BLAS.load set it; the backend pins the calling thread to the configured
  /// count (1) itself before executing.
  @Test func runsSingleThreaded() {
    let g = ConvFixtures.geometries[0]
    let c = ConvFixtures.data(g)
    _ = DNNLConvolution().forward(c.x, weight: c.w, bias: nil, geometry: g)
    #expect(DNNL.runtime.threads == 1)
    #expect(DNNL.ompMaxThreads == 1)
  }

  @Test func reportsImplementations() {
    let g = ConvGeometry(
      batch: 8, height: 14, width: 14, inChannels: 32, outChannels: 64, kernel: 3, stride: 1, padding: 1)
    let names = DNNLConvolution().implementations(for: g)
    #expect(names.count == 3)
    #expect(names.allSatisfy { !$0.isEmpty && $0 != "unknown" })
  }
}
