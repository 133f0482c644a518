import Tensor
import Testing

@testable import NN

@Suite struct Conv2dTests {
  let key = RandomKey(seed: 31)

  struct Case: Sendable, CustomTestStringConvertible {
    var inChannels: Int
    var outChannels: Int
    var kernel: Int
    var stride: Int
    var padding: Int
    var bias: Bool
    var testDescription: String {
      "Cin \(inChannels) Cout \(outChannels) k\(kernel) s\(stride) p\(padding) bias \(bias)"
    }
  }

  static let cases: [Case] = [
    Case(inChannels: 1, outChannels: 3, kernel: 3, stride: 1, padding: 1, bias: true),
    Case(inChannels: 3, outChannels: 2, kernel: 3, stride: 1, padding: 0, bias: true),
    Case(inChannels: 2, outChannels: 4, kernel: 3, stride: 2, padding: 1, bias: false),
    Case(inChannels: 1, outChannels: 2, kernel: 3, stride: 2, padding: 0, bias: true),
    Case(inChannels: 3, outChannels: 2, kernel: 1, stride: 1, padding: 0, bias: true),
    Case(inChannels: 2, outChannels: 3, kernel: 1, stride: 2, padding: 0, bias: false),
    Case(inChannels: 1, outChannels: 2, kernel: 1, stride: 1, padding: 1, bias: true),
  ]

  /// The layer's default backend, and im2col + GEMM explicitly.
  static let backends = ["default", "im2col"]

  func layer(_ c: Case, backend: String = "default") -> Conv2d {
    let conv = Conv2d(
      inChannels: c.inChannels, outChannels: c.outChannels, kernel: c.kernel, stride: c.stride, padding: c.padding,
      bias: c.bias, key: key.fold(c.kernel * 100 + c.inChannels),
      backend: backend == "im2col" ? Im2colConvolution() : nil)
    conv.bias?.value = .normal([c.outChannels], key: key.fold(1))
    return conv
  }

  @Test(arguments: cases, backends) func forwardMatchesReference(_ c: Case, _ backend: String) {
    let conv = layer(c, backend: backend)
    let x = Tensor.normal([2, 7, 6, c.inChannels], key: key.fold(2))
    let y = conv.forward(x, .evaluation)
    let (oh, ow) = conv.outputShape(height: 7, width: 6)
    #expect(y.shape == [2, oh, ow, c.outChannels])
    let g = ConvGeometry(
      batch: 2, height: 7, width: 6, inChannels: c.inChannels, outChannels: c.outChannels, kernel: c.kernel,
      stride: c.stride, padding: c.padding)
    let reference = ReferenceConvolution.forward(x, weight: conv.weight.value, bias: conv.bias?.value, geometry: g)
    for i in 0..<y.count { #expect(abs(Double(y.storage[i]) - reference[i]) <= 1e-5 * (1 + abs(reference[i]))) }
  }

  // Tolerance: max relative error ≤ 1e-2 with absolute floor 1e-3, h = 1e-2 (linear in x and in θ).
  @Test(arguments: cases, backends) func gradients(_ c: Case, _ backend: String) {
    let check = GradientCheck(inputSamples: 30, parameterSamples: 12)
    let conv = layer(c, backend: backend)
    let r = check.check(conv, input: .normal([2, 5, 6, c.inChannels], key: key.fold(3)), key: key.fold(4))
    #expect(r.maxError <= 1e-2, "\(r)")
    #expect(r.checked == 30 + conv.parameters.map { min(12, $0.value.count) }.reduce(0, +))
  }

  @Test func biasIsOptional() {
    let conv = Conv2d(inChannels: 2, outChannels: 3, kernel: 3, bias: false, key: key)
    #expect(conv.bias == nil)
    #expect(conv.parameters.count == 1)
    #expect(conv.weight.value.shape == [3, 3, 3, 2])
  }

  // A stem skips its input gradient; its parameter gradients are unchanged.
  @Test func skippingTheInputGradient() {
    let c = Self.cases[0]
    let x = Tensor.normal([2, 5, 5, c.inChannels], key: key.fold(5))
    let full = layer(c)
    let skipping = layer(c)
    skipping.computesInputGradient = false
    let train = StepContext(mode: .train, key: key)
    let dy = Tensor.normal(full.forward(x, train).shape, key: key.fold(6))
    _ = skipping.forward(x, train)
    #expect(full.backward(dy).shape == x.shape)
    #expect(skipping.backward(dy).count == 0)
    #expect(full.weight.grad == skipping.weight.grad && full.bias!.grad == skipping.bias!.grad)
  }
}
