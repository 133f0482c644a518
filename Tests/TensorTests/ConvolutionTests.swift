import Testing

@testable import Tensor

/// `Im2colConvolution` against direct Double loops: `ReferenceConvolution` for the forward pass, and the same
/// seven loops scattering instead of gathering for the two backward passes.
@Suite struct ConvolutionTests {
  static let geometries: [ConvGeometry] = [
    ConvGeometry(batch: 2, height: 5, width: 6, inChannels: 1, outChannels: 3, kernel: 3, stride: 1, padding: 1),
    ConvGeometry(batch: 2, height: 7, width: 5, inChannels: 3, outChannels: 4, kernel: 3, stride: 2, padding: 1),
    ConvGeometry(batch: 1, height: 6, width: 6, inChannels: 2, outChannels: 2, kernel: 3, stride: 2, padding: 0),
    ConvGeometry(batch: 2, height: 4, width: 5, inChannels: 3, outChannels: 5, kernel: 1, stride: 1, padding: 0),
    ConvGeometry(batch: 2, height: 5, width: 5, inChannels: 4, outChannels: 3, kernel: 1, stride: 2, padding: 0),
    ConvGeometry(batch: 1, height: 5, width: 4, inChannels: 9, outChannels: 17, kernel: 2, stride: 1, padding: 0),
    ConvGeometry(batch: 1, height: 3, width: 3, inChannels: 1, outChannels: 1, kernel: 5, stride: 1, padding: 2),
  ]

  func random(_ shape: [Int], _ stream: Int) -> Tensor {
    var t = Tensor(shape: shape)
    t.withUnsafeMutableBufferPointer { RandomKey(seed: 55).fold(stream).fillNormal($0) }
    return t
  }

  /// |a − b| ≤ 1e-5 · (1 + |b|) for every element: Float GEMM against a Double reference on O(1) data.
  func expectClose(_ a: Tensor, _ b: [Double]) {
    #expect(a.count == b.count)
    for i in 0..<min(a.count, b.count) {
      #expect(abs(Double(a.storage[i]) - b[i]) <= 1e-5 * (1 + abs(b[i])), "at \(i)")
    }
  }

  /// Calls `body(yIndex, xIndex, wIndex)` for every in-bounds multiply-add y += x·w of the convolution.
  func forEachTerm(_ g: ConvGeometry, _ body: (Int, Int, Int) -> Void) {
    for n in 0..<g.batch {
      for oy in 0..<g.outHeight {
        for ox in 0..<g.outWidth {
          for o in 0..<g.outChannels {
            for ky in 0..<g.kernel {
              for kx in 0..<g.kernel {
                let iy = oy * g.stride - g.padding + ky
                let ix = ox * g.stride - g.padding + kx
                guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                for i in 0..<g.inChannels {
                  let yIndex = ((n * g.outHeight + oy) * g.outWidth + ox) * g.outChannels + o
                  let xIndex = ((n * g.height + iy) * g.width + ix) * g.inChannels + i
                  let wIndex = ((o * g.kernel + ky) * g.kernel + kx) * g.inChannels + i
                  body(yIndex, xIndex, wIndex)
                }
              }
            }
          }
        }
      }
    }
  }

  @Test(arguments: geometries) func forward(_ g: ConvGeometry) {
    let x = random(g.inputShape, 0)
    let w = random(g.weightShape, 1)
    let bias = random([g.outChannels], 2)
    let conv = Im2colConvolution()
    let y = conv.forward(x, weight: w, bias: bias, geometry: g)
    #expect(y.shape == g.outputShape)
    expectClose(y, ReferenceConvolution.forward(x, weight: w, bias: bias, geometry: g))
    expectClose(
      conv.forward(x, weight: w, bias: nil, geometry: g),
      ReferenceConvolution.forward(x, weight: w, bias: nil, geometry: g))
  }

  @Test(arguments: geometries) func backwardData(_ g: ConvGeometry) {
    let w = random(g.weightShape, 3)
    let dy = random(g.outputShape, 4)
    var expected = [Double](repeating: 0, count: g.inputShape.reduce(1, *))
    forEachTerm(g) { y, x, wi in expected[x] += Double(dy.storage[y]) * Double(w.storage[wi]) }
    let dx = Im2colConvolution().backwardData(dy, weight: w, geometry: g)
    #expect(dx.shape == g.inputShape)
    expectClose(dx, expected)
  }

  // Weight and bias gradients accumulate onto what is already there (the layer zeroes them once per step).
  @Test(arguments: geometries) func backwardWeightsAccumulates(_ g: ConvGeometry) {
    let x = random(g.inputShape, 5)
    let w = random(g.weightShape, 6)
    let dy = random(g.outputShape, 7)
    let initialWeightGrad = random(g.weightShape, 8)
    var gradWeight = initialWeightGrad
    var gradBias: Tensor? = random([g.outChannels], 9)
    var expectedWeight = gradWeight.storage.map(Double.init)
    var expectedBias = gradBias!.storage.map(Double.init)
    forEachTerm(g) { y, xi, wi in expectedWeight[wi] += Double(dy.storage[y]) * Double(x.storage[xi]) }
    for (i, v) in dy.storage.enumerated() { expectedBias[i % g.outChannels] += Double(v) }
    let conv = Im2colConvolution()
    _ = conv.forward(x, weight: w, bias: nil, geometry: g)
    conv.backwardWeights(dy, input: x, geometry: g, gradWeight: &gradWeight, gradBias: &gradBias)
    expectClose(gradWeight, expectedWeight)
    expectClose(gradBias!, expectedBias)

    var noBias: Tensor? = nil
    var fresh = Tensor(shape: g.weightShape)
    conv.backwardWeights(dy, input: x, geometry: g, gradWeight: &fresh, gradBias: &noBias)
    #expect(noBias == nil)
    expectClose(fresh, zip(expectedWeight, initialWeightGrad.storage).map { $0 - Double($1) })
  }

  @Test func geometry() {
    let g = ConvGeometry(batch: 2, height: 7, width: 5, inChannels: 3, outChannels: 4, kernel: 3, stride: 2, padding: 1)
    #expect(g.outHeight == 4 && g.outWidth == 3)
    #expect(g.outputShape == [2, 4, 3, 4] && g.weightShape == [4, 3, 3, 3] && g.patchSize == 27)
    #expect(g.forwardMACs == 2 * 4 * 3 * 4 * 27)
    #expect(!g.isPointwise)
    #expect(ConvGeometry(batch: 1, height: 4, width: 4, inChannels: 2, outChannels: 2, kernel: 1).isPointwise)
  }
}
