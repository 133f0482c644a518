import Tensor
import Testing

@testable import NN

@Suite struct PoolingTests {
  let key = RandomKey(seed: 61)
  let train = StepContext(mode: .train, key: RandomKey(seed: 0))

  /// Distinct values 0.05 apart in random order: a perturbation of 1e-2 never changes which element is the max.
  func distinct(_ shape: [Int]) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, storage: key.fold(n).permutation(n).map { Float($0) * 0.05 - 1 })
  }

  /// k×k windows with stride s over NHWC `x`, reduced in Double by `reduce`.
  func referencePool(_ x: Tensor, kernel k: Int, stride s: Int, _ reduce: ([Double]) -> Double) -> Tensor {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = ((h - k) / s + 1, (w - k) / s + 1)
    var y = Tensor(shape: [n, oh, ow, c])
    for b in 0..<n {
      for oy in 0..<oh {
        for ox in 0..<ow {
          for ch in 0..<c {
            var window: [Double] = []
            for ky in 0..<k {
              for kx in 0..<k { window.append(Double(x.storage[((b * h + oy * s + ky) * w + ox * s + kx) * c + ch])) }
            }
            y.storage[((b * oh + oy) * ow + ox) * c + ch] = Float(reduce(window))
          }
        }
      }
    }
    return y
  }

  static let windows: [(Int, Int)] = [(2, 2), (3, 2), (3, 1), (2, 1)]

  @Test(arguments: windows) func maxPoolForward(_ kernel: Int, _ stride: Int) {
    let x = Tensor.normal([2, 7, 6, 3], key: key.fold(1))
    let y = MaxPool2d(kernel: kernel, stride: stride).forward(x, .evaluation)
    #expect(y == referencePool(x, kernel: kernel, stride: stride) { $0.max()! })
  }

  @Test(arguments: windows) func avgPoolForward(_ kernel: Int, _ stride: Int) {
    let x = Tensor.normal([2, 7, 6, 3], key: key.fold(2))
    let y = AvgPool2d(kernel: kernel, stride: stride).forward(x, .evaluation)
    let expected = referencePool(x, kernel: kernel, stride: stride) { $0.reduce(0, +) / Double($0.count) }
    #expect(y.shape == expected.shape)
    for i in 0..<y.count { #expect(abs(y.storage[i] - expected.storage[i]) <= 1e-6) }
  }

  @Test func defaultStrideIsTheKernel() {
    #expect(MaxPool2d().stride == 2 && MaxPool2d(kernel: 3).stride == 3 && AvgPool2d(kernel: 3).stride == 3)
    #expect(MaxPool2d().forward(Tensor(shape: [1, 5, 5, 1]), .evaluation).shape == [1, 2, 2, 1])
  }

  // Tolerance: max relative error ≤ 1e-2 with absolute floor 1e-3, h = 1e-2 (piecewise linear, no switch crossed).
  @Test(arguments: windows) func maxPoolGradient(_ kernel: Int, _ stride: Int) {
    let r = GradientCheck(inputSamples: 60).check(
      MaxPool2d(kernel: kernel, stride: stride), input: distinct([2, 6, 5, 3]), key: key.fold(3))
    #expect(r.maxError <= 1e-2, "\(r)")
  }

  @Test func maxPoolTiesGoToTheFirstMaximum() {
    let pool = MaxPool2d()
    _ = pool.forward(Tensor(shape: [1, 2, 2, 1], repeating: 1), train)
    #expect(pool.backward(Tensor(shape: [1, 1, 1, 1], repeating: 3)).storage == [3, 0, 0, 0])
  }

  /// Channel counts that take the eight-lane path (16), lanes plus a scalar tail (11) and the tail only (3); odd
  /// map sizes leave rows and columns that no 2×2 window covers (their gradient must be 0).
  static let channelCases: [(Int, Int, Int)] = [(2, 2, 16), (2, 2, 11), (3, 2, 16), (2, 1, 8), (2, 2, 3)]

  @Test(arguments: channelCases) func maxPoolLanesMatchTheReference(_ kernel: Int, _ stride: Int, _ c: Int) {
    let x = Tensor.normal([2, 7, 5, c], key: key.fold(7 + c))
    let y = MaxPool2d(kernel: kernel, stride: stride).forward(x, .evaluation)
    #expect(y == referencePool(x, kernel: kernel, stride: stride) { $0.max()! })
  }

  // Tolerance as maxPoolGradient.
  @Test(arguments: channelCases) func maxPoolLanesGradient(_ kernel: Int, _ stride: Int, _ c: Int) {
    for relu in [false, true] {
      // With the fused ReLU an input within h of 0 sits on its kink: such coordinates are skipped (at most 2).
      let r = GradientCheck(inputSamples: 80, skipKinks: relu).check(
        MaxPool2d(kernel: kernel, stride: stride, relu: relu), input: distinct([2, 7, 5, c]), key: key.fold(20 + c))
      #expect(r.maxError <= 1e-2 && r.skipped <= 2, "relu \(relu): \(r)")
    }
  }

  /// The fused ReLU gives exactly what ReLU followed by the pool gives, forward and backward — with ties, windows
  /// that are all negative or zero, and uncovered edges.
  @Test(arguments: channelCases) func fusedReLUEqualsReLUThenPool(_ kernel: Int, _ stride: Int, _ c: Int) {
    // Values on a coarse grid around 0: many ties, zeros and all-negative windows.
    let shape = [3, 7, 5, c]
    let n = shape.reduce(1, *)
    let x = Tensor(shape: shape, storage: key.fold(40 + c).permutation(n).map { Float($0 % 7) - 4 })
    let dy0 = Tensor.normal([3, (7 - kernel) / stride + 1, (5 - kernel) / stride + 1, c], key: key.fold(41))
    let relu = ReLU()
    let pool = MaxPool2d(kernel: kernel, stride: stride)
    let fused = MaxPool2d(kernel: kernel, stride: stride, relu: true)
    let expected = pool.forward(relu.forward(x, train), train)
    #expect(fused.forward(x, train) == expected)
    #expect(fused.forward(x, .evaluation) == expected)
    _ = fused.forward(x, train)
    #expect(fused.backward(dy0) == relu.backward(pool.backward(dy0)))
  }

  @Test(arguments: windows) func avgPoolGradient(_ kernel: Int, _ stride: Int) {
    let r = GradientCheck(inputSamples: 60).check(
      AvgPool2d(kernel: kernel, stride: stride), input: .normal([2, 6, 5, 3], key: key.fold(4)), key: key.fold(5))
    #expect(r.maxError <= 1e-2, "\(r)")
  }

  @Test func globalAvgPool() {
    let x = Tensor.normal([3, 4, 5, 6], key: key.fold(6))
    let y = GlobalAvgPool().forward(x, .evaluation)
    #expect(y.shape == [3, 6])
    for b in 0..<3 {
      for ch in 0..<6 {
        var mean = 0.0
        for p in 0..<20 { mean += Double(x.storage[(b * 20 + p) * 6 + ch]) / 20 }
        #expect(abs(Double(y.storage[b * 6 + ch]) - mean) <= 1e-6)
      }
    }
    let r = GradientCheck(inputSamples: 60).check(GlobalAvgPool(), input: x, key: key.fold(7))
    #expect(r.maxError <= 1e-2, "\(r)")
  }
}
