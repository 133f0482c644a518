import Tensor
import Testing

@testable import NN

extension Tensor {
  /// Standard normal values times `scale`, from `key`.
  static func normal(_ shape: [Int], key: RandomKey, scale: Float = 1) -> Tensor {
    var t = Tensor(shape: shape)
    t.withUnsafeMutableBufferPointer { key.fillNormal($0) }
    if scale != 1 { t.storage = t.storage.map { $0 * scale } }
    return t
  }

  /// Uniform values in `range`, from `key`.
  static func uniform(_ shape: [Int], key: RandomKey, in range: ClosedRange<Float> = 0...1) -> Tensor {
    let u = key.uniforms(shape.reduce(1, *))
    return Tensor(shape: shape, storage: u.map { range.lowerBound + (range.upperBound - range.lowerBound) * $0 })
  }

  /// Σ a·b in Double.
  func dot(_ other: Tensor) -> Double {
    precondition(count == other.count)
    var s = 0.0
    for i in 0..<count { s += Double(storage[i]) * Double(other.storage[i]) }
    return s
  }
}

/// Finite-difference gradient checking in Double on top of Float layers.
///
/// For a layer and input x, a random upstream gradient g defines the scalar f(x) = Σ g·layer(x) (accumulated in
/// Double). The analytical ∂f/∂x from `backward(g)` and ∂f/∂θ from the accumulated `Parameter.grad` are compared
/// with central differences (f(v + h) − f(v − h)) / (v⁺ − v⁻) at sampled coordinates, where v± are the perturbed
/// values as actually stored in Float. The error of one coordinate is |a − n| / max(|a|, |n|, floor): relative,
/// with an absolute floor so that gradients that are zero up to rounding are not judged relatively.
struct GradientCheck {
  /// Perturbation h, in the units of the perturbed value.
  var step = 1e-2
  /// Denominator floor of the error (an absolute tolerance scale).
  var floor = 1e-3
  /// Coordinates of the input checked, and of each parameter.
  var inputSamples = 24
  var parameterSamples = 8
  /// Skip coordinates whose one-sided differences disagree by more than 1 % of max(|left|, |right|, floor): the
  /// perturbation crossed a ReLU kink or a max-pool switch, where central differences mean nothing. A kink left
  /// undetected moves the central difference by at most half that, 0.5 %. The disagreement is a property of the
  /// function, never of the analytical gradient, so skipping cannot hide a backward bug; callers bound how many
  /// coordinates were skipped.
  var skipKinks = false
  var context = StepContext(mode: .train, key: RandomKey(seed: 7))

  struct Report: CustomStringConvertible {
    var inputError = 0.0
    var parameterError = 0.0
    var checked = 0
    var skipped = 0
    var worst = ""
    var worstError = -1.0

    var maxError: Double { max(inputError, parameterError) }
    var description: String {
      "input error \(inputError), parameter error \(parameterError), checked \(checked), skipped \(skipped); "
        + "worst: \(worst)"
    }

    mutating func record(_ label: String, analytic: Double, numeric: Double, floor: Double, isInput: Bool) {
      let error = abs(analytic - numeric) / max(abs(analytic), abs(numeric), floor)
      if isInput { inputError = max(inputError, error) } else { parameterError = max(parameterError, error) }
      checked += 1
      if error > worstError {
        worstError = error
        worst = "\(label): analytic \(analytic), numeric \(numeric)"
      }
    }
  }

  /// Compares `analytic` (∂f/∂x) with central differences of `f` at `samples` coordinates of `x` drawn from `key`.
  func compare(
    _ analytic: Tensor, at x: Tensor, samples: Int, key: RandomKey, label: String, isInput: Bool = true,
    into report: inout Report, _ f: (Tensor) -> Double
  ) {
    precondition(analytic.shape == x.shape, "\(label): gradient shape \(analytic.shape) ≠ value shape \(x.shape)")
    let center = skipKinks ? f(x) : 0
    for i in key.permutation(x.count).prefix(samples) {
      var plus = x
      var minus = x
      plus.storage[i] = Float(Double(x.storage[i]) + step)
      minus.storage[i] = Float(Double(x.storage[i]) - step)
      let fPlus = f(plus)
      let fMinus = f(minus)
      let hPlus = Double(plus.storage[i]) - Double(x.storage[i])
      let hMinus = Double(x.storage[i]) - Double(minus.storage[i])
      if skipKinks {
        let right = (fPlus - center) / hPlus
        let left = (center - fMinus) / hMinus
        if abs(right - left) > 0.01 * max(abs(right), abs(left), floor) {
          report.skipped += 1
          continue
        }
      }
      let numeric = (fPlus - fMinus) / (hPlus + hMinus)
      report.record(
        "\(label)[\(i)]", analytic: Double(analytic.storage[i]), numeric: numeric, floor: floor, isInput: isInput)
    }
  }

  /// Checks the input gradient and every parameter's gradient of `layer` at `x`.
  func check(_ layer: Layer, input x: Tensor, key: RandomKey) -> Report {
    let y = layer.forward(x, context)
    let g = Tensor.normal(y.shape, key: key.fold(0))
    for p in layer.parameters { p.zeroGrad() }
    let dx = layer.backward(g)
    let parameterGrads = layer.parameters.map(\.grad)
    func f(_ input: Tensor) -> Double { g.dot(layer.forward(input, context)) }

    var report = Report()
    compare(dx, at: x, samples: inputSamples, key: key.fold(1), label: "dx", into: &report, f)
    for (index, p) in layer.parameters.enumerated() {
      let original = p.value
      compare(
        parameterGrads[index], at: original, samples: parameterSamples, key: key.fold(2).fold(index),
        label: "\(p.name)#\(index)", isInput: false, into: &report
      ) { value in
        p.value = value
        return f(x)
      }
      p.value = original
    }
    return report
  }
}

/// A layer whose backward pass is deliberately wrong by a factor: what the checker must reject.
final class MiscaledGradient: Layer {
  let inner: Layer
  let inputFactor: Float
  let parameterFactor: Float

  init(_ inner: Layer, inputFactor: Float = 1, parameterFactor: Float = 1) {
    self.inner = inner
    self.inputFactor = inputFactor
    self.parameterFactor = parameterFactor
  }

  func forward(_ x: Tensor, _ context: StepContext) -> Tensor { inner.forward(x, context) }

  func backward(_ dy: Tensor) -> Tensor {
    var dx = inner.backward(dy)
    dx.storage = dx.storage.map { $0 * inputFactor }
    for p in inner.parameters { p.grad.storage = p.grad.storage.map { $0 * parameterFactor } }
    return dx
  }

  var parameters: [Parameter] { inner.parameters }
}

@Suite struct GradientCheckTests {
  let key = RandomKey(seed: 11)

  func linear() -> Linear {
    let layer = Linear(inFeatures: 6, outFeatures: 5, key: key.fold(1))
    layer.bias.value = .normal([5], key: key.fold(2))
    return layer
  }

  // Tolerance 1e-2 (floor 1e-3) is what every layer test uses; a 5 % error must be far outside it.
  @Test func acceptsTheTrueGradient() {
    let r = GradientCheck().check(linear(), input: .normal([4, 6], key: key.fold(3)), key: key.fold(4))
    #expect(r.maxError <= 1e-3, "\(r)")
    #expect(r.checked == 24 + 8 + 5)
  }

  @Test func rejectsAScaledInputGradient() {
    let layer = MiscaledGradient(linear(), inputFactor: 1.05)
    let r = GradientCheck().check(layer, input: .normal([4, 6], key: key.fold(3)), key: key.fold(4))
    #expect(r.inputError > 1e-2, "\(r)")
    #expect(r.parameterError <= 1e-2, "\(r)")
  }

  @Test func rejectsAScaledParameterGradient() {
    let layer = MiscaledGradient(linear(), parameterFactor: 0.95)
    let r = GradientCheck().check(layer, input: .normal([4, 6], key: key.fold(3)), key: key.fold(4))
    #expect(r.inputError <= 1e-2, "\(r)")
    #expect(r.parameterError > 1e-2, "\(r)")
  }

  @Test func rejectsAGradientForTheWrongCoordinates() {
    // A backward pass that returns the right values at the wrong places (reversed rows).
    final class Reversed: Layer {
      let inner: Linear
      init(_ inner: Linear) { self.inner = inner }
      func forward(_ x: Tensor, _ context: StepContext) -> Tensor { inner.forward(x, context) }
      func backward(_ dy: Tensor) -> Tensor {
        let dx = inner.backward(dy)
        return dx.gather(rows: (0..<dx.rows).reversed())
      }
      var parameters: [Parameter] { inner.parameters }
    }
    let r = GradientCheck().check(Reversed(linear()), input: .normal([4, 6], key: key.fold(3)), key: key.fold(4))
    #expect(r.inputError > 1e-2, "\(r)")
  }
}
