import Data
import Foundation
import NN
import Tensor

/// `dropbench bench --workload W --layers`: where one training step's time goes, layer by layer.
///
/// Wraps each top-level layer of a workload's `Sequential` in a timer and trains the usual batches. Each layer's
/// forward and backward times are medians over the steps (robust to a neighbour's burst on a shared host), and the
/// whole step's median is shown beside their sum. The shares are what guide engine work (profile before
/// optimising).
public enum LayerProfile {
  public struct Row: Sendable {
    public var index: Int
    public var layer: String
    public var forwardMilliseconds: Double
    public var backwardMilliseconds: Double
  }

  /// A transparent wrapper that accumulates the wall time of `forward` and `backward`.
  final class Timed: Layer {
    let inner: Layer
    var forwardNanoseconds: [UInt64] = []
    var backwardNanoseconds: [UInt64] = []
    var counting = false

    init(_ inner: Layer) { self.inner = inner }

    func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
      let t0 = DispatchTime.now().uptimeNanoseconds
      let y = inner.forward(x, context)
      if counting { forwardNanoseconds.append(DispatchTime.now().uptimeNanoseconds - t0) }
      return y
    }

    func backward(_ dy: Tensor) -> Tensor {
      let t0 = DispatchTime.now().uptimeNanoseconds
      let g = inner.backward(dy)
      if counting { backwardNanoseconds.append(DispatchTime.now().uptimeNanoseconds - t0) }
      return g
    }

    var parameters: [Parameter] { inner.parameters }
  }

  /// Median milliseconds of the `steps` steps after `warmup` steps.
  static func medianMilliseconds(_ nanoseconds: [UInt64]) -> Double {
    guard !nanoseconds.isEmpty else { return 0 }
    return Double(nanoseconds.sorted()[nanoseconds.count / 2]) / 1e6
  }

  /// Per-layer median milliseconds per training step at batch 128 over `steps` steps after `warmup` steps, and the
  /// median of whole steps.
  public static func run(_ workload: String, data: Dataset, steps: Int = 200, warmup: Int = 20) throws -> (
    rows: [Row], stepMilliseconds: Double
  ) {
    let key = RandomKey(seed: 0)
    let (network, _) = try Benchmark.model(workload, key: key.fold(.initialization))
    guard let sequential = network as? Sequential else {
      throw RunnerError.badParameter("workload", "\(workload) is not a sequential model")
    }
    let timed = sequential.layers.map(Timed.init)
    sequential.layers = timed
    let optimizer = SGD(momentum: 0.9)
    let parameters = network.parameters
    let n = data.train.count
    let batch = 128
    let order = key.fold(.dataOrder).permutation(n)
    let batches = n / batch
    var stepNanoseconds: [UInt64] = []
    for s in 0..<(warmup + steps) {
      if s == warmup { for t in timed { t.counting = true } }
      let t0 = DispatchTime.now().uptimeNanoseconds
      let idx = order[((s % batches) * batch)..<((s % batches + 1) * batch)]
      Benchmark.trainStep(network, parameters, optimizer, data: data, rows: idx, step: s, key: key)
      if s >= warmup { stepNanoseconds.append(DispatchTime.now().uptimeNanoseconds - t0) }
    }
    let rows = timed.enumerated().map { i, t in
      Row(
        index: i, layer: String(describing: type(of: t.inner)),
        forwardMilliseconds: medianMilliseconds(t.forwardNanoseconds),
        backwardMilliseconds: medianMilliseconds(t.backwardNanoseconds))
    }
    return (rows, medianMilliseconds(stepNanoseconds))
  }

  /// A plain-text table of `rows` with each layer's share of their summed time.
  public static func table(_ rows: [Row], stepMilliseconds: Double) -> String {
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    func num(_ v: Double, _ n: Int = 10) -> String {
      let s = String(format: "%.3f", v)
      return String(repeating: " ", count: max(0, n - s.count)) + s
    }
    let total = rows.reduce(0) { $0 + $1.forwardMilliseconds + $1.backwardMilliseconds }
    var out = pad("#", 4) + pad("layer", 14) + "    fwd ms    bwd ms   share\n"
    for r in rows {
      let share = 100 * (r.forwardMilliseconds + r.backwardMilliseconds) / max(total, 1e-12)
      out +=
        pad(String(r.index), 4) + pad(r.layer, 14) + num(r.forwardMilliseconds) + num(r.backwardMilliseconds)
        + String(format: "%7.1f%%", share) + "\n"
    }
    out += pad("", 4) + pad("sum of layers", 14) + num(total, 20) + " ms\n"
    out += pad("", 4) + pad("whole step", 14) + num(stepMilliseconds, 20) + " ms (median; includes loss and SGD)\n"
    return out
  }
}
