import NN
import Regularizers
import Tensor

/// Finite-difference gradient checking in Double on top of Float layers (a small copy of NNTests' GradientCheck).
///
/// For a layer, an input x and a fixed training context, a random upstream gradient g defines
/// f(x) = Σ g·layer(x). The analytical ∂f/∂x (`backward(g)`) and ∂f/∂θ (accumulated `Parameter.grad`) are compared
/// with central differences at sampled coordinates; the error of one coordinate is |a − n| / max(|a|, |n|, floor).
/// With `skipKinks`, coordinates whose one-sided differences disagree by more than 1 % (a ReLU kink was crossed)
/// are skipped and counted; the disagreement is a property of f, never of the analytical gradient.
struct FiniteDifferences {
  var step = 1e-2
  var floor = 1e-3
  var samples = 24
  var skipKinks = false

  struct Report: CustomStringConvertible {
    var maxError = 0.0
    var checked = 0
    var skipped = 0
    var worst = ""

    var description: String { "max error \(maxError), checked \(checked), skipped \(skipped); worst: \(worst)" }
  }

  /// Checks the input gradient and every parameter gradient of `layer` at `x` under `context`.
  func check(_ layer: Layer, input x: Tensor, context: StepContext, key: RandomKey) -> Report {
    let y = layer.forward(x, context)
    let g = normal(y.shape, key: key.fold(0))
    for p in layer.parameters { p.zeroGrad() }
    let dx = layer.backward(g)
    let gradients = layer.parameters.map(\.grad)
    func f(_ input: Tensor) -> Double { dot(g, layer.forward(input, context)) }
    var report = Report()
    compare(dx, at: x, key: key.fold(1), label: "dx", into: &report, f)
    for (index, p) in layer.parameters.enumerated() {
      let original = p.value
      compare(gradients[index], at: original, key: key.fold(2).fold(index), label: "\(p.name)#\(index)", into: &report)
      {
        p.value = $0
        return f(x)
      }
      p.value = original
    }
    return report
  }

  func compare(
    _ analytic: Tensor, at x: Tensor, key: RandomKey, label: String, into report: inout Report,
    _ f: (Tensor) -> Double
  ) {
    let center = skipKinks ? f(x) : 0
    for i in key.permutation(x.count).prefix(samples) {
      var plus = x
      var minus = x
      plus.storage[i] = Float(Double(x.storage[i]) + step)
      minus.storage[i] = Float(Double(x.storage[i]) - step)
      let (fPlus, fMinus) = (f(plus), f(minus))
      let hPlus = Double(plus.storage[i]) - Double(x.storage[i])
      let hMinus = Double(x.storage[i]) - Double(minus.storage[i])
      if skipKinks {
        let (right, left) = ((fPlus - center) / hPlus, (center - fMinus) / hMinus)
        if abs(right - left) > 0.01 * max(abs(right), abs(left), floor) {
          report.skipped += 1
          continue
        }
      }
      let numeric = (fPlus - fMinus) / (hPlus + hMinus)
      let a = Double(analytic.storage[i])
      let error = abs(a - numeric) / max(abs(a), abs(numeric), floor)
      report.checked += 1
      if error > report.maxError {
        report.maxError = error
        report.worst = "\(label)[\(i)]: analytic \(a), numeric \(numeric)"
      }
    }
  }
}

/// Σ a·b in Double.
func dot(_ a: Tensor, _ b: Tensor) -> Double {
  precondition(a.count == b.count)
  var s = 0.0
  for i in 0..<a.count { s += Double(a.storage[i]) * Double(b.storage[i]) }
  return s
}

/// Standard normal values from `key`.
func normal(_ shape: [Int], key: RandomKey) -> Tensor {
  var t = Tensor(shape: shape)
  t.withUnsafeMutableBufferPointer { key.fillNormal($0) }
  return t
}

/// max(0, x) elementwise.
func relu(_ x: Tensor) -> Tensor { Tensor(shape: x.shape, storage: x.storage.map { max(0, $0) }) }

/// A branch gate that always decides the same (a reference block to compare a method's gate with).
final class FixedGate: BranchGate {
  let decision: BranchDecision
  init(_ decision: BranchDecision) { self.decision = decision }
  func decide(batch: Int, _ context: StepContext) -> BranchDecision { decision }
}

/// Conformance passes: at least one property checked, and every one passed.
func conforms(_ results: [ConformanceResult]) -> Bool { !results.isEmpty && results.allSatisfy(\.passed) }
