import Testing

@testable import Datasets

/// Per-image intensity statistics inside the target and in a ring just outside it (within `ringWidth` pixels).
func targetContrast(images: [Float], masks: [Float], side: Int, ringWidth: Int = 3)
  -> (inside: [Float], ring: [Float], perImageDifference: [Double])
{
  var inside: [Float] = []
  var ring: [Float] = []
  var differences: [Double] = []
  let n = side * side
  for image in 0..<(masks.count / n) {
    let base = image * n
    var sumIn = 0.0
    var countIn = 0
    var sumRing = 0.0
    var countRing = 0
    for y in 0..<side {
      for x in 0..<side {
        let value = images[base + y * side + x]
        if masks[base + y * side + x] > 0 {
          inside.append(value)
          sumIn += Double(value)
          countIn += 1
          continue
        }
        var near = false
        for dy in -ringWidth...ringWidth where !near {
          for dx in -ringWidth...ringWidth {
            let (u, v) = (x + dx, y + dy)
            if u >= 0, v >= 0, u < side, v < side, masks[base + v * side + u] > 0 {
              near = true
              break
            }
          }
        }
        if near {
          ring.append(value)
          sumRing += Double(value)
          countRing += 1
        }
      }
    }
    differences.append(sumIn / Double(countIn) - sumRing / Double(max(countRing, 1)))
  }
  return (inside, ring, differences)
}

@Suite struct SyntheticCTTests {
  @Test func defaultSizesShapesAndChecksum() throws {
    let dataset = try DatasetRegistry.load("synthetic-ct-seg")
    #expect(dataset.task == .segmentation && dataset.classes == 2)
    #expect(dataset.train.images.shape == [512, 64, 64, 1])
    #expect(dataset.test.images.shape == [256, 64, 64, 1])
    #expect(dataset.train.masks?.shape == [512, 64, 64, 1])
    #expect(dataset.train.labels.isEmpty)
    #expect(dataset.checksums.keys.sorted() == ["generator"])
    #expect(dataset.checksums["generator"]?.count == 64)
    #expect(try DatasetRegistry.fileChecksums("synthetic-ct-seg") == dataset.checksums)
    let train = moments(dataset.train.images.storage)
    #expect(abs(train.mean) < 1e-3 && abs(train.std - 1) < 1e-3)
    #expect(dataset.train.images.allFinite && dataset.test.images.allFinite)
  }

  @Test func deterministicAndIndependentOfSize() throws {
    let small = try DatasetRegistry.load("synthetic-ct-seg", options: DatasetOptions(trainSize: 8, testSize: 4))
    let again = try DatasetRegistry.load("synthetic-ct-seg", options: DatasetOptions(trainSize: 8, testSize: 4))
    #expect(small.train.images == again.train.images && small.train.masks == again.train.masks)
    let large = try DatasetRegistry.load(
      "synthetic-ct-seg", options: DatasetOptions(trainSize: 20, testSize: 9, subsetSeed: 4))
    #expect(large.train.images.slice(rows: 0..<8) == small.train.images)
    #expect(large.train.masks?.slice(rows: 0..<8) == small.train.masks)
    #expect(large.test.images.slice(rows: 0..<4) == small.test.images)
    #expect(small.normalization == large.normalization)
    // Train and test come from disjoint key ranges.
    #expect(small.train.images.slice(rows: 0..<1) != small.test.images.slice(rows: 0..<1))
  }

  @Test func masksAreBinaryNonEmptyAndSmall() throws {
    let (_, masks) = SyntheticCT.standard.render(indices: 0..<256)
    let n = 64 * 64
    #expect(masks.storage.allSatisfy { $0 == 0 || $0 == 1 })
    var fractions: [Double] = []
    for i in 0..<256 {
      fractions.append(Double(masks.storage[(i * n)..<((i + 1) * n)].reduce(0, +)) / Double(n))
    }
    #expect(fractions.min()! >= 0.01, "smallest target covers \(fractions.min()!)")
    #expect(fractions.max()! <= 0.15, "largest target covers \(fractions.max()!)")
    #expect(Set(fractions).count > 100, "target sizes vary")
  }

  @Test func targetIsSubtleButVisible() throws {
    let (images, masks) = SyntheticCT.standard.render(indices: 0..<128)
    let stats = targetContrast(images: images.storage, masks: masks.storage, side: 64)
    let meanDifference = stats.perImageDifference.reduce(0, +) / Double(stats.perImageDifference.count)
    let sortedRing = stats.ring.sorted()
    let ringUpperDecile = sortedRing[sortedRing.count * 9 / 10]
    let overlap = Double(stats.inside.filter { $0 < ringUpperDecile }.count) / Double(stats.inside.count)
    // Brighter on average, ...
    #expect(meanDifference > 0.02)
    // ... yet most target pixels are no brighter than the brightest tenth of their surroundings.
    #expect(overlap > 0.5)
  }

  /// `synthetic-ct-seg-visible` is `synthetic-ct-seg` with the target made the brightest structure: the same masks,
  /// the same pixels away from the target, a target ≈ 0.13 brighter than before and above its surroundings' brightest
  /// tenth; its own checksum, while the default's stays the one the committed runs' cache keys hold.
  @Test func theVisibleVariantChangesOnlyTheTarget() throws {
    let (faint, faintMasks) = SyntheticCT.standard.render(indices: 0..<64)
    let (visible, visibleMasks) = SyntheticCT.visibleTarget.render(indices: 0..<64)
    #expect(faintMasks == visibleMasks)
    let side = 64
    let n = side * side
    var far: [Float] = []
    var inside: [Double] = []
    for image in 0..<64 {
      for y in 0..<side {
        for x in 0..<side {
          let i = image * n + y * side + x
          if faintMasks.storage[i] > 0 {
            inside.append(Double(visible.storage[i] - faint.storage[i]))
            continue
          }
          // The blur (sigma 0.8) carries the target's contrast about 3 pixels out; beyond 4 nothing changes.
          var near = false
          for dy in -4...4 {
            for dx in -4...4 {
              let (u, v) = (x + dx, y + dy)
              if u >= 0, v >= 0, u < side, v < side, faintMasks.storage[image * n + v * side + u] > 0 { near = true }
            }
          }
          if !near { far.append(abs(visible.storage[i] - faint.storage[i])) }
        }
      }
    }
    #expect(far.max()! < 1e-3, "pixels away from the target moved by \(far.max()!)")
    let mean = inside.reduce(0, +) / Double(inside.count)
    #expect(mean > 0.08 && mean < 0.18, "target brightened by \(mean) on average")
    let stats = targetContrast(images: visible.storage, masks: visibleMasks.storage, side: side)
    let sortedRing = stats.ring.sorted()
    let ringUpperDecile = sortedRing[sortedRing.count * 9 / 10]
    let overlap = Double(stats.inside.filter { $0 < ringUpperDecile }.count) / Double(stats.inside.count)
    // Against more than half in the default (`targetIsSubtleButVisible`); the rest are the target's own blurred rim.
    #expect(overlap < 0.35, "\(overlap) of target pixels no brighter than their surroundings' brightest tenth")
    let standard = try DatasetRegistry.fileChecksums("synthetic-ct-seg")
    let variant = try DatasetRegistry.fileChecksums("synthetic-ct-seg-visible")
    #expect(standard != variant)
    #expect(standard["generator"] == "\(Self.standardGenerator)")
    #expect(DatasetRegistry.info("synthetic-ct-seg-visible") == DatasetRegistry.info("synthetic-ct-seg"))
    #expect(DatasetRegistry.names.contains("synthetic-ct-seg-visible"))
  }

  /// The default variant's generator hash, as every committed U-Net run's cache key holds it: refactoring the
  /// generator must not change it.
  static let standardGenerator = "d3b0d96d255faac85f5fbe5ae83b35a6efdc4fa1aa9d7a015090307f493349b2"

  @Test func invalidSizesAreErrors() {
    #expect(throws: DataError.self) {
      try DatasetRegistry.load("synthetic-ct-seg", options: DatasetOptions(trainSize: 0))
    }
    #expect(throws: DataError.self) {
      try DatasetRegistry.load("synthetic-ct-seg", options: DatasetOptions(testSize: SyntheticCT.maximumSize + 1))
    }
  }
}
