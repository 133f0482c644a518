import Testing

@testable import Datasets

@Suite struct PreparationTests {
  /// 10 classes of unequal sizes: class c has 20 + 7c members, interleaved.
  let labels: [Int32] = (0..<10).flatMap { c in Array(repeating: Int32(c), count: 20 + 7 * c) }.enumerated()
    .sorted { ($0.offset * 7919) % 463 < ($1.offset * 7919) % 463 }.map(\.element)

  @Test func stratifiedSubsetKeepsClassProportions() {
    let subset = Subset.stratified(labels: labels, classes: 10, size: 100, seed: 5, role: .train)
    #expect(subset.count == 100)
    #expect(Set(subset).count == 100)
    #expect(subset == subset.sorted())
    let counts = classCounts(subset.map { labels[$0] }, classes: 10)
    let total = Double(labels.count)
    for c in 0..<10 {
      let exact = 100 * Double(20 + 7 * c) / total
      #expect(abs(Double(counts[c]) - exact) < 1, "class \(c): \(counts[c]) vs \(exact)")
    }
  }

  @Test func subsetDependsOnlyOnSeedRoleAndSize() {
    let a = Subset.stratified(labels: labels, classes: 10, size: 60, seed: 5, role: .train)
    #expect(a == Subset.stratified(labels: labels, classes: 10, size: 60, seed: 5, role: .train))
    #expect(a != Subset.stratified(labels: labels, classes: 10, size: 60, seed: 6, role: .train))
    #expect(a != Subset.stratified(labels: labels, classes: 10, size: 60, seed: 5, role: .test))
    // Growing the subset keeps what a smaller one chose (every class's share grows here).
    let larger = Subset.stratified(labels: labels, classes: 10, size: 120, seed: 5, role: .train)
    #expect(Set(a).isSubset(of: Set(larger)))
  }

  /// Held-out rows come from what the training subset leaves of the pool: disjoint from it, stratified over the
  /// rest, capped by what is left, none when the subset is the whole pool, and the same for the same seed.
  @Test func heldOutRowsAreTheRestOfThePoolStratified() {
    let training = Subset.stratified(labels: labels, classes: 10, size: 100, seed: 5, role: .train)
    let heldOut = Subset.heldOut(labels: labels, classes: 10, training: training, size: 150, seed: 5)
    #expect(heldOut.count == 150 && Set(heldOut).count == 150)
    #expect(Set(heldOut).isDisjoint(with: training))
    #expect(heldOut == Subset.heldOut(labels: labels, classes: 10, training: training, size: 150, seed: 5))
    // Stratified: each class's share of the held-out rows within one of its share of the rest of the pool.
    let rest = labels.indices.filter { !Set(training).contains($0) }
    for c in 0..<10 {
      let share = Double(rest.filter { labels[$0] == Int32(c) }.count) / Double(rest.count) * 150
      #expect(abs(Double(heldOut.filter { labels[$0] == Int32(c) }.count) - share) <= 1)
    }
    let everything = Subset.heldOut(labels: labels, classes: 10, training: training, size: 10_000, seed: 5)
    #expect(everything.count == labels.count - 100)
    #expect(Subset.heldOut(labels: labels, classes: 10, training: nil, size: 50, seed: 5).isEmpty)
  }

  @Test func sizesAreValidated() throws {
    #expect(try Subset.resolve(nil, available: 10, role: .train, dataset: "d") == nil)
    #expect(try Subset.resolve(10, available: 10, role: .train, dataset: "d") == 10)
    #expect(throws: DataError.self) { try Subset.resolve(0, available: 10, role: .train, dataset: "d") }
    #expect(throws: DataError.subsetTooLarge(dataset: "d", split: "test", requested: 11, maximum: 10)) {
      try Subset.resolve(11, available: 10, role: .test, dataset: "d")
    }
  }

  @Test func byteImagesNormaliseWithExactStatistics() {
    let images = ByteImages(bytes: [9, 0, 255, 0, 255], offset: 1, count: 2, shape: [2, 1, 1])
    let norm = images.normalization()
    #expect(abs(norm.mean - 0.5) < 1e-6 && abs(norm.std - 0.5) < 1e-6)
    #expect(images.tensor(rows: nil, normalization: norm).storage == [-1, 1, -1, 1])
    #expect(images.tensor(rows: [1], normalization: norm).shape == [1, 2, 1, 1])
    let constant = ByteImages(bytes: [7, 7], offset: 0, count: 2, shape: [1, 1, 1])
    #expect(constant.normalization().std == 1)
  }
}
