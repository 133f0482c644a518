import Foundation
import NN
import Tensor
import Testing

@testable import Regularizers

/// Attentive CutMix: the heat map is the teacher's last spatial map summed over channels on a 7 × 7 grid, exactly
/// the partner's N hottest cells are pasted, labels weigh the pasted area, and the teacher is trained once per
/// training set and read back from the artifact store.
@Suite struct AttentiveCutMixTests {
  /// A teacher whose last spatial map is the image itself: the heat of a cell is its mean pixel value.
  final class ImageIsTheMap: Layer {
    func forward(_ x: Tensor, _ context: StepContext) -> Tensor { x }
    func backward(_ dy: Tensor) -> Tensor { dy }
  }

  /// 28 × 28 images; image s has a distinct value in every 4 × 4 cell, so the hottest cells of each image are known
  /// and every pasted pixel says where it came from (value = 1000·s + 10·cell + 1, hotter for larger cells).
  static func batch(_ n: Int, cellOrder: (Int, Int) -> Int = { _, cell in cell }) -> Batch {
    var images = Tensor(shape: [n, 28, 28, 1])
    for s in 0..<n {
      for i in 0..<28 {
        for j in 0..<28 {
          images.storage[(s * 28 + i) * 28 + j] = Float(1000 * s + 10 * cellOrder(s, (i / 4) * 7 + j / 4) + 1)
        }
      }
    }
    return Batch(images: images, targets: .labels((0..<n).map { Int32($0 % 3) }), indices: Array(0..<n))
  }

  @Test func gridHeatSumsChannelsAndAveragesCells() {
    // A 14 × 14 map with 2 channels onto a 7 × 7 grid: cell (a, b) averages a 2 × 2 block of channel sums.
    var map = Tensor(shape: [1, 14, 14, 2])
    for i in 0..<14 { for j in 0..<14 { map.storage[(i * 14 + j) * 2] = Float(i); map.storage[(i * 14 + j) * 2 + 1] = Float(j) } }
    let heat = AttentiveCutMix.gridHeat(map, grid: 7)
    #expect(heat.count == 49)
    for a in 0..<7 { for b in 0..<7 { #expect(heat[a * 7 + b] == Float(2 * a) + 0.5 + Float(2 * b) + 0.5) } }
    #expect(AttentiveCutMix.topCells([1, 5, 5, 2], count: 2) == [1, 2])
    #expect(AttentiveCutMix.topCells([3, 1, 2][...], count: 3) == [0, 2, 1])
  }

  @Test func pastesExactlyThePartnersHottestCellsAndMixesLabelsByArea() {
    let hook = AttentiveCutMix(cells: 6, classes: 3, stream: 4)
    hook.teacher = ImageIsTheMap()
    // Image s's cells are ranked by a per-image shuffle, so each partner's top six are different cells.
    let order = (0..<5).map { RandomKey(seed: 40).fold($0).permutation(49) }
    let batch = Self.batch(5) { s, cell in order[s][cell] }
    let context = training(step: 2)
    let out = hook.transform(batch, context)
    guard case .soft(let soft) = out.targets else {
      Issue.record("no soft targets")
      return
    }
    let partner = context.key.fold(UInt64(4)).fold(1).permutation(5)
    for s in 0..<5 {
      let p = partner[s]
      let hottest = Set((0..<49).sorted { order[p][$0] > order[p][$1] }.prefix(6))
      for i in 0..<28 {
        for j in 0..<28 {
          let at = (s * 28 + i) * 28 + j
          let source = hottest.contains((i / 4) * 7 + j / 4) ? p : s
          #expect(out.images.storage[at] == batch.images.storage[(source * 28 + i) * 28 + j], "image \(s) (\(i), \(j))")
        }
      }
      let share: Float = 6.0 * 16 / 784
      var expected = [Float](repeating: 0, count: 3)
      expected[s % 3] += 1 - share
      expected[p % 3] += share
      #expect(Array(soft.storage[(s * 3)..<(s * 3 + 3)]) == expected)
    }
    // Same key, same batch; no teacher or prob 0: the batch is left alone.
    #expect(hook.transform(batch, context).images == out.images)
    let zero = AttentiveCutMix(cells: 6, prob: 0, classes: 3)
    zero.teacher = ImageIsTheMap()
    #expect(zero.transform(batch, context).images == batch.images)
    #expect(AttentiveCutMix(classes: 3).transform(batch, context).images == batch.images)
  }

  /// The teacher is trained on the preparation's training set, stored under a name that fingerprints that set, and
  /// read back bit for bit by the next run (no second training); another training set gets its own teacher.
  @Test func teacherIsTrainedOnceAndReadBack() throws {
    let images = normalTensor([64, 28, 28, 1], seed: 5, scale: 0.3, offset: 0.5)
    let labels = (0..<64).map { Int32($0 % 10) }
    let store = MemoryArtifacts()
    let first = AttentiveCutMix(teacherEpochs: 1, classes: 10)
    first.prepare(HookSetup(train: TrainingData(images: images, targets: .labels(labels)), artifacts: store))
    let trained = try #require(first.teacher).parameters.flatMap(\.value.storage)
    let name = "attentive-cutmix-teacher-cnn-e1-lr0.05-" + AttentiveCutMix.fingerprint(images, labels: labels)
    #expect(store.load(name) == trained)
    // The untrained cnn differs from the trained one: training happened.
    let fresh = try ModelRegistry.build(
      ModelRequest(name: "cnn", inputShape: [28, 28, 1], classes: 10, key: RandomKey(seed: 0).fold(.teacher).fold(.initialization))
    ).network
    #expect(fresh.parameters.flatMap(\.value.storage) != trained)
    // A second hook reads the stored teacher; a poisoned store entry proves it was read, not retrained.
    var poisoned = trained
    poisoned[0] += 1
    store.store(name, poisoned)
    let second = AttentiveCutMix(teacherEpochs: 1, classes: 10)
    second.prepare(HookSetup(train: TrainingData(images: images, targets: .labels(labels)), artifacts: store))
    #expect(try #require(second.teacher).parameters.flatMap(\.value.storage) == poisoned)
    var otherLabels = labels
    otherLabels[0] = 3
    #expect(AttentiveCutMix.fingerprint(images, labels: otherLabels) != AttentiveCutMix.fingerprint(images, labels: labels))
  }
}
