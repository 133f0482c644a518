import Tensor

/// A layer whose evaluation is row-wise: with the standard evaluation settings, output row r is a function of input
/// row r alone, with the same bits whatever the batch the row is in (its size, its other rows).
///
/// Evaluation forwards a batch of `evalBatch` rows (1,000 by default) — at that size a ResNet's activations are
/// 50 MB, and every memory-bound pass (BatchNorm, ReLU, residual adds, pooling) streams them from DRAM. The leading
/// row-wise layers of a `Sequential` network therefore run in chunks of `EvaluationForward.chunkRows` rows, whose
/// activations stay in the caches, and the rest of the network runs on the whole batch again. Because those layers
/// are row-wise, the result is bit-identical to one forward of the whole batch (measured in the bench binary:
/// ResNet-8 7.5k → 10.4k img/s, cnn 8.7k → 15.8k), and the metrics aggregated per evaluation batch are unchanged.
///
/// Why `Linear` is not row-wise: OpenBLAS's SkylakeX small-matrix kernel takes over a product below a size
/// threshold (for the logit layer's `x·Wᵀ`: rows × outputs ≤ 1,200) and rounds differently, so a 10-logit layer
/// gives other bits at ≤ 120 rows than at 1,000. The layers that declare themselves row-wise are tested to be
/// (`RowwiseEvaluationTests`, and the registry contract for the regularizers' layers).
public protocol RowwiseEvaluation: Layer {
  /// Whether this instance's evaluation is row-wise (a container asks its parts).
  var evaluatesRowwise: Bool { get }
}

/// The evaluation forward of the training loop and of `Trainer.evaluate`.
public enum EvaluationForward {
  /// Rows per chunk of the row-wise prefix: a ResNet-8 chunk's largest activation (128 × 28 × 28 × 16 floats,
  /// 6.4 MB) stays in the caches of the hosts measured; chunks of 125–128 rows were the fastest of 50–1,000.
  public static let chunkRows = 128

  /// `network.forward(x, context)` with the leading row-wise layers run in chunks of `chunkRows` rows: the same
  /// bits. Only with the standard evaluation settings (an evaluation axis or a validation probe runs as is), and
  /// only when the row-wise prefix computes something (has parameters).
  public static func forward(_ network: Layer, _ x: Tensor, _ context: StepContext) -> Tensor {
    guard context.mode == .eval, context.evaluation == .standard, let sequential = network as? Sequential,
      x.rows > chunkRows
    else { return network.forward(x, context) }
    // A prefix of parameter-free layers (a regularizer at an MLP's input: the identity at evaluation) is not worth
    // the copies into and out of chunks (measured: 3% slower); convolutions, BatchNorms and blocks are.
    let prefix = sequential.rowwisePrefix
    guard sequential.layers[..<prefix].contains(where: { !$0.parameters.isEmpty }) else {
      return network.forward(x, context)
    }
    var pieces: [Tensor] = []
    for start in stride(from: 0, to: x.rows, by: chunkRows) {
      var h = x.slice(rows: start..<min(x.rows, start + chunkRows))
      for layer in sequential.layers[..<prefix] { h = layer.forward(h, context) }
      pieces.append(h)
    }
    var h = Self.concatenateRows(pieces)
    for layer in sequential.layers[prefix...] { h = layer.forward(h, context) }
    return h
  }

  /// The tensors' rows one after the other (same trailing shape).
  static func concatenateRows(_ pieces: [Tensor]) -> Tensor {
    guard let first = pieces.first else { return Tensor(shape: [0]) }
    if pieces.count == 1 { return first }
    var shape = first.shape
    shape[0] = pieces.reduce(0) { $0 + $1.rows }
    return Tensor(shape: shape) { out in
      var offset = 0
      for piece in pieces {
        precondition(Array(piece.shape.dropFirst()) == Array(first.shape.dropFirst()), "concatenateRows: shapes differ")
        piece.withUnsafeBufferPointer { (out.baseAddress! + offset).update(from: $0.baseAddress!, count: $0.count) }
        offset += piece.count
      }
    }
  }
}

extension Sequential: RowwiseEvaluation {
  /// How many leading layers evaluate row-wise.
  public var rowwisePrefix: Int {
    layers.prefix { ($0 as? RowwiseEvaluation)?.evaluatesRowwise == true }.count
  }

  public var evaluatesRowwise: Bool { rowwisePrefix == layers.count }
}

/// oneDNN's convolution computes each image's output from that image alone, with the same kernel for every
/// minibatch size measured (1–1,000 rows).
extension Conv2d: RowwiseEvaluation { public var evaluatesRowwise: Bool { true } }
/// Running statistics at evaluation: a per-channel affine map.
extension BatchNorm: RowwiseEvaluation { public var evaluatesRowwise: Bool { true } }
extension ReLU: RowwiseEvaluation { public var evaluatesRowwise: Bool { true } }
extension Flatten: RowwiseEvaluation { public var evaluatesRowwise: Bool { true } }
extension Identity: RowwiseEvaluation { public var evaluatesRowwise: Bool { true } }
extension MaxPool2d: RowwiseEvaluation { public var evaluatesRowwise: Bool { true } }
extension AvgPool2d: RowwiseEvaluation { public var evaluatesRowwise: Bool { true } }
extension GlobalAvgPool: RowwiseEvaluation { public var evaluatesRowwise: Bool { true } }

extension BasicBlock: RowwiseEvaluation {
  /// Row-wise when its branch and shortcut are and its gate (if any) decides the same for every row at evaluation.
  public var evaluatesRowwise: Bool {
    branch.evaluatesRowwise && (shortcut?.evaluatesRowwise ?? true) && (gate?.constantAtEvaluation ?? true)
  }
}
