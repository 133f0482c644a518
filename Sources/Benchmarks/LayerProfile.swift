import Datasets
import Foundation
import NN
import NumberFormat
import Tensor

/// `dropbench bench --workload W --layers`: where one training step's time goes, layer by layer.
///
/// Wraps each layer of a workload's `Sequential` in a timer — and the layers inside a composite one, such as a
/// residual block's branch and shortcut — and trains the usual batches. Each layer's forward and backward times
/// are medians over the steps (robust to a neighbour's burst on a shared host), and the whole step's median is
/// shown beside their sum. With each layer's matrix-product FLOPs, the time it would take at the sgemm peak
/// follows: the gap between the two is what stands between a workload and the peak (`make bench-peer` puts this
/// on `Reports/bench.md` for the workloads short of a target).
public enum LayerProfile {
  public struct Row: Codable, Sendable, Equatable {
    /// Where the layer sits: its index in the workload's `Sequential` ("3"), and for a layer inside a composite
    /// one the parent's path, the inner sequence and the index ("3.branch.0").
    public var path: String
    /// 0 for a top-level layer; a nested row's time is part of its parent's.
    public var depth: Int
    public var layer: String
    public var forwardMilliseconds: Double
    public var backwardMilliseconds: Double
    /// Forward FLOPs (2 × multiply-adds) of the row's matrix products — its convolutions and fully connected
    /// layers, nested ones included — per step, in GFLOP.
    public var forwardGFLOP: Double
    /// The step's FLOPs of those products, forward and backward: 3× the forward (the backward's weight and input
    /// gradients), 2× for a layer that computes no input gradient (a stem). The bench's "% of sgemm peak" counts
    /// 3× throughout.
    public var trainingGFLOP: Double

    public var milliseconds: Double { forwardMilliseconds + backwardMilliseconds }

    public init(
      path: String, depth: Int, layer: String, forwardMilliseconds: Double, backwardMilliseconds: Double,
      forwardGFLOP: Double, trainingGFLOP: Double
    ) {
      self.path = path
      self.depth = depth
      self.layer = layer
      self.forwardMilliseconds = forwardMilliseconds
      self.backwardMilliseconds = backwardMilliseconds
      self.forwardGFLOP = forwardGFLOP
      self.trainingGFLOP = trainingGFLOP
    }
  }

  /// One workload's profile: rows in pre-order (each composite layer before the layers inside it).
  public struct Profile: Codable, Sendable, Equatable {
    public var workload: String
    public var stepMilliseconds: Double
    public var rows: [Row]

    public init(workload: String, stepMilliseconds: Double, rows: [Row]) {
      self.workload = workload
      self.stepMilliseconds = stepMilliseconds
      self.rows = rows
    }

    public var topLevel: [Row] { rows.filter { $0.depth == 0 } }
  }

  /// A transparent wrapper that records the wall time of `forward` and `backward` and the output's shape.
  final class Timed: Layer {
    let inner: Layer
    var forwardNanoseconds: [UInt64] = []
    var backwardNanoseconds: [UInt64] = []
    var outputShape: [Int] = []
    var counting = false

    init(_ inner: Layer) { self.inner = inner }

    func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
      let t0 = DispatchTime.now().uptimeNanoseconds
      let y = inner.forward(x, context)
      if counting { forwardNanoseconds.append(DispatchTime.now().uptimeNanoseconds - t0) }
      outputShape = y.shape
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

  /// A timed layer and the timed layers inside it.
  struct Node {
    var path: String
    var depth: Int
    var timed: Timed
    var children: [Node]
  }

  /// Wraps every layer of `sequence` in a timer, walking into composite layers (`NestedLayers`).
  static func instrument(_ sequence: Sequential, prefix: String, depth: Int) -> [Node] {
    let nodes = sequence.layers.enumerated().map { i, layer in
      let path = prefix + String(i)
      let children = (layer as? NestedLayers)?.nested.flatMap {
        instrument($0.sequence, prefix: "\(path).\($0.name).", depth: depth + 1)
      }
      return Node(path: path, depth: depth, timed: Timed(layer), children: children ?? [])
    }
    sequence.layers = nodes.map(\.timed)
    return nodes
  }

  /// Forward FLOPs of one layer's own matrix products for its last output: a convolution's weights once per
  /// output position, a fully connected layer's once per row.
  static func forwardFLOPs(_ layer: Layer, output: [Int]) -> Double {
    guard let rows = output.first else { return 0 }
    if let conv = layer as? Conv2d, output.count == 4 {
      return 2 * Double(rows * output[1] * output[2] * conv.weight.value.count)
    }
    if let linear = layer as? Linear { return 2 * Double(rows * linear.weight.value.count) }
    return 0
  }

  static func rows(_ nodes: [Node]) -> [Row] {
    nodes.flatMap { node -> [Row] in
      let inner = rows(node.children)
      let layer = node.timed.inner
      let own = forwardFLOPs(layer, output: node.timed.outputShape) / 1e9
      let inputGradient = (layer as? Conv2d)?.computesInputGradient ?? (layer as? Linear)?.computesInputGradient ?? true
      let children = inner.filter { $0.depth == node.depth + 1 }
      let row = Row(
        path: node.path, depth: node.depth, layer: String(describing: type(of: layer)),
        forwardMilliseconds: medianMilliseconds(node.timed.forwardNanoseconds),
        backwardMilliseconds: medianMilliseconds(node.timed.backwardNanoseconds),
        forwardGFLOP: own + children.reduce(0) { $0 + $1.forwardGFLOP },
        trainingGFLOP: own * (inputGradient ? 3 : 2) + children.reduce(0) { $0 + $1.trainingGFLOP })
      return [row] + inner
    }
  }

  /// Median milliseconds of the `steps` steps after `warmup` steps.
  static func medianMilliseconds(_ nanoseconds: [UInt64]) -> Double {
    guard !nanoseconds.isEmpty else { return 0 }
    return Double(nanoseconds.sorted()[nanoseconds.count / 2]) / 1e6
  }

  /// Per-layer median milliseconds per training step at batch 128 over `steps` steps after `warmup` steps, and the
  /// median of whole steps.
  public static func run(_ workload: String, data: Dataset, steps: Int = 200, warmup: Int = 20) throws -> Profile {
    let key = RandomKey(seed: 0)
    let (network, _) = try Benchmark.model(workload, key: key.fold(.initialization))
    guard let sequential = network as? Sequential else {
      throw BenchmarkError("workload \(workload) is not a sequential model")
    }
    let nodes = instrument(sequential, prefix: "", depth: 0)
    func all(_ nodes: [Node]) -> [Timed] { nodes.flatMap { [$0.timed] + all($0.children) } }
    let timed = all(nodes)
    let optimizer = SGD(momentum: 0.9)
    let parameters = network.parameters
    let n = data.train.count
    let batch = Benchmark.batch
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
    return Profile(workload: workload, stepMilliseconds: medianMilliseconds(stepNanoseconds), rows: rows(nodes))
  }

  /// A plain-text table of the profile: each top-level layer's share of their summed time; nested rows indented
  /// under their parent.
  public static func table(_ profile: Profile) -> String {
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    func num(_ v: Double, _ n: Int = 10) -> String { Fmt.decimals(v, 3, width: n) }
    let total = profile.topLevel.reduce(0) { $0 + $1.milliseconds }
    var out = pad("#", 16) + pad("layer", 16) + "    fwd ms    bwd ms   share   GFLOP\n"
    for r in profile.rows {
      let indent = String(repeating: "  ", count: r.depth)
      let share = r.depth == 0 ? Fmt.decimals(100 * r.milliseconds / max(total, 1e-12), 1, width: 7) + "%" : "        "
      out +=
        pad(indent + r.path, 16) + pad(indent + r.layer, 16) + num(r.forwardMilliseconds)
        + num(r.backwardMilliseconds) + share + Fmt.decimals(r.forwardGFLOP, 3, width: 8) + "\n"
    }
    out += pad("", 16) + pad("sum of layers", 16) + num(total, 20) + " ms\n"
    out +=
      pad("", 16) + pad("whole step", 16) + num(profile.stepMilliseconds, 20)
      + " ms (median; includes loss and SGD)\n"
    return out
  }
}
