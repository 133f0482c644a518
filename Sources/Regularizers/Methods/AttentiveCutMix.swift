import Foundation
import NN
import Tensor

/// Walawalkar, Shen, Liu & Savvides, "Attentive CutMix: An Enhanced Data Augmentation Approach for Deep Learning
/// Based Image Classification", ICASSP 2020 (seed 003 names it as an extension of CutMix).
///
/// A training-loop method (`plugsInto: .training`, a batch transform) with a teacher. Before the first step
/// (`prepare`) a teacher network — the `cnn` model — is trained on the run's training set (SGD, momentum 0.9,
/// batch 128, `teacher_epochs` epochs, its own key), standing in for the paper's ImageNet-pretrained ResNet-50.
/// The teacher depends on the training set and its own settings only, never on the run's seed — as one pretrained
/// network serves every run in the paper — so it is trained once per training set and engine and kept in the
/// run cache's artifact store under a key of those (runs of every seed and arm share it).
///
/// In a step chosen with probability `prob` (draw 0 of the step key folded with the site's stream), each image s
/// gets a partner p(s) (the batch in a keyed random order, as CutMix). The teacher's last spatial feature map of
/// the partner (the cnn's 7×7×64 map after its second pooling, for 28×28 inputs) summed over channels is its heat
/// map on a `grid` × `grid` grid (the paper's 7 × 7; a map of another size is averaged onto the grid by cell);
/// the partner's `cells` hottest grid cells (the paper's N, default 6; ties to the lower cell index) are pasted
/// into image s at the same places. Labels become soft targets by pasted area: N·(cell area)/(H·W) for the
/// partner's label (N/49 on 28×28), the rest for the image's own. Classification only; evaluation leaves
/// everything alone (the training loop never calls a hook there). Taxonomy: data.
public final class AttentiveCutMix: TrainingHook {
  public let cells: Int
  public let grid: Int
  public let prob: Double
  public let teacherEpochs: Int
  public let teacherLearningRate: Double
  public let classes: Int
  public let stream: UInt64
  /// The trained teacher, from `prepare`.
  var teacher: Layer?

  public init(
    cells: Int = 6, grid: Int = 7, prob: Double = 1, teacherEpochs: Int = 3, teacherLearningRate: Double = 0.05,
    classes: Int, stream: UInt64 = 0
  ) {
    precondition(cells >= 1 && cells <= grid * grid && prob >= 0 && prob <= 1, "AttentiveCutMix: bad parameters")
    self.cells = cells
    self.grid = grid
    self.prob = prob
    self.teacherEpochs = teacherEpochs
    self.teacherLearningRate = teacherLearningRate
    self.classes = classes
    self.stream = stream
  }

  // MARK: The teacher

  public func prepare(_ preparation: HookSetup) {
    guard prob > 0, classes >= 2, case .labels(let labels) = preparation.train.targets,
      preparation.train.images.rank == 4
    else { return }
    let images = preparation.train.images
    let shape = Array(images.shape.dropFirst())
    let key = RandomKey(seed: 0).fold(.teacher)
    let net = try! ModelRegistry.build(
      ModelRequest(name: "cnn", inputShape: shape, classes: classes, key: key.fold(.initialization))
    ).network
    let artifact =
      "attentive-cutmix-teacher-cnn-e\(teacherEpochs)-lr\(teacherLearningRate)-"
      + Self.fingerprint(images, labels: labels)
    if let stored = preparation.artifacts.load(artifact), Self.restore(net, stored) {
      teacher = net
      return
    }
    Self.train(net, images: images, labels: labels, epochs: teacherEpochs, lr: teacherLearningRate, key: key)
    preparation.artifacts.store(artifact, net.parameters.flatMap(\.value.storage))
    teacher = net
  }

  /// Plain minibatch SGD (momentum 0.9, batch 128, reshuffled each epoch from `key`).
  static func train(_ net: Layer, images: Tensor, labels: [Int32], epochs: Int, lr: Double, key: RandomKey) {
    let optimizer = SGD(momentum: 0.9)
    let parameters = net.parameters
    let n = images.rows
    for epoch in 0..<epochs {
      let order = key.fold(.dataOrder).fold(epoch).permutation(n)
      var start = 0
      var step = 0
      while start < n {
        let rows = order[start..<min(n, start + 128)]
        for p in parameters { p.zeroGrad() }
        let context = StepContext(mode: .train, key: key.fold(.mask).fold(epoch * 1_000_000 + step), step: step)
        let out = net.forward(images.gather(rows: rows), context)
        let loss = Losses.softmaxCrossEntropy(logits: out, labels: ArraySlice(rows.map { labels[$0] }))
        _ = net.backward(loss.gradient)
        optimizer.step(parameters, lr: Float(lr))
        start += 128
        step += 1
      }
    }
  }

  /// Writes `values` into the network's parameters; false when they do not fit.
  static func restore(_ net: Layer, _ values: [Float]) -> Bool {
    let parameters = net.parameters
    guard parameters.reduce(0, { $0 + $1.value.count }) == values.count else { return false }
    var offset = 0
    for p in parameters {
      p.value = Tensor(shape: p.value.shape, storage: Array(values[offset..<(offset + p.value.count)]))
      offset += p.value.count
    }
    return true
  }

  /// A 64-bit FNV-1a digest of the training images' and labels' bits and shape: the teacher's training set.
  static func fingerprint(_ images: Tensor, labels: [Int32]) -> String {
    var h = FNV1a()
    for d in images.shape { h.add(UInt32(truncatingIfNeeded: d)) }
    images.withUnsafeBufferPointer { for v in $0 { h.add(v.bitPattern) } }
    for l in labels { h.add(UInt32(bitPattern: l)) }
    return String(h.value, radix: 16)
  }

  /// Per image, the teacher's heat map on the grid: the last rank-4 activation of the teacher (evaluation mode)
  /// summed over channels, averaged onto `grid` × `grid` cells. Row-major `[N, grid·grid]`.
  public func heatMaps(_ images: Tensor) -> [Float] {
    guard let teacher else { return [] }
    var h = images
    var map = images
    let layers = (teacher as? Sequential)?.layers ?? [teacher]
    for layer in layers {
      h = layer.forward(h, .evaluation)
      if h.rank == 4 { map = h } else { break }
    }
    return Self.gridHeat(map, grid: grid)
  }

  /// A feature map `[N, h, w, C]` summed over channels and averaged onto a grid × grid partition of its rows and
  /// columns (cell (a, b) takes rows ⌊a·h/g⌋ ..< ⌊(a+1)·h/g⌋, at least one).
  public static func gridHeat(_ map: Tensor, grid g: Int) -> [Float] {
    let (n, h, w, c) = (map.shape[0], map.shape[1], map.shape[2], map.shape[3])
    var out = [Float](repeating: 0, count: n * g * g)
    map.withUnsafeBufferPointer { m in
      for s in 0..<n {
        for a in 0..<g {
          let rows = Self.span(a, g, h)
          for b in 0..<g {
            let columns = Self.span(b, g, w)
            var sum: Float = 0
            for i in rows {
              for j in columns {
                for ch in 0..<c { sum += m[((s * h + i) * w + j) * c + ch] }
              }
            }
            out[(s * g + a) * g + b] = sum / Float(rows.count * columns.count)
          }
        }
      }
    }
    return out
  }

  /// The rows (or columns) of cell `a` of `g` over `size`: ⌊a·size/g⌋ ..< ⌊(a+1)·size/g⌋, never empty.
  static func span(_ a: Int, _ g: Int, _ size: Int) -> Range<Int> {
    let lo = a * size / g
    return lo..<max(lo + 1, (a + 1) * size / g)
  }

  /// The `count` hottest cells of one heat map, by decreasing heat (ties to the lower index).
  public static func topCells(_ heat: ArraySlice<Float>, count: Int) -> [Int] {
    let base = heat.startIndex
    return Array(
      (0..<heat.count).sorted { heat[base + $0] > heat[base + $1] || (heat[base + $0] == heat[base + $1] && $0 < $1) }
        .prefix(count))
  }

  // MARK: The batch transform

  public func transform(_ batch: Batch, _ context: StepContext) -> Batch {
    guard context.mode == .train, prob > 0, classes >= 2, teacher != nil, case .labels(let labels) = batch.targets,
      batch.images.rank == 4
    else { return batch }
    let key = context.key.fold(stream)
    let chosen = Double(key.bits(0)[0]) / 4_294_967_296
    guard chosen < prob else { return batch }
    let (n, h, w, c) = (batch.images.shape[0], batch.images.shape[1], batch.images.shape[2], batch.images.shape[3])
    let partner = key.fold(1).permutation(n)
    let heat = heatMaps(batch.images)
    let g = grid
    var images = batch.images
    var soft = Tensor(shape: [n, classes])
    batch.images.withUnsafeBufferPointer { src in
      images.withUnsafeMutableBufferPointer { dst in
        for s in 0..<n {
          let p = partner[s]
          var pasted = 0
          for cell in Self.topCells(heat[(p * g * g)..<((p + 1) * g * g)], count: cells) {
            let (rows, columns) = (Self.span(cell / g, g, h), Self.span(cell % g, g, w))
            pasted += rows.count * columns.count
            for i in rows {
              for j in columns {
                for ch in 0..<c { dst[((s * h + i) * w + j) * c + ch] = src[((p * h + i) * w + j) * c + ch] }
              }
            }
          }
          let fraction = Float(Double(pasted) / Double(h * w))
          soft.storage[s * classes + Int(labels[s])] += 1 - fraction
          soft.storage[s * classes + Int(labels[p])] += fraction
        }
      }
    }
    return Batch(images: images, targets: .soft(soft), indices: batch.indices)
  }
}

extension AttentiveCutMix {
  public static let descriptor = RegularizerDescriptor(
    name: "attentive-cutmix", taxonomy: .data, traits: Traits(dependsOn: .labels),
    summary: "Pastes a partner's N hottest 7×7-grid cells (a trained teacher's heat map); labels mixed by area.",
    citation: "Walawalkar et al., Attentive CutMix, ICASSP 2020 (seed 003)",
    parameters: [
      ParameterDescription(
        name: "cells", kind: .int(min: 1, max: 49), defaultValue: .int(6),
        doc: "N, the partner's hottest grid cells pasted (the paper's best: 6 of 49)."),
      ParameterDescription(
        name: "prob", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: true), defaultValue: .double(1),
        doc: "probability that a step's batch is mixed; 0 is the identity."),
      ParameterDescription(
        name: "teacher_epochs", kind: .int(min: 1, max: 100), defaultValue: .int(3),
        doc: "epochs of the cnn teacher trained on the run's training set before the first step (SGD, batch 128)."),
    ],
    plugsInto: .training, identity: ["prob": .double(0)],
    expectations: { _, _ in [.evaluationIdentity] },
    build: { params, site in
      .hook(
        AttentiveCutMix(
          cells: params.int("cells"), prob: params.double("prob"), teacherEpochs: params.int("teacher_epochs"),
          classes: site.classes, stream: site.stream))
    })
}
